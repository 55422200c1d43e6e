"""The follow-up rules (跟进, 久未跟进, 逾期), in one place: SQL fragments for every list, count and report,
and the same rule in Python beside each one for the code that holds rows rather than SQL. No Textual here.

- **Touch** (跟进): a timeline entry by the team — a visit, a follow-up created or completed, a stage or status
  event, a service item, a note — but not the supervisor's notes (督办意见, 请说明原因) nor the owner's answer
  (久未跟进原因): asking for a reason, or giving one, is not following the project up
  (:data:`~zsfield.domain.enums.NOT_A_TOUCH_NOTE_KINDS`). *Now*, a project's last touch is its
  ``last_entry_at`` column, which the writer keeps with that rule; *as of a past moment* (the monthly report)
  it is :data:`TOUCH_CTE` over the entries themselves (:data:`TOUCH_ENTRIES_SQL`, also the weekly report's).
  The two part only on an *edit* of an entry: the writer touches the column at the edit's time, while the
  entries keep only their own times (and a follow-up's completion), for a past moment has no edit history.
- **Stale** (久未跟进, "30 days without an entry"): not lost or abandoned, not yet 投产达效, and last touched
  more than ``stale_days`` before the moment — strictly: touched exactly ``stale_days`` ago is not stale yet.
  A project never touched counts from its creation: a project created yesterday has not gone 30 days
  without an entry, so neither the officer's list nor the supervisor's review shows it as stale.
- **Overdue as of day D** (逾期): a milestone promised before D with no actual date by D; a service item due
  before D and not done by D; an open follow-up due before D. Due *on* D is due, not overdue. D is the
  officer's calendar day from the app clock (:meth:`zsfield.clock.Clock.today`), never the wall clock nor
  the UTC date. Items of lost or abandoned projects are never overdue: such a project asks for no action.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from zsfield.domain.enums import NOT_A_TOUCH_NOTE_KINDS, ProjectStatus, Stage

CLOSED = (ProjectStatus.LOST.value, ProjectStatus.ABANDONED.value)
"""Project statuses that end the follow-up: never stale, nothing overdue."""
CLOSED_SQL = "(" + ", ".join(f"'{s}'" for s in CLOSED) + ")"

NOT_A_TOUCH = tuple(sorted(NOT_A_TOUCH_NOTE_KINDS))
_NOT_A_TOUCH_SQL = ", ".join(f"'{k}'" for k in NOT_A_TOUCH)

# --- touch ---------------------------------------------------------------------------------------------------

TOUCH_ENTRIES_SQL = f"""
    SELECT project_id, occurred_at AS at FROM visit WHERE deleted = 0 AND project_id IS NOT NULL
    UNION ALL SELECT project_id, created_at FROM follow_up WHERE deleted = 0 AND project_id IS NOT NULL
    UNION ALL SELECT project_id, done_at FROM follow_up
              WHERE deleted = 0 AND project_id IS NOT NULL AND done_at IS NOT NULL
    UNION ALL SELECT project_id, at FROM stage_event WHERE deleted = 0
    UNION ALL SELECT project_id, created_at FROM service_item WHERE deleted = 0
    UNION ALL SELECT project_id, at FROM note WHERE deleted = 0 AND project_id IS NOT NULL
              AND kind NOT IN ({_NOT_A_TOUCH_SQL})
"""
"""Every touch of every project as (project_id, at): select from it ``WHERE at …`` for a window."""

TOUCH_CTE = f"""
WITH touch AS (
  SELECT project_id, max(at) AS last_at FROM ({TOUCH_ENTRIES_SQL}) WHERE at < :cut GROUP BY project_id
)
"""
"""``touch(project_id, last_at)``: each project's last touch before the parameter ``:cut`` (UTC text)."""

LAST_TOUCH_NOW = "p.last_entry_at"
"""A project's last touch now (the column the writer keeps); ``touch.last_at`` under :data:`TOUCH_CTE`."""
LAST_TOUCH_AS_OF = "touch.last_at"


def touch_ref_sql(last_touch: str = LAST_TOUCH_NOW) -> str:
    """What staleness counts from: the last touch, else the project's creation."""
    return f"COALESCE({last_touch}, p.created_at)"


# --- stale ---------------------------------------------------------------------------------------------------


