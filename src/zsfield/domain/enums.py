"""The closed vocabularies of the trade: stages, statuses, channels, kinds (see GLOSSARY.md).

Each enum is a ``StrEnum`` whose value is the stable code stored in the database and sent on the wire;
``label(lang)`` gives the officer-facing name from the catalog (``enum.<Enum>.<value>``).
"""

from __future__ import annotations

from enum import StrEnum

from zsfield.i18n import t


class _Labelled(StrEnum):
    @classmethod
    def catalog_prefix(cls) -> str:
        return f"enum.{cls.__name__}"

    def label(self, lang: str | None = None) -> str:
        return t(f"{self.catalog_prefix()}.{self.value}", lang)


class Stage(_Labelled):
    """项目阶段 — the eleven stages of 一个项目一跟到底, in order."""

    SCREENING = "screening"
    NEGOTIATING = "negotiating"
    INTENT_SIGNED = "intent_signed"
    CONTRACT_SIGNED = "contract_signed"
    REGISTERED = "registered"
    LAND_APPROVED = "land_approved"
    PERMITS = "permits"
    CONSTRUCTION = "construction"
    COMMISSIONING = "commissioning"
    PRODUCTION = "production"
    EFFECTIVE = "effective"

    @property
    def index(self) -> int:
        """1-based position in the flow (研判 = 1 … 投产达效 = 11)."""
        return STAGES.index(self) + 1

    def next(self) -> Stage | None:
        i = STAGES.index(self)
        return STAGES[i + 1] if i + 1 < len(STAGES) else None

    def previous(self) -> Stage | None:
        i = STAGES.index(self)
        return STAGES[i - 1] if i > 0 else None


STAGES: tuple[Stage, ...] = tuple(Stage)


class ProjectStatus(_Labelled):
    """项目状态 — separate from the stage. Delayed, lost and abandoned need a reason and a date."""

    ACTIVE = "active"
    DELAYED = "delayed"
    DORMANT = "dormant"
    LOST = "lost"
    ABANDONED = "abandoned"

    @property
    def needs_reason(self) -> bool:
        return self in (ProjectStatus.DELAYED, ProjectStatus.LOST, ProjectStatus.ABANDONED)


class SourceChannel(_Labelled):
    """招商方式 — the channel a lead came through."""

    STATIONED = "stationed"  # 驻点招商
    INVESTOR_REFERRAL = "investor_referral"  # 以商招商
    AGENT = "agent"  # 委托招商
    ADVISER = "adviser"  # 顾问招商 / 中介
    CHAMBER = "chamber"  # 商会协会
    FAIR = "fair"  # 展会推介
    ONLINE = "online"  # 网络招商
    FUND = "fund"  # 基金招商
    SUPPLY_CHAIN = "supply_chain"  # 产业链招商
    LEADERSHIP = "leadership"  # 领导招商
    OTHER = "other"  # 其他


class LeadStatus(_Labelled):
    """线索状态."""

    NEW = "new"  # 待研判
    SCREENED = "screened"  # 已研判 (verdict given, not yet converted)
    CONVERTED = "converted"  # 已转项目
    REJECTED = "rejected"  # 已否决
    DUPLICATE = "duplicate"  # 重复线索


class Verdict(_Labelled):
    """研判结论 — 去伪存真."""

    REAL = "real"  # 真实
    DOUBTFUL = "doubtful"  # 存疑
    REJECTED = "rejected"  # 否决


class Role(_Labelled):
    OFFICER = "officer"
    LEADER = "leader"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Grade(_Labelled):
    """招商专员等级."""

    SENIOR = "senior"  # 高级
    GRADE1 = "grade1"  # 一级
    GRADE2 = "grade2"  # 二级


class TeamKind(_Labelled):
    PROJECT_DEPT = "project_dept"  # 项目部
    TASK_FORCE = "task_force"  # 招商攻坚队
    STATIONED = "stationed"  # 驻点招商组


class VisitKind(_Labelled):
    """拜访类型."""

    VISIT = "visit"  # 外出拜访
    RECEPTION = "reception"  # 来访接待
    INSPECTION = "inspection"  # 实地考察
    MEETING = "meeting"  # 洽谈会议
    CALL = "call"  # 电话
    VIDEO = "video"  # 视频会议
    EVENT = "event"  # 推介活动


class ServiceKind(_Labelled):
    """一套方案 — kinds of service item."""

    LAND = "land"
    PLANNING = "planning"
    ENVIRONMENTAL = "environmental"
    ENERGY = "energy"
    PERMIT = "permit"
    UTILITIES = "utilities"
    TALENT_HOUSING = "talent_housing"
    FINANCING = "financing"
    INCENTIVE = "incentive"
    HIRING = "hiring"
    CUSTOMS = "customs"
    OTHER = "other"


class ServiceState(_Labelled):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"


class PermitType(_Labelled):
    """证件办理 checklist."""

    FILING = "filing"  # 项目备案
    EIA = "eia"  # 环评批复
    ENERGY = "energy"  # 能评批复
    LAND_USE_PLANNING = "land_use_planning"  # 建设用地规划许可证
    LAND_TITLE = "land_title"  # 不动产权证
    WORKS_PLANNING = "works_planning"  # 建设工程规划许可证
    CONSTRUCTION = "construction"  # 施工许可证
    FIRE = "fire"  # 消防审查
    DISCHARGE = "discharge"  # 排污许可证


class MilestoneKind(_Labelled):
    """履约节点."""

    REGISTRATION = "registration"
    LAND_DELIVERY = "land_delivery"
    CONSTRUCTION_START = "construction_start"
    COMPLETION = "completion"
    PRODUCTION_START = "production_start"
    OUTPUT_REACHED = "output_reached"


class NoteKind(_Labelled):
    NOTE = "note"  # 备注
    SUPERVISION = "supervision"  # 督办意见
    REASON_REQUEST = "reason_request"  # 请说明原因
    STALE_REASON = "stale_reason"  # 久未跟进原因


NOT_A_TOUCH_NOTE_KINDS: frozenset[str] = frozenset(
    {NoteKind.SUPERVISION.value, NoteKind.REASON_REQUEST.value, NoteKind.STALE_REASON.value}
)
"""Notes that are not following a project up: the supervisor's 督办意见 and 请说明原因, and the owner's
久未跟进原因. They appear in the timeline but leave ``last_entry_at`` (and so 'stale') unchanged."""


class EventKind(_Labelled):
    STAGE = "stage"
    STATUS = "status"


class TargetOwnerKind(_Labelled):
    LEADER = "leader"
    DEPARTMENT = "department"
    TEAM = "team"


INDUSTRIES: tuple[str, ...] = (
    "新能源",
    "集成电路",
    "生物医药",
    "高端装备",
    "新材料",
    "新一代信息技术",
    "新能源汽车",
    "现代物流",
    "光机电",
    "商贸服务",
    "健康食品",
    "融资租赁",
)
"""Industries of the zone's chains (产业类型). Free text is allowed; these are offered first."""

PARK_AREAS: tuple[str, ...] = ("核心片区", "北部片区", "空港片区", "南部片区")
