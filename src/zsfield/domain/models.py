"""The tables of zsfield (SQLModel). No Textual here.

Every synced record shares :class:`Record`: a client-generated UUID, the server ``version`` it was last
seen at (the base version of the next edit), UTC timestamps, a tombstone flag and its author. The
registry :data:`ENTITIES` maps the wire name of each entity to its table; :data:`APPEND_ONLY` names the
timeline entries that merge as a union (DESIGN: sync protocol).

Amounts are exact ``Decimal`` stored as text; every amount has a currency column beside it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import JSON, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from zsfield.domain.enums import (
    EventKind,
    Grade,
    LeadStatus,
    MilestoneKind,
    NoteKind,
    PermitType,
    ProjectStatus,
    Role,
    ServiceKind,
    ServiceState,
    SourceChannel,
    Stage,
    TargetOwnerKind,
    TeamKind,
    Verdict,
    VisitKind,
)
from zsfield.domain.types import DecimalText, EnumText, ISODate, UTCDateTime, new_id, utcnow


def _money(**kw: Any) -> Any:
    return Field(default=None, sa_type=DecimalText, **kw)


def _date(**kw: Any) -> Any:
    return Field(default=None, sa_type=ISODate, **kw)


class Record(SQLModel):
    """Columns every synced record carries."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    version: int = Field(default=0, description="server version this copy reflects (0: never synced)")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted: bool = Field(default=False, description="tombstone: deletes are never physical")
    created_by: str | None = Field(default=None, max_length=36)

    # Columns kept on this machine only, never sent on the wire (derived or sync metadata).
    __local_fields__: ClassVar[frozenset[str]] = frozenset({"version"})
    # The wire name of the entity ("project", "visit", …).
    __entity__: ClassVar[str] = ""


# --- organisation ------------------------------------------------------------------------------------


class Office(Record, table=True):
    """驻点 — a stationed office with its IANA time zone."""

    __tablename__ = "office"
    __entity__ = "office"
    name: str = Field(max_length=80)
    name_en: str = Field(default="", max_length=80)
    city: str = Field(default="", max_length=80)
    country: str = Field(default="CN", max_length=2)
    tz: str = Field(default="Asia/Shanghai", max_length=64)


class Team(Record, table=True):
    """项目部 / 招商攻坚队 / 驻点招商组 — the owning team of projects."""

    __tablename__ = "team"
    __entity__ = "team"
    name: str = Field(max_length=80)
    kind: TeamKind = Field(sa_type=EnumText(TeamKind), default=TeamKind.PROJECT_DEPT)
    office_id: str | None = Field(default=None, max_length=36, index=True)
    leader_id: str | None = Field(default=None, max_length=36)
    department: str = Field(default="", max_length=80, description="the department targets are set for")


class Officer(Record, table=True):
    """招商专员, 领导, 招商局 — a person who uses zsfield."""

    __tablename__ = "officer"
    __entity__ = "officer"
    name: str = Field(max_length=80)
    name_en: str = Field(default="", max_length=80)
    role: Role = Field(sa_type=EnumText(Role), default=Role.OFFICER)
    grade: Grade | None = Field(sa_type=EnumText(Grade), default=None)
    team_id: str | None = Field(default=None, max_length=36, index=True)
    office_id: str | None = Field(default=None, max_length=36)
    email: str = Field(default="", max_length=120)
    phone: str = Field(default="", max_length=40)
    active: bool = Field(default=True)


# --- investors -----------------------------------------------------------------------------------------


class Company(Record, table=True):
    """客商 / 投资方 — the zone-wide company index, shared by all teams for the duplicate check."""

    __tablename__ = "company"
    __entity__ = "company"
    name: str = Field(max_length=200, index=True, description="legal name as registered")
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    credit_code: str | None = Field(default=None, max_length=18, index=True)
    country: str = Field(default="CN", max_length=2)
    industry: str = Field(default="", max_length=60)
    existing_investor: bool = Field(default=False, description="已在区内投资的存量企业")
    website: str = Field(default="", max_length=200)
    note: str = Field(default="")

    @property
    def all_names(self) -> list[str]:
        return [self.name, *self.aliases]


