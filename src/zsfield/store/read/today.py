"""今日: who is using this laptop (:func:`whoami`), the scope of what they see (:func:`scope_of`), their due
and overdue items, the dashboard's capped lists and their full counts. The follow-up rules come from
:mod:`zsfield.store.read.rules`. No Textual here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.engine import Connection

from zsfield.domain.enums import LeadStatus, MilestoneKind
from zsfield.store.db import Store
from zsfield.store.read import rules
from zsfield.store.read.common import as_date, in_clause
from zsfield.store.read.leads import LeadRow, list_leads
from zsfield.store.read.projects import (
    ProjectFilter,
    ProjectRow,
    StageSummary,
    list_projects,
    pipeline,
    project_where,
)


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
    params: dict[str, Any] = {"today": today.isoformat(), "limit": limit}
    who = ""
    if assignee_id:
        who = "AND f.assignee_id = :me"
        params["me"] = assignee_id
    sql = f"""
    SELECT f.id, f.project_id, f.lead_id, COALESCE(p.name, l.title, ''), f.title, f.due_on, COALESCE(o.name, '')
    FROM follow_up f LEFT JOIN project p ON p.id = f.project_id LEFT JOIN lead l ON l.id = f.lead_id
    LEFT JOIN officer o ON o.id = f.assignee_id
    WHERE {rules.follow_up_due_sql("f", ":today", include_today=include_today)} {who}
    ORDER BY f.due_on, f.id LIMIT :limit"""
    with store.engine.connect() as conn:
        return [
            DueItem("follow_up", r[0], r[1], r[2], r[3], r[4], due, r[6], rules.days_overdue(due, today))
            for r in conn.execute(text(sql), params)
            if (due := as_date(r[5])) is not None
        ]


def overdue_milestones(
    store: Store,
    *,
    today: date,
    f: ProjectFilter | None = None,
    offset: int = 0,
    limit: int = 200,
    now: datetime | None = None,
) -> list[DueItem]:
    """Contract milestones (履约) overdue on ``today`` (:mod:`~zsfield.store.read.rules`), most overdue first."""
    select = (
        "SELECT m.id, p.id, p.name, m.kind, m.promised_on, COALESCE(s.name, '') FROM milestone m "
        "JOIN project p ON p.id = m.project_id LEFT JOIN officer s ON s.id = p.service_officer_id "
        f"WHERE {rules.milestone_overdue_sql('m', ':day')}"
    )
    return _overdue(store, "milestone", select, "m.promised_on, m.id", today, f, offset, limit, now)


def overdue_service_items(
    store: Store,
    *,
    today: date,
    f: ProjectFilter | None = None,
    offset: int = 0,
    limit: int = 200,
    now: datetime | None = None,
) -> list[DueItem]:
    """Service-plan items overdue on ``today`` (:mod:`~zsfield.store.read.rules`), most overdue first."""
    select = (
        "SELECT si.id, p.id, p.name, si.title, si.due_on, si.responsible FROM service_item si "
        f"JOIN project p ON p.id = si.project_id WHERE {rules.service_item_overdue_sql('si', ':day')}"
    )
    return _overdue(store, "service_item", select, "si.due_on, si.id", today, f, offset, limit, now)


def _overdue(
    store: Store,
    kind: Literal["milestone", "service_item"],
    select: str,
    order: str,
    today: date,
    f: ProjectFilter | None,
    offset: int,
    limit: int,
    now: datetime | None,
) -> list[DueItem]:
    """The rows of ``select`` (id, project id, project, title or milestone kind, due on, owner) on the
    projects of ``f`` that can have overdue items, as :class:`DueItem`."""
    where, params = project_where(f or ProjectFilter(), now or datetime.now(UTC), 30, today)
    sql = f"{select} AND {rules.PROJECT_OPEN_SQL} AND {where} ORDER BY {order} LIMIT :limit OFFSET :offset"
    params.update(day=today.isoformat(), limit=limit, offset=offset)
    with store.engine.connect() as conn:
        return [
            DueItem(
                kind,
                r[0],
                r[1],
                None,
                r[2],
                MilestoneKind(r[3]).label() if kind == "milestone" else r[3],
                due,
                r[5],
                rules.days_overdue(due, today),
            )
            for r in conn.execute(text(sql), params)
            if (due := as_date(r[4])) is not None
        ]


def next_follow_ups(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[date, str]]:
    """project id → (due on, title) of its open follow-up due first."""
    if not ids:
        return {}
    placeholders, params = in_clause(ids)
    sql = (
        "SELECT project_id, due_on, title FROM follow_up WHERE deleted = 0 AND done = 0 "
        f"AND project_id IN ({placeholders}) ORDER BY project_id, due_on, id"
    )
    out: dict[str, tuple[date, str]] = {}
    for pid, due_on, title in conn.execute(text(sql), params):
        if pid not in out:
            out[pid] = (date.fromisoformat(due_on), title)
    return out


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


@dataclass(frozen=True)
class Scope:
    """What one person's 今日 covers: the projects (a filter) and the new leads of which team."""

    projects: ProjectFilter
    lead_team_id: str | None  # whose leads; None: every team's (see all_leads)
    all_leads: bool


