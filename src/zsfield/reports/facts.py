"""One read of what the reports count: projects with their team, people and dates; teams; receipts; leads.

The rows are plain frozen dataclasses (safe to hand between threads). Amounts are ``Decimal``; SQLite never
adds them up (it would sum text amounts as floats).

Counting rules that every report shares (documented once, here):

- **Signed (签约)**: a project counts once, on its *first* signing date — the earlier of
  ``intent_signed_on`` and ``contract_signed_on`` — in the highest band its total investment reaches
  (:attr:`ProjectFacts.band`, derived from the CNY total, else the planned total). Intent and contract
  signings are also counted separately where a table says so.
- **Started (开工)**: ``construction_start_on`` in the period. **In production (投产)**:
  ``production_start_on`` in the period.
- **Contracted foreign capital (合同外资)**: counted on ``contract_signed_on``, in USD at the project's
  recorded rate (``foreign_capital_rate_usd``; 1 for USD), rounded half-up to cents. An amount in another
  currency without a rate cannot be converted: it is left out of USD totals and listed as such.
- **Received foreign capital (到位外资)**: each receipt on its ``received_on``, at its own stored
  ``amount_usd``.
- **Real estate (房地产)** is left out of targets and ranking (flag ``is_real_estate``), but still appears in
  the monthly statistics, marked.
- Deleted (tombstoned) records never count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import text

from zsfield.domain.enums import ProjectStatus, Stage
from zsfield.domain.money import Money, to_usd
from zsfield.store.db import Store
from zsfield.store.read.common import as_date, as_dec, as_dt


@dataclass(frozen=True)
class ProjectFacts:
    """A project as the reports see it."""

    id: str
    name: str
    company: str
    company_id: str | None
    lead_id: str | None
    team_id: str | None
    team: str
    department: str
    leader_id: str | None
    leader: str
    service_officer_id: str | None
    service_officer: str
    co_introducer_id: str | None
    co_team_id: str | None
    office_id: str | None
    office: str
    stage: Stage
    status: ProjectStatus
    status_on: date | None
    industry: str
    park_area: str
    is_real_estate: bool
    investment_cny: Decimal | None
    band: str | None
    fixed_asset_investment: Decimal | None
    land_need_mu: Decimal | None
    land_area_mu: Decimal | None
    no_new_land: bool
    intent_signed_on: date | None
    contract_signed_on: date | None
    construction_start_on: date | None
    completion_on: date | None
    production_start_on: date | None
    fc_contracted: Decimal | None
    fc_currency: str
    fc_rate_usd: Decimal | None
    stale_reason: str
    created_at: datetime | None
    stage_since: datetime | None
    last_entry_at: datetime | None

    @property
    def first_signed_on(self) -> date | None:
        """The first signing date (intent or contract, whichever came first): the date it counts as signed."""
        dates = [d for d in (self.intent_signed_on, self.contract_signed_on) if d is not None]
        return min(dates) if dates else None

    @property
    def fc_contracted_usd(self) -> Decimal | None:
        """合同外资 in USD at the recorded rate (None when there is none, or no rate for a foreign currency)."""
        if not self.fc_contracted:
            return None
        currency = (self.fc_currency or "USD").upper()
        if currency == "USD":
            return self.fc_contracted
        if self.fc_rate_usd is None or self.fc_rate_usd <= 0:
            return None
        return to_usd(Money(self.fc_contracted, currency), self.fc_rate_usd).amount

    @property
    def fc_rate_used(self) -> Decimal | None:
        if (self.fc_currency or "USD").upper() == "USD":
            return Decimal(1)
        return self.fc_rate_usd

    @property
    def land_mu(self) -> Decimal | None:
        """需用土地: the approved area when known, else the stated need."""
        return self.land_area_mu if self.land_area_mu is not None else self.land_need_mu

    @property
    def counts_for_targets(self) -> bool:
        return not self.is_real_estate


_PROJECTS_SQL = """
SELECT p.id, p.name, COALESCE(c.name, ''), p.company_id, p.lead_id, p.owner_team_id, COALESCE(t.name, ''),
       COALESCE(t.department, ''), p.leader_id, COALESCE(l.name, ''), p.service_officer_id, COALESCE(s.name, ''),
       p.co_introducer_id, ci.team_id, p.office_id, COALESCE(o.name, ''), p.stage, p.status, p.status_on,
       p.industry, p.park_area, p.is_real_estate, p.total_investment_cny, p.band, p.fixed_asset_investment,
       p.land_need_mu, p.land_area_mu, p.no_new_land, p.intent_signed_on, p.contract_signed_on,
       p.construction_start_on, p.completion_on, p.production_start_on, p.foreign_capital_contracted,
       p.foreign_capital_currency, p.foreign_capital_rate_usd, p.stale_reason, p.created_at, p.stage_since,
       p.last_entry_at
