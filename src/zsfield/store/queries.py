"""Read queries for the screens and reports: paged, filtered, sorted lists; timelines; due and overdue.

Every list is paged (``offset``/``limit``) so that a screen never loads 100,000 rows. Results are plain
frozen dataclasses, safe to hand from a worker thread to the UI. No Textual here.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import operator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import Connection

from zsfield.domain.enums import STAGES, LeadStatus, ProjectStatus, Stage
from zsfield.domain.types import UTCDateTime
from zsfield.store.db import Store

_UTC = UTCDateTime()


def _ts(value: datetime) -> str:
    return _UTC.process_bind_param(value, None)  # type: ignore[return-value]


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _d(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _dec(value: str | None) -> Decimal | None:
    return None if value in (None, "") else Decimal(value)


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.rows) < self.total


# --- projects ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFilter:
    """What the project list can be narrowed by (all optional; combined with AND)."""

    text: str = ""
    team_id: str | None = None
    leader_id: str | None = None
    officer_id: str | None = None  # service officer
    office_id: str | None = None
    stage: Stage | None = None
    status: ProjectStatus | None = None
    industry: str | None = None
    band: str | None = None
    stale: bool = False
    overdue: bool = False
    include_closed: bool = True
    ids: tuple[str, ...] | None = None
    """The matches of ``text`` found by a :class:`ProjectTextIndex`, most recent first: a few thousand are
    looked up by id instead of scanning the table with ``LIKE``; more than that, ``text`` is used."""

    def only_text(self) -> bool:
        """Nothing narrows the list but the text (the ids)."""
        return replace(self, text="", ids=None) == ProjectFilter()


_IDS_AT_MOST = 5000
"""Above this many text matches, SQL walks the order's index with ``LIKE`` (it soon finds a page's worth)."""


ProjectSort = Literal["updated", "name", "investment", "stage", "last_entry"]


@dataclass(frozen=True)
class ProjectRow:
    id: str
    name: str
    company: str
    stage: Stage
    status: ProjectStatus
    team: str
    leader: str
    service_officer: str
    office: str
    industry: str
    total_investment_cny: Decimal | None
    band: str | None
    last_entry_at: datetime | None
    stage_since: datetime | None
    sort_key: tuple[Any, str] = field(default=("", ""), compare=False, repr=False)
    """(key, id) of this row in the order it was listed by: the next page starts after it (keyset paging)."""


_PROJECT_SELECT = """
SELECT p.id, p.name, COALESCE(c.name, ''), p.stage, p.status, COALESCE(t.name, ''), COALESCE(l.name, ''),
       COALESCE(s.name, ''), COALESCE(o.name, ''), p.industry, p.total_investment_cny, p.band, p.last_entry_at,
       p.stage_since, {key}
