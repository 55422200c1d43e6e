"""任务分解表: a year's targets per leader, department and team by band, progress and 序时进度.

- A **target** is a count of projects per investment band (≥20亿 … ≥0.5亿) for one owner and year.
- **Progress** counts the owner's projects *signed* from 1 January to ``as_of`` (first signing date, see
  :mod:`zsfield.reports.facts`), each once, in the one band it reaches (the highest; bands do not nest —
  a 25亿 project counts in 20亿以上 only). Real-estate projects and projects below 0.5亿 never count.
- The owner of a project: its **team** is ``owner_team_id``; its **leader** ``leader_id``; its
  **department** the owning team's ``department``. Targets count whole projects for the owner (the 赛马
  credit split applies to the ranking only).
- **序时进度** is ``target × share of the year elapsed`` (:func:`zsfield.reports.periods.year_share`);
  the **gap** is completion % minus elapsed %, in percentage points; an owner is **behind** when its
  signed count is below its pro-rata count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text

from zsfield.domain.money import BANDS_DESC, Band
from zsfield.i18n import t
from zsfield.reports import periods
from zsfield.reports.errors import ReportError
from zsfield.reports.facts import ProjectFacts
from zsfield.store.db import Store

BAND_CODES: tuple[str, ...] = tuple(b.value for b in BANDS_DESC)
KIND_ORDER: tuple[str, ...] = ("team", "department", "leader")


@dataclass(frozen=True)
class TargetLine:
    """One owner's targets for a year: band code → count."""

    year: int
    owner_kind: str
    owner_id: str
    owner_name: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def load_targets(store: Store, year: int) -> list[TargetLine]:
    """The year's targets, one line per owner (kind order team, department, leader; then by name)."""
    sql = (
        "SELECT owner_kind, owner_id, owner_name, band, count FROM target "
        "WHERE deleted = 0 AND year = :y ORDER BY owner_kind, owner_id, band"
    )
    lines: dict[tuple[str, str], dict[str, Any]] = {}
    with store.engine.connect() as conn:
        for kind, owner_id, owner_name, band, count in conn.execute(text(sql), {"y": year}):
            entry = lines.setdefault((kind, owner_id), {"name": owner_name or "", "counts": {}})
            if owner_name and not entry["name"]:
                entry["name"] = owner_name
            if band in BAND_CODES:
                entry["counts"][band] = entry["counts"].get(band, 0) + int(count or 0)
    out = [
        TargetLine(year, kind, owner_id, v["name"], {b: v["counts"].get(b, 0) for b in BAND_CODES})
        for (kind, owner_id), v in lines.items()
    ]
    return sorted(out, key=_owner_key)


def _owner_key(line: Any) -> tuple[int, str, str]:
    kind = line.owner_kind
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else 9, line.owner_name, line.owner_id)


# --- progress -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BandProgress:
    band: str
    target: int
    actual: int
    pro_rata: Decimal
    completion_pct: Decimal | None
    gap_pp: Decimal | None


@dataclass(frozen=True)
class OwnerProgress:
    """One owner's progress against its targets, per band and in total."""

    owner_kind: str
    owner_id: str
    owner_name: str
    bands: tuple[BandProgress, ...]
    target_total: int
    actual_total: int
    pro_rata_total: Decimal
    completion_pct: Decimal | None
    gap_pp: Decimal | None
    project_ids: tuple[str, ...] = field(default=(), repr=False)

    @property
    def behind(self) -> bool:
        """Below its pro-rata count (never for an owner without a target)."""
        return self.target_total > 0 and Decimal(self.actual_total) < self.pro_rata_total

    def band(self, code: str) -> BandProgress:
        return next(b for b in self.bands if b.band == code)


@dataclass(frozen=True)
class TargetReport:
    year: int
    as_of: date
    elapsed_days: int
    days_in_year: int
    share: Decimal
    owners: list[OwnerProgress]
    zone: OwnerProgress | None = None
    """The whole zone: every project that counts, against the sum of the team targets (else the
    departments', else the leaders' — the first kind that has targets); None without targets."""

    @property
    def elapsed_pct(self) -> Decimal:
        return self.share * 100

    def of_kind(self, kind: str) -> list[OwnerProgress]:
        return [o for o in self.owners if o.owner_kind == kind]

    def owner(self, kind: str, owner_id: str) -> OwnerProgress | None:
        return next((o for o in self.owners if o.owner_kind == kind and o.owner_id == owner_id), None)


def signed_in(projects: Iterable[ProjectFacts], start: date, end: date) -> list[ProjectFacts]:
    """Projects that count for targets, first signed in ``start`` … ``end``, in a band."""
    out = []
    for p in projects:
        first = p.first_signed_on
        if first is None or not (start <= first <= end):
            continue
        if not p.counts_for_targets or p.band not in BAND_CODES:
            continue
        out.append(p)
    return out


