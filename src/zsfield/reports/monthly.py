"""月度专报: the month's projects in negotiation, signed, started and in production by band and industry
(total investment in 亿元), contracted and received foreign capital (万美元, with the rates used), the
month's new leads by source channel, and the stale and overdue counts.

The report is a function of the data, the month and the as-of day (by default the month's last day; a
month in progress counts up to the as-of day): stages and statuses are rebuilt from the stage events as of
that day, stale and overdue are judged as of that day, so a past month gives the same figures whenever it
is produced. When each figure counts: :mod:`zsfield.reports.facts` and :mod:`zsfield.reports.supervision`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from zsfield.domain.enums import INDUSTRIES, SourceChannel, Stage
from zsfield.domain.money import BANDS_DESC, Band
from zsfield.i18n import t
from zsfield.reports import ZONE_TZ
from zsfield.reports.errors import ReportError
from zsfield.reports.export import Cell, Column, Report, Table
from zsfield.reports.facts import (
    LeadFacts,
    ProjectFacts,
    ReceiptFacts,
    StateAt,
    load_leads,
    load_projects,
    load_receipts,
    states_at,
)
from zsfield.reports.periods import Period, end_of_day_utc
from zsfield.reports.supervision import OverdueRow, last_touches, overdue_items
from zsfield.store.db import Store
from zsfield.store.read import rules

YI = Decimal(100_000_000)
WAN = Decimal(10_000)


def yi(cny: Decimal | None) -> Decimal:
    """CNY → 亿元, exact."""
    return (cny or Decimal(0)) / YI


def wan(usd: Decimal | None) -> Decimal:
    """USD → 万美元, exact."""
    return (usd or Decimal(0)) / WAN


def as_of_moment(as_of: date) -> datetime:
    """The report's as-of time: the last second of ``as_of`` in the zone (Asia/Shanghai), aware UTC."""
    return end_of_day_utc(as_of, ZONE_TZ) - timedelta(seconds=1)


@dataclass(frozen=True)
class MonthlyFigures:
    """The figures of one month (and the year to its end), for the tables and for checking by hand."""

    month: Period  # clipped to the as-of day
    ytd: Period
    as_of: date
    negotiating: list[ProjectFacts]
    signed: list[ProjectFacts]
    signed_ytd: list[ProjectFacts]
    intent: list[ProjectFacts]
    intent_ytd: list[ProjectFacts]
    contract: list[ProjectFacts]
    contract_ytd: list[ProjectFacts]
    started: list[ProjectFacts]
    started_ytd: list[ProjectFacts]
    producing: list[ProjectFacts]
    producing_ytd: list[ProjectFacts]
    receipts: list[ReceiptFacts]
    receipts_ytd: list[ReceiptFacts]
    leads: list[LeadFacts]
    leads_ytd: int
    stale: list[tuple[ProjectFacts, datetime | None, int | None]]  # project, last touch, days since
    overdue: list[OverdueRow]
    projects: dict[str, ProjectFacts]

    @property
    def contracted_fc(self) -> list[ProjectFacts]:
        return [p for p in self.contract if p.fc_contracted]

    @property
    def contracted_fc_ytd(self) -> list[ProjectFacts]:
        return [p for p in self.contract_ytd if p.fc_contracted]


def _in(
    period: Period, get: Callable[[ProjectFacts], date | None], projects: Iterable[ProjectFacts]
) -> list[ProjectFacts]:
    return [p for p in projects if get(p) in period]


