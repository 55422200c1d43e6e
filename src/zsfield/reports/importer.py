"""Lead import (线索批量导入) from an ``.xlsx`` or ``.csv`` file.

1. **Read** the file (:mod:`zsfield.reports.tabular`); a file that cannot be read stops everything.
2. **Map the columns** by their headers, Chinese or English (:data:`LEAD_SYNONYMS`). A unit in the header
   applies to plain numbers below it: ``预计投资（万元）`` with ``3000`` is 30,000,000 CNY; a cell that names
   its own unit (``1.5亿``, ``US$3m``) keeps it.
3. **Check every row**: a company is required; the amount must parse (:func:`zsfield.domain.money.parse_money`);
   the source channel must be known (code, Chinese or English name, or a common synonym; empty means 其他);
   dates, land, office and team must be valid. A bad row is listed with its row number and reasons and
   never written.
4. **Duplicates (查重)**: each company is matched against the zone's company index. A certain match (same
   credit code or same normalised name, score ≥ 0.97) links the lead to that company; a weaker one is
   flagged for screening. A row whose company already has a live lead (not rejected), or repeats an earlier
   row of the file, is a **duplicate lead**: flagged and skipped unless ``keep_duplicates``.
5. **Preview** (dry run): what would be created — nothing is written.
6. **Write** (not here: :func:`zsfield.store.actions.leads.import_leads`): every good row in ONE
   transaction through ``capture_lead`` (lead, company, contact, note, each with its outbox op), or nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import text

from zsfield.domain.company_match import normalise_company_name
from zsfield.domain.enums import SourceChannel
from zsfield.domain.money import AmountError, parse_money
from zsfield.i18n import t
from zsfield.reports.errors import ReportError
from zsfield.reports.periods import parse_day
from zsfield.reports.tabular import Sheet, cell_text, match_headers, read_table
from zsfield.store.db import Store

LEAD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": ("线索名称", "项目名称", "项目", "标题", "信息名称", "title", "project", "lead", "project name"),
    "company_name": (
        "企业名称", "公司名称", "投资方", "投资主体", "客商", "企业", "公司", "company", "investor",
        "company name",
    ),
    "credit_code": ("统一社会信用代码", "信用代码", "credit code", "uscc"),
    "source_channel": ("来源渠道", "招商方式", "渠道", "来源", "source", "channel", "source channel"),
    "source_detail": ("来源说明", "推荐人", "引荐人", "信息来源", "source detail", "referrer", "referred by"),
    "estimated_investment": (
        "预计投资", "计划投资", "总投资", "投资额", "投资金额", "预计总投资", "拟投资额", "investment", "amount",
        "estimated investment", "total investment",
    ),
    "estimated_currency": ("币种", "货币", "currency"),
    "industry": ("产业类型", "行业", "产业", "所属行业", "industry", "sector"),
    "land_need_mu": ("需用土地", "用地需求", "用地", "土地需求", "land", "land need"),
    "received_on": ("接收日期", "获取日期", "日期", "首次接洽日期", "录入日期", "received", "received on", "date"),
    "contact_name": ("联系人", "联系人姓名", "contact", "contact name"),
    "contact_phone": ("联系电话", "电话", "手机", "phone", "tel", "mobile"),
    "contact_title": ("职务", "联系人职务", "position", "contact title", "job title"),
    "office": ("驻点", "办事处", "office"),
    "team": ("团队", "责任团队", "承办团队", "team"),
    "note": ("备注", "说明", "情况说明", "note", "notes", "remarks", "remark"),
}  # fmt: skip

CHANNEL_SYNONYMS: dict[SourceChannel, tuple[str, ...]] = {
    SourceChannel.STATIONED: ("驻点", "驻点招商", "stationed"),
    SourceChannel.INVESTOR_REFERRAL: ("以商招商", "以商引商", "商引", "referral", "investor referral"),
    SourceChannel.AGENT: ("委托招商", "委托", "中介", "agent", "intermediary"),
    SourceChannel.ADVISER: ("顾问招商", "顾问", "中介顾问", "adviser", "advisor", "consultant"),
    SourceChannel.CHAMBER: ("商会", "协会", "商会协会", "chamber", "association"),
    SourceChannel.FAIR: ("展会", "推介会", "展会推介", "展会推介会", "fair", "expo", "promotion"),
    SourceChannel.ONLINE: ("网络", "网络招商", "网上", "online", "internet", "web"),
    SourceChannel.FUND: ("基金", "基金招商", "招投联动", "fund"),
    SourceChannel.SUPPLY_CHAIN: ("产业链", "产业链招商", "supply chain"),
    SourceChannel.LEADERSHIP: ("领导招商", "领导", "leadership"),
    SourceChannel.OTHER: ("其他", "其它", "other"),
}

# Multipliers and currency of units written in a header: 预计投资（万元）.
HEADER_UNITS: dict[str, tuple[Decimal, str]] = {
    "元": (Decimal(1), "CNY"),
    "人民币": (Decimal(1), "CNY"),
    "万元": (Decimal(10_000), "CNY"),
    "万": (Decimal(10_000), "CNY"),
    "亿元": (Decimal(100_000_000), "CNY"),
    "亿": (Decimal(100_000_000), "CNY"),
    "美元": (Decimal(1), "USD"),
    "万美元": (Decimal(10_000), "USD"),
    "usd": (Decimal(1), "USD"),
    "cny": (Decimal(1), "CNY"),
    "rmb": (Decimal(1), "CNY"),
}

STRONG_MATCH = 0.97
WEAK_MATCH = 0.78
_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9][0-9,]*(\.[0-9]+)?$")
_CJK_DATE = re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?\s*$")


def _fold(value: str) -> str:
    return re.sub(r"[\s/／、·\-_]+", "", unicodedata.normalize("NFKC", value)).casefold()


def _channel_table() -> dict[str, SourceChannel]:
    out: dict[str, SourceChannel] = {}
    for channel in SourceChannel:
        for word in (
            channel.value,
            channel.label("zh"),
            channel.label("en"),
            *CHANNEL_SYNONYMS.get(channel, ()),
        ):
            out.setdefault(_fold(word), channel)
    return out


def parse_channel(value: str) -> SourceChannel:
    """The source channel named by ``value`` (empty: 其他). Raises ``imp.bad_channel``."""
    if not value.strip():
        return SourceChannel.OTHER
    hit = _channel_table().get(_fold(value))
    if hit is None:
        raise ReportError("imp.bad_channel", text=value.strip())
    return hit


# --- the plan ------------------------------------------------------------------------------------------------


@dataclass
class PlannedLead:
    """A good row: what :func:`capture_lead` will be called with, its company match and its flags."""

    row: int
    values: dict[str, Any]
    company_id: str | None  # an existing company the lead will be linked to
    company_label: str  # the existing company's name, or the new one's
    flags: list[str] = field(default_factory=list)  # shown to the user (current language)
    duplicate: bool = False  # a duplicate lead: skipped unless keep_duplicates

    @property
    def company_name(self) -> str:
        return str(self.values.get("company_name", ""))


@dataclass(frozen=True)
class BadRow:
    row: int
    reasons: list[str]


@dataclass
class ImportPlan:
    path: Path
    columns: dict[str, str]  # field → header it was read from
    unmatched: list[str]
    planned: list[PlannedLead]
    bad: list[BadRow]
    keep_duplicates: bool = False

    @property
    def to_create(self) -> list[PlannedLead]:
        return [p for p in self.planned if self.keep_duplicates or not p.duplicate]

    @property
    def duplicates(self) -> list[PlannedLead]:
        return [p for p in self.planned if p.duplicate]

    @property
    def skipped(self) -> list[PlannedLead]:
        return [] if self.keep_duplicates else self.duplicates


@dataclass(frozen=True)
class _Lookups:
    offices: dict[str, str]
    teams: dict[str, str]
    lead_names: dict[str, list[tuple[str, str]]]  # normalised company name → [(title, received_on)]
    lead_companies: dict[str, list[tuple[str, str]]]  # company id → [(title, received_on)]


def _lookups(store: Store) -> _Lookups:
    offices: dict[str, str] = {}
    teams: dict[str, str] = {}
    lead_names: dict[str, list[tuple[str, str]]] = {}
    lead_companies: dict[str, list[tuple[str, str]]] = {}
    with store.engine.connect() as conn:
        for oid, name, name_en, city in conn.execute(
            text("SELECT id, name, name_en, city FROM office WHERE deleted = 0 ORDER BY name, id")
        ):
            for key in (oid, name, name_en, city):
                if key:
                    offices.setdefault(_fold(key), oid)
        for tid, name in conn.execute(text("SELECT id, name FROM team WHERE deleted = 0 ORDER BY name, id")):
            teams.setdefault(_fold(tid), tid)
            teams.setdefault(_fold(name), tid)
        for title, company_name, company_id, received_on in conn.execute(
            text(
                "SELECT title, company_name, company_id, received_on FROM lead "
                "WHERE deleted = 0 AND status != 'rejected' ORDER BY received_on, id"
            )
        ):
            entry = (title, received_on or "")
            if company_name:
                lead_names.setdefault(normalise_company_name(company_name), []).append(entry)
            if company_id:
                lead_companies.setdefault(company_id, []).append(entry)
    return _Lookups(offices, teams, lead_names, lead_companies)


def plan_import(
    store: Store,
    path: str | Path,
    *,
    today: date,
    office_id: str | None = None,
    team_id: str | None = None,
    keep_duplicates: bool = False,
) -> ImportPlan:
    """Read and check ``path`` against the store; write nothing. Raises :class:`ReportError` when the file
    cannot be read or has no company column (nothing can be imported then)."""
    from zsfield.store.read.lookups import company_index

    path = Path(path)
    sheet: Sheet = read_table(path)
    cols, units, unmatched = match_headers(sheet.headers, LEAD_SYNONYMS)
    if "company_name" not in cols:
        raise ReportError(
            "imp.no_company_column", path=str(path), headers=", ".join(h for h in sheet.headers if h)
        )
    index, names = company_index(store)
    look = _lookups(store)
    planned: list[PlannedLead] = []
    bad: list[BadRow] = []
    seen_names: dict[str, int] = {}
    seen_companies: dict[str, int] = {}
    for row in sheet.rows:
        reasons: list[str] = []
        values: dict[str, Any] = {}

        def cell(name: str, row: Any = row) -> str:
            return cell_text(row.get(cols.get(name)))

        company = cell("company_name")
        if not company:
            reasons.append(t("imp.reason.no_company"))
        values["company_name"] = company
        values["title"] = cell("title") or company
        try:
            values["source_channel"] = parse_channel(cell("source_channel"))
        except ReportError as exc:
            reasons.append(exc.message())
        try:
            amount, currency = _amount(
                row.get(cols.get("estimated_investment")),
                units.get("estimated_investment", ""),
                cell("estimated_currency"),
            )
            values["estimated_investment"] = amount
            values["estimated_currency"] = currency
        except ReportError as exc:
            reasons.append(exc.message())
        try:
            values["land_need_mu"] = _decimal(row.get(cols.get("land_need_mu")), "imp.reason.bad_land")
        except ReportError as exc:
            reasons.append(exc.message())
        try:
            values["received_on"] = _day(row.get(cols.get("received_on"))) or today
        except ReportError as exc:
            reasons.append(exc.message())
        office_text, team_text = cell("office"), cell("team")
        values["office_id"] = office_id
        values["team_id"] = team_id
        if office_text:
            found = look.offices.get(_fold(office_text))
            if found is None:
                reasons.append(t("imp.reason.unknown_office", name=office_text))
            values["office_id"] = found
        if team_text:
            found = look.teams.get(_fold(team_text))
            if found is None:
                reasons.append(t("imp.reason.unknown_team", name=team_text))
            values["team_id"] = found
        for name in ("industry", "source_detail", "contact_name", "contact_phone", "contact_title", "note"):
            values[name] = cell(name)
        if reasons:
            bad.append(BadRow(row.number, reasons))
            continue

        credit = cell("credit_code") or None
        candidates = index.candidates(company, credit_code=credit, limit=3)
        strong = next((c for c in candidates if c.score >= STRONG_MATCH), None)
        flags: list[str] = []
        company_id = None
        label = company
        if strong is not None:
            company_id = strong.company_id
            label = names.get(strong.company_id, strong.matched_name)
            flags.append(t("imp.flag.existing_company", name=label, reason=t(strong.reason)))
        else:
            for c in candidates:
                if c.score >= WEAK_MATCH:
                    flags.append(
                        t(
                            "imp.flag.possible_duplicate",
                            name=names.get(c.company_id, c.matched_name),
                            reason=t(c.reason),
                        )
                    )
                    break
        norm = normalise_company_name(company)
        duplicate = False
        earlier = look.lead_companies.get(company_id or "", []) or look.lead_names.get(norm, [])
        if earlier:
            title, received = earlier[0]
            flags.append(t("imp.flag.lead_exists", title=title, on=received or "—"))
            duplicate = True
        first_row = seen_companies.get(company_id or "") if company_id else None
        first_row = first_row or seen_names.get(norm)
        if first_row is not None:
            flags.append(t("imp.flag.repeated_row", row=first_row))
            duplicate = True
        seen_names.setdefault(norm, row.number)
        if company_id:
            seen_companies.setdefault(company_id, row.number)
        planned.append(PlannedLead(row.number, values, company_id, label, flags, duplicate))
    header_of = {f: sheet.headers[i] for f, i in cols.items()}
    return ImportPlan(path, header_of, unmatched, planned, bad, keep_duplicates)


def _amount(value: Any, header_unit: str, currency_cell: str) -> tuple[Decimal | None, str]:
    currency = currency_cell.strip().upper() or None
    if currency is not None and not re.fullmatch(r"[A-Z]{3}", currency):
        mapped = {"人民币": "CNY", "美元": "USD", "欧元": "EUR", "日元": "JPY", "港币": "HKD", "港元": "HKD"}
        currency = mapped.get(currency_cell.strip())
        if currency is None:
            raise ReportError("imp.reason.bad_currency", text=currency_cell.strip())
    if value is None or str(value).strip() == "":
        return None, currency or "CNY"
    if isinstance(value, float):
        raw = repr(value)
    else:
        raw = str(value).strip()
    unit = HEADER_UNITS.get(header_unit.strip().casefold()) if header_unit else None
    try:
        if _PLAIN_NUMBER.match(raw):
            number = Decimal(raw.replace(",", ""))
            if number < 0:
                raise ReportError("imp.reason.bad_amount", text=raw, why=t("money.negative", text=raw))
            if unit is not None:
                number = number * unit[0]
                currency = currency or unit[1]
            number = Decimal(format(number.normalize(), "f"))
            places = -number.as_tuple().exponent  # type: ignore[operator]
            if places > 2:
                why = t("money.too_many_decimals", text=raw, max=2, got=places)
                raise ReportError("imp.reason.bad_amount", text=raw, why=why)
            return number, currency or "CNY"
        money = parse_money(raw, default_currency=currency or (unit[1] if unit else "CNY"))
    except AmountError as exc:
        raise ReportError("imp.reason.bad_amount", text=raw, why=exc.message()) from None
    except InvalidOperation:
        raise ReportError("imp.reason.bad_amount", text=raw, why=t("money.not_a_number", text=raw)) from None
    if currency and money.currency != currency:
        raise ReportError(
            "imp.reason.bad_amount",
            text=raw,
            why=t("imp.reason.currency_conflict", a=money.currency, b=currency),
        )
    return money.amount, money.currency


def _decimal(value: Any, key: str) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    raw = repr(value) if isinstance(value, float) else str(value).strip()
    raw = raw.replace("亩", "").replace(",", "").strip()
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ReportError(key, text=str(value)) from None
    if not number.is_finite() or number < 0:
        raise ReportError(key, text=str(value))
    return number


def _day(value: Any) -> date | None:
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    m = _CJK_DATE.match(raw)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    try:
        return parse_day(raw)
    except ReportError:
        raise ReportError("imp.reason.bad_date", text=raw) from None
