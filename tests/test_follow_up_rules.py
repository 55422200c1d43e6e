"""The follow-up rules (zsfield.store.read.rules) have one answer: the project list, the 今日 dashboard and its
totals, the supervision review, the monthly and the weekly report agree on one dataset built around the edges.

The app clock stands at 2026-11-23 20:00 UTC: already 2026-11-24 in China (the officer's day), still 11-23 as
a UTC date, and days before the wall clock. Projects (all team T1, served by officer A):

  P1  created 09-01 with a service item (its only touch)  stale; the item is due 11-23, open: overdue on the
                                                          app's day (not on the UTC date's)
  P2  created three days ago, never touched               not stale: it has not gone 30 days without an entry
  P3  visit exactly 30 days before now                    not stale now (strictly more than 30 days); milestone
                                                          promised on the app's day: due, not overdue
  P4  visit 30 days and one second before now             stale; service item due 11-25: overdue on the wall
                                                          clock, not on the app clock
  P5  visit 60 days ago, then only a supervisor's request, stale: asking for (or giving) a reason is not a touch;
      a supervision note and the owner's reason           and not in the weekly table either
  P6  visit two hours ago (in this week)                  not stale; milestone promised yesterday: overdue
  P7  LOST, visit 90 days ago                             never stale; its overdue milestone is not overdue
  P8  投产达效, visit 90 days ago                          never stale
  P9  visit exactly 30 days before the monthly report's  not stale for the monthly report (and the list at that
      moment (the end of the as-of day)                   moment), nor now
  P10 created 09-01, never touched                        stale: counts from its creation
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from zsfield.clock import FrozenClock
from zsfield.domain.enums import MilestoneKind, NoteKind, ProjectStatus, Role, ServiceState, Stage
from zsfield.domain.models import (
    FollowUp,
    Lead,
    Milestone,
    Note,
    Office,
    Officer,
    Project,
    ServiceItem,
    ServicePlan,
    Team,
    Visit,
)
from zsfield.reports import periods
from zsfield.reports.monthly import monthly_figures
from zsfield.reports.supervision import last_touches, overdue_items, review_page, stale_page
from zsfield.reports.weekly import build_weekly
from zsfield.store import Store
from zsfield.store.read import rules
from zsfield.store.read.projects import ProjectFilter, list_projects
from zsfield.store.read.today import Me, dashboard, dashboard_totals, due_follow_ups, scope_of

NOW = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
TODAY = date(2026, 11, 24)  # the officer's day in China at NOW
YESTERDAY = TODAY - timedelta(days=1)
CUT = periods.end_of_day_utc(TODAY)  # the monthly report's moment (as of TODAY)
DAYS = 30

T1, OFFICE, A, SUP = "team-1", "office-1", "officer-a", "officer-sup"
ADMIN_NO_TEAM, ADMIN_TEAM, LONE_OFFICER = "officer-admin", "officer-admin-t1", "officer-lone"


def pid(n: int) -> str:
    return f"00000000-0000-4000-8000-0000000000{n:02d}"


def _build(store: Store) -> None:
    with store.write(SUP, outbox=False) as w:
        w.insert(Office(id=OFFICE, name="上海驻点", name_en="Shanghai", city="上海", tz="Asia/Shanghai"))
        w.insert(Team(id=T1, name="项目一部", office_id=OFFICE))
        w.insert(Team(id="team-2", name="项目二部", office_id=OFFICE))
        for oid, role, team in (
            (A, Role.OFFICER, T1),
            (SUP, Role.SUPERVISOR, None),
            (ADMIN_NO_TEAM, Role.ADMIN, None),
            (ADMIN_TEAM, Role.ADMIN, T1),
            (LONE_OFFICER, Role.OFFICER, None),
        ):
            w.insert(Officer(id=oid, name=oid, role=role, team_id=team, office_id=OFFICE))

        def project(n: int, created: datetime, **kw: Any) -> None:
            w.insert(
                Project(
                    id=pid(n),
                    name=f"P{n}",
                    owner_team_id=T1,
                    leader_id=SUP,
                    service_officer_id=A,
                    office_id=OFFICE,
                    stage=kw.pop("stage", Stage.NEGOTIATING),
                    stage_since=created,
                    created_at=created,
                    **kw,
                )
            )
            w.insert(ServicePlan(id=f"plan-{n}", project_id=pid(n), created_at=created))

        def visit(n: int, when: datetime) -> None:
            w.insert(Visit(project_id=pid(n), officer_id=A, summary=f"走访 P{n}", occurred_at=when))

        old = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
        project(1, old)
        w.insert(
            ServiceItem(
                plan_id="plan-1", project_id=pid(1), title="用地预审", due_on=YESTERDAY, created_at=old
            )
        )
        project(2, NOW - timedelta(days=3))
        project(3, old)
        visit(3, NOW - timedelta(days=DAYS))
        w.insert(Milestone(project_id=pid(3), kind=MilestoneKind.REGISTRATION, promised_on=TODAY))
        project(4, old)
        visit(4, NOW - timedelta(days=DAYS, seconds=1))
        w.insert(
            ServiceItem(
                plan_id="plan-4",
                project_id=pid(4),
                title="环评",
                due_on=TODAY + timedelta(days=1),
                created_at=old,
            )
        )
        project(5, old)
        visit(5, NOW - timedelta(days=60))
        for kind, ago in (
            (NoteKind.REASON_REQUEST, 2),
            (NoteKind.SUPERVISION, 1),
            (NoteKind.STALE_REASON, 0),
        ):
            w.insert(
                Note(
                    project_id=pid(5),
                    kind=kind,
                    body=kind.value,
                    author_id=SUP,
                    at=NOW - timedelta(hours=ago),
                )
            )
        project(6, old)
        visit(6, NOW - timedelta(hours=2))
        w.insert(Milestone(project_id=pid(6), kind=MilestoneKind.REGISTRATION, promised_on=YESTERDAY))
        project(7, old, status=ProjectStatus.LOST)
        visit(7, NOW - timedelta(days=90))
        w.insert(Milestone(project_id=pid(7), kind=MilestoneKind.REGISTRATION, promised_on=YESTERDAY))
        project(8, old, stage=Stage.EFFECTIVE)
        visit(8, NOW - timedelta(days=90))
        project(9, old)
        visit(9, CUT - timedelta(days=DAYS))
        project(10, old)
        for title, due in (
            ("昨天到期", YESTERDAY),
            ("今天到期", TODAY),
            ("明天到期", TODAY + timedelta(days=1)),
        ):
            w.insert(
                FollowUp(
                    project_id=pid(6),
                    assignee_id=A,
                    title=title,
                    due_on=due,
                    created_at=NOW - timedelta(hours=3),
                )
            )
        for n, team in enumerate((T1, "team-2", None), start=1):
            w.insert(Lead(id=f"lead-{n}", title=f"线索{n}", team_id=team, received_on=TODAY))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path: Path = tmp_path_factory.mktemp("rules") / "rules.db"
    s = Store.open(path)
    _build(s)
    yield s
    s.close()


def me(officer_id: str, role: str, team: str | None) -> Me:
    return Me(officer_id, officer_id, role, team, "", OFFICE, "", "Asia/Shanghai")


SUPERVISOR = me(SUP, "supervisor", None)
OFFICER = me(A, "officer", T1)


def names(ids: Any) -> list[str]:
    return sorted(f"P{int(i[-2:])}" for i in ids)


def test_the_app_clock_is_a_day_ahead_of_the_utc_date() -> None:
    assert FrozenClock(NOW).today("Asia/Shanghai") == TODAY and NOW.date() == YESTERDAY


def test_stale_now_list_dashboard_totals_and_review_agree(store: Store) -> None:
    expected = ["P1", "P10", "P4", "P5"]
    listed = list_projects(store, ProjectFilter(stale=True), now=NOW, stale_days=DAYS).rows
    assert names(r.id for r in listed) == expected
    for who in (SUPERVISOR, OFFICER):
        board = dashboard(store, me=who, today=TODAY, now=NOW, stale_days=DAYS)
        assert names(r.id for r in board.stale) == expected
        assert dashboard_totals(store, me=who, today=TODAY, now=NOW, stale_days=DAYS).stale == len(expected)
    assert names(r.id for r in stale_page(store, now=NOW, stale_days=DAYS).rows) == expected
    # the rule in Python, on each project's last touch now, says the same
    touches = last_touches(store, NOW)
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT id, status, stage, created_at FROM project").all()
    in_python = [
        r[0]
        for r in rows
        if rules.is_stale(
            r[1], r[2], touches.get(r[0]), datetime.fromisoformat(r[3]).replace(tzinfo=UTC), NOW, DAYS
        )
    ]
    assert names(in_python) == expected


def test_last_touch_of_the_list_is_the_reports_last_touch(store: Store) -> None:
    listed = list_projects(store, ProjectFilter(), now=NOW, limit=50).rows
    touches = last_touches(store, NOW + timedelta(seconds=1))
    assert {r.id: r.last_entry_at for r in listed if r.last_entry_at} == touches
    assert {r.id for r in listed if r.last_entry_at is None} == {pid(2), pid(10)}  # never touched
    review = {r.id: r for r in review_page(store, review_filter(), now=NOW, limit=50).rows}
    created = {r.id: r for r in listed}
    for rid, row in review.items():  # the review counts a project never touched from its creation
        assert row.last_touch == (touches.get(rid) or _created(store, rid)), created[rid].name


def review_filter() -> Any:
    from zsfield.reports.supervision import ReviewFilter

    return ReviewFilter(include_closed=True)


def _created(store: Store, rid: str) -> datetime:
    text = store.scalar("SELECT created_at FROM project WHERE id = :id", id=rid)
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_stale_as_of_the_monthly_report_agrees_with_the_list_at_that_moment(store: Store) -> None:
    figures = monthly_figures(store, periods.month_of(TODAY), as_of=TODAY, stale_days=DAYS)
    # at the end of the as-of day P3 (30 days and 20 hours without an entry) is stale too; P9 is exactly at
    # the limit, so not yet
    expected = ["P1", "P10", "P3", "P4", "P5"]
    assert names(p.id for p, _touch, _days in figures.stale) == expected
    listed = list_projects(store, ProjectFilter(stale=True), now=CUT, stale_days=DAYS).rows
    assert names(r.id for r in listed) == expected
    assert names(r.id for r in stale_page(store, now=CUT, stale_days=DAYS).rows) == expected


def test_overdue_list_dashboard_totals_supervision_and_monthly_agree(store: Store) -> None:
    # P6's milestone (promised yesterday) and P1's service item (due yesterday, which is still "today" as a
    # UTC date); not P3's milestone (due today), not P4's item (due tomorrow: overdue on the wall clock only),
    # not P7's milestone (a lost project asks for nothing)
    board = dashboard(store, me=SUPERVISOR, today=TODAY, now=NOW, stale_days=DAYS)
    assert [(d.subject, d.days_overdue) for d in board.milestones] == [("P6", 1)]
    assert [(d.subject, d.days_overdue) for d in board.service_items] == [("P1", 1)]
    totals = dashboard_totals(store, me=SUPERVISOR, today=TODAY, now=NOW, stale_days=DAYS)
    assert (totals.milestones, totals.service_items) == (1, 1)
    supervised = overdue_items(store, as_of=TODAY)
    assert sorted((o.kind, o.project, o.days_overdue) for o in supervised) == [
        ("milestone", "P6", 1),
        ("service_item", "P1", 1),
    ]
    monthly = monthly_figures(store, periods.month_of(TODAY), as_of=TODAY, stale_days=DAYS)
    assert sorted((o.kind, o.project) for o in monthly.overdue) == [
        ("milestone", "P6"),
        ("service_item", "P1"),
    ]
    # the project list's 逾期 filter, on the app clock (no ``today``: the zone's day at ``now``)
    listed = list_projects(store, ProjectFilter(overdue=True), now=NOW).rows
    assert names(r.id for r in listed) == ["P1", "P6"]
    # the rule in Python agrees item by item
    with store.engine.connect() as conn:
        ms = conn.exec_driver_sql("SELECT project_id, promised_on, actual_on FROM milestone").all()
        si = conn.exec_driver_sql("SELECT project_id, due_on, state, done_on FROM service_item").all()
    lost = {pid(7)}

    def day(v: str | None) -> date | None:
        return date.fromisoformat(v) if v else None

    late_ms = [
        p
        for p, due, actual in ms
        if p not in lost
        and rules.is_overdue(day(due), TODAY, done=actual is not None, finished_on=day(actual))
    ]
    late_si = [
        p
        for p, due, state, done_on in si
        if rules.is_overdue(day(due), TODAY, done=state == ServiceState.DONE.value, finished_on=day(done_on))
    ]
    assert names(late_ms) == ["P6"] and names(late_si) == ["P1"]


def test_follow_ups_due_today_are_due_not_overdue(store: Store) -> None:
    due = due_follow_ups(store, today=TODAY, assignee_id=A)
    assert [(d.title, d.days_overdue) for d in due] == [("昨天到期", 1), ("今天到期", 0)]
    assert [d.title for d in due_follow_ups(store, today=TODAY, assignee_id=A, include_today=False)] == [
        "昨天到期"
    ]
    totals = dashboard_totals(store, me=OFFICER, today=TODAY, now=NOW, stale_days=DAYS)
    assert (totals.follow_ups, totals.due_today) == (2, 1)
    assert [rules.is_overdue(d.due_on, TODAY, done=False) for d in due] == [True, False]


def test_the_weekly_table_lists_the_projects_the_list_shows_touched_this_week(store: Store) -> None:
    week = periods.week_of(TODAY)
    report = build_weekly(store, week, as_of=TODAY)
    weekly = sorted(row[1] for row in report.tables[0].rows if str(row[1]).startswith("P"))
    start, end = periods.start_of_day_utc(week.start), periods.end_of_day_utc(TODAY)
    listed = list_projects(store, ProjectFilter(), now=NOW, limit=50).rows
    touched = sorted(r.name for r in listed if r.last_entry_at is not None and start <= r.last_entry_at < end)
    assert weekly == touched == ["P6"]  # not P5: its notes this week are not touches


# --- whose 今日: one scope for the lists and their totals ----------------------------------------------------


@pytest.mark.parametrize(
    ("who", "leads"),
    [
        (
            me(ADMIN_NO_TEAM, "admin", None),
            3,
        ),  # an admin sees every lead, team or not (the list and its total)
        (me(ADMIN_TEAM, "admin", T1), 3),
        (SUPERVISOR, 3),
        (OFFICER, 1),  # the officer's team's
        (me(LONE_OFFICER, "officer", None), 0),  # an officer without a team has no team's leads
    ],
)
def test_the_dashboard_and_its_totals_have_one_scope(store: Store, who: Me, leads: int) -> None:
    board = dashboard(store, me=who, today=TODAY, now=NOW, stale_days=DAYS)
    totals = dashboard_totals(store, me=who, today=TODAY, now=NOW, stale_days=DAYS)
    assert len(board.leads_waiting) == totals.leads_waiting == leads
    assert len(board.stale) == totals.stale
    assert len(board.milestones) == totals.milestones and len(board.service_items) == totals.service_items
    scope = scope_of(who)
    assert scope.all_leads == (who.role in ("supervisor", "admin"))