class Contact(Record, table=True):
    """联系人 of a company, optionally tied to a lead or project."""

    __tablename__ = "contact"
    __entity__ = "contact"
    company_id: str | None = Field(default=None, max_length=36, index=True)
    project_id: str | None = Field(default=None, max_length=36, index=True)
    lead_id: str | None = Field(default=None, max_length=36, index=True)
    team_id: str | None = Field(default=None, max_length=36)
    name: str = Field(max_length=80)
    title: str = Field(default="", max_length=80)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=120)
    wechat: str = Field(default="", max_length=60)
    note: str = Field(default="")


# --- leads and projects ---------------------------------------------------------------------------------


class Lead(Record, table=True):
    """线索 / 招商信息 — captured with its channel, screened (研判), converted into a project."""

    __tablename__ = "lead"
    __entity__ = "lead"
    __table_args__ = (Index("ix_lead_status_received", "status", "received_on"),)
    title: str = Field(max_length=200)
    company_id: str | None = Field(default=None, max_length=36, index=True)
    company_name: str = Field(default="", max_length=200, description="as the officer typed it")
    source_channel: SourceChannel = Field(sa_type=EnumText(SourceChannel), default=SourceChannel.OTHER)
    source_detail: str = Field(default="", max_length=200, description="who referred it, which fair, …")
    estimated_investment: Decimal | None = _money()
    estimated_currency: str = Field(default="CNY", max_length=3)
    land_need_mu: Decimal | None = _money()
    industry: str = Field(default="", max_length=60)
    office_id: str | None = Field(default=None, max_length=36)
    team_id: str | None = Field(default=None, max_length=36, index=True)
    received_by: str | None = Field(default=None, max_length=36, description="首次接待 — first contact")
    received_on: date | None = _date()
    status: LeadStatus = Field(sa_type=EnumText(LeadStatus), default=LeadStatus.NEW)
    verdict: Verdict | None = Field(sa_type=EnumText(Verdict), default=None)
    verdict_reason: str = Field(default="")
    verdict_by: str | None = Field(default=None, max_length=36)
    verdict_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    duplicate_of: str | None = Field(default=None, max_length=36, description="the lead this one repeats")
    project_id: str | None = Field(default=None, max_length=36)
    contact_id: str | None = Field(default=None, max_length=36)
    note: str = Field(default="")
    last_entry_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)

    __local_fields__ = frozenset({"version", "last_entry_at"})