def monthly_figures(
    store: Store, month: Period, *, as_of: date | None = None, stale_days: int = 30
) -> MonthlyFigures:
    """Count the month. ``as_of`` defaults to the month's last day; before the month starts is refused."""
    as_of = as_of or month.end
    if as_of < month.start:
        raise ReportError("rep.period_in_future", period=month.code, as_of=as_of.isoformat())
    mp = month.clipped(as_of)
    ytd = Period("range", date(month.start.year, 1, 1), mp.end)
    cut = end_of_day_utc(mp.end)  # entries strictly before this instant belong to the as-of day or earlier
    projects = load_projects(store)
    states = states_at(store, projects, cut - timedelta(microseconds=1))
    touches = last_touches(store, cut)

    def open_at(p: ProjectFacts) -> StateAt | None:
        s = states[p.id]
        return s if s.stage is not None and s.status.value not in rules.CLOSED else None

    negotiating = [p for p in projects if (s := open_at(p)) is not None and s.stage == Stage.NEGOTIATING]
    stale = []
    for p in projects:
        s = open_at(p)
        if s is None or s.stage is None:
            continue
        touch = touches.get(p.id)
        if rules.is_stale(s.status, s.stage, touch, p.created_at, cut, stale_days):
            ref = touch or p.created_at
            days = None if ref is None else (mp.end - _local(ref)).days
            stale.append((p, touch, days))
    stale.sort(key=lambda x: (-(x[2] if x[2] is not None else 10**6), x[0].name, x[0].id))
    receipts_ytd = load_receipts(store, ytd.start, ytd.end)
    leads_ytd = load_leads(store, ytd.start, ytd.end)
    return MonthlyFigures(
        month=mp,
        ytd=ytd,
        as_of=mp.end,
        negotiating=negotiating,
        signed=_in(mp, lambda p: p.first_signed_on, projects),
        signed_ytd=_in(ytd, lambda p: p.first_signed_on, projects),
        intent=_in(mp, lambda p: p.intent_signed_on, projects),
        intent_ytd=_in(ytd, lambda p: p.intent_signed_on, projects),
        contract=_in(mp, lambda p: p.contract_signed_on, projects),
        contract_ytd=_in(ytd, lambda p: p.contract_signed_on, projects),
        started=_in(mp, lambda p: p.construction_start_on, projects),
        started_ytd=_in(ytd, lambda p: p.construction_start_on, projects),
        producing=_in(mp, lambda p: p.production_start_on, projects),
        producing_ytd=_in(ytd, lambda p: p.production_start_on, projects),
        receipts=[r for r in receipts_ytd if r.received_on in mp],
        receipts_ytd=receipts_ytd,
        leads=[lead for lead in leads_ytd if lead.received_on in mp],
        leads_ytd=len(leads_ytd),
        stale=stale,
        overdue=overdue_items(store, as_of=mp.end),
        projects={p.id: p for p in projects},
    )


def _local(value: datetime) -> date:
    from zsfield.reports.periods import local_date

    return local_date(value)


def invest(projects: Iterable[ProjectFacts]) -> Decimal:
    """Total investment of ``projects`` in 亿元 (unknown amounts count 0)."""
    return sum((yi(p.investment_cny) for p in projects), Decimal(0))


def fc_contracted_wan(projects: Iterable[ProjectFacts]) -> Decimal:
    return sum((wan(p.fc_contracted_usd) for p in projects if p.fc_contracted_usd is not None), Decimal(0))


def fc_received_wan(receipts: Iterable[ReceiptFacts]) -> Decimal:
    return sum((wan(r.amount_usd) for r in receipts), Decimal(0))


# --- the tables -----------------------------------------------------------------------------------------------


def build_monthly(
    store: Store,
    month: Period,
    *,
    as_of: date | None = None,
    lang: str = "zh",
    stale_days: int = 30,
) -> Report:
    """The 月度专报 of ``month`` as tables (one sheet each), in ``lang`` (Chinese by default)."""
    f = monthly_figures(store, month, as_of=as_of, stale_days=stale_days)

    def h(key: str, **params: Any) -> str:
        return t(key, lang, **params)

    tables = [
        _summary(f, h),
        _breakdown(f, h, "by_band", h("rep.t.by_band"), h("rep.c.band"), _band_key, _band_rows(h, lang)),
        _breakdown(f, h, "by_industry", h("rep.t.by_industry"), h("rep.c.industry"), _industry_key, None),
        _signed_list(f, h, lang),
        _starts_list(f, h),
        _fc_contracted(f, h),
        _fc_received(f, h),
        _leads_by_channel(f, h, lang),
        _stale_list(f, h, lang),
        _overdue_list(f, h, lang),
    ]
    missing_rate = [p for p in f.contract if p.fc_contracted and p.fc_contracted_usd is None]
    about = [
        (h("rep.about.report"), h("rep.monthly.title")),
        (h("rep.about.month"), month.code),
        (
            h("rep.about.range"),
            h("rep.about.range_value", start=f.month.start.isoformat(), end=f.month.end.isoformat()),
        ),
        (h("rep.about.as_of"), h("rep.about.as_of_value", day=f.as_of.isoformat())),
        (h("rep.about.rule_signed"), h("rep.rule.signed")),
        (h("rep.about.rule_negotiating"), h("rep.rule.negotiating")),
        (h("rep.about.rule_starts"), h("rep.rule.starts")),
        (h("rep.about.rule_fc"), h("rep.rule.fc")),
        (h("rep.about.rule_real_estate"), h("rep.rule.real_estate")),
        (h("rep.about.rule_stale"), h("rep.rule.stale", days=stale_days)),
        (h("rep.about.rule_overdue"), h("rep.rule.overdue")),
        (h("rep.about.units"), h("rep.rule.units")),
    ]
    for p in missing_rate:
        about.append(
            (h("rep.about.no_rate"), h("rep.about.no_rate_value", name=p.name, currency=p.fc_currency))
        )
    return Report(
        kind="monthly",
        title=h("rep.monthly.file_title", month=month.code),
        period=month,
        as_of=as_of_moment(f.as_of),
        lang=lang,
        tables=tables,
        about=about,
        about_title=h("rep.t.about"),
        about_headers=(h("rep.c.item"), h("rep.c.content")),
    )