FROM project p
LEFT JOIN company c ON c.id = p.company_id
LEFT JOIN team t ON t.id = p.owner_team_id
LEFT JOIN officer l ON l.id = p.leader_id
LEFT JOIN officer s ON s.id = p.service_officer_id
LEFT JOIN office o ON o.id = p.office_id
"""

_STAGE_ORDER_SQL = (
    "CASE p.stage "
    + " ".join(f"WHEN '{stage.value}' THEN {stage.index}" for stage in STAGES)
    + f" ELSE {len(STAGES) + 1} END"
)
"""The flow order of stages (研判 = 1 … 投产达效 = 11), as the expression index of migration 0002 has it."""

_PROJECT_SORT: dict[str, tuple[str, bool, bool]] = {
    # sort: (key expression, descending, key may be NULL); ties are broken by p.id in the same direction.
    # Each order is walked through an index (migration 0002, ix_project_name, ix_project_last_entry_at).
    "updated": ("p.updated_at", True, False),
    "name": ("p.name", False, False),
    "investment": ("CAST(p.total_investment_cny AS REAL)", True, True),
    "stage": (_STAGE_ORDER_SQL, False, False),
    "last_entry": ("p.last_entry_at", False, True),
}


def _order_sql(sort: str) -> str:
    key, desc, _nullable = _PROJECT_SORT[sort]
    direction = " DESC" if desc else ""
    # SQLite puts NULLs first ascending and last descending: what the list wants (no investment: last;
    # never touched: first among the stale)
    return f"{key}{direction}, p.id{direction}"


def _after_sql(sort: str, after: tuple[Any, str]) -> tuple[str, dict[str, Any]]:
    """The keyset condition "comes after ``after`` (key, id) in this order" (paging without OFFSET)."""
    key, desc, nullable = _PROJECT_SORT[sort]
    value, rid = after
    op = "<" if desc else ">"
    params: dict[str, Any] = {"after_key": value, "after_id": rid}
    if not nullable:
        return f"({key}, p.id) {op} (:after_key, :after_id)", params
    if value is None:
        if desc:  # NULLs come last: only NULL keys with a later id follow
            return f"({key} IS NULL AND p.id < :after_id)", params
        return f"({key} IS NOT NULL OR p.id > :after_id)", params  # NULLs come first
    if desc:
        return f"(({key}, p.id) < (:after_key, :after_id) OR {key} IS NULL)", params
    return f"({key} IS NOT NULL AND ({key}, p.id) > (:after_key, :after_id))", params


def _project_where(f: ProjectFilter, now: datetime, stale_days: int) -> tuple[str, dict[str, Any]]:
    clauses = ["p.deleted = 0"]
    params: dict[str, Any] = {}
    if f.ids is not None and (len(f.ids) <= _IDS_AT_MOST or not f.text.strip()):
        clauses.append("p.id IN (SELECT value FROM json_each(:ids))")
        params["ids"] = json.dumps(list(f.ids))
    elif f.text.strip():
        clauses.append(
            "(p.name LIKE :q ESCAPE '\\' OR p.company_id IN "
            "(SELECT id FROM company WHERE name LIKE :q ESCAPE '\\' OR aliases LIKE :q ESCAPE '\\'))"
        )
        params["q"] = _like(f.text.strip())
    for col, value in (
        ("owner_team_id", f.team_id),
        ("leader_id", f.leader_id),
        ("service_officer_id", f.officer_id),
        ("office_id", f.office_id),
        ("industry", f.industry),
        ("band", f.band),
    ):
        if value:
            clauses.append(f"p.{col} = :{col}")
            params[col] = value
    if f.stage is not None:
        clauses.append("p.stage = :stage")
        params["stage"] = Stage(f.stage).value
    if f.status is not None:
        clauses.append("p.status = :status")
        params["status"] = ProjectStatus(f.status).value
    elif not f.include_closed:
        clauses.append("p.status NOT IN ('lost', 'abandoned')")
    if f.stale:
        clauses.append(_STALE_SQL)
        params["stale_before"] = _ts(now - timedelta(days=stale_days))
    if f.overdue:
        clauses.append(_OVERDUE_SQL)
        params["today"] = now.date().isoformat()
    return " AND ".join(clauses), params


_STALE_SQL = (
    "p.status NOT IN ('lost', 'abandoned') AND p.stage != 'effective' "
    "AND (p.last_entry_at IS NULL OR p.last_entry_at < :stale_before)"
)
_OVERDUE_SQL = (
    "(EXISTS (SELECT 1 FROM milestone m WHERE m.project_id = p.id AND m.deleted = 0 AND m.actual_on IS NULL "
    "AND m.promised_on < :today) OR EXISTS (SELECT 1 FROM service_item si WHERE si.project_id = p.id "
    "AND si.deleted = 0 AND si.state != 'done' AND si.due_on < :today))"
)


def _project_row(r: Any) -> ProjectRow:
    return ProjectRow(
        id=r[0],
        name=r[1],
        company=r[2],
        stage=Stage(r[3]),
        status=ProjectStatus(r[4]),
        team=r[5],
        leader=r[6],
        service_officer=r[7],
        office=r[8],
        industry=r[9],
        total_investment_cny=_dec(r[10]),
        band=r[11],
        last_entry_at=_dt(r[12]),
        stage_since=_dt(r[13]),
        sort_key=(r[14], r[0]),
    )


def list_projects(
    store: Store,
    f: ProjectFilter = ProjectFilter(),
    *,
    sort: ProjectSort = "updated",
    offset: int = 0,
    limit: int = 200,
    now: datetime | None = None,
    stale_days: int = 30,
    count: bool = True,
    after: tuple[Any, str] | None = None,
) -> Page[ProjectRow]:
    """One page of projects matching ``f`` (and the total, unless ``count`` is false: see
    :func:`count_projects`). ``after``: the ``sort_key`` of the last row of the previous page, to read the
    next page through the order's index instead of skipping ``offset`` rows (``offset`` then only labels
    the page)."""
    now = now or datetime.now(UTC)
    if f.ids is not None and not f.ids:
        return Page([], 0, offset, limit)
    if f.ids is not None and sort == "updated" and f.only_text():
        # the index holds the matches in this very order: the page is a slice of it, read by id
        start = offset
        if after is not None:
            with contextlib.suppress(ValueError):
                start = f.ids.index(after[1]) + 1
        chunk = ProjectFilter(ids=f.ids[start : start + limit])
        rows = _select_projects(store, chunk, sort, limit, 0, None, now, stale_days)
        return Page(rows, len(f.ids) if count else -1, offset, limit)
    rows = _select_projects(store, f, sort, limit, offset, after, now, stale_days)
    total = count_projects(store, f, now=now, stale_days=stale_days) if count else -1
    return Page(rows, total, offset, limit)


def _select_projects(
    store: Store,
    f: ProjectFilter,
    sort: str,
    limit: int,
    offset: int,
    after: tuple[Any, str] | None,
    now: datetime,
    stale_days: int,
) -> list[ProjectRow]:
    where, params = _project_where(f, now, stale_days)
    if after is not None:
        after_where, after_params = _after_sql(sort, after)
        where, params, offset = f"{where} AND {after_where}", {**params, **after_params}, 0
    select = _PROJECT_SELECT.replace("{key}", _PROJECT_SORT[sort][0])
    sql = f"{select} WHERE {where} ORDER BY {_order_sql(sort)} LIMIT :limit OFFSET :offset"
    with store.engine.connect() as conn:
        return [
            _project_row(r) for r in conn.execute(text(sql), {**params, "limit": limit, "offset": offset})
        ]


def count_projects(
    store: Store, f: ProjectFilter = ProjectFilter(), *, now: datetime | None = None, stale_days: int = 30
) -> int:
    """How many projects match ``f`` (a scan for a text filter: lists show their first page before it)."""
    if f.ids is not None and (not f.ids or f.only_text()):
        return len(f.ids)  # the index holds live projects only: nothing else to count
    where, params = _project_where(f, now or datetime.now(UTC), stale_days)
    with store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM project p WHERE {where}"), params).scalar() or 0)


def project_index_key(store: Store) -> tuple[int, str, tuple[int, str]]:
    """A cheap fingerprint of what :class:`ProjectTextIndex` holds (projects and their companies)."""
    with store.engine.connect() as conn:
        n, latest = conn.execute(text("SELECT count(*), max(updated_at) FROM project")).one()
    return int(n or 0), latest or "", company_index_key(store)


class ProjectTextIndex:
    """Search as you type over 100,000 projects: each live project's name, company name and aliases, held
    in memory (casefolded) in the list's default order, so a keystroke costs a pass over strings rather
    than a scan of the table; a term that extends the previous one searches only its matches. Built in a
    worker (:meth:`build`, about a second on 100,000 projects); a screen rebuilds it when data changed.
    Matching is what ``LIKE '%term%'`` does on the same columns (case-insensitive)."""

    def __init__(self, ids: list[str], haystacks: list[str]) -> None:
        self._ids = ids
        self._hay = haystacks
        self._recent: dict[str, tuple[list[str], list[str]]] = {}

    @classmethod
    def build(cls, store: Store) -> ProjectTextIndex:
        # a plain scan (sorted here) reads the table in file order; walking the date index would not
        sql = (
            "SELECT p.updated_at, p.id, p.name, c.name, c.aliases "
            "FROM project p LEFT JOIN company c ON c.id = p.company_id WHERE p.deleted = 0"
        )
        raw = store.engine.raw_connection()
        try:
            rows = raw.cursor().execute(sql).fetchall()
        finally:
            raw.close()
        rows.sort(reverse=True)  # updated_at DESC, id DESC: the list's default order (_order_sql)
        ids = [r[1] for r in rows]
        hay = [f"{r[2]}\n{r[3] or ''}\n{r[4] or ''}".casefold() for r in rows]
        return cls(ids, hay)

    def __len__(self) -> int:
        return len(self._ids)

    def _narrowest(self, needle: str) -> tuple[list[str], list[str]]:
        """The ids and haystacks to search for ``needle``: a cached shorter term's matches when one is inside
        it (a longer term matches within the shorter one's matches), else everything."""
        ids, hay = self._ids, self._hay
        for previous, (p_ids, p_hay) in self._recent.items():
            if previous in needle and len(p_ids) < len(ids):
                ids, hay = p_ids, p_hay
        return ids, hay

    def matching(self, term: str) -> tuple[str, ...]:
        """The ids of the projects whose name, company or an alias contains ``term``, most recent first."""
        needle = term.strip().casefold()
        if not needle:
            return tuple(self._ids)
        hit = self._recent.get(needle)
        if hit is None:
            ids, hay = self._narrowest(needle)
            keep = list(map(operator.contains, hay, itertools.repeat(needle)))
            hit = (list(itertools.compress(ids, keep)), list(itertools.compress(hay, keep)))
            if len(self._recent) >= 16:
                self._recent.pop(next(iter(self._recent)))
            self._recent[needle] = hit
        return tuple(hit[0])

    def first(self, term: str, n: int) -> tuple[str, ...]:
        """The first ``n`` of :meth:`matching`, without scanning past them: the first page of a search shows
        at once, and a term found in thousands of projects costs a few of them (:meth:`matching`, for the
        count and the next pages, can follow when the page is on screen)."""
        needle = term.strip().casefold()
        if not needle:
            return tuple(self._ids[:n])
        hit = self._recent.get(needle)
        if hit is not None:
            return tuple(hit[0][:n])
        ids, hay = self._narrowest(needle)
        found: list[str] = []
        step = max(256, 4 * n)
        for start in range(0, len(hay), step):
            keep = map(operator.contains, hay[start : start + step], itertools.repeat(needle))
            found.extend(itertools.compress(ids[start : start + step], keep))
            if len(found) >= n:
                break
        return tuple(found[:n])


@dataclass(frozen=True)
class StageSummary:
    stage: Stage
    count: int
    total_investment_cny: Decimal


def pipeline(
    store: Store, f: ProjectFilter = ProjectFilter(), *, now: datetime | None = None
) -> list[StageSummary]:
    """Count and total investment (CNY) per stage, every stage listed in order (管线).

    The amounts are decimal text: SQLite sums their integer parts and their first six decimals as integers
    (exact), so 100,000 projects cost one pass in SQL. Should an amount be negative or carry more decimals,
    the sums are made in Python with ``Decimal`` instead (SQLite would sum the text as floats)."""
    now = now or datetime.now(UTC)
    where, params = _project_where(f, now, 30)
    x = "p.total_investment_cny"
    dot = f"instr({x}, '.')"
    sql = (
        f"SELECT p.stage, count(*), sum(CAST({x} AS INTEGER)), "
        f"sum(CASE WHEN {dot} > 0 THEN CAST(substr(substr({x}, {dot} + 1) || '000000', 1, 6) AS INTEGER) "
        "ELSE 0 END), "
        f"sum(CASE WHEN {x} LIKE '-%' OR ({dot} > 0 AND length({x}) - {dot} > 6) THEN 1 ELSE 0 END) "
        f"FROM project p WHERE {where} GROUP BY p.stage"
    )
    sums: dict[str, tuple[int, Decimal]] = {}
    with store.engine.connect() as conn:
        rows = conn.execute(text(sql), params).all()
        if any(r[4] for r in rows):
            return _pipeline_exact(conn, where, params)
    for stage, n, whole, micro, _odd in rows:
        sums[stage] = (int(n), Decimal(int(whole or 0)) + Decimal(int(micro or 0)).scaleb(-6))
    return [StageSummary(s, *sums.get(s.value, (0, Decimal(0)))) for s in STAGES]


def _pipeline_exact(conn: Connection, where: str, params: dict[str, Any]) -> list[StageSummary]:
    sql = (
        "SELECT p.stage, count(*), p.total_investment_cny FROM project p "
        f"WHERE {where} GROUP BY p.stage, p.total_investment_cny"
    )
    sums: dict[str, tuple[int, Decimal]] = {}
    for stage, n, amount in conn.execute(text(sql), params):
        c, total = sums.get(stage, (0, Decimal(0)))
        sums[stage] = (c + n, total + (Decimal(amount) * n if amount else Decimal(0)))
    return [StageSummary(s, *sums.get(s.value, (0, Decimal(0)))) for s in STAGES]


# --- leads ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadRow:
    id: str
    title: str
    company: str
    source_channel: str
    industry: str
    office: str
    team: str
    team_id: str | None
    received_by: str
    received_on: date | None
    status: LeadStatus
    verdict: str | None
    estimated_investment: Decimal | None
    estimated_currency: str


def list_leads(
    store: Store,
    *,
    text_filter: str = "",
    status: LeadStatus | None = None,
    team_id: str | None = None,
    offset: int = 0,
    limit: int = 200,
) -> Page[LeadRow]:
    """The lead inbox: filter as you type by title, company, source, industry or office."""
    clauses = ["l.deleted = 0"]
    params: dict[str, Any] = {}
    if text_filter.strip():
        clauses.append(
            "(l.title LIKE :q ESCAPE '\\' OR l.company_name LIKE :q ESCAPE '\\' OR l.industry LIKE :q ESCAPE '\\' "
            "OR l.source_channel IN (SELECT value FROM json_each(:channels)) OR o.name LIKE :q ESCAPE '\\' "
            "OR o.name_en LIKE :q ESCAPE '\\')"
        )
        params["q"] = _like(text_filter.strip())
        params["channels"] = _matching_channels(text_filter.strip())
    if status is not None:
        clauses.append("l.status = :status")
        params["status"] = LeadStatus(status).value
    if team_id:
        clauses.append("l.team_id = :team_id")
        params["team_id"] = team_id
    where = " AND ".join(clauses)
    base = "FROM lead l LEFT JOIN office o ON o.id = l.office_id LEFT JOIN team t ON t.id = l.team_id LEFT JOIN officer r ON r.id = l.received_by"
    sql = (
        "SELECT l.id, l.title, l.company_name, l.source_channel, l.industry, COALESCE(o.name, ''), COALESCE(t.name, ''), "
        "l.team_id, COALESCE(r.name, ''), l.received_on, l.status, l.verdict, l.estimated_investment, l.estimated_currency "
        f"{base} WHERE {where} ORDER BY l.received_on DESC, l.id LIMIT :limit OFFSET :offset"
    )
    with store.engine.connect() as conn:
        rows = [
            LeadRow(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                _d(r[9]),
                LeadStatus(r[10]),
                r[11],
                _dec(r[12]),
                r[13],
            )
            for r in conn.execute(text(sql), {**params, "limit": limit, "offset": offset})
        ]
        total = conn.execute(text(f"SELECT count(*) {base} WHERE {where}"), params).scalar()
    return Page(rows, int(total or 0), offset, limit)


def _matching_channels(term: str) -> str:
    """Source channels whose code or label (either language) contains ``term``, as a JSON list."""
    import json

    from zsfield.domain.enums import SourceChannel

    t = term.casefold()
    hits = [
        c.value
        for c in SourceChannel
        if t in c.value or t in c.label("zh").casefold() or t in c.label("en").casefold()
    ]
    return json.dumps(hits)


# --- timeline ------------------------------------------------------------------------------------------------


TimelineKind = Literal["visit", "follow_up", "stage_event", "service_item", "note"]


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a project's or lead's history, whatever its kind."""

    kind: TimelineKind
    id: str
    at: datetime
    who: str
    title: str
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


_TIMELINE_SQL = """
SELECT * FROM (
  SELECT 'visit' AS kind, v.id, v.occurred_at AS at, COALESCE(o.name, '') AS who, v.kind AS sub, v.summary AS title,
         v.difficulties AS d1, v.next_step AS d2, v.place AS d3, v.next_on AS d4
  FROM visit v LEFT JOIN officer o ON o.id = v.officer_id WHERE v.{col} = :id AND v.deleted = 0
  UNION ALL
  SELECT 'follow_up', f.id, f.created_at, COALESCE(o.name, ''), CASE WHEN f.done THEN 'done' ELSE 'open' END, f.title,
         f.outcome, f.due_on, '', f.done_at
  FROM follow_up f LEFT JOIN officer o ON o.id = f.assignee_id WHERE f.{col} = :id AND f.deleted = 0
  UNION ALL
  SELECT 'stage_event', e.id, e.at, COALESCE(o.name, ''), e.kind, e.to_value, e.note, e.from_value,
         CASE WHEN e.backwards THEN 'back' ELSE '' END, ''
  FROM stage_event e LEFT JOIN officer o ON o.id = e.by WHERE e.{col} = :id AND e.deleted = 0
  UNION ALL
  SELECT 'service_item', si.id, si.created_at, si.responsible, si.state, si.title, si.note, si.due_on, si.kind,
         si.done_on
  FROM service_item si WHERE si.{col} = :id AND si.deleted = 0
  UNION ALL
  SELECT 'note', n.id, n.at, COALESCE(o.name, ''), n.kind, n.body, '', '', '', ''
  FROM note n LEFT JOIN officer o ON o.id = n.author_id WHERE n.{col} = :id AND n.deleted = 0
) ORDER BY at DESC, id LIMIT :limit OFFSET :offset
"""


def timeline(
    store: Store,
    *,
    project_id: str | None = None,
    lead_id: str | None = None,
    offset: int = 0,
    limit: int = 200,
) -> Page[TimelineEntry]:
    """The ordered history (newest first) of a project or a lead: visits, follow-ups, stage and status events,
    service items and notes. ``service_item`` has no lead, so a lead's timeline simply has none."""
    if bool(project_id) == bool(lead_id):
        raise ValueError("give exactly one of project_id, lead_id")
    col = "project_id" if project_id else "lead_id"
    rid = project_id or lead_id
    sql = _TIMELINE_SQL.replace("{col}", col)
    if lead_id:  # stage events and service items belong to projects only
        sql = sql.replace("WHERE si.lead_id = :id", "WHERE 0").replace("WHERE e.lead_id = :id", "WHERE 0")
    entries: list[TimelineEntry] = []
    with store.engine.connect() as conn:
        for r in conn.execute(text(sql), {"id": rid, "limit": limit, "offset": offset}):
            kind, eid, at, who, sub, title, d1, d2, d3, d4 = r
            entries.append(
                TimelineEntry(
                    kind=kind,
                    id=eid,
                    at=_dt(at) or datetime.now(UTC),
                    who=who or "",
                    title=title or "",
                    detail=d1 or "",
                    extra={"sub": sub, "d2": d2, "d3": d3, "d4": d4},
                )
            )
        total = _timeline_total(conn, col, rid)  # type: ignore[arg-type]
    return Page(entries, total, offset, limit)


def _timeline_total(conn: Connection, col: str, rid: str) -> int:
    tables = ["visit", "follow_up", "note"] + (["stage_event", "service_item"] if col == "project_id" else [])
    return sum(
        int(
            conn.execute(
                text(f"SELECT count(*) FROM {t} WHERE {col} = :id AND deleted = 0"), {"id": rid}
            ).scalar()
            or 0
        )
        for t in tables
    )


# --- due and overdue -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueItem:
    """A follow-up, milestone or service item that is due or overdue, with the record it opens."""

    kind: Literal["follow_up", "milestone", "service_item"]
    id: str
    project_id: str | None
    lead_id: str | None
    subject: str  # the project or lead name
    title: str
    due_on: date
    owner: str
    days_overdue: int


def due_follow_ups(
    store: Store, *, today: date, assignee_id: str | None = None, include_today: bool = True, limit: int = 200
) -> list[DueItem]:
    """Open follow-ups due up to today (或 overdue only), oldest first."""
    op = "<=" if include_today else "<"
    params: dict[str, Any] = {"today": today.isoformat(), "limit": limit}
    who = ""
    if assignee_id:
        who = "AND f.assignee_id = :me"
        params["me"] = assignee_id
    sql = f"""
    SELECT f.id, f.project_id, f.lead_id, COALESCE(p.name, l.title, ''), f.title, f.due_on, COALESCE(o.name, '')
    FROM follow_up f LEFT JOIN project p ON p.id = f.project_id LEFT JOIN lead l ON l.id = f.lead_id
    LEFT JOIN officer o ON o.id = f.assignee_id
    WHERE f.deleted = 0 AND f.done = 0 AND f.due_on {op} :today {who}
    ORDER BY f.due_on, f.id LIMIT :limit"""
    with store.engine.connect() as conn:
        return [
            DueItem("follow_up", r[0], r[1], r[2], r[3], r[4], _d(r[5]), r[6], (today - _d(r[5])).days)  # type: ignore[arg-type, operator]
            for r in conn.execute(text(sql), params)
        ]


def overdue_milestones(
    store: Store, *, today: date, f: ProjectFilter | None = None, offset: int = 0, limit: int = 200
) -> list[DueItem]:
    """Contract milestones (履约) promised before today with no actual date, most overdue first."""
    where, params = _project_where(f or ProjectFilter(), datetime.now(UTC), 30)
    sql = f"""
    SELECT m.id, p.id, p.name, m.kind, m.promised_on, COALESCE(s.name, '')
    FROM milestone m JOIN project p ON p.id = m.project_id LEFT JOIN officer s ON s.id = p.service_officer_id
    WHERE m.deleted = 0 AND m.actual_on IS NULL AND m.promised_on < :today_m AND {where}
    ORDER BY m.promised_on, m.id LIMIT :limit OFFSET :offset"""
    params.update(today_m=today.isoformat(), limit=limit, offset=offset)
    from zsfield.domain.enums import MilestoneKind

    with store.engine.connect() as conn:
        return [
            DueItem(
                "milestone",
                r[0],
                r[1],
                None,
                r[2],
                MilestoneKind(r[3]).label(),
                _d(r[4]),
                r[5],
                (today - _d(r[4])).days,
            )  # type: ignore[arg-type, operator]
            for r in conn.execute(text(sql), params)
        ]


def overdue_service_items(
    store: Store, *, today: date, f: ProjectFilter | None = None, offset: int = 0, limit: int = 200
) -> list[DueItem]:
    """Service-plan items past their due date and not done, most overdue first."""
    where, params = _project_where(f or ProjectFilter(), datetime.now(UTC), 30)
    sql = f"""
    SELECT si.id, p.id, p.name, si.title, si.due_on, si.responsible
    FROM service_item si JOIN project p ON p.id = si.project_id
    WHERE si.deleted = 0 AND si.state != 'done' AND si.due_on < :today_s AND {where}
    ORDER BY si.due_on, si.id LIMIT :limit OFFSET :offset"""
    params.update(today_s=today.isoformat(), limit=limit, offset=offset)
    with store.engine.connect() as conn:
        return [
            DueItem("service_item", r[0], r[1], None, r[2], r[3], _d(r[4]), r[5], (today - _d(r[4])).days)  # type: ignore[arg-type, operator]
            for r in conn.execute(text(sql), params)
        ]


# --- dashboard ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    """今日: what an officer needs to see first."""

    follow_ups: list[DueItem]
    milestones: list[DueItem]
    service_items: list[DueItem]
    stale: list[ProjectRow]
    leads_waiting: list[LeadRow]
    pipeline: list[StageSummary]
    outbox: int


@dataclass(frozen=True)
class Me:
    """The officer using this laptop, from sync_state ``officer_id``."""

    id: str | None
    name: str
    role: str
    team_id: str | None
    team: str
    office_id: str | None
    office: str
    tz: str


def whoami(store: Store) -> Me:
    officer_id = store.get_state("officer_id")
    with store.engine.connect() as conn:
        r = conn.execute(
            text(
                "SELECT o.id, o.name, o.role, o.team_id, COALESCE(t.name, ''), o.office_id, COALESCE(f.name, ''), "
                "COALESCE(f.tz, 'Asia/Shanghai') FROM officer o LEFT JOIN team t ON t.id = o.team_id "
                "LEFT JOIN office f ON f.id = o.office_id WHERE o.id = :id"
            ),
            {"id": officer_id},
        ).first()
    if r is None:
        return Me(officer_id, "", "officer", None, "", None, "", "Asia/Shanghai")
    return Me(*r)


def dashboard(
    store: Store, *, me: Me, today: date, now: datetime | None = None, stale_days: int = 30, limit: int = 50
) -> Dashboard:
    """Everything on the 今日 screen, each list capped at ``limit`` rows (each row opens its record)."""
    now = now or datetime.now(UTC)
    mine = ProjectFilter(officer_id=me.id) if me.role == "officer" else ProjectFilter(team_id=me.team_id)
    if me.role in ("supervisor", "admin"):
        mine = ProjectFilter()
    stale = list_projects(
        store,
        ProjectFilter(**{**mine.__dict__, "stale": True}),
        sort="last_entry",
        limit=limit,
        now=now,
        stale_days=stale_days,
    ).rows
    leads = list_leads(
        store, status=LeadStatus.NEW, team_id=me.team_id if me.role != "supervisor" else None, limit=limit
    ).rows
    return Dashboard(
        follow_ups=due_follow_ups(store, today=today, assignee_id=me.id, limit=limit),
        milestones=overdue_milestones(store, today=today, f=mine, limit=limit),
        service_items=overdue_service_items(store, today=today, f=mine, limit=limit),
        stale=stale,
        leads_waiting=leads,
        pipeline=pipeline(store, mine, now=now),
        outbox=int(store.scalar("SELECT count(*) FROM outbox") or 0),
    )


# --- lookups -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    id: str
    name: str
    extra: str = ""


def options(
    store: Store, entity: Literal["team", "officer", "office", "company"], *, role: str | None = None
) -> list[Option]:
    """(id, name) pairs for select widgets, sorted by name."""
    extra = {"team": "office_id", "officer": "team_id", "office": "tz", "company": "industry"}[entity]
    sql = f"SELECT id, name, COALESCE({extra}, '') FROM {entity} WHERE deleted = 0"
    params: dict[str, Any] = {}
    if role and entity == "officer":
        sql += " AND role = :role"
        params["role"] = role
    sql += " ORDER BY name"
    with store.engine.connect() as conn:
        return [Option(*r) for r in conn.execute(text(sql), params)]


# --- TUI part A: the lead screening screen (研判) and the duplicate check across teams (查重, 首谈负责) -------


@dataclass(frozen=True)
class LeadDetail:
    """One lead with the names its ids point at, for the screening screen."""

    id: str
    title: str
    company_id: str | None
    company_name: str  # as typed
    company_legal_name: str  # of the linked company ('' if none)
    source_channel: str
    source_detail: str
    estimated_investment: Decimal | None
    estimated_currency: str
    land_need_mu: Decimal | None
    industry: str
    office_id: str | None
    office: str
    team_id: str | None
    team: str
    received_by: str | None
    received_by_name: str
    received_on: date | None
    status: LeadStatus
    verdict: str | None
    verdict_reason: str
    verdict_by_name: str
    verdict_at: datetime | None
    duplicate_of: str | None
    duplicate_of_title: str
    project_id: str | None
    project_name: str
    contact_name: str
    contact_phone: str
    contact_title: str
    note: str


def lead_detail(store: Store, lead_id: str) -> LeadDetail | None:
    """The lead ``lead_id`` (None if unknown or deleted), with its company, team, office, people and contact."""
    sql = """
    SELECT l.id, l.title, l.company_id, l.company_name, COALESCE(c.name, ''), l.source_channel, l.source_detail,
           l.estimated_investment, l.estimated_currency, l.land_need_mu, l.industry, l.office_id, COALESCE(o.name, ''),
           l.team_id, COALESCE(t.name, ''), l.received_by, COALESCE(r.name, ''), l.received_on, l.status,
           l.verdict, l.verdict_reason, COALESCE(vb.name, ''), l.verdict_at, l.duplicate_of, COALESCE(d.title, ''),
           l.project_id, COALESCE(p.name, ''), COALESCE(ct.name, ''), COALESCE(ct.phone, ''), COALESCE(ct.title, ''),
           l.note
    FROM lead l
    LEFT JOIN company c ON c.id = l.company_id
    LEFT JOIN office o ON o.id = l.office_id
    LEFT JOIN team t ON t.id = l.team_id
    LEFT JOIN officer r ON r.id = l.received_by
    LEFT JOIN officer vb ON vb.id = l.verdict_by
    LEFT JOIN lead d ON d.id = l.duplicate_of
    LEFT JOIN project p ON p.id = l.project_id
    LEFT JOIN contact ct ON ct.id = l.contact_id
    WHERE l.id = :id AND l.deleted = 0"""
    with store.engine.connect() as conn:
        r = conn.execute(text(sql), {"id": lead_id}).first()
    if r is None:
        return None
    return LeadDetail(
        id=r[0],
        title=r[1],
        company_id=r[2],
        company_name=r[3] or "",
        company_legal_name=r[4],
        source_channel=r[5],
        source_detail=r[6] or "",
        estimated_investment=_dec(r[7]),
        estimated_currency=r[8] or "CNY",
        land_need_mu=_dec(r[9]),
        industry=r[10] or "",
        office_id=r[11],
        office=r[12],
        team_id=r[13],
        team=r[14],
        received_by=r[15],
        received_by_name=r[16],
        received_on=_d(r[17]),
        status=LeadStatus(r[18]),
        verdict=r[19],
        verdict_reason=r[20] or "",
        verdict_by_name=r[21],
        verdict_at=_dt(r[22]),
        duplicate_of=r[23],
        duplicate_of_title=r[24],
        project_id=r[25],
        project_name=r[26],
        contact_name=r[27],
        contact_phone=r[28],
        contact_title=r[29],
        note=r[30] or "",
    )


@dataclass(frozen=True)
class HeldRecord:
    """A lead or project on a company, and the team that holds it (首谈负责: first contact holds the lead)."""

    kind: Literal["lead", "project"]
    id: str
    title: str
    company_id: str
    company: str
    team_id: str | None
    team: str
    officer: str  # who received the lead / the project's service officer
    since: date | None  # received on / the project's creation day
    status: str  # LeadStatus or ProjectStatus value
    stage: str | None  # the project's stage (None for a lead)


def leads_for_companies(
    store: Store,
    company_ids: list[str] | tuple[str, ...],
    *,
    exclude_lead_id: str | None = None,
    limit: int = 50,
) -> list[HeldRecord]:
    """Live leads on any of ``company_ids``, earliest received first (the first holds it), with their teams."""
    ids = [c for c in dict.fromkeys(company_ids) if c]
    if not ids:
        return []
    import json

    sql = """
    SELECT l.id, l.title, l.company_id, COALESCE(c.name, l.company_name), l.team_id, COALESCE(t.name, ''),
           COALESCE(r.name, ''), l.received_on, l.status
    FROM lead l
    LEFT JOIN company c ON c.id = l.company_id
    LEFT JOIN team t ON t.id = l.team_id
    LEFT JOIN officer r ON r.id = l.received_by
    WHERE l.deleted = 0 AND l.company_id IN (SELECT value FROM json_each(:ids)) AND l.id != :exclude
    ORDER BY l.received_on, l.id LIMIT :limit"""
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(sql), {"ids": json.dumps(ids), "exclude": exclude_lead_id or "", "limit": limit}
        ).all()
    return [HeldRecord("lead", r[0], r[1], r[2], r[3], r[4], r[5], r[6], _d(r[7]), r[8], None) for r in rows]