FROM project p
LEFT JOIN company c ON c.id = p.company_id
LEFT JOIN team t ON t.id = p.owner_team_id
LEFT JOIN officer l ON l.id = p.leader_id
LEFT JOIN officer s ON s.id = p.service_officer_id
LEFT JOIN officer ci ON ci.id = p.co_introducer_id
LEFT JOIN office o ON o.id = p.office_id
WHERE p.deleted = 0
ORDER BY p.name, p.id
"""


def load_projects(store: Store) -> list[ProjectFacts]:
    """Every live project, ordered by name then id (so every table built from it is in a stable order)."""
    out: list[ProjectFacts] = []
    with store.engine.connect() as conn:
        for r in conn.execute(text(_PROJECTS_SQL)):
            out.append(
                ProjectFacts(
                    id=r[0],
                    name=r[1],
                    company=r[2],
                    company_id=r[3],
                    lead_id=r[4],
                    team_id=r[5],
                    team=r[6],
                    department=r[7],
                    leader_id=r[8],
                    leader=r[9],
                    service_officer_id=r[10],
                    service_officer=r[11],
                    co_introducer_id=r[12],
                    co_team_id=r[13],
                    office_id=r[14],
                    office=r[15],
                    stage=Stage(r[16]),
                    status=ProjectStatus(r[17]),
                    status_on=as_date(r[18]),
                    industry=r[19] or "",
                    park_area=r[20] or "",
                    is_real_estate=bool(r[21]),
                    investment_cny=as_dec(r[22]),
                    band=r[23],
                    fixed_asset_investment=as_dec(r[24]),
                    land_need_mu=as_dec(r[25]),
                    land_area_mu=as_dec(r[26]),
                    no_new_land=bool(r[27]),
                    intent_signed_on=as_date(r[28]),
                    contract_signed_on=as_date(r[29]),
                    construction_start_on=as_date(r[30]),
                    completion_on=as_date(r[31]),
                    production_start_on=as_date(r[32]),
                    fc_contracted=as_dec(r[33]),
                    fc_currency=r[34] or "USD",
                    fc_rate_usd=as_dec(r[35]),
                    stale_reason=r[36] or "",
                    created_at=as_dt(r[37]),
                    stage_since=as_dt(r[38]),
                    last_entry_at=as_dt(r[39]),
                )
            )
    return out


@dataclass(frozen=True)
class TeamFacts:
    id: str
    name: str
    department: str
    office: str


def load_teams(store: Store) -> list[TeamFacts]:
    """Every live team, by name then id."""
    sql = (
        "SELECT t.id, t.name, t.department, COALESCE(o.name, '') FROM team t "
        "LEFT JOIN office o ON o.id = t.office_id WHERE t.deleted = 0 ORDER BY t.name, t.id"
    )
    with store.engine.connect() as conn:
        return [TeamFacts(r[0], r[1], r[2] or "", r[3]) for r in conn.execute(text(sql))]


@dataclass(frozen=True)
class ReceiptFacts:
    """到位外资: one receipt with the rate used and its stored USD amount."""

    id: str
    project_id: str
    received_on: date
    amount: Decimal
    currency: str
    rate_to_usd: Decimal
    amount_usd: Decimal


def load_receipts(store: Store, start: date, end: date) -> list[ReceiptFacts]:
    """Receipts with ``start <= received_on <= end``, by date then id."""
    sql = (
        "SELECT id, project_id, received_on, amount, currency, rate_to_usd, amount_usd FROM capital_receipt "
        "WHERE deleted = 0 AND received_on >= :a AND received_on <= :b ORDER BY received_on, id"
    )
    with store.engine.connect() as conn:
        return [
            ReceiptFacts(
                r[0], r[1], date.fromisoformat(r[2]), Decimal(r[3]), r[4], Decimal(r[5]), Decimal(r[6])
            )
            for r in conn.execute(text(sql), {"a": start.isoformat(), "b": end.isoformat()})
        ]


@dataclass(frozen=True)
class LeadFacts:
    id: str
    title: str
    company: str
    source_channel: str
    received_on: date | None
    status: str
    verdict: str | None
    estimated_investment: Decimal | None
    estimated_currency: str
    industry: str
    land_need_mu: Decimal | None
    team: str
    project_id: str | None
    contact_id: str | None


def load_leads(store: Store, start: date | None = None, end: date | None = None) -> list[LeadFacts]:
    """Leads (received in ``start`` … ``end`` when given), by received date, title, id."""
    where = "l.deleted = 0"
    params: dict[str, str] = {}
    if start is not None:
        where += " AND l.received_on >= :a"
        params["a"] = start.isoformat()
    if end is not None:
        where += " AND l.received_on <= :b"
        params["b"] = end.isoformat()
    sql = (
        "SELECT l.id, l.title, l.company_name, l.source_channel, l.received_on, l.status, l.verdict, "
        "l.estimated_investment, l.estimated_currency, l.industry, l.land_need_mu, COALESCE(t.name, ''), "
        f"l.project_id, l.contact_id FROM lead l LEFT JOIN team t ON t.id = l.team_id WHERE {where} "
        "ORDER BY l.received_on, l.title, l.id"
    )
    with store.engine.connect() as conn:
        return [
            LeadFacts(
                r[0], r[1], r[2] or "", r[3], as_date(r[4]), r[5], r[6], as_dec(r[7]), r[8] or "CNY", r[9] or "",
                as_dec(r[10]), r[11], r[12], r[13],
            )
            for r in conn.execute(text(sql), params)
        ]  # fmt: skip


# --- state of a project at a past moment --------------------------------------------------------------------


@dataclass(frozen=True)
class StateAt:
    """A project's stage and status at a moment, rebuilt from its append-only stage events."""

    stage: Stage | None  # None: the project did not exist yet
    status: ProjectStatus