H = Callable[..., str]


def _summary(f: MonthlyFigures, h: H) -> Table:
    cols = [
        Column("item", h("rep.c.item")),
        Column("month", h("rep.c.this_month"), "count"),
        Column("ytd", h("rep.c.ytd"), "count"),
        Column("unit", h("rep.c.unit")),
    ]
    n, y, w = h("rep.unit.projects"), h("rep.unit.yi"), h("rep.unit.wan_usd")
    re_m = [p for p in f.signed if p.is_real_estate]
    re_y = [p for p in f.signed_ytd if p.is_real_estate]
    rows: list[list[Any]] = [
        [h("rep.s.negotiating"), len(f.negotiating), None, n],
        [h("rep.s.negotiating_inv"), Cell(invest(f.negotiating), "yi"), None, y],
        [h("rep.s.signed"), len(f.signed), len(f.signed_ytd), n],
        [h("rep.s.signed_inv"), Cell(invest(f.signed), "yi"), Cell(invest(f.signed_ytd), "yi"), y],
        [h("rep.s.intent"), len(f.intent), len(f.intent_ytd), n],
        [h("rep.s.contract"), len(f.contract), len(f.contract_ytd), n],
        [h("rep.s.real_estate"), len(re_m), len(re_y), n],
        [h("rep.s.started"), len(f.started), len(f.started_ytd), n],
        [h("rep.s.started_inv"), Cell(invest(f.started), "yi"), Cell(invest(f.started_ytd), "yi"), y],
        [h("rep.s.producing"), len(f.producing), len(f.producing_ytd), n],
        [h("rep.s.producing_inv"), Cell(invest(f.producing), "yi"), Cell(invest(f.producing_ytd), "yi"), y],
        [
            h("rep.s.fc_contracted"),
            Cell(fc_contracted_wan(f.contracted_fc), "wan_usd"),
            Cell(fc_contracted_wan(f.contracted_fc_ytd), "wan_usd"),
            w,
        ],
        [
            h("rep.s.fc_received"),
            Cell(fc_received_wan(f.receipts), "wan_usd"),
            Cell(fc_received_wan(f.receipts_ytd), "wan_usd"),
            w,
        ],
        [h("rep.s.leads"), len(f.leads), f.leads_ytd, h("rep.unit.leads")],
        [h("rep.s.stale"), len(f.stale), None, n],
        [
            h("rep.s.overdue_milestones"),
            sum(1 for o in f.overdue if o.kind == "milestone"),
            None,
            h("rep.unit.items"),
        ],
        [
            h("rep.s.overdue_service"),
            sum(1 for o in f.overdue if o.kind == "service_item"),
            None,
            h("rep.unit.items"),
        ],
    ]
    return Table("summary", h("rep.t.summary"), cols, rows)


def _band_key(p: ProjectFacts) -> str:
    return p.band or "below"


def _industry_key(p: ProjectFacts) -> str:
    return p.industry or ""


def _band_rows(h: H, lang: str) -> list[tuple[str, str]]:
    return [(b.value, b.label(lang)) for b in BANDS_DESC] + [("below", h("rep.band.below"))]