def projects_for_companies(
    store: Store, company_ids: list[str] | tuple[str, ...], *, limit: int = 50
) -> list[HeldRecord]:
    """Live projects on any of ``company_ids``, oldest first, with their owner teams."""
    ids = [c for c in dict.fromkeys(company_ids) if c]
    if not ids:
        return []
    import json

    sql = """
    SELECT p.id, p.name, p.company_id, COALESCE(c.name, ''), p.owner_team_id, COALESCE(t.name, ''),
           COALESCE(s.name, ''), p.created_at, p.status, p.stage
    FROM project p
    LEFT JOIN company c ON c.id = p.company_id
    LEFT JOIN team t ON t.id = p.owner_team_id
    LEFT JOIN officer s ON s.id = p.service_officer_id
    WHERE p.deleted = 0 AND p.company_id IN (SELECT value FROM json_each(:ids))
    ORDER BY p.created_at, p.id LIMIT :limit"""
    with store.engine.connect() as conn:
        rows = conn.execute(text(sql), {"ids": json.dumps(ids), "limit": limit}).all()
    out = []
    for r in rows:
        created = _dt(r[7])
        out.append(
            HeldRecord(
                "project",
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                created.date() if created else None,
                r[8],
                r[9],
            )
        )
    return out


def company_index_key(store: Store) -> tuple[int, str]:
    """A cheap fingerprint of the company table (count, latest change), to know when a cached
    :class:`~zsfield.domain.company_match.CompanyIndex` must be rebuilt."""
    with store.engine.connect() as conn:
        n, latest = conn.execute(text("SELECT count(*), max(updated_at) FROM company")).one()
    return int(n or 0), latest or ""