def owns(line_kind: str, owner_id: str, p: ProjectFacts) -> bool:
    """Whether ``p`` counts for the owner (kind ``zone`` owns every project)."""
    if line_kind == "zone":
        return True
    if line_kind == "team":
        return p.team_id == owner_id
    if line_kind == "leader":
        return p.leader_id == owner_id
    if line_kind == "department":
        return bool(p.department) and p.department == owner_id
    return False


def owner_progress(
    line: TargetLine, projects: Sequence[ProjectFacts], year: int, as_of: date
) -> OwnerProgress:
    mine = [p for p in projects if owns(line.owner_kind, line.owner_id, p)]
    share = periods.year_share(year, as_of)
    bands = []
    for code in BAND_CODES:
        target = line.counts.get(code, 0)
        actual = sum(1 for p in mine if p.band == code)
        bands.append(
            BandProgress(
                code,
                target,
                actual,
                Decimal(target) * share,
                periods.completion_pct(actual, target),
                periods.gap_pp(actual, target, year, as_of),
            )
        )
    target_total = line.total
    actual_total = len(mine)
    return OwnerProgress(
        owner_kind=line.owner_kind,
        owner_id=line.owner_id,
        owner_name=line.owner_name,
        bands=tuple(bands),
        target_total=target_total,
        actual_total=actual_total,
        pro_rata_total=Decimal(target_total) * share,
        completion_pct=periods.completion_pct(actual_total, target_total),
        gap_pp=periods.gap_pp(actual_total, target_total, year, as_of),
        project_ids=tuple(p.id for p in mine),
    )


def progress(
    targets: Sequence[TargetLine], projects: Sequence[ProjectFacts], year: int, as_of: date
) -> TargetReport:
    """Every owner's progress for ``year`` as of ``as_of`` (signed from 1 January to ``as_of``)."""
    end = min(as_of, date(year, 12, 31))
    signed = signed_in(projects, date(year, 1, 1), end) if as_of >= date(year, 1, 1) else []
    owners = [owner_progress(line, signed, year, as_of) for line in targets]
    zone = zone_line(targets, year)
    return TargetReport(
        year=year,
        as_of=as_of,
        elapsed_days=periods.elapsed_days(year, as_of),
        days_in_year=periods.days_in_year(year),
        share=periods.year_share(year, as_of),
        owners=owners,
        zone=owner_progress(zone, signed, year, as_of) if zone is not None else None,
    )


def zone_line(targets: Sequence[TargetLine], year: int) -> TargetLine | None:
    """The zone's target: the sum of the team targets, else of the departments', else of the leaders'."""
    for kind in KIND_ORDER:
        lines = [line for line in targets if line.owner_kind == kind]
        if lines:
            counts = {b: sum(line.counts.get(b, 0) for line in lines) for b in BAND_CODES}
            return TargetLine(year, "zone", "*", t("tgt.zone"), counts)
    return None


def progress_from_store(store: Store, year: int, as_of: date) -> TargetReport:
    from zsfield.reports.facts import load_projects

    return progress(load_targets(store, year), load_projects(store), year, as_of)


# --- the monthly curve (chart) ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthPoint:
    """One month of the chart: cumulative signed projects at its end (None after ``as_of``) and the
    pro-rata count at its end."""

    month: int
    cumulative: int | None
    pro_rata: Decimal


def monthly_curve(
    projects: Sequence[ProjectFacts],
    year: int,
    as_of: date,
    *,
    target_total: int,
    owner_kind: str | None = None,
    owner_id: str | None = None,
) -> list[MonthPoint]:
    """Cumulative signed projects by month against the pro-rata line ``target_total × share(month end)``.

    Without an owner, every project that counts for targets is counted (the whole zone). A month that
    contains ``as_of`` counts up to ``as_of``; later months have no cumulative value.
    """
    signed = signed_in(projects, date(year, 1, 1), min(as_of, date(year, 12, 31)))
    if owner_kind and owner_id:
        signed = [p for p in signed if owns(owner_kind, owner_id, p)]
    firsts = sorted(p.first_signed_on for p in signed if p.first_signed_on is not None)
    points = []
    for m in periods.months_of_year(year):
        line = Decimal(target_total) * periods.year_share(year, m.end)
        if m.start > as_of:
            points.append(MonthPoint(m.start.month, None, line))
            continue
        cut = min(m.end, as_of)
        points.append(MonthPoint(m.start.month, sum(1 for d in firsts if d <= cut), line))
    return points


# --- importing targets ------------------------------------------------------------------------------------------

TARGET_SYNONYMS: dict[str, tuple[str, ...]] = {
    "year": ("年度", "年份", "年", "year"),
    "owner_kind": ("类型", "责任类型", "对象类型", "考核对象类型", "kind", "owner kind", "type"),
    "owner": ("责任主体", "责任单位", "考核对象", "名称", "团队", "部门", "领导", "owner", "name", "team"),
}


def _band_synonyms() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for band in BANDS_DESC:
        zh, en = band.label("zh"), band.label("en")
        number = zh.replace("亿以上", "")
        out[band.value] = (
            zh,
            en,
            band.value,
            f"≥{number}亿",
            f">={number}亿",
            f"{number}亿元以上",
            f"{number}亿及以上",
            f"{number}亿元及以上",
        )
    return out


