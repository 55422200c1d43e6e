"""A small deterministic dataset for the TUI part B tests (projects, project detail, visits, timeline).

Built with ``store.actions`` (the same path the TUI uses) under a ticking fake clock and deterministic ids,
so snapshots never depend on the real time or on random UUIDs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from tui_common import freeze_cursors, settle  # noqa: F401  (re-exported for the tests)
from zsfield.clock import FrozenClock
from zsfield.domain.credit_code import compute_check_char, compute_org_check_char
from zsfield.domain.enums import MilestoneKind, PermitType, ServiceKind, Stage, Verdict, VisitKind

FROZEN_NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)


def frozen_clock() -> FrozenClock:
    return FrozenClock(FROZEN_NOW)


def credit_code(division: str = "320591", org8: str = "MA1YH7K2") -> str:
    """A valid unified social credit code (GB 32100) for the zone's division."""
    org = org8 + compute_org_check_char(org8)
    first17 = "91" + division + org
    return first17 + compute_check_char(first17)


def bad_check_digit(code: str) -> str:
    """``code`` with a wrong 18th character."""
    return code[:17] + ("1" if code[17] != "1" else "2")


class _Tick:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def next(self, step: timedelta = timedelta(minutes=37)) -> datetime:
        self.at = self.at + step
        return self.at