# --- TUI part B: project detail (stage history, service plan, milestones, capital, contacts) ---------------


@dataclass(frozen=True)
class StageEntry:
    """One stage event of a project (阶段变更), oldest first in :class:`ProjectDetail`."""

    stage: Stage
    from_stage: Stage | None
    at: datetime
    by: str
    backwards: bool
    note: str


@dataclass(frozen=True)
class MilestoneRow:
    """履约: a promised date against the actual one."""

    id: str
    kind: Any  # MilestoneKind
    promised_on: date | None
    actual_on: date | None
    note: str


@dataclass(frozen=True)
class ServiceItemRow:
    """An item of the service plan (一套方案)."""

    id: str
    kind: Any  # ServiceKind
    permit_type: Any  # PermitType | None
    title: str
    responsible: str
    responsible_officer_id: str | None
    due_on: date | None
    state: Any  # ServiceState
    done_on: date | None
    note: str


@dataclass(frozen=True)
class ReceiptRow:
    """到位外资: one receipt with the rate used."""

    id: str
    received_on: date
    amount: Decimal
    currency: str
    rate_to_usd: Decimal
    amount_usd: Decimal
    note: str


@dataclass(frozen=True)
class ContactRow:
    id: str
    name: str
    title: str
    phone: str
    email: str
    wechat: str
    note: str


