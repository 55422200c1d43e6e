"""督查: the timeline review of many projects, stale projects with their reasons, overdue milestones and
service items (督办), and the 两未 / 三未 lists.

The follow-up rules used here (last touch, stale, overdue as of a day) are those of
:mod:`zsfield.store.read.rules`, shared with the project list, the dashboard and the monthly and weekly
reports. The reason shown for a stale project is the owner's stated reason (the project's ``stale_reason``,
set by a 久未跟进原因 note) or "no reason given". The writes of this review (请说明原因, 督办意见) are in
:mod:`zsfield.store.actions.supervision`.

- **两未**: 洽谈未签约 (in negotiation longer than ``negotiating_days``, 180 by default, without a signing
  date) and 签约未开工. **三未**: 签约未开工, 开工未竣工, 竣工未投产. Lost and abandoned projects are left
  out. Each row gives the date the project entered that state, the promised date of the next milestone
  (开工 / 竣工 / 投产) and the days past it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import text

from zsfield.domain.enums import MilestoneKind, ProjectStatus, Stage
from zsfield.reports import ZONE_TZ
from zsfield.reports.facts import ProjectFacts
from zsfield.reports.periods import Period, end_of_day_utc, local_date, start_of_day_utc
from zsfield.store.db import Store
from zsfield.store.read import rules
from zsfield.store.read.common import Page, as_dt, equal_clauses, in_clause, like_pattern, ts_text
from zsfield.store.read.projects import PROJECT_TEXT_SQL
from zsfield.store.read.timeline import latest_entries
from zsfield.store.read.today import next_follow_ups


def last_touches(store: Store, moment: datetime) -> dict[str, datetime]:
    """Each project's last touch (:mod:`~zsfield.store.read.rules`) before ``moment``; projects without one
    are absent."""
    sql = rules.TOUCH_CTE + "SELECT project_id, last_at FROM touch"
    with store.engine.connect() as conn:
        return {r[0]: as_dt(r[1]) for r in conn.execute(text(sql), {"cut": ts_text(moment)})}  # type: ignore[misc]


# --- the timeline review ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewFilter:
    """What the review list is narrowed by (all optional, combined with AND)."""

    text: str = ""
    team_id: str | None = None
    leader_id: str | None = None
    office_id: str | None = None
    stage: str | None = None
    status: str | None = None
    band: str | None = None
    industry: str | None = None
    period: Period | None = None  # last touched within this period
    stale_only: bool = False
    include_closed: bool = False


@dataclass(frozen=True)
class ReviewRow:
    """One project in the review: where it stands, its last entry, its next due follow-up."""

    id: str
    name: str
    team: str
    leader: str
    service_officer: str
    office: str
    stage: Stage
    status: ProjectStatus
    band: str | None
    industry: str
    last_touch: datetime | None
    days_since: int | None
    last_kind: str = ""
    last_sub: str = ""
    last_title: str = ""
    last_at: datetime | None = None
    next_due_on: date | None = None
    next_due_title: str = ""
    stale_reason: str = ""


_REVIEW_SELECT = """
SELECT p.id, p.name, COALESCE(t.name, ''), COALESCE(l.name, ''), COALESCE(s.name, ''), COALESCE(o.name, ''),
       p.stage, p.status, p.band, p.industry, {ref}, p.stale_reason