@contextmanager
def frozen_writes(start: datetime) -> Iterator[_Tick]:
    """Make ``utcnow()`` tick from ``start`` (37 min per call) and ids count up, while building data."""
    import zsfield.domain.types as types

    tick = _Tick(start)
    counter = iter(range(1, 10**9))

    class _DT(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return tick.next()

    class _UUID:
        @staticmethod
        def uuid4() -> uuid.UUID:
            return uuid.UUID(int=0xB0000000_0000_4000_8000_000000000000 + next(counter))

    real_dt, real_uuid = types.datetime, types.uuid
    types.datetime, types.uuid = _DT, _UUID  # type: ignore[misc]
    try:
        yield tick
    finally:
        types.datetime, types.uuid = real_dt, real_uuid  # type: ignore[misc]


class Org:
    """Ids of the organisation the dataset creates."""

    office_sh: str
    office_tyo: str
    team1: str
    team2: str
    me: str  # 张明, officer of team1 in Shanghai
    leader: str  # 李华
    officer2: str  # 王芳
    leader2: str  # 赵强


def build_org(store: Any) -> Org:
    from zsfield.domain.models import Office, Officer, Team

    org = Org()
    with store.write(None) as w:
        org.office_sh = w.insert(
            Office(name="上海驻点", name_en="Shanghai Office", city="上海", tz="Asia/Shanghai")
        ).id
        org.office_tyo = w.insert(
            Office(name="东京驻点", name_en="Tokyo Office", city="东京", country="JP", tz="Asia/Tokyo")
        ).id
        org.team1 = w.insert(Team(name="项目一部", office_id=org.office_sh)).id
        org.team2 = w.insert(Team(name="驻东京招商组", office_id=org.office_tyo)).id
        org.me = w.insert(
            Officer(name="张明", name_en="Zhang Ming", team_id=org.team1, office_id=org.office_sh)
        ).id
        org.leader = w.insert(Officer(name="李华", name_en="Li Hua", role="leader", team_id=org.team1)).id
        org.officer2 = w.insert(
            Officer(name="王芳", name_en="Wang Fang", team_id=org.team2, office_id=org.office_tyo)
        ).id
        org.leader2 = w.insert(
            Officer(name="赵强", name_en="Zhao Qiang", role="leader", team_id=org.team2)
        ).id
    store.set_state("officer_id", org.me)
    return org


def new_project(
    store: Any,
    org: Org,
    title: str,
    company: str,
    *,
    industry: str = "新能源",
    investment: Decimal | None = None,
    team: int = 1,
    office: str | None = None,
) -> str:
    """capture → screen (real) → convert, through actions, like an officer would. Returns the project id."""
    from zsfield.domain.models import Lead
    from zsfield.store.actions.leads import capture_lead, convert_lead, screen_lead

    team_id, leader_id, officer_id = (
        (org.team1, org.leader, org.me) if team == 1 else (org.team2, org.leader2, org.officer2)
    )
    with store.write(officer_id) as w:
        lead = capture_lead(
            w,
            title=title,
            company_name=company,
            source_channel="stationed",
            estimated_investment=investment,
            industry=industry,
            office_id=office or (org.office_sh if team == 1 else org.office_tyo),
            team_id=team_id,
            contact_name="陈经理",
            contact_phone="13800000000",
        )
        lead_id = lead.id
    with store.write(officer_id) as w:
        lead = w.session.get(Lead, lead_id)
        screen_lead(w, lead, verdict=Verdict.REAL, reason="实地核实，企业有扩产计划")
    with store.write(officer_id) as w:
        lead = w.session.get(Lead, lead_id)
        project = convert_lead(w, lead, owner_team_id=team_id, leader_id=leader_id)
        return project.id


STAGE_FIELDS: dict[Stage, dict[str, Any]] = {
    Stage.INTENT_SIGNED: {"intent_signed_on": date(2026, 3, 2), "planned_investment": Decimal("800000000")},
    Stage.CONTRACT_SIGNED: {
        "contract_signed_on": date(2026, 4, 18),
        "total_investment": Decimal("1200000000"),
        "registered_capital": Decimal("300000000"),
        "land_need_mu": Decimal("150"),
        "committed_output": Decimal("3000000000"),
        "committed_tax": Decimal("120000000"),
        "committed_jobs": 800,
    },
    Stage.REGISTERED: {"registered_entity": "云湖远景储能科技有限公司", "credit_code": credit_code()},
    Stage.LAND_APPROVED: {
        "land_area_mu": Decimal("150"),
        "land_parcel": "YH-2026-07",
        "land_approval_doc": "云湖国土〔2026〕18号",
    },
    Stage.CONSTRUCTION: {
        "construction_start_on": date(2026, 8, 8),
        "construction_progress": "主体结构完成 60%",
    },
    Stage.COMMISSIONING: {"equipment_readiness": "一期产线设备进场"},
    Stage.PRODUCTION: {"production_start_on": date(2026, 10, 30), "capacity": "年产 10GWh"},
    Stage.EFFECTIVE: {
        "actual_output": Decimal("2800000000"),
        "actual_tax": Decimal("90000000"),
        "actual_jobs": 650,
    },
}


def advance_to(store: Any, actor: str, project_id: str, target: Stage) -> None:
    """Fill what each stage needs and move the project forward until it stands at ``target``."""
    from zsfield.domain.models import Project
    from zsfield.store.actions.projects import move_stage, update_project
    from zsfield.store.actions.service import add_service_item, set_milestone

    while True:
        with store.write(actor) as w:
            p = w.session.get(Project, project_id)
            if p.stage.index >= target.index:
                return
            nxt = p.stage.next()
            fields = STAGE_FIELDS.get(nxt, {})
            if "planned_investment" in fields and p.planned_investment:
                fields = {k: v for k, v in fields.items() if k != "planned_investment"}
            if "total_investment" in fields and p.planned_investment:
                fields = {**fields, "total_investment": p.planned_investment * Decimal("1.25")}
            if fields:
                update_project(w, p, **fields)
            if nxt == Stage.CONTRACT_SIGNED:
                for kind, on in (
                    (MilestoneKind.REGISTRATION, date(2026, 6, 30)),
                    (MilestoneKind.CONSTRUCTION_START, date(2026, 9, 30)),
                    (MilestoneKind.PRODUCTION_START, date(2027, 6, 30)),
                ):
                    set_milestone(w, p, kind, promised_on=on)
            if nxt == Stage.PERMITS:
                add_service_item(w, p, title="", permit_type=PermitType.FILING, due_on=date(2026, 7, 31))
            move_stage(w, p, nxt)


def build_dataset(path: Path) -> tuple[Any, Org, dict[str, str]]:
    """The store (open), the organisation, and the named projects: ``main`` (at 意向签约 with visits,
    service items, a receipt, contacts), ``fresh`` (研判) and ten more across the stages."""
    from zsfield.domain.models import Contact, Project
    from zsfield.store import Store
    from zsfield.store.actions.projects import update_project
    from zsfield.store.actions.service import add_capital_receipt, add_service_item, set_milestone
    from zsfield.store.actions.timeline import log_visit

    store = Store.open(path)
    projects: dict[str, str] = {}
    with frozen_writes(datetime(2026, 1, 5, 1, 0, tzinfo=UTC)) as tick:
        org = build_org(store)
        spread = [
            ("宁川动力电池二期", "宁川新能源科技股份有限公司", "新能源", "1500000000", Stage.PRODUCTION, 1),
            (
                "华芯12英寸晶圆封测",
                "华芯半导体（上海）有限公司",
                "集成电路",
                "3500000000",
                Stage.CONSTRUCTION,
                1,
            ),
            ("康泰生物制剂基地", "康泰生物医药有限公司", "生物医药", "600000000", Stage.NEGOTIATING, 1),
            ("东洋精密减速机", "東洋精機株式会社", "高端装备", "450000000", Stage.CONTRACT_SIGNED, 2),
            ("明石新材料研发中心", "明石化学株式会社", "新材料", "200000000", Stage.INTENT_SIGNED, 2),
            ("云湖智慧物流园", "顺通供应链管理有限公司", "现代物流", "900000000", Stage.LAND_APPROVED, 1),
            ("光谷激光器产业化", "光谷激光科技有限公司", "光机电", "300000000", Stage.PERMITS, 1),
            ("樱花健康食品工厂", "さくら食品株式会社", "健康食品", "120000000", Stage.EFFECTIVE, 2),
            ("星河车规芯片设计", "星河微电子有限公司", "集成电路", "80000000", Stage.SCREENING, 1),
            ("北斗储能系统集成", "北斗能源科技有限公司", "新能源", "2500000000", Stage.COMMISSIONING, 1),
        ]
        for title, company, industry, amount, stage, team in spread:
            pid = new_project(
                store, org, title, company, industry=industry, investment=Decimal(amount), team=team
            )
            advance_to(store, org.me if team == 1 else org.officer2, pid, stage)
            projects[title] = pid
        tick.at = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)
        main = new_project(
            store, org, "远景储能电池基地", "远景能源（江苏）有限公司", investment=Decimal("800000000")
        )
        projects["main"] = main
        advance_to(store, org.me, main, Stage.INTENT_SIGNED)
        fresh = new_project(store, org, "蓝海氢能装备", "蓝海氢能装备有限公司", industry="高端装备")
        projects["fresh"] = fresh
        tick.at = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
        with store.write(org.me) as w:
            p = w.session.get(Project, main)
            update_project(w, p, policy_asks="希望给予设备投资补贴", open_questions="二期用地指标")
            log_visit(
                w,
                project_id=main,
                kind=VisitKind.VISIT,
                occurred_at=datetime(2026, 11, 2, 6, 0, tzinfo=UTC),
                place="江苏江阴 企业总部",
                people="陈总、张明",
                summary="介绍园区储能产业链配套，企业确认二期选址意向",
                difficulties="用地指标紧张，希望明年一季度供地",
                next_step="报送项目建议书",
                next_on=date(2026, 11, 30),
            )
            log_visit(
                w,
                project_id=main,
                kind=VisitKind.MEETING,
                occurred_at=datetime(2026, 11, 18, 2, 30, tzinfo=UTC),
                place="云湖管委会 3 号会议室",
                people="陈总、李华、张明",
                summary="洽谈投资协议条款，电价与设备补贴为主要分歧",
                difficulties="电价优惠幅度未谈拢",
                policy_asks="设备补贴 10%",
                next_step="提交协议修改稿",
                next_on=date(2026, 11, 25),
            )
            add_service_item(
                w,
                p,
                title="环评手续预审",
                kind=ServiceKind.ENVIRONMENTAL,
                responsible="生态环境分局",
                due_on=date(2026, 11, 10),
            )
            add_service_item(
                w,
                p,
                title="人才公寓 20 套",
                kind=ServiceKind.TALENT_HOUSING,
                responsible="人社局",
                due_on=date(2027, 1, 15),
            )
            set_milestone(w, p, MilestoneKind.REGISTRATION, promised_on=date(2026, 11, 1))
            add_capital_receipt(
                w,
                p,
                received_on=date(2026, 10, 12),
                amount=Decimal("5000000"),
                currency="USD",
                rate_to_usd=Decimal(1),
            )
            w.insert(
                Contact(
                    name="陈建国",
                    title="副总裁",
                    phone="13912345678",
                    email="chen@example.com",
                    project_id=main,
                    company_id=p.company_id,
                )
            )
    return store, org, projects


def make_test_app(store: Any, *, lang: str = "zh", start_mode: str = "dashboard") -> Any:
    """The app on ``store`` with the frozen clock, in ``lang``."""
    from zsfield.app import make_app
    from zsfield.config import load_settings

    settings = load_settings()
    return make_app(settings, store=store, clock=frozen_clock(), lang=lang, start_mode=start_mode)


def no_blink(app: Any) -> None:
    """Stop cursors blinking so that screenshots are stable."""
    freeze_cursors(app)


def dataset_copy(template: Path, target: Path) -> tuple[Any, dict[str, str]]:
    """Open a copy of the dataset built once at ``template`` (its project ids are in ``template``.ids)."""
    import json
    import shutil

    from zsfield.store import Store

    shutil.copyfile(template, target)
    ids = json.loads(template.with_suffix(".ids").read_text(encoding="utf-8"))
    return Store.open(target, migrate=False), ids  # the template was migrated when it was built


def build_template(path: Path) -> Path:
    """Build the dataset once at ``path`` (and its project ids beside it) for tests to copy."""
    import json

    store, _org, projects = build_dataset(path)
    store.close()
    path.with_suffix(".ids").write_text(json.dumps(projects, ensure_ascii=False), encoding="utf-8")
    return path