@dataclass(frozen=True)
class ProjectDetail:
    """Everything the project detail screen shows, read in one go (the project's columns as a dict)."""

    project: dict[str, Any]
    company: str
    team: str
    leader: str
    service_officer: str
    office: str
    stages: list[StageEntry]
    milestones: list[MilestoneRow]
    service_items: list[ServiceItemRow]
    receipts: list[ReceiptRow]
    received_usd: Decimal
    contacts: list[ContactRow]
    visits: int
    last_visit_at: datetime | None
    last_visit_summary: str

    @property
    def id(self) -> str:
        return str(self.project["id"])

    def entered(self) -> dict[Stage, datetime]:
        """When the project last entered each stage (from its stage events)."""
        out: dict[Stage, datetime] = {}
        for e in self.stages:
            out[e.stage] = e.at
        return out


def project_detail(store: Store, project_id: str) -> ProjectDetail | None:
    """The project with its names, stage history, milestones, service items, receipts, contacts and visit
    count (None when it does not exist or was deleted)."""
    from sqlmodel import select

    from zsfield.domain.enums import EventKind, MilestoneKind, PermitType, ServiceKind, ServiceState
    from zsfield.domain.models import CapitalReceipt, Contact, Milestone, Project, ServiceItem, StageEvent

    with store.read() as s:
        p = s.get(Project, project_id)
        if p is None or p.deleted:
            return None
        values = p.model_dump()
        events = s.exec(
            select(StageEvent)
            .where(StageEvent.project_id == project_id, StageEvent.deleted.is_(False))
            .order_by(StageEvent.at, StageEvent.id)
        ).all()
        milestones = s.exec(
            select(Milestone).where(Milestone.project_id == project_id, Milestone.deleted.is_(False))
        ).all()
        items = s.exec(
            select(ServiceItem)
            .where(ServiceItem.project_id == project_id, ServiceItem.deleted.is_(False))
            .order_by(ServiceItem.created_at, ServiceItem.id)
        ).all()
        receipts = s.exec(
            select(CapitalReceipt)
            .where(CapitalReceipt.project_id == project_id, CapitalReceipt.deleted.is_(False))
            .order_by(CapitalReceipt.received_on, CapitalReceipt.id)
        ).all()
        contacts = s.exec(
            select(Contact)
            .where(Contact.project_id == project_id, Contact.deleted.is_(False))
            .order_by(Contact.created_at, Contact.id)
        ).all()
        officers = {
            r[0]: r[1]
            for r in s.connection().execute(
                text(
                    "SELECT id, name FROM officer WHERE id IN (:a, :b) OR id IN (SELECT by FROM stage_event WHERE project_id = :p)"
                ),
                {"a": p.leader_id or "", "b": p.service_officer_id or "", "p": project_id},
            )
        }

        def name_of(table: str, rid: str | None) -> str:
            if not rid:
                return ""
            r = s.connection().execute(text(f"SELECT name FROM {table} WHERE id = :id"), {"id": rid}).first()
            return r[0] if r else ""

        company, team, office = (
            name_of("company", p.company_id),
            name_of("team", p.owner_team_id),
            name_of("office", p.office_id),
        )
        v = (
            s.connection()
            .execute(
                text("SELECT count(*), max(occurred_at) FROM visit WHERE project_id = :p AND deleted = 0"),
                {"p": project_id},
            )
            .first()
        )
        last_summary = ""
        if v and v[1]:
            r = (
                s.connection()
                .execute(
                    text(
                        "SELECT summary FROM visit WHERE project_id = :p AND deleted = 0 "
                        "ORDER BY occurred_at DESC, id LIMIT 1"
                    ),
                    {"p": project_id},
                )
                .first()
            )
            last_summary = (r[0] or "") if r else ""
        ordered_ms = sorted(milestones, key=lambda m: list(MilestoneKind).index(MilestoneKind(m.kind)))
        return ProjectDetail(
            project=values,
            company=company,
            team=team,
            leader=officers.get(p.leader_id or "", ""),
            service_officer=officers.get(p.service_officer_id or "", ""),
            office=office,
            stages=[
                StageEntry(
                    Stage(e.to_value),
                    Stage(e.from_value) if e.from_value else None,
                    e.at,
                    officers.get(e.by or "", ""),
                    bool(e.backwards),
                    e.note,
                )
                for e in events
                if EventKind(e.kind) == EventKind.STAGE
            ],
            milestones=[
                MilestoneRow(m.id, MilestoneKind(m.kind), m.promised_on, m.actual_on, m.note)
                for m in ordered_ms
            ],
            service_items=[
                ServiceItemRow(
                    i.id,
                    ServiceKind(i.kind),
                    PermitType(i.permit_type) if i.permit_type else None,
                    i.title,
                    i.responsible,
                    i.responsible_officer_id,
                    i.due_on,
                    ServiceState(i.state),
                    i.done_on,
                    i.note,
                )
                for i in items
            ],
            receipts=[
                ReceiptRow(r.id, r.received_on, r.amount, r.currency, r.rate_to_usd, r.amount_usd, r.note)
                for r in receipts
            ],
            received_usd=sum((r.amount_usd for r in receipts), Decimal(0)),
            contacts=[
                ContactRow(c.id, c.name, c.title, c.phone, c.email, c.wechat, c.note) for c in contacts
            ],
            visits=int(v[0] or 0) if v else 0,
            last_visit_at=_dt(v[1]) if v else None,
            last_visit_summary=last_summary,
        )