def stale_sql(last_touch: str = LAST_TOUCH_NOW) -> str:
    """The stale condition on project ``p``, with the parameter ``:stale_before`` (:func:`stale_before`)."""
    return (
        f"p.status NOT IN {CLOSED_SQL} AND p.stage != '{Stage.EFFECTIVE.value}' "
        f"AND ({last_touch} < :stale_before OR ({last_touch} IS NULL AND p.created_at < :stale_before))"
    )


def stale_before(moment: datetime, stale_days: int) -> str:
    """The ``:stale_before`` parameter of :func:`stale_sql`: touched before this instant is stale."""
    from zsfield.store.read.common import ts_text  # SQLAlchemy's types: not for the screens that import rules

    return ts_text(moment - timedelta(days=stale_days))


def is_stale(
    status: ProjectStatus | str,
    stage: Stage | str,
    last_touch: datetime | None,
    created_at: datetime | None,
    moment: datetime,
    stale_days: int = 30,
) -> bool:
    """:func:`stale_sql` in Python (the status and stage as they are, or were, at ``moment``)."""
    if ProjectStatus(status).value in CLOSED or Stage(stage) == Stage.EFFECTIVE:
        return False
    ref = last_touch or created_at
    return ref is None or ref < moment - timedelta(days=stale_days)


# --- overdue -------------------------------------------------------------------------------------------------


def milestone_overdue_sql(m: str = "m", day: str = ":today", *, unindexed: bool = False) -> str:
    """Milestone ``m`` overdue as of the day parameter ``day`` (ISO text). ``unindexed``: the date columns
    behind a unary ``+``, so that SQLite starts from the projects (a few) rather than the due-date index."""
    c = f"+{m}" if unindexed else m
    return (
        f"{m}.deleted = 0 AND {c}.promised_on IS NOT NULL AND {c}.promised_on < {day} "
        f"AND ({c}.actual_on IS NULL OR {c}.actual_on > {day})"
    )


def service_item_overdue_sql(si: str = "si", day: str = ":today", *, unindexed: bool = False) -> str:
    """Service item ``si`` overdue as of the day parameter ``day`` (ISO text); ``unindexed`` as for
    :func:`milestone_overdue_sql`."""
    c = f"+{si}" if unindexed else si
    return (
        f"{si}.deleted = 0 AND {c}.due_on IS NOT NULL AND {c}.due_on < {day} "
        f"AND ({c}.state != 'done' OR ({c}.done_on IS NOT NULL AND {c}.done_on > {day}))"
    )


def follow_up_due_sql(f: str = "f", day: str = ":today", *, include_today: bool = True) -> str:
    """Open follow-up ``f`` due by the day parameter (``include_today``) or overdue (due before it)."""
    op = "<=" if include_today else "<"
    return f"{f}.deleted = 0 AND {f}.done = 0 AND {f}.due_on {op} {day}"


PROJECT_OPEN_SQL = f"p.status NOT IN {CLOSED_SQL}"
"""Project ``p`` can have overdue items (it is not lost or abandoned)."""


def project_overdue_sql(day: str = ":today") -> str:
    """Project ``p`` has an overdue milestone or service item (the project list's 逾期 filter)."""
    return (
        f"{PROJECT_OPEN_SQL} AND (EXISTS (SELECT 1 FROM milestone m WHERE m.project_id = p.id "
        f"AND {milestone_overdue_sql('m', day)}) OR EXISTS (SELECT 1 FROM service_item si "
        f"WHERE si.project_id = p.id AND {service_item_overdue_sql('si', day)}))"
    )


def is_overdue(due_on: date | None, today: date, *, done: bool, finished_on: date | None = None) -> bool:
    """The overdue rule in Python for one item (:func:`milestone_overdue_sql`, :func:`service_item_overdue_sql`,
    :func:`follow_up_due_sql`): due before ``today`` and not finished by it — not ``done``, or done on a day
    after ``today`` (``finished_on``: a milestone's actual date, a service item's done date)."""
    if due_on is None or due_on >= today:
        return False
    return not done or (finished_on is not None and finished_on > today)


def days_overdue(due_on: date, today: date) -> int:
    """Days past the due date (0 on the day itself, negative before it)."""
    return (today - due_on).days
