"""The detail of one record: a lead for the screening screen (研判), a project for its detail screen (stage
history, service plan, milestones, capital, contacts, visits). No Textual here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from zsfield.domain.enums import LeadStatus, Stage
from zsfield.store.db import Store
from zsfield.store.read.common import as_date, as_dec, as_dt


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
        estimated_investment=as_dec(r[7]),
        estimated_currency=r[8] or "CNY",
        land_need_mu=as_dec(r[9]),
        industry=r[10] or "",
        office_id=r[11],
        office=r[12],
        team_id=r[13],
        team=r[14],
        received_by=r[15],
        received_by_name=r[16],
        received_on=as_date(r[17]),
        status=LeadStatus(r[18]),
        verdict=r[19],
        verdict_reason=r[20] or "",
        verdict_by_name=r[21],
        verdict_at=as_dt(r[22]),
        duplicate_of=r[23],
        duplicate_of_title=r[24],
        project_id=r[25],
        project_name=r[26],
        contact_name=r[27],
        contact_phone=r[28],
        contact_title=r[29],
        note=r[30] or "",
    )


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
            last_visit_at=as_dt(v[1]) if v else None,
            last_visit_summary=last_summary,
        )