class Project(Record, table=True):
    """项目 — one owning team, one leader (包保领导), one service officer, followed to output."""

    __tablename__ = "project"
    __entity__ = "project"
    __table_args__ = (
        Index("ix_project_stage_status", "stage", "status"),
        Index("ix_project_team_stage", "owner_team_id", "stage"),
        Index("ix_project_updated", "updated_at", "id"),  # the project list's default order (migration 0002)
        # 管线 (pipeline) sums read from the index alone (migration 0003)
        Index("ix_project_pipeline", "stage", "deleted", "total_investment_cny"),
    )
    name: str = Field(max_length=200, index=True)
    lead_id: str | None = Field(default=None, max_length=36)
    company_id: str | None = Field(default=None, max_length=36, index=True)
    source_channel: SourceChannel | None = Field(sa_type=EnumText(SourceChannel), default=None)
    owner_team_id: str | None = Field(default=None, max_length=36, index=True)
    leader_id: str | None = Field(default=None, max_length=36, index=True)
    service_officer_id: str | None = Field(default=None, max_length=36, index=True)
    co_introducer_id: str | None = Field(
        default=None, max_length=36, description="a second officer who introduced it (赛马 credit split)"
    )
    office_id: str | None = Field(default=None, max_length=36)
    stage: Stage = Field(sa_type=EnumText(Stage), default=Stage.SCREENING)
    stage_since: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status: ProjectStatus = Field(sa_type=EnumText(ProjectStatus), default=ProjectStatus.ACTIVE)
    status_reason: str = Field(default="")
    status_on: date | None = _date()
    lost_to: str = Field(default="", max_length=80, description="流失 — to which region")
    park_area: str = Field(default="", max_length=40, description="片区")
    industry: str = Field(default="", max_length=60, index=True)
    is_real_estate: bool = Field(default=False, description="房地产: left out of targets")
    # 洽谈
    policy_asks: str = Field(default="", description="政策诉求")
    open_questions: str = Field(default="")
    # 签约 (intent and contract)
    intent_signed_on: date | None = _date()
    planned_investment: Decimal | None = _money(description="意向 planned total investment")
    contract_signed_on: date | None = _date()
    total_investment: Decimal | None = _money()
    total_investment_currency: str = Field(default="CNY", max_length=3)
    total_investment_rate: Decimal | None = _money(description="rate to CNY used, 1 for CNY")
    total_investment_cny: Decimal | None = _money(description="derived: total (or planned) in CNY")
    band: str | None = Field(default=None, max_length=8, index=True, description="derived from CNY total")
    fixed_asset_investment: Decimal | None = _money(description="固定资产投资 (CNY)")
    registered_capital: Decimal | None = _money()
    registered_capital_currency: str = Field(default="CNY", max_length=3)
    foreign_capital_contracted: Decimal | None = _money(description="合同外资")
    foreign_capital_currency: str = Field(default="USD", max_length=3)
    foreign_capital_rate_usd: Decimal | None = _money(description="rate to USD used")
    land_need_mu: Decimal | None = _money()
    committed_output: Decimal | None = _money(description="承诺年产值 (CNY)")
    committed_tax: Decimal | None = _money(description="承诺年税收 (CNY)")
    committed_jobs: int | None = Field(default=None)
    # 注册
    registered_entity: str = Field(default="", max_length=200)
    credit_code: str | None = Field(default=None, max_length=18)
    registered_on: date | None = _date()
    # 土地
    land_parcel: str = Field(default="", max_length=80)
    land_area_mu: Decimal | None = _money()
    no_new_land: bool = Field(default=False, description="租赁厂房 etc.: no new land needed")
    land_approval_doc: str = Field(default="", max_length=120)
    land_approved_on: date | None = _date()
    # 开工 / 调试 / 投产 / 达效
    construction_start_on: date | None = _date()
    construction_progress: str = Field(default="")
    equipment_readiness: str = Field(default="")
    completion_on: date | None = _date()
    production_start_on: date | None = _date()
    capacity: str = Field(default="", max_length=200)
    actual_output: Decimal | None = _money()
    actual_tax: Decimal | None = _money()
    actual_jobs: int | None = Field(default=None)
    # 久未跟进
    stale_reason: str = Field(default="")
    last_entry_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)

    __local_fields__ = frozenset({"version", "last_entry_at"})


class StageEvent(Record, table=True):
    """阶段变更 — append-only: who moved the project, when, from and to, and why."""

    __tablename__ = "stage_event"
    __entity__ = "stage_event"
    project_id: str = Field(max_length=36, index=True)
    kind: EventKind = Field(sa_type=EnumText(EventKind), default=EventKind.STAGE)
    from_value: str | None = Field(default=None, max_length=20)
    to_value: str = Field(max_length=20)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    by: str | None = Field(default=None, max_length=36)
    note: str = Field(default="")
    backwards: bool = Field(default=False)


class ServicePlan(Record, table=True):
    """一套方案 — exactly one per project."""

    __tablename__ = "service_plan"
    __entity__ = "service_plan"
    __table_args__ = (UniqueConstraint("project_id", name="uq_service_plan_project"),)
    project_id: str = Field(max_length=36)
    summary: str = Field(default="")


class ServiceItem(Record, table=True):
    """An item of the service plan: land, permits, housing, … with who answers for it and by when."""

    __tablename__ = "service_item"
    __entity__ = "service_item"
    __table_args__ = (Index("ix_service_item_due", "state", "due_on"),)
    plan_id: str = Field(max_length=36)
    project_id: str = Field(max_length=36, index=True)
    kind: ServiceKind = Field(sa_type=EnumText(ServiceKind), default=ServiceKind.OTHER)
    permit_type: PermitType | None = Field(sa_type=EnumText(PermitType), default=None)
    title: str = Field(max_length=200)
    responsible: str = Field(default="", max_length=120, description="person or department")
    responsible_officer_id: str | None = Field(default=None, max_length=36)
    due_on: date | None = _date()
    state: ServiceState = Field(sa_type=EnumText(ServiceState), default=ServiceState.OPEN)
    done_on: date | None = _date()
    note: str = Field(default="")