FROM project p
LEFT JOIN touch ON touch.project_id = p.id
LEFT JOIN team t ON t.id = p.owner_team_id
LEFT JOIN officer l ON l.id = p.leader_id
LEFT JOIN officer s ON s.id = p.service_officer_id
LEFT JOIN office o ON o.id = p.office_id
"""


def _review_where(f: ReviewFilter, now: datetime, stale_days: int) -> tuple[str, dict[str, Any]]:
    clauses = ["p.deleted = 0"]
    params: dict[str, Any] = {"cut": ts_text(now)}
    if f.text.strip():
        clauses.append(PROJECT_TEXT_SQL)
        params["q"] = like_pattern(f.text.strip())
    more, values = equal_clauses(
        "p",
        (
            ("owner_team_id", f.team_id),
            ("leader_id", f.leader_id),
            ("office_id", f.office_id),
            ("stage", f.stage),
            ("status", f.status),
            ("band", f.band),
            ("industry", f.industry),
        ),
    )
    clauses += more
    params.update(values)
    if not f.include_closed and not f.status:
        clauses.append(rules.PROJECT_OPEN_SQL)
    ref = rules.touch_ref_sql(rules.LAST_TOUCH_AS_OF)
    if f.period is not None:
        clauses.append(f"{ref} >= :p_start")
        clauses.append(f"{ref} < :p_end")
        params["p_start"] = ts_text(start_of_day_utc(f.period.start))
        params["p_end"] = ts_text(end_of_day_utc(f.period.end))
    if f.stale_only:
        clauses.append(rules.stale_sql(rules.LAST_TOUCH_AS_OF))
        params["stale_before"] = rules.stale_before(now, stale_days)
    return " AND ".join(clauses), params


def review_page(
    store: Store,
    f: ReviewFilter,
    *,
    now: datetime,
    offset: int = 0,
    limit: int = 200,
    stale_days: int = 30,
    tz: str = ZONE_TZ,
) -> Page[ReviewRow]:
    """One page of the timeline review, least recently touched first; with each project's last entry (of
    any kind, the supervisor's notes included) and its next open follow-up."""
    where, params = _review_where(f, now, stale_days)
    order = f"{rules.touch_ref_sql(rules.LAST_TOUCH_AS_OF)} ASC, p.name, p.id"
    select = _REVIEW_SELECT.replace("{ref}", rules.touch_ref_sql(rules.LAST_TOUCH_AS_OF))
    sql = f"{rules.TOUCH_CTE}{select} WHERE {where} ORDER BY {order} LIMIT :limit OFFSET :offset"
    count_sql = f"{rules.TOUCH_CTE}SELECT count(*) FROM project p LEFT JOIN touch ON touch.project_id = p.id WHERE {where}"
    today = local_date(now, tz)
    with store.engine.connect() as conn:
        base = list(conn.execute(text(sql), {**params, "limit": limit, "offset": offset}))
        total = int(conn.execute(text(count_sql), params).scalar() or 0)
        ids = [r[0] for r in base]
        latest = latest_entries(conn, ids)
        due = next_follow_ups(conn, ids)
    rows = []
    for r in base:
        touch = as_dt(r[10])
        entry = latest.get(r[0])
        next_due = due.get(r[0])
        rows.append(
            ReviewRow(
                id=r[0],
                name=r[1],
                team=r[2],
                leader=r[3],
                service_officer=r[4],
                office=r[5],
                stage=Stage(r[6]),
                status=ProjectStatus(r[7]),
                band=r[8],
                industry=r[9] or "",
                last_touch=touch,
                days_since=None if touch is None else (today - local_date(touch, tz)).days,
                last_kind=entry[0] if entry else "",
                last_sub=entry[1] if entry else "",
                last_title=entry[2] if entry else "",
                last_at=as_dt(entry[3]) if entry else None,
                next_due_on=next_due[0] if next_due else None,
                next_due_title=next_due[1] if next_due else "",
                stale_reason=r[11] or "",
            )
        )
    return Page(rows, total, offset, limit)


# --- stale projects ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaleRow:
    """A project without an entry for ``stale_days``, with the owner's reason (or none) and the last request."""

    id: str
    name: str
    team: str
    leader: str
    service_officer: str
    stage: Stage
    status: ProjectStatus
    last_touch: datetime | None
    days_since: int | None
    reason: str  # '' when no reason was given
    reason_at: datetime | None
    requested_at: datetime | None
    supervision_notes: int


