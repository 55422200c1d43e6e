"""The service plan (一套方案) and its items, the contract milestones (履约) and capital receipts (到位外资)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import select

from zsfield.domain.enums import (
    MilestoneKind,
    PermitType,
    ServiceKind,
    ServiceState,
)
from zsfield.domain.fields import require
from zsfield.domain.models import (
    CapitalReceipt,
    Milestone,
    Project,
    ServiceItem,
    ServicePlan,
)
from zsfield.domain.money import Money, to_usd
from zsfield.store.actions.records import as_record
from zsfield.store.writer import Writer


def service_plan_for(w: Writer, project: Project) -> ServicePlan:
    """The project's one service plan (一套方案), created on first use."""
    plan = w.session.exec(select(ServicePlan).where(ServicePlan.project_id == project.id)).first()
    if plan is None:
        plan = w.insert(ServicePlan(project_id=project.id))  # type: ignore[assignment]
    return plan  # type: ignore[return-value]


def add_service_item(
    w: Writer,
    project: Project | str,
    *,
    title: str,
    kind: ServiceKind | str = ServiceKind.OTHER,
    permit_type: PermitType | str | None = None,
    responsible: str = "",
    responsible_officer_id: str | None = None,
    due_on: date | None = None,
) -> ServiceItem:
    project = as_record(w, Project, project)
    kind = ServiceKind(kind)
    if permit_type is not None:
        kind = ServiceKind.PERMIT
    require(bool(title.strip()) or permit_type is not None, "action.service_item_needs_title", "title")
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
    w: Writer, item: ServiceItem | str, state: ServiceState | str, *, note: str = ""
) -> ServiceItem:
    item = as_record(w, ServiceItem, item)
    state = ServiceState(state)
    changes: dict[str, Any] = {
        "state": state,
        "done_on": w.now.date() if state == ServiceState.DONE else None,
    }
    if note.strip():
        changes["note"] = note.strip()
    w.update(item, **changes)
    return item


def assign_service_item(
    w: Writer, item: ServiceItem | str, *, responsible: str, due_on: date | None
) -> ServiceItem:
    """Who answers for a service item (责任人) and by when."""
    item = as_record(w, ServiceItem, item)
    w.update(item, responsible=responsible, due_on=due_on)
    return item


def set_milestone(
    w: Writer,
    project: Project | str,
    kind: MilestoneKind | str,
    *,
    promised_on: date | None = None,
    actual_on: date | None = None,
    note: str = "",
) -> Milestone:
    """Record a promised (承诺) or actual (实际) date for one milestone of the contract (履约)."""
    project = as_record(w, Project, project)
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
    project: Project | str,
    *,
    received_on: date,
    amount: Decimal,
    currency: str,
    rate_to_usd: Decimal,
    note: str = "",
) -> CapitalReceipt:
    """到位外资: one receipt with the rate used; the USD amount is computed once and stored, so totals reproduce."""
    project = as_record(w, Project, project)
    require(amount > 0, "action.receipt_amount_positive", "amount")
    require(rate_to_usd > 0, "action.rate_positive", "rate_to_usd")
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