def _breakdown(
    f: MonthlyFigures,
    h: H,
    key: str,
    title: str,
    first_header: str,
    group: Callable[[ProjectFacts], str],
    fixed_rows: list[tuple[str, str]] | None,
) -> Table:
    sets = [f.negotiating, f.signed, f.started, f.producing]
    names = ["negotiating", "signed", "started", "producing"]
    cols = [Column("group", first_header)]
    for name in names:
        cols.append(Column(f"{name}_n", h(f"rep.c.{name}_n"), "count", total=True))
        cols.append(Column(f"{name}_yi", h(f"rep.c.{name}_yi"), "yi", total=True))
    if fixed_rows is None:
        present = {group(p) for s in sets for p in s}
        known = [i for i in INDUSTRIES if i in present]
        others = sorted(x for x in present if x and x not in INDUSTRIES)
        fixed_rows = [(x, x) for x in known + others]
        if "" in present:
            fixed_rows.append(("", h("rep.industry.none")))
    rows = []
    for code, label in fixed_rows:
        row: list[Any] = [label]
        for s in sets:
            mine = [p for p in s if group(p) == code]
            row += [len(mine), invest(mine)]
        rows.append(row)
    table = Table(key, title, cols, rows)
    table.add_total(h("rep.total"))
    return table


def _yes(value: bool, h: H) -> str:
    return h("rep.yes") if value else ""


def _band_label(band: str | None, h: H, lang: str) -> str:
    return Band(band).label(lang) if band else h("rep.band.below")


def _signed_list(f: MonthlyFigures, h: H, lang: str) -> Table:
    cols = [
        Column("no", h("rep.c.no"), "int"),
        Column("name", h("rep.c.project")),
        Column("company", h("rep.c.investor")),
        Column("team", h("rep.c.team")),
        Column("leader", h("rep.c.leader")),
        Column("industry", h("rep.c.industry")),
        Column("band", h("rep.c.band")),
        Column("invest", h("rep.c.investment_yi"), "yi", total=True),
        Column("intent", h("rep.c.intent_on"), "date"),
        Column("contract", h("rep.c.contract_on"), "date"),
        Column("real_estate", h("rep.c.real_estate")),
    ]
    chosen = {p.id: p for p in f.intent + f.contract}
    ordered = sorted(
        chosen.values(),
        key=lambda p: (
            min(d for d in (p.intent_signed_on, p.contract_signed_on) if d in f.month),
            p.name,
            p.id,
        ),
    )
    rows = [
        [
            i,
            p.name,
            p.company,
            p.team,
            p.leader,
            p.industry,
            _band_label(p.band, h, lang),
            yi(p.investment_cny),
            p.intent_signed_on,
            p.contract_signed_on,
            _yes(p.is_real_estate, h),
        ]
        for i, p in enumerate(ordered, start=1)
    ]
    table = Table("signed", h("rep.t.signed"), cols, rows)
    table.add_total(h("rep.total"))
    return table


def _starts_list(f: MonthlyFigures, h: H) -> Table:
    cols = [
        Column("no", h("rep.c.no"), "int"),
        Column("kind", h("rep.c.kind")),
        Column("name", h("rep.c.project")),
        Column("team", h("rep.c.team")),
        Column("industry", h("rep.c.industry")),
        Column("invest", h("rep.c.investment_yi"), "yi", total=True),
        Column("on", h("rep.c.date"), "date"),
    ]
    items = [(p.construction_start_on, 0, h("rep.kind.started"), p) for p in f.started] + [
        (p.production_start_on, 1, h("rep.kind.producing"), p) for p in f.producing
    ]
    items.sort(key=lambda x: (x[0], x[1], x[3].name, x[3].id))
    rows = [
        [i, label, p.name, p.team, p.industry, yi(p.investment_cny), on]
        for i, (on, _order, label, p) in enumerate(items, start=1)
    ]
    table = Table("starts", h("rep.t.starts"), cols, rows)
    table.add_total(h("rep.total"))
    return table


def _fc_contracted(f: MonthlyFigures, h: H) -> Table:
    cols = [
        Column("no", h("rep.c.no"), "int"),
        Column("name", h("rep.c.project")),
        Column("team", h("rep.c.team")),
        Column("contract", h("rep.c.contract_on"), "date"),
        Column("amount", h("rep.c.amount_orig"), "amount"),
        Column("currency", h("rep.c.currency")),
        Column("rate", h("rep.c.rate_usd"), "rate"),
        Column("usd", h("rep.c.fc_contracted_wan"), "wan_usd", total=True),
    ]
    ordered = sorted(f.contracted_fc, key=lambda p: (p.contract_signed_on, p.name, p.id))
    rows = [
        [
            i,
            p.name,
            p.team,
            p.contract_signed_on,
            p.fc_contracted,
            (p.fc_currency or "USD").upper(),
            p.fc_rate_used,
            None if p.fc_contracted_usd is None else wan(p.fc_contracted_usd),
        ]
        for i, p in enumerate(ordered, start=1)
    ]
    table = Table("fc_contracted", h("rep.t.fc_contracted"), cols, rows)
    table.add_total(h("rep.total"))
    return table