def states_at(store: Store, projects: list[ProjectFacts], moment: datetime) -> dict[str, StateAt]:
    """Stage and status of each project at ``moment`` (UTC), from the stage events up to it.

    With events: the stage is the ``to_value`` of the last stage event at or before ``moment`` (none yet: the
    project did not exist). Without any stage event (a record written directly) the current stage counts
    if the project was created by then. Status likewise from status events (no event: the current status
    if none were recorded after ``moment``, else the ``from_value`` of the first later one).
    """
    from zsfield.domain.types import UTCDateTime

    cut = UTCDateTime().process_bind_param(moment, None)
    events: dict[str, list[tuple[str, str, str | None, str]]] = {}
    with store.engine.connect() as conn:
        for pid, kind, from_value, to_value, at in conn.execute(
            text(
                "SELECT project_id, kind, from_value, to_value, at FROM stage_event WHERE deleted = 0 "
                "ORDER BY project_id, at, id"
            )
        ):
            events.setdefault(pid, []).append((kind, at, from_value, to_value))
    out: dict[str, StateAt] = {}
    for p in projects:
        evs = events.get(p.id, [])
        stage_evs = [e for e in evs if e[0] == "stage"]
        status_evs = [e for e in evs if e[0] == "status"]
        stage: Stage | None
        if stage_evs:
            before = [e for e in stage_evs if e[1] <= cut]
            stage = Stage(before[-1][3]) if before else None
        else:
            created = p.created_at
            stage = p.stage if created is None or created <= moment else None
        before_s = [e for e in status_evs if e[1] <= cut]
        if before_s:
            status = ProjectStatus(before_s[-1][3])
        elif status_evs:
            status = ProjectStatus(status_evs[0][2] or ProjectStatus.ACTIVE)
        else:
            status = p.status
        out[p.id] = StateAt(stage, status)
    return out
