"""The project list: its filter, its rows, its orders and keyset paging, the in-memory text index that
searches as you type, and the pipeline (管线) beside it.

Every list is paged (``offset``/``limit``) so that a screen never loads 100,000 rows. Results are plain
frozen dataclasses, safe to hand from a worker thread to the UI. No Textual here.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import operator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.engine import Connection

from zsfield.clock import Clock
from zsfield.domain.enums import STAGES, ProjectStatus, Stage
from zsfield.store.db import Store
from zsfield.store.read import rules
from zsfield.store.read.common import Page, as_dec, as_dt, equal_clauses, like_pattern
from zsfield.store.read.lookups import company_index_key


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


PROJECT_TEXT_SQL = (
    "(p.name LIKE :q ESCAPE '\\' OR p.company_id IN "
    "(SELECT id FROM company WHERE name LIKE :q ESCAPE '\\' OR aliases LIKE :q ESCAPE '\\'))"
)
"""Project ``p`` whose name, company name or a company alias contains the ``:q`` of :func:`like_pattern`
(the project list's search, the supervision review's; :class:`ProjectTextIndex` matches the same)."""


def project_where(
    f: ProjectFilter, now: datetime, stale_days: int, today: date | None = None
) -> tuple[str, dict[str, Any]]:
    """The WHERE of ``f``; stale as of ``now``, overdue as of ``today`` (default: the zone's day at ``now``)."""
    clauses = ["p.deleted = 0"]
    params: dict[str, Any] = {}
    if f.ids is not None and (len(f.ids) <= _IDS_AT_MOST or not f.text.strip()):
        clauses.append("p.id IN (SELECT value FROM json_each(:ids))")
        params["ids"] = json.dumps(list(f.ids))
    elif f.text.strip():
        clauses.append(PROJECT_TEXT_SQL)
        params["q"] = like_pattern(f.text.strip())
    more, values = equal_clauses(
        "p",
        (
            ("owner_team_id", f.team_id),
            ("leader_id", f.leader_id),
            ("service_officer_id", f.officer_id),
            ("office_id", f.office_id),
            ("industry", f.industry),
            ("band", f.band),
        ),
    )
    clauses += more
    params.update(values)
    if f.stage is not None:
        clauses.append("p.stage = :stage")
        params["stage"] = Stage(f.stage).value
    if f.status is not None:
        clauses.append("p.status = :status")
        params["status"] = ProjectStatus(f.status).value
    elif not f.include_closed:
        clauses.append(rules.PROJECT_OPEN_SQL)
    if f.stale:
        clauses.append(rules.stale_sql(rules.LAST_TOUCH_NOW))
        params["stale_before"] = rules.stale_before(now, stale_days)
    if f.overdue:
        clauses.append(rules.project_overdue_sql(":today"))
        params["today"] = (today or Clock.local(now).date()).isoformat()
    return " AND ".join(clauses), params


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
        total_investment_cny=as_dec(r[10]),
        band=r[11],
        last_entry_at=as_dt(r[12]),
        stage_since=as_dt(r[13]),
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
    today: date | None = None,
) -> Page[ProjectRow]:
    """One page of projects matching ``f`` (and the total, unless ``count`` is false: see
    :func:`count_projects`). ``after``: the ``sort_key`` of the last row of the previous page, to read the
    next page through the order's index instead of skipping ``offset`` rows (``offset`` then only labels
    the page). Stale is judged at ``now``, overdue on ``today`` (default: the zone's day at ``now``): pass
    the app clock's."""
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
        rows = _select_projects(store, chunk, sort, limit, 0, None, now, stale_days, today)
        return Page(rows, len(f.ids) if count else -1, offset, limit)
    rows = _select_projects(store, f, sort, limit, offset, after, now, stale_days, today)
    total = count_projects(store, f, now=now, stale_days=stale_days, today=today) if count else -1
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
    today: date | None = None,
) -> list[ProjectRow]:
    where, params = project_where(f, now, stale_days, today)
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
    store: Store,
    f: ProjectFilter = ProjectFilter(),
    *,
    now: datetime | None = None,
    stale_days: int = 30,
    today: date | None = None,
) -> int:
    """How many projects match ``f`` (a scan for a text filter: lists show their first page before it)."""
    if f.ids is not None and (not f.ids or f.only_text()):
        return len(f.ids)  # the index holds live projects only: nothing else to count
    where, params = project_where(f, now or datetime.now(UTC), stale_days, today)
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
    where, params = project_where(f, now, 30)
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