def find_company_by_name(store: Store, name: str) -> str | None:
    """The id of the company whose legal name is exactly ``name`` (None when there is none)."""
    with store.engine.connect() as conn:
        r = conn.execute(
            text("SELECT id FROM company WHERE name = :n AND deleted = 0 ORDER BY id LIMIT 1"),
            {"n": name.strip()},
        ).first()
    return r[0] if r else None


def project_leaders(store: Store) -> list[Option]:
    """Officers who lead at least one project (包保领导), for the project list's leader filter."""
    sql = (
        "SELECT id, name, COALESCE(team_id, '') FROM officer WHERE deleted = 0 AND id IN "
        "(SELECT DISTINCT leader_id FROM project WHERE deleted = 0 AND leader_id IS NOT NULL) ORDER BY name, id"
    )
    with store.engine.connect() as conn:
        return [Option(*r) for r in conn.execute(text(sql))]


# --- TUI part A (continued): the convert-to-project form (转为项目) ---------------------------------------


@dataclass(frozen=True)
class ConvertChoices:
    """Who can own a converted lead: teams (with their leader), leaders (包保领导) and service officers."""

    teams: list[Option]  # extra: the team's leader id ('' if none)
    leaders: list[Option]  # extra: the leader's team name
    officers: list[Option]  # extra: the officer's team name


