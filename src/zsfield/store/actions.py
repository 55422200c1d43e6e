"""The officer's actions, each one transaction through a :class:`Writer`: capture a lead, screen it,
convert it, move a project through its stages, log a visit with its next follow-up, keep the service plan,
milestones and capital receipts. The TUI, the CLI, the seed and the tests call these and nothing lower.

Every action validates with the flow rules first and raises :class:`DomainError` (bilingual, naming what is
missing) without writing anything.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import select

from zsfield.domain.credit_code import credit_code_problem, normalise_credit_code
from zsfield.domain.enums import (
    EventKind,
    LeadStatus,
    MilestoneKind,
    NoteKind,
    PermitType,
    ProjectStatus,
    ServiceKind,
    ServiceState,
    SourceChannel,
    Stage,
    Verdict,
    VisitKind,
)
from zsfield.domain.fields import non_negative as _non_negative
from zsfield.domain.fields import require as _require
from zsfield.domain.flow import check_stage_move, check_status_change, context_from
from zsfield.domain.models import (
    CapitalReceipt,
    Company,
    Contact,
    FollowUp,
    Lead,
    Milestone,
    Note,
    Project,
    ServiceItem,
    ServicePlan,
    StageEvent,
    Visit,
)
from zsfield.domain.money import Money, to_usd
from zsfield.domain.problems import DomainError, Problem
from zsfield.store.writer import Writer

# --- companies and leads ------------------------------------------------------------------------------------


def ensure_company(w: Writer, *, company_id: str | None, name: str, **extra: Any) -> Company | None:
    """The company chosen from the duplicate candidates, or a new one named ``name`` (None if neither)."""
    if company_id:
        company = w.session.get(Company, company_id)
        _require(company is not None and not company.deleted, "action.unknown_company", "company_id")
        return company
    name = name.strip()
    if not name:
        return None
    return w.insert(Company(name=name, **extra))  # type: ignore[return-value]


def capture_lead(
    w: Writer,
    *,
    title: str,
    company_name: str = "",
    company_id: str | None = None,
    source_channel: SourceChannel | str = SourceChannel.OTHER,
    estimated_investment: Decimal | None = None,
    estimated_currency: str = "CNY",
    industry: str = "",
    land_need_mu: Decimal | None = None,
    office_id: str | None = None,
    team_id: str | None = None,
    received_by: str | None = None,
    received_on: date | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    contact_title: str = "",
    note: str = "",
    source_detail: str = "",
) -> Lead:
    """Quick capture (线索录入): the lead, its company (new or matched), its contact and a first note."""
    title = (title or company_name).strip()
    _require(bool(title), "action.lead_needs_title", "title")
    _non_negative(estimated_investment, "estimated_investment")
    company = ensure_company(w, company_id=company_id, name=company_name, industry=industry)
    lead = Lead(
        title=title,
        company_id=company.id if company else None,
        company_name=company_name.strip() or (company.name if company else ""),
        source_channel=SourceChannel(source_channel),
        source_detail=source_detail,
        estimated_investment=estimated_investment,
        estimated_currency=estimated_currency,
        land_need_mu=land_need_mu,
        industry=industry,
        office_id=office_id,
        team_id=team_id,
        received_by=received_by or w.actor_id,
        received_on=received_on or w.now.date(),
    )
    w.insert(lead)
    if contact_name.strip():
        contact = w.insert(
            Contact(
                name=contact_name.strip(),
                phone=contact_phone.strip(),
                title=contact_title.strip(),
                company_id=lead.company_id,
                lead_id=lead.id,
                team_id=team_id,
            )
        )
        w.update(lead, contact_id=contact.id)
    if note.strip():
        w.insert(Note(lead_id=lead.id, body=note.strip(), author_id=w.actor_id, at=w.now))
    return lead


def screen_lead(
    w: Writer, lead: Lead, *, verdict: Verdict | str, reason: str, duplicate_of: str | None = None
) -> Lead:
    """研判: record the verdict and its reason; a duplicate points at the lead it repeats."""
    verdict = Verdict(verdict)
    _require(lead.status != LeadStatus.CONVERTED, "action.lead_converted", "verdict")
    _require(bool(reason.strip()), "action.verdict_needs_reason", "verdict_reason")
    status = LeadStatus.REJECTED if verdict == Verdict.REJECTED else LeadStatus.SCREENED
    if duplicate_of:
        _require(duplicate_of != lead.id, "action.duplicate_of_self", "duplicate_of")
        status = LeadStatus.DUPLICATE
    w.update(
        lead,
        verdict=verdict,
        verdict_reason=reason.strip(),
        verdict_by=w.actor_id,
        verdict_at=w.now,
        status=status,
        duplicate_of=duplicate_of,
    )
    return lead


def convert_lead(
    w: Writer,
    lead: Lead,
    *,
    owner_team_id: str,
    leader_id: str,
    service_officer_id: str | None = None,
    name: str | None = None,
    park_area: str = "",
) -> Project:
    """转为项目: a project with one owner team, one leader and one service officer (by default the
    officer who first received the lead — 首次接待即服务专员), its service plan and its first stage event."""
    _require(lead.status != LeadStatus.CONVERTED, "action.lead_converted", "lead")
    _require(lead.verdict == Verdict.REAL, "action.convert_needs_real", "verdict")
    _require(bool(owner_team_id), "action.needs_owner_team", "owner_team_id")
    _require(bool(leader_id), "action.needs_leader", "leader_id")
    service_officer_id = service_officer_id or lead.received_by
    _require(bool(service_officer_id), "action.needs_service_officer", "service_officer_id")
    project = Project(
        name=(name or lead.title).strip(),
        lead_id=lead.id,
        company_id=lead.company_id,
        source_channel=lead.source_channel,
        owner_team_id=owner_team_id,
        leader_id=leader_id,
        service_officer_id=service_officer_id,
        office_id=lead.office_id,
        industry=lead.industry,
        park_area=park_area,
        planned_investment=lead.estimated_investment if lead.estimated_currency == "CNY" else None,
        land_need_mu=lead.land_need_mu,
        stage=Stage.SCREENING,
        stage_since=w.now,
    )
    w.insert(project)
    w.insert(ServicePlan(project_id=project.id))
    w.insert(
        StageEvent(
            project_id=project.id,
            kind=EventKind.STAGE,
            from_value=None,
            to_value=Stage.SCREENING,
            at=w.now,
            by=w.actor_id,
            note="",
        )
    )
    w.update(lead, status=LeadStatus.CONVERTED, project_id=project.id)
    return project


# --- projects -------------------------------------------------------------------------------------------------


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


def update_project(w: Writer, project: Project, **changes: Any) -> dict[str, Any]:
    """Edit a project's own fields (not stage or status), validated: amounts ≥ 0, a credit code that checks."""
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