def stale_page(
    store: Store,
    f: ReviewFilter = ReviewFilter(),
    *,
    now: datetime,
    offset: int = 0,
    limit: int = 200,
    stale_days: int = 30,
    tz: str = ZONE_TZ,
) -> Page[StaleRow]:
    """Stale projects (see module doc), longest untouched first."""
    f = ReviewFilter(**{**f.__dict__, "stale_only": True})
    page = review_page(store, f, now=now, offset=offset, limit=limit, stale_days=stale_days, tz=tz)
    ids = [r.id for r in page.rows]
    placeholders, params = in_clause(ids)
    notes: dict[str, dict[str, Any]] = {}
    if ids:
        sql = (
            "SELECT project_id, kind, max(at), count(*) FROM note WHERE deleted = 0 "
            f"AND project_id IN ({placeholders}) AND kind IN ('stale_reason', 'reason_request', 'supervision') "
            "GROUP BY project_id, kind"
        )
        with store.engine.connect() as conn:
            for pid, kind, at, n in conn.execute(text(sql), params):
                notes.setdefault(pid, {})[kind] = (as_dt(at), int(n))
    rows = []
    for r in page.rows:
        mine = notes.get(r.id, {})
        rows.append(
            StaleRow(
                id=r.id,
                name=r.name,
                team=r.team,
                leader=r.leader,
                service_officer=r.service_officer,
                stage=r.stage,
                status=r.status,
                last_touch=r.last_touch,
                days_since=r.days_since,
                reason=r.stale_reason,
                reason_at=mine.get("stale_reason", (None, 0))[0],
                requested_at=mine.get("reason_request", (None, 0))[0],
                supervision_notes=mine.get("supervision", (None, 0))[1],
            )
        )
    return Page(rows, page.total, offset, limit)


# --- overdue milestones and service items (督办) ----------------------------------------------------------------

OverdueKind = Literal["milestone", "service_item"]


@dataclass(frozen=True)
class OverdueRow:
    kind: OverdueKind
    id: str
    project_id: str
    project: str
    team: str
    leader: str
    owner: str  # the service officer (milestones) or the responsible person / department (service items)
    item: str  # milestone kind code, or the service item's title
    due_on: date
    days_overdue: int


def overdue_items(
    store: Store, *, as_of: date, team_id: str | None = None, leader_id: str | None = None
) -> list[OverdueRow]:
    """Milestones and service items overdue as of ``as_of`` (see module doc), most overdue first."""
    day = as_of.isoformat()
    extra = ""
    params: dict[str, Any] = {"d": day}
    if team_id:
        extra += " AND p.owner_team_id = :team"
        params["team"] = team_id
    if leader_id:
        extra += " AND p.leader_id = :leader"
        params["leader"] = leader_id
    joins = (
        "JOIN project p ON p.id = x.project_id LEFT JOIN team t ON t.id = p.owner_team_id "
        "LEFT JOIN officer l ON l.id = p.leader_id LEFT JOIN officer s ON s.id = p.service_officer_id"
    )
    ms_sql = (
        "SELECT 'milestone', x.id, p.id, p.name, COALESCE(t.name, ''), COALESCE(l.name, ''), COALESCE(s.name, ''), "
        f"x.kind, x.promised_on FROM milestone x {joins} WHERE {rules.milestone_overdue_sql('x', ':d')} "
        f"AND p.deleted = 0 AND {rules.PROJECT_OPEN_SQL}{extra}"
    )
    si_sql = (
        "SELECT 'service_item', x.id, p.id, p.name, COALESCE(t.name, ''), COALESCE(l.name, ''), x.responsible, "
        f"x.title, x.due_on FROM service_item x {joins} WHERE {rules.service_item_overdue_sql('x', ':d')} "
        f"AND p.deleted = 0 AND {rules.PROJECT_OPEN_SQL}{extra}"
    )
    out = []
    with store.engine.connect() as conn:
        for sql in (ms_sql, si_sql):
            for r in conn.execute(text(sql), params):
                due = date.fromisoformat(r[8])
                out.append(OverdueRow(*r[:6], r[6] or "", r[7], due, rules.days_overdue(due, as_of)))
    out.sort(key=lambda o: (-o.days_overdue, o.project, o.kind, o.id))
    return out


# --- 两未 / 三未 ----------------------------------------------------------------------------------------------

GapKind = Literal[
    "negotiating_unsigned", "signed_not_started", "started_not_completed", "completed_not_producing"
]
GAP_KINDS: tuple[GapKind, ...] = (
    "negotiating_unsigned",
    "signed_not_started",
    "started_not_completed",
    "completed_not_producing",
)
LIANG_WEI: tuple[GapKind, ...] = ("negotiating_unsigned", "signed_not_started")
SAN_WEI: tuple[GapKind, ...] = ("signed_not_started", "started_not_completed", "completed_not_producing")

