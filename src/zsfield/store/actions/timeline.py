"""Timeline entries: visits with their next follow-up, follow-ups, notes (a 久未跟进原因 note also keeps the
project's ``stale_reason``)."""

from __future__ import annotations

from datetime import date, datetime

from zsfield.domain.enums import (
    NoteKind,
    VisitKind,
)
from zsfield.domain.fields import require
from zsfield.domain.models import (
    FollowUp,
    Note,
    Project,
    Visit,
)
from zsfield.store.writer import Writer


def log_visit(
    w: Writer,
    *,
    project_id: str | None = None,
    lead_id: str | None = None,
    kind: VisitKind | str = VisitKind.VISIT,
    occurred_at: datetime | None = None,
    place: str = "",
    people: str = "",
    summary: str = "",
    difficulties: str = "",
    policy_asks: str = "",
    next_step: str = "",
    next_on: date | None = None,
    assignee_id: str | None = None,
) -> tuple[Visit, FollowUp | None]:
    """拜访记录: the visit and, when a next date is given, the follow-up it creates (one transaction)."""
    require(bool(project_id or lead_id), "action.visit_needs_subject", "project_id")
    require(bool(summary.strip() or next_step.strip()), "action.visit_needs_summary", "summary")
    when = occurred_at or w.now
    require(
        when <= w.now.replace(microsecond=999999) or when.date() <= w.now.date(),
        "action.visit_in_future",
        "occurred_at",
    )
    visit = Visit(
        project_id=project_id,
        lead_id=lead_id,
        officer_id=w.actor_id,
        kind=VisitKind(kind),
        occurred_at=when,
        place=place.strip(),
        people=people.strip(),
        summary=summary.strip(),
        difficulties=difficulties.strip(),
        policy_asks=policy_asks.strip(),
        next_step=next_step.strip(),
        next_on=next_on,
    )
    w.insert(visit)
    follow_up = None
    if next_on is not None:
        follow_up = FollowUp(
            project_id=project_id,
            lead_id=lead_id,
            visit_id=visit.id,
            assignee_id=assignee_id or w.actor_id,
            title=(next_step.strip() or summary.strip())[:200],
            due_on=next_on,
        )
        w.insert(follow_up)
    return visit, follow_up


def add_follow_up(
    w: Writer,
    *,
    title: str,
    due_on: date,
    project_id: str | None = None,
    lead_id: str | None = None,
    assignee_id: str | None = None,
) -> FollowUp:
    require(bool(project_id or lead_id), "action.visit_needs_subject", "project_id")
    require(bool(title.strip()), "action.follow_up_needs_title", "title")
    return w.insert(  # type: ignore[return-value]
        FollowUp(
            project_id=project_id,
            lead_id=lead_id,
            title=title.strip(),
            due_on=due_on,
            assignee_id=assignee_id or w.actor_id,
        )
    )


def complete_follow_up(w: Writer, follow_up: FollowUp, *, outcome: str) -> FollowUp:
    require(not follow_up.done, "action.follow_up_done", "done")
    require(bool(outcome.strip()), "action.follow_up_needs_outcome", "outcome")
    w.update(follow_up, done=True, done_at=w.now, outcome=outcome.strip())
    return follow_up


def add_note(
    w: Writer,
    *,
    body: str,
    project_id: str | None = None,
    lead_id: str | None = None,
    kind: NoteKind | str = NoteKind.NOTE,
) -> Note:
    """A note, a supervision note (督办意见), a request for a reason, or the owner's stated reason."""
    require(bool(project_id or lead_id), "action.visit_needs_subject", "project_id")
    require(bool(body.strip()), "action.note_needs_body", "body")
    kind = NoteKind(kind)
    note = Note(
        project_id=project_id, lead_id=lead_id, kind=kind, body=body.strip(), author_id=w.actor_id, at=w.now
    )
    w.insert(note)
    if kind == NoteKind.STALE_REASON and project_id:
        project = w.session.get(Project, project_id)
        if project is not None:
            w.update(project, stale_reason=body.strip())
    return note
