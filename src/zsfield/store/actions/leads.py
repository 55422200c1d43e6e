"""Leads: quick capture (线索录入), screening (研判) and conversion into a project (转为项目)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from zsfield.domain.company_match import normalise_company_name
from zsfield.domain.enums import (
    EventKind,
    LeadStatus,
    SourceChannel,
    Stage,
    Verdict,
)
from zsfield.domain.fields import non_negative, require
from zsfield.domain.models import (
    Contact,
    Lead,
    Note,
    Project,
    ServicePlan,
    StageEvent,
)
from zsfield.domain.problems import DomainError
from zsfield.store.actions.companies import ensure_company
from zsfield.store.actions.records import as_record
from zsfield.store.db import Store
from zsfield.store.writer import Writer

if TYPE_CHECKING:
    from zsfield.reports.importer import ImportPlan


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
    require(bool(title), "action.lead_needs_title", "title")
    non_negative(estimated_investment, "estimated_investment")
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
    w: Writer, lead: Lead | str, *, verdict: Verdict | str, reason: str, duplicate_of: str | None = None
) -> Lead:
    """研判: record the verdict and its reason; a duplicate points at the lead it repeats."""
    lead = as_record(w, Lead, lead)
    verdict = Verdict(verdict)
    require(lead.status != LeadStatus.CONVERTED, "action.lead_converted", "verdict")
    require(bool(reason.strip()), "action.verdict_needs_reason", "verdict_reason")
    status = LeadStatus.REJECTED if verdict == Verdict.REJECTED else LeadStatus.SCREENED
    if duplicate_of:
        require(duplicate_of != lead.id, "action.duplicate_of_self", "duplicate_of")
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
    lead: Lead | str,
    *,
    owner_team_id: str,
    leader_id: str,
    service_officer_id: str | None = None,
    name: str | None = None,
    park_area: str = "",
) -> Project:
    """转为项目: a project with one owner team, one leader and one service officer (by default the
    officer who first received the lead — 首次接待即服务专员), its service plan and its first stage event."""
    lead = as_record(w, Lead, lead)
    require(lead.status != LeadStatus.CONVERTED, "action.lead_converted", "lead")
    require(lead.verdict == Verdict.REAL, "action.convert_needs_real", "verdict")
    require(bool(owner_team_id), "action.needs_owner_team", "owner_team_id")
    require(bool(leader_id), "action.needs_leader", "leader_id")
    service_officer_id = service_officer_id or lead.received_by
    require(bool(service_officer_id), "action.needs_service_officer", "service_officer_id")
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


def import_leads(store: Store, plan: ImportPlan, actor_id: str | None) -> list[str]:
    """Write every row of ``plan.to_create`` (:mod:`zsfield.reports.importer`) in one transaction (lead,
    company, contact, note and their outbox ops) through :func:`capture_lead`; all or nothing. Returns the
    new lead ids. A refused row refuses the whole file with the importer's own error (``imp.write_failed``),
    so the CLI reports it like any other import problem.

    Rows of the same new company share the company created for the first of them.
    """
    from zsfield.reports.errors import ReportError

    created: list[str] = []
    new_companies: dict[str, str] = {}
    try:
        with store.write(actor_id) as w:
            for item in plan.to_create:
                values = dict(item.values)
                norm = normalise_company_name(item.company_name)
                company_id = item.company_id or new_companies.get(norm)
                lead = capture_lead(w, company_id=company_id, **values)
                if item.company_id is None and norm not in new_companies and lead.company_id:
                    new_companies[norm] = lead.company_id
                created.append(lead.id)
    except DomainError as exc:
        raise ReportError("imp.write_failed", reason=exc.message()) from exc
    return created