def scope_of(me: Me) -> Scope:
    """The one answer to "whose projects and leads does ``me`` see first": an officer, the projects they
    serve; a leader, their team's projects; both, their team's new leads (none without a team). A supervisor
    or an admin: every project and every lead, whether or not they belong to a team."""
    if me.role in ("supervisor", "admin"):
        return Scope(ProjectFilter(), None, True)
    if me.role == "officer":
        return Scope(ProjectFilter(officer_id=me.id), me.team_id, False)
    return Scope(ProjectFilter(team_id=me.team_id), me.team_id, False)


def dashboard(
    store: Store, *, me: Me, today: date, now: datetime | None = None, stale_days: int = 30, limit: int = 50
) -> Dashboard:
    """Everything on the 今日 screen, each list capped at ``limit`` rows (each row opens its record)."""
    now = now or datetime.now(UTC)
    scope = scope_of(me)
    mine = scope.projects
    stale = list_projects(
        store,
        replace(mine, stale=True),
        sort="last_entry",
        limit=limit,
        now=now,
        stale_days=stale_days,
        today=today,
    ).rows
    leads: list[LeadRow] = []
    if scope.all_leads or scope.lead_team_id:
        leads = list_leads(store, status=LeadStatus.NEW, team_id=scope.lead_team_id, limit=limit).rows
    return Dashboard(
        follow_ups=due_follow_ups(store, today=today, assignee_id=me.id, limit=limit),
        milestones=overdue_milestones(store, today=today, f=mine, limit=limit, now=now),
        service_items=overdue_service_items(store, today=today, f=mine, limit=limit, now=now),
        stale=stale,
        leads_waiting=leads,
        pipeline=pipeline(store, mine, now=now),
        outbox=int(store.scalar("SELECT count(*) FROM outbox") or 0),
    )


# --- the full counts behind the capped 今日 lists --------------------------------------------------------


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
    """The full counts of the lists of :func:`dashboard`, over the same scope (:func:`scope_of`)."""
    now = now or datetime.now(UTC)
    scope = scope_of(me)
    mine = scope.projects
    where, params = project_where(mine, now, stale_days, today)
    stale_where, stale_params = project_where(replace(mine, stale=True), now, stale_days, today)
    day = today.isoformat()
    with store.engine.connect() as conn:

        def count(sql: str, **p: Any) -> int:
            return int(conn.execute(text(sql), p).scalar() or 0)

        follow = "FROM follow_up f WHERE f.assignee_id = :me AND "
        follow_ups = count(f"SELECT count(*) {follow}{rules.follow_up_due_sql('f', ':d')}", me=me.id, d=day)
        due_today = count(
            f"SELECT count(*) {follow}{rules.follow_up_due_sql('f', ':d')} AND f.due_on = :d", me=me.id, d=day
        )
        # For one officer's or team's projects, start from those few projects (the unary + keeps SQLite
        # from walking every open milestone / service item of the zone through the due-date index).
        plus = bool(mine.officer_id or mine.team_id)
        milestones = count(
            "SELECT count(*) FROM project p JOIN milestone m ON m.project_id = p.id "
            f"WHERE {rules.milestone_overdue_sql('m', ':today_m', unindexed=plus)} "
            f"AND {rules.PROJECT_OPEN_SQL} AND {where}",
            **params,
            today_m=day,
        )
        service_items = count(
            "SELECT count(*) FROM project p JOIN service_item si ON si.project_id = p.id "
            f"WHERE {rules.service_item_overdue_sql('si', ':today_s', unindexed=plus)} "
            f"AND {rules.PROJECT_OPEN_SQL} AND {where}",
            **params,
            today_s=day,
        )
        stale = count(f"SELECT count(*) FROM project p WHERE {stale_where}", **stale_params)
        lead_sql = "SELECT count(*) FROM lead l WHERE l.deleted = 0 AND l.status = 'new'"
        if scope.all_leads:
            leads = count(lead_sql)
        elif scope.lead_team_id:
            leads = count(lead_sql + " AND l.team_id = :team", team=scope.lead_team_id)
        else:
            leads = 0
    return DashboardTotals(follow_ups, due_today, milestones, service_items, stale, leads)