def convert_choices(store: Store) -> ConvertChoices:
    """The choices of the convert-to-project form (转为项目), sorted by name; inactive officers left out."""
    with store.engine.connect() as conn:
        teams = [
            Option(*r)
            for r in conn.execute(
                text("SELECT id, name, COALESCE(leader_id, '') FROM team WHERE deleted = 0 ORDER BY name, id")
            )
        ]
        people = conn.execute(
            text(
                "SELECT o.id, o.name, COALESCE(t.name, ''), o.role FROM officer o "
                "LEFT JOIN team t ON t.id = o.team_id WHERE o.deleted = 0 AND o.active = 1 ORDER BY o.name, o.id"
            )
        ).all()
    leaders = [Option(r[0], r[1], r[2]) for r in people if r[3] == "leader"]
    officers = [Option(r[0], r[1], r[2]) for r in people if r[3] in ("officer", "leader")]
    return ConvertChoices(teams, leaders, officers)


# --- TUI part A (continued): totals behind the capped 今日 lists, and a name search for the duplicate check -


@dataclass(frozen=True)
class DashboardTotals:
    """How many rows each 今日 list has in all (the lists themselves are capped)."""

    follow_ups: int  # due today or overdue
    due_today: int
    milestones: int
    service_items: int
    stale: int
    leads_waiting: int