def move_stage(w: Writer, project: Project, to_stage: Stage | str, *, note: str = "") -> StageEvent:
    """Advance (or, with a reason, move back) a project; writes the stage event. Refusals name what is missing."""
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
    project: Project,
    status: ProjectStatus | str,
    *,
    reason: str = "",
    on: date | None = None,
    lost_to: str = "",
) -> StageEvent:
    """Change the status (延期 / 流失 / 终止 need a reason and a date); writes a status event."""
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


# --- timeline entries -------------------------------------------------------------------------------------


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
    _require(bool(project_id or lead_id), "action.visit_needs_subject", "project_id")
    _require(bool(summary.strip() or next_step.strip()), "action.visit_needs_summary", "summary")
    when = occurred_at or w.now
    _require(
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
    _require(bool(project_id or lead_id), "action.visit_needs_subject", "project_id")
    _require(bool(title.strip()), "action.follow_up_needs_title", "title")
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
    _require(not follow_up.done, "action.follow_up_done", "done")
    _require(bool(outcome.strip()), "action.follow_up_needs_outcome", "outcome")
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
    _require(bool(project_id or lead_id), "action.visit_needs_subject", "project_id")
    _require(bool(body.strip()), "action.note_needs_body", "body")
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


# --- service plan, milestones, capital ------------------------------------------------------------------------


def service_plan_for(w: Writer, project: Project) -> ServicePlan:
    """The project's one service plan (一套方案), created on first use."""
    plan = w.session.exec(select(ServicePlan).where(ServicePlan.project_id == project.id)).first()
    if plan is None:
        plan = w.insert(ServicePlan(project_id=project.id))  # type: ignore[assignment]
    return plan  # type: ignore[return-value]


def add_service_item(
    w: Writer,
    project: Project,
    *,
    title: str,
    kind: ServiceKind | str = ServiceKind.OTHER,
    permit_type: PermitType | str | None = None,
    responsible: str = "",
    responsible_officer_id: str | None = None,
    due_on: date | None = None,
) -> ServiceItem:
    kind = ServiceKind(kind)
    if permit_type is not None:
        kind = ServiceKind.PERMIT
    _require(bool(title.strip()) or permit_type is not None, "action.service_item_needs_title", "title")
    plan = service_plan_for(w, project)
    item = ServiceItem(
        plan_id=plan.id,
        project_id=project.id,
        kind=kind,
        permit_type=PermitType(permit_type) if permit_type else None,
        title=title.strip() or PermitType(permit_type).label("zh"),  # type: ignore[arg-type]
        responsible=responsible.strip(),
        responsible_officer_id=responsible_officer_id,
        due_on=due_on,
    )
    w.insert(item)
    return item


def set_service_item_state(
    w: Writer, item: ServiceItem, state: ServiceState | str, *, note: str = ""
) -> ServiceItem:
    state = ServiceState(state)
    changes: dict[str, Any] = {
        "state": state,
        "done_on": w.now.date() if state == ServiceState.DONE else None,
    }
    if note.strip():
        changes["note"] = note.strip()
    w.update(item, **changes)
    return item


def set_milestone(
    w: Writer,
    project: Project,
    kind: MilestoneKind | str,
    *,
    promised_on: date | None = None,
    actual_on: date | None = None,
    note: str = "",
) -> Milestone:
    """Record a promised (承诺) or actual (实际) date for one milestone of the contract (履约)."""
    kind = MilestoneKind(kind)
    existing = w.session.exec(
        select(Milestone).where(
            Milestone.project_id == project.id, Milestone.kind == kind, Milestone.deleted.is_(False)
        )
    ).first()
    if existing is None:
        return w.insert(
            Milestone(
                project_id=project.id, kind=kind, promised_on=promised_on, actual_on=actual_on, note=note
            )
        )  # type: ignore[return-value]
    changes: dict[str, Any] = {}
    if promised_on is not None:
        changes["promised_on"] = promised_on
    if actual_on is not None:
        changes["actual_on"] = actual_on
    if note:
        changes["note"] = note
    w.update(existing, **changes)
    return existing


def add_capital_receipt(
    w: Writer,
    project: Project,
    *,
    received_on: date,
    amount: Decimal,
    currency: str,
    rate_to_usd: Decimal,
    note: str = "",
) -> CapitalReceipt:
    """到位外资: one receipt with the rate used; the USD amount is computed once and stored, so totals reproduce."""
    _require(amount > 0, "action.receipt_amount_positive", "amount")
    _require(rate_to_usd > 0, "action.rate_positive", "rate_to_usd")
    currency = currency.upper()
    rate = Decimal(1) if currency == "USD" else rate_to_usd
    amount_usd = to_usd(Money(amount, currency), rate).amount  # half-up to the cent, as every report sums it
    receipt = CapitalReceipt(
        project_id=project.id,
        received_on=received_on,
        amount=amount,
        currency=currency,
        rate_to_usd=rate,
        amount_usd=amount_usd,
        note=note,
    )
    w.insert(receipt)
    return receipt