_KIND_WORDS = {
    "team": ("团队", "team", "项目部", "攻坚队", "招商组"),
    "department": ("部门", "department", "dept", "局"),
    "leader": ("领导", "leader", "包保领导", "负责人"),
}


@dataclass(frozen=True)
class TargetProblem:
    row: int
    reason: str  # already in the current language


@dataclass
class TargetImport:
    lines: list[TargetLine]
    problems: list[TargetProblem]


def read_targets_file(path: str | Path, store: Store, *, year: int | None = None) -> TargetImport:
    """Parse a 任务分解表 file: one row per owner with year, kind, owner and a count per band column.

    Teams and leaders are named as in the app (or by id); a department is named as on its teams. A missing
    year column takes ``year``. Raises :class:`ReportError` when the file cannot be read or has no owner /
    band columns; row problems are returned, not raised.
    """
    from zsfield.reports.tabular import cell_text, match_headers, read_table

    sheet = read_table(path)
    synonyms: dict[str, tuple[str, ...]] = {**TARGET_SYNONYMS, **_band_synonyms()}
    cols, _units, _unmatched = match_headers(sheet.headers, synonyms)
    if "owner" not in cols:
        raise ReportError("tgt.no_owner_column", path=str(path))
    if not any(b in cols for b in BAND_CODES):
        raise ReportError("tgt.no_band_columns", path=str(path))
    if "year" not in cols and year is None:
        raise ReportError("tgt.no_year", path=str(path))
    teams, officers, departments = _owner_lookup(store)
    lines: list[TargetLine] = []
    problems: list[TargetProblem] = []
    seen: set[tuple[int, str, str]] = set()
    for row in sheet.rows:
        try:
            y = periods.parse_year(cell_text(row.get(cols.get("year")))) if "year" in cols else year
            assert y is not None
            kind = _kind_of(cell_text(row.get(cols.get("owner_kind"))) or "team")
            owner_text = cell_text(row.get(cols["owner"]))
            if not owner_text:
                raise ReportError("tgt.missing_owner")
            owner_id, owner_name = _resolve_owner(kind, owner_text, teams, officers, departments)
            counts: dict[str, int] = {}
            for band in BAND_CODES:
                if band in cols:
                    counts[band] = _count(row.get(cols[band]), band)
        except ReportError as exc:
            problems.append(TargetProblem(row.number, exc.message()))
            continue
        key = (y, kind, owner_id)
        if key in seen:
            problems.append(TargetProblem(row.number, t("tgt.repeated_owner", owner=owner_name)))
            continue
        seen.add(key)
        lines.append(TargetLine(y, kind, owner_id, owner_name, counts))
    return TargetImport(lines, problems)


def _count(value: Any, band: str) -> int:
    if value is None or str(value).strip() == "":
        return 0
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        raise ReportError("tgt.bad_count", text=str(value), band=Band(band).label()) from None
    if number != number.to_integral_value() or number < 0:
        raise ReportError("tgt.bad_count", text=str(value), band=Band(band).label())
    return int(number)


def _kind_of(value: str) -> str:
    v = value.strip().casefold()
    for kind, words in _KIND_WORDS.items():
        if v in words or any(w in v for w in words if len(w) > 1 and not w.isascii()):
            return kind
    raise ReportError("tgt.bad_kind", text=value)


def _owner_lookup(
    store: Store,
) -> tuple[dict[str, list[tuple[str, str]]], dict[str, list[tuple[str, str]]], set[str]]:
    teams: dict[str, list[tuple[str, str]]] = {}
    officers: dict[str, list[tuple[str, str]]] = {}
    departments: set[str] = set()
    with store.engine.connect() as conn:
        for tid, name, dept in conn.execute(text("SELECT id, name, department FROM team WHERE deleted = 0")):
            for key in (tid, name):
                teams.setdefault(key, []).append((tid, name))
            if dept:
                departments.add(dept)
        for oid, name, name_en in conn.execute(
            text("SELECT id, name, name_en FROM officer WHERE deleted = 0")
        ):
            for key in {oid, name, name_en} - {""}:
                officers.setdefault(key, []).append((oid, name))
    return teams, officers, departments


def _resolve_owner(
    kind: str,
    text_: str,
    teams: dict[str, list[tuple[str, str]]],
    officers: dict[str, list[tuple[str, str]]],
    departments: set[str],
) -> tuple[str, str]:
    if kind == "department":
        if text_ not in departments:
            raise ReportError("tgt.unknown_department", name=text_)
        return text_, text_
    table = teams if kind == "team" else officers
    hits = table.get(text_, [])
    if not hits:
        raise ReportError("tgt.unknown_team" if kind == "team" else "tgt.unknown_leader", name=text_)
    if len({h[0] for h in hits}) > 1:
        raise ReportError("tgt.ambiguous_owner", name=text_)
    return hits[0]