class Visit(Record, table=True):
    """拜访 / 接待 / 考察 / 会议 / 电话 / 视频 — a timeline entry (append-only)."""

    __tablename__ = "visit"
    __entity__ = "visit"
    project_id: str | None = Field(default=None, max_length=36, index=True)
    lead_id: str | None = Field(default=None, max_length=36, index=True)
    officer_id: str | None = Field(default=None, max_length=36)
    kind: VisitKind = Field(sa_type=EnumText(VisitKind), default=VisitKind.VISIT)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    place: str = Field(default="", max_length=200)
    people: str = Field(default="", description="参加人员")
    summary: str = Field(default="", description="纪要")
    difficulties: str = Field(default="", description="困难问题")
    policy_asks: str = Field(default="", description="政策诉求")
    next_step: str = Field(default="", description="下一步")
    next_on: date | None = _date()


class FollowUp(Record, table=True):
    """跟进 — due on a date, assigned to an officer, done with an outcome."""

    __tablename__ = "follow_up"
    __entity__ = "follow_up"
    __table_args__ = (Index("ix_follow_up_due", "done", "assignee_id", "due_on"),)
    project_id: str | None = Field(default=None, max_length=36, index=True)
    lead_id: str | None = Field(default=None, max_length=36, index=True)
    visit_id: str | None = Field(default=None, max_length=36)
    assignee_id: str | None = Field(default=None, max_length=36)
    title: str = Field(max_length=200)
    due_on: date = Field(sa_type=ISODate)
    done: bool = Field(default=False)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str = Field(default="")


class Milestone(Record, table=True):
    """履约 — a promised date against the actual one."""

    __tablename__ = "milestone"
    __entity__ = "milestone"
    __table_args__ = (Index("ix_milestone_open", "actual_on", "promised_on"),)
    project_id: str = Field(max_length=36, index=True)
    kind: MilestoneKind = Field(sa_type=EnumText(MilestoneKind))
    promised_on: date | None = _date()
    actual_on: date | None = _date()
    note: str = Field(default="")


class CapitalReceipt(Record, table=True):
    """到位外资 — one receipt of foreign capital with the rate used, so USD totals reproduce exactly."""

    __tablename__ = "capital_receipt"
    __entity__ = "capital_receipt"
    project_id: str = Field(max_length=36, index=True)
    received_on: date = Field(sa_type=ISODate)
    amount: Decimal = Field(sa_type=DecimalText)
    currency: str = Field(default="USD", max_length=3)
    rate_to_usd: Decimal = Field(sa_type=DecimalText)
    amount_usd: Decimal = Field(sa_type=DecimalText)
    note: str = Field(default="")


class Target(Record, table=True):
    """任务分解表 — a year's count of projects per band for a leader, department or team."""

    __tablename__ = "target"
    __entity__ = "target"
    __table_args__ = (Index("ix_target_year_owner", "year", "owner_kind", "owner_id"),)
    year: int
    owner_kind: TargetOwnerKind = Field(sa_type=EnumText(TargetOwnerKind))
    owner_id: str = Field(max_length=80, description="officer id, department name or team id")
    owner_name: str = Field(default="", max_length=80)
    band: str = Field(max_length=8)
    count: int = Field(default=0)


class Note(Record, table=True):
    """备注, 督办意见, a request for a reason, or the owner's stated reason — a timeline entry."""

    __tablename__ = "note"
    __entity__ = "note"
    project_id: str | None = Field(default=None, max_length=36, index=True)
    lead_id: str | None = Field(default=None, max_length=36, index=True)
    kind: NoteKind = Field(sa_type=EnumText(NoteKind), default=NoteKind.NOTE)
    body: str = Field(default="")
    author_id: str | None = Field(default=None, max_length=36)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- sync bookkeeping (local only, never synced) ---------------------------------------------------------