def _fc_received(f: MonthlyFigures, h: H) -> Table:
    cols = [
        Column("no", h("rep.c.no"), "int"),
        Column("name", h("rep.c.project")),
        Column("team", h("rep.c.team")),
        Column("on", h("rep.c.received_on"), "date"),
        Column("amount", h("rep.c.amount_orig"), "amount"),
        Column("currency", h("rep.c.currency")),
        Column("rate", h("rep.c.rate_usd"), "rate"),
        Column("usd", h("rep.c.fc_received_wan"), "wan_usd", total=True),
    ]
    rows = []
    for i, r in enumerate(f.receipts, start=1):
        p = f.projects.get(r.project_id)
        rows.append(
            [
                i,
                p.name if p else r.project_id,
                p.team if p else "",
                r.received_on,
                r.amount,
                r.currency,
                r.rate_to_usd,
                wan(r.amount_usd),
            ]
        )
    table = Table("fc_received", h("rep.t.fc_received"), cols, rows)
    table.add_total(h("rep.total"))
    return table


def _leads_by_channel(f: MonthlyFigures, h: H, lang: str) -> Table:
    cols = [
        Column("channel", h("rep.c.channel")),
        Column("n", h("rep.c.leads_n"), "count", total=True),
        Column("invest", h("rep.c.lead_investment_yi"), "yi", total=True),
        Column("screened", h("rep.c.leads_screened"), "count", total=True),
        Column("converted", h("rep.c.leads_converted"), "count", total=True),
    ]
    rows = []
    for channel in SourceChannel:
        mine = [lead for lead in f.leads if lead.source_channel == channel.value]
        cny = [lead.estimated_investment for lead in mine if lead.estimated_currency == "CNY"]
        rows.append(
            [
                channel.label(lang),
                len(mine),
                sum((yi(v) for v in cny if v is not None), Decimal(0)),
                sum(1 for lead in mine if lead.verdict is not None),
                sum(1 for lead in mine if lead.status == "converted"),
            ]
        )
    table = Table("leads", h("rep.t.leads"), cols, rows)
    table.add_total(h("rep.total"))
    return table


def _stale_list(f: MonthlyFigures, h: H, lang: str) -> Table:
    cols = [
        Column("no", h("rep.c.no"), "int"),
        Column("name", h("rep.c.project")),
        Column("team", h("rep.c.team")),
        Column("leader", h("rep.c.leader")),
        Column("officer", h("rep.c.service_officer")),
        Column("stage", h("rep.c.stage")),
        Column("last", h("rep.c.last_touch"), "date"),
        Column("days", h("rep.c.days_since"), "int"),
        Column("reason", h("rep.c.reason")),
    ]
    rows = []
    for i, (p, touch, days) in enumerate(f.stale, start=1):
        rows.append(
            [
                i,
                p.name,
                p.team,
                p.leader,
                p.service_officer,
                p.stage.label(lang),
                _local(touch) if touch else None,
                days,
                p.stale_reason or h("rep.no_reason"),
            ]
        )
    return Table("stale", h("rep.t.stale"), cols, rows)


def _overdue_list(f: MonthlyFigures, h: H, lang: str) -> Table:
    from zsfield.domain.enums import MilestoneKind

    cols = [
        Column("no", h("rep.c.no"), "int"),
        Column("kind", h("rep.c.kind")),
        Column("name", h("rep.c.project")),
        Column("team", h("rep.c.team")),
        Column("item", h("rep.c.item_name")),
        Column("due", h("rep.c.due_on"), "date"),
        Column("days", h("rep.c.days_overdue"), "int"),
        Column("owner", h("rep.c.responsible")),
    ]
    rows = []
    for i, o in enumerate(f.overdue, start=1):
        item = MilestoneKind(o.item).label(lang) if o.kind == "milestone" else o.item
        rows.append([i, h(f"rep.kind.{o.kind}"), o.project, o.team, item, o.due_on, o.days_overdue, o.owner])
    return Table("overdue", h("rep.t.overdue"), cols, rows)


__all__ = [
    "MonthlyFigures",
    "as_of_moment",
    "build_monthly",
    "fc_contracted_wan",
    "fc_received_wan",
    "invest",
    "monthly_figures",
    "wan",
    "yi",
]