def dashboard_totals(
    store: Store, *, me: Me, today: date, now: datetime | None = None, stale_days: int = 30
) -> DashboardTotals:
    """The full counts of the lists of :func:`dashboard`, over the same scope (an officer: the projects they
    serve and the leads of their team; a leader: their team; a supervisor or admin: everything)."""
    now = now or datetime.now(UTC)
    if me.role in ("supervisor", "admin"):
        mine = ProjectFilter()
    elif me.role == "officer":
        mine = ProjectFilter(officer_id=me.id)
    else:
        mine = ProjectFilter(team_id=me.team_id)
    where, params = _project_where(mine, now, stale_days)
    stale_where, stale_params = _project_where(
        ProjectFilter(**{**mine.__dict__, "stale": True}), now, stale_days
    )
    day = today.isoformat()
    with store.engine.connect() as conn:

        def count(sql: str, **p: Any) -> int:
            return int(conn.execute(text(sql), p).scalar() or 0)

        follow = "FROM follow_up f WHERE f.deleted = 0 AND f.done = 0 AND f.assignee_id = :me"
        follow_ups = count(f"SELECT count(*) {follow} AND f.due_on <= :d", me=me.id, d=day)
        due_today = count(f"SELECT count(*) {follow} AND f.due_on = :d", me=me.id, d=day)
        # For one officer's or team's projects, start from those few projects (the unary + keeps SQLite
        # from walking every open milestone / service item of the zone through the due-date index).
        plus = "+" if (mine.officer_id or mine.team_id) else ""
        milestones = count(
            "SELECT count(*) FROM project p JOIN milestone m ON m.project_id = p.id WHERE m.deleted = 0 "
            f"AND {plus}m.actual_on IS NULL AND {plus}m.promised_on < :today_m AND {where}",
            **params,
            today_m=day,
        )
        service_items = count(
            "SELECT count(*) FROM project p JOIN service_item si ON si.project_id = p.id WHERE si.deleted = 0 "
            f"AND {plus}si.state != 'done' AND {plus}si.due_on < :today_s AND {where}",
            **params,
            today_s=day,
        )
        stale = count(f"SELECT count(*) FROM project p WHERE {stale_where}", **stale_params)
        lead_sql = "SELECT count(*) FROM lead l WHERE l.deleted = 0 AND l.status = 'new'"
        if me.role != "supervisor":
            leads = count(lead_sql + " AND l.team_id = :team", team=me.team_id)
        else:
            leads = count(lead_sql)
    return DashboardTotals(follow_ups, due_today, milestones, service_items, stale, leads)


def companies_named_like(store: Store, term: str, *, limit: int = 6) -> list[Option]:
    """Companies whose legal name or an alias contains ``term`` (shortest names first): the duplicate
    check's answer while the in-memory company index is still being built. ``extra`` is the legal name."""
    term = term.strip()
    if len(term) < 2:
        return []
    sql = (
        "SELECT id, name, name FROM company WHERE deleted = 0 AND (name LIKE :q ESCAPE '\\' "
        "OR aliases LIKE :q ESCAPE '\\') ORDER BY length(name), name, id LIMIT :limit"
    )
    with store.engine.connect() as conn:
        return [Option(*r) for r in conn.execute(text(sql), {"q": _like(term), "limit": limit})]


def company_names(store: Store) -> list[tuple[str, list[str], str | None]]:
    """(id, [legal name, *aliases], credit code) of every live company: the rows a
    :class:`~zsfield.domain.company_match.CompanyIndex` is built from (by a caller that paces the build)."""
    from zsfield.domain.company_match import stored_names

    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, name, aliases, credit_code FROM company WHERE deleted = 0")
        ).all()
    return [(r[0], stored_names(r[1], r[2]), r[3]) for r in rows]
