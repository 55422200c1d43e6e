"""Projects: edit their own fields, move them through the stages of the flow, set their status (the flow
rules of :mod:`zsfield.domain.flow` first)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import select

from zsfield.domain.credit_code import credit_code_problem, normalise_credit_code
from zsfield.domain.enums import (
    EventKind,
    MilestoneKind,
    ProjectStatus,
    Stage,
)
from zsfield.domain.flow import check_stage_move, check_status_change, context_from
from zsfield.domain.models import (
    Milestone,
    Project,
    ServiceItem,
    StageEvent,
)
from zsfield.domain.problems import DomainError, Problem
from zsfield.store.actions.records import as_record
from zsfield.store.writer import Writer


def flow_context(w: Writer, project_id: str):  # noqa: ANN201 - FlowContext
    milestones = w.session.exec(select(Milestone).where(Milestone.project_id == project_id)).all()
    items = w.session.exec(select(ServiceItem).where(ServiceItem.project_id == project_id)).all()
    return context_from(milestones, items)


PROJECT_EDITABLE = frozenset(
    {
        "name", "company_id", "source_channel", "owner_team_id", "leader_id", "service_officer_id",
        "co_introducer_id", "office_id", "park_area", "industry", "is_real_estate", "policy_asks",
        "open_questions", "intent_signed_on", "planned_investment", "contract_signed_on", "total_investment",
        "total_investment_currency", "total_investment_rate", "fixed_asset_investment", "registered_capital",
        "registered_capital_currency", "foreign_capital_contracted", "foreign_capital_currency",
        "foreign_capital_rate_usd", "land_need_mu", "committed_output", "committed_tax", "committed_jobs",
        "registered_entity", "credit_code", "registered_on", "land_parcel", "land_area_mu", "no_new_land",
        "land_approval_doc", "land_approved_on", "construction_start_on", "construction_progress",
        "equipment_readiness", "completion_on", "production_start_on", "capacity", "actual_output",
        "actual_tax", "actual_jobs", "stale_reason", "lost_to",
    }
)  # fmt: skip
"""Fields an officer edits in the stage panes (stage and status change only through their own actions)."""


def update_project(w: Writer, project: Project | str, **changes: Any) -> dict[str, Any]:
    """Edit a project's own fields (not stage or status), validated: amounts ≥ 0, a credit code that checks."""
    project = as_record(w, Project, project)
    problems: list[Problem] = []
    for name, value in changes.items():
        if name not in PROJECT_EDITABLE:
            problems.append(Problem("action.not_editable", {"field": name}, field=name))
        elif (
            isinstance(value, Decimal)
            and value < 0
            or isinstance(value, int)
            and not isinstance(value, bool)
            and value < 0
        ):
            problems.append(Problem("action.negative_amount", {}, field=name))
    if changes.get("credit_code"):
        code = normalise_credit_code(changes["credit_code"])
        changes["credit_code"] = code
        key = credit_code_problem(code)
        if key is not None:
            problems.append(Problem("flow.bad_credit_code", {"code": code}, field="credit_code"))
    if "name" in changes and not str(changes["name"]).strip():
        problems.append(Problem("action.project_needs_name", {}, field="name"))
    if problems:
        raise DomainError(problems)
    return w.update(project, **changes)


def move_stage(w: Writer, project: Project | str, to_stage: Stage | str, *, note: str = "") -> StageEvent:
    """Advance (or, with a reason, move back) a project; writes the stage event. Refusals name what is missing."""
    project = as_record(w, Project, project)
    move = check_stage_move(project, to_stage, reason=note, ctx=flow_context(w, project.id))
    w.update(project, stage=move.to_stage, stage_since=w.now)
    event = StageEvent(
        project_id=project.id,
        kind=EventKind.STAGE,
        from_value=move.from_stage,
        to_value=move.to_stage,
        at=w.now,
        by=w.actor_id,
        note=move.note,
        backwards=move.backwards,
    )
    w.insert(event)
    return event


def set_status(
    w: Writer,
    project: Project | str,
    status: ProjectStatus | str,
    *,
    reason: str = "",
    on: date | None = None,
    lost_to: str = "",
) -> StageEvent:
    """Change the status (延期 / 流失 / 终止 need a reason and a date); writes a status event."""
    project = as_record(w, Project, project)
    status = ProjectStatus(status)
    problems = check_status_change(project, status, reason=reason, on=on)
    if problems:
        raise DomainError(problems, Problem("action.cannot_set_status", {"status": status}))
    old = project.status
    w.update(project, status=status, status_reason=reason.strip(), status_on=on, lost_to=lost_to.strip())
    event = StageEvent(
        project_id=project.id,
        kind=EventKind.STATUS,
        from_value=old,
        to_value=status,
        at=w.now,
        by=w.actor_id,
        note=reason.strip(),
    )
    w.insert(event)
    return event


def advance_stage(w: Writer, project: Project | str) -> Stage:
    """Move a project to the stage after its current one (the detail screen's 推进); returns the new stage."""
    project = as_record(w, Project, project)
    nxt = Stage(project.stage).next()
    if nxt is None:
        raise DomainError(Problem("detail.at_last_stage", {}))
    move_stage(w, project, nxt)
    return nxt


def save_project_edits(
    w: Writer,
    project: Project | str,
    changes: dict[str, Any],
    milestones: dict[MilestoneKind, date],
    *,
    company: str | None = None,
) -> None:
    """The detail screen's save, in one transaction: the company by name (found among the live companies, or
    new), the project's own fields, and the promised dates of milestones."""
    from zsfield.domain.models import Company
    from zsfield.store.actions.companies import ensure_company
    from zsfield.store.actions.service import set_milestone

    project = as_record(w, Project, project)
    if company is not None:
        found = w.session.exec(
            select(Company).where(Company.name == company, Company.deleted.is_(False))
        ).first()
        c = ensure_company(w, company_id=found.id if found else None, name=company)
        changes["company_id"] = c.id if c else None
    if changes:
        update_project(w, project, **changes)
    for kind, on in milestones.items():
        set_milestone(w, project, kind, promised_on=on)