_NEXT_MILESTONE: dict[str, MilestoneKind | None] = {
    "negotiating_unsigned": None,
    "signed_not_started": MilestoneKind.CONSTRUCTION_START,
    "started_not_completed": MilestoneKind.COMPLETION,
    "completed_not_producing": MilestoneKind.PRODUCTION_START,
}


@dataclass(frozen=True)
class GapRow:
    """A project stuck between two steps: since when, the promised date of the next step, days past it."""

    kind: GapKind
    project_id: str
    project: str
    team: str
    leader: str
    service_officer: str
    stage: Stage
    since: date | None
    days_in_state: int
    promised_on: date | None
    days_overdue: int
    investment_cny: Any = None

    @property
    def id(self) -> str:
        """A key for lists: one row per project and list."""
        return f"{self.kind}:{self.project_id}"


def gap_kind(
    p: ProjectFacts, *, today: date, negotiating_days: int = 180, tz: str = ZONE_TZ
) -> GapKind | None:
    """Which 两未 / 三未 list a project belongs on (None: none)."""
    if p.status.value in rules.CLOSED:
        return None
    idx = p.stage.index
    signed = p.first_signed_on
    if p.stage == Stage.NEGOTIATING and signed is None:
        since = local_date(p.stage_since, tz) if p.stage_since else None
        if since is not None and (today - since).days > negotiating_days:
            return "negotiating_unsigned"
        return None
    construction = Stage.CONSTRUCTION.index
    if (
        signed is not None
        and p.construction_start_on is None
        and Stage.INTENT_SIGNED.index <= idx < construction
    ):
        return "signed_not_started"
    if (
        p.construction_start_on is not None
        and p.completion_on is None
        and p.production_start_on is None
        and idx == construction
    ):
        return "started_not_completed"
    if p.production_start_on is None and (
        p.stage == Stage.COMMISSIONING
        or (p.completion_on is not None and construction <= idx < Stage.PRODUCTION.index)
    ):
        return "completed_not_producing"
    return None


def gap_lists(
    store: Store,
    projects: Sequence[ProjectFacts],
    *,
    today: date,
    negotiating_days: int = 180,
    tz: str = ZONE_TZ,
) -> dict[GapKind, list[GapRow]]:
    """The four lists behind 两未 and 三未, each most overdue first."""
    promised = _promised_milestones(store)
    out: dict[GapKind, list[GapRow]] = {k: [] for k in GAP_KINDS}
    for p in projects:
        kind = gap_kind(p, today=today, negotiating_days=negotiating_days, tz=tz)
        if kind is None:
            continue
        since: date | None
        if kind == "negotiating_unsigned":
            since = local_date(p.stage_since, tz) if p.stage_since else None
        elif kind == "signed_not_started":
            since = p.first_signed_on
        elif kind == "started_not_completed":
            since = p.construction_start_on
        else:
            since = p.completion_on or (local_date(p.stage_since, tz) if p.stage_since else None)
        days_in = (today - since).days if since else 0
        ms = _NEXT_MILESTONE[kind]
        due = promised.get((p.id, ms.value)) if ms is not None else None
        if kind == "negotiating_unsigned":
            overdue = max(0, days_in - negotiating_days)
        else:
            overdue = max(0, (today - due).days) if due is not None else 0
        out[kind].append(
            GapRow(
                kind,
                p.id,
                p.name,
                p.team,
                p.leader,
                p.service_officer,
                p.stage,
                since,
                days_in,
                due,
                overdue,
                p.investment_cny,
            )
        )
    for rows in out.values():
        rows.sort(key=lambda g: (-g.days_overdue, -g.days_in_state, g.project, g.project_id))
    return out


def _promised_milestones(store: Store) -> dict[tuple[str, str], date]:
    sql = "SELECT project_id, kind, promised_on FROM milestone WHERE deleted = 0 AND promised_on IS NOT NULL"
    with store.engine.connect() as conn:
        return {(r[0], r[1]): date.fromisoformat(r[2]) for r in conn.execute(text(sql))}


__all__ = [
    "GAP_KINDS",
    "LIANG_WEI",
    "SAN_WEI",
    "GapRow",
    "OverdueRow",
    "ReviewFilter",
    "ReviewRow",
    "StaleRow",
    "gap_lists",
    "last_touches",
    "overdue_items",
    "review_page",
    "stale_page",
]