class OutboxOp(SQLModel, table=True):
    """An edit waiting to be pushed, appended in the same transaction as the edit itself."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_entity_id", "entity_id"),  # fields still waiting, by record (0004)
        Index("ix_outbox_wire_seq", "wire_seq", unique=True),  # the send order and the trim key (0005)
    )
    client_seq: int | None = Field(
        default=None,
        sa_column=Column(Integer, primary_key=True, autoincrement=True),
        description="the local row id (SQLite may reuse it once the table is empty): never sent",
    )
    wire_seq: int = Field(
        sa_column=Column(Integer, nullable=False),
        description="the op's sequence number on the wire (PushRequest client_seq), given once when the op is "
        "written, from a counter that never goes back (sync_state 'wire_seq'; zsfield.store.writer.append_ops)",
    )
    base_epoch: str | None = Field(
        default=None,
        max_length=64,
        description="the server epoch base_version was read in, set when the server's epoch changes",
    )
    op_id: str = Field(default_factory=new_id, max_length=36)
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=36)
    op: str = Field(max_length=8, description="insert | update | delete")
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    base_version: int = Field(default=0)
    schema_version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SentOp(SQLModel, table=True):
    """An op the server acknowledged (applied, possibly with conflicts), kept for the retention window
    (``Settings.sync_retention_days``) with the ``server_seq`` the reply gave it: after a server restore the
    laptop sends again those the restored server no longer has. Moved here from the outbox in the transaction
    that stores the reply."""

    __tablename__ = "sent_op"
    __table_args__ = (Index("ix_sent_op_acked_at", "acked_at"),)
    op_id: str = Field(primary_key=True, max_length=36)
    client_id: str = Field(max_length=36, description="the client id it was acknowledged under")
    wire_seq: int = Field(description="its number under that client id")
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=36)
    op: str = Field(max_length=8)
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    base_version: int = Field(default=0)
    base_epoch: str | None = Field(default=None, max_length=64)
    schema_version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    server_seq: int | None = Field(default=None, description="from the reply; None: it changed nothing")
    epoch: str = Field(default="", max_length=64, description="the server epoch it was acknowledged in")
    acked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SyncState(SQLModel, table=True):
    """Key-value state of this laptop: client id, officer, server, cursor, epoch, last result."""

    __tablename__ = "sync_state"
    key: str = Field(primary_key=True, max_length=40)
    value: str = Field(default="")


class Conflict(SQLModel, table=True):
    """A field edited here and on the server since the edit's base version: a person decides."""

    __tablename__ = "conflict"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=36, index=True)
    field: str = Field(max_length=60, description="the field, or '*' for an edit that met a delete")
    mine: Any = Field(default=None, sa_column=Column(JSON))
    theirs: Any = Field(default=None, sa_column=Column(JSON))
    base_version: int = Field(default=0)
    server_version: int = Field(default=0)
    client_seq: int | None = Field(default=None)
    server_seq: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    resolved: bool = Field(default=False, index=True)
    resolution: str | None = Field(default=None, max_length=16, description="mine | theirs | edited")
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Rejection(SQLModel, table=True):
    """An op the server refused for good (not authorised, invalid): visible, never blocks the queue."""

    __tablename__ = "rejection"
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    client_seq: int
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=36)
    op: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    code: str = Field(max_length=40)
    message: str = Field(default="")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    dismissed: bool = Field(default=False)


class MovedChange(SQLModel, table=True):
    """An unsent change (an outbox op) about a record that moved to another team and left this laptop: the op
    stays in the outbox and is sent; the officer sees the list (migration 0005)."""

    __tablename__ = "moved_change"
    op_id: str = Field(primary_key=True, max_length=36, description="the outbox op")
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=36)
    label: str = Field(default="", description="the project (or lead, contact) it concerns, by name")
    pulled_to: int = Field(
        default=0, description="the cursor before the pull that removed it: the op's knowledge"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- registry --------------------------------------------------------------------------------------------

RECORD_TYPES: tuple[type[Record], ...] = (
    Office,
    Team,
    Officer,
    Company,
    Contact,
    Lead,
    Project,
    StageEvent,
    ServicePlan,
    ServiceItem,
    Visit,
    FollowUp,
    Milestone,
    CapitalReceipt,
    Target,
    Note,
)
ENTITIES: dict[str, type[Record]] = {cls.__entity__: cls for cls in RECORD_TYPES}
"""Wire name → table, for every synced entity."""

APPEND_ONLY: frozenset[str] = frozenset({"stage_event", "visit", "note", "capital_receipt"})
"""Timeline entries whose creation merges as a union; they are never edited after the fact."""

TIMELINE_ENTITIES: frozenset[str] = frozenset({"stage_event", "visit", "follow_up", "service_item", "note"})
"""Entities whose rows are entries in a project's or lead's timeline (they refresh ``last_entry_at``)."""

SHARED_ENTITIES: frozenset[str] = frozenset({"office", "team", "officer", "company"})
"""Readable by every officer: the organisation and the zone-wide company index (for the duplicate check)."""


def wire_fields(cls: type[Record]) -> list[str]:
    """The columns of ``cls`` that travel on the wire."""
    return [c for c in cls.model_fields if c not in cls.__local_fields__]
