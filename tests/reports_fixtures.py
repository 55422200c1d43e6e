"""A small hand-built zone (云湖) for the report, ranking, supervision and TUI tests.

Every figure the tests check is worked out by hand in the comments below. Ids are fixed, every time is
explicit (no wall clock), so the same data gives the same reports and the same screens.

Today is 2026-11-23; the report month is 2026-10.

Projects (team, band by CNY total, dates):
  P1 远景储能电池项目   T1  25亿 b20yi  intent 09-15, contract 10-10; 合同外资 EUR 1,000,000 @1.08 = USD 1,080,000;
                        receipt 06-01 EUR 500,000 @1.08 = USD 540,000; milestone 注册 promised 10-01, not done
  P2 华芯封测项目       T3   6亿 b5yi   intent 10-20 (planned); service item 用地预审 due 10-10, open
  P3 东京精密部件项目   T2 1.5亿 b1yi   contract 10-05, construction 10-28; co-introducer A3 (team T3);
                        合同外资 JPY 1,000,000,000 @0.0067 = USD 6,700,000; receipts 10-12 USD 3,000,000,
                        10-30 JPY 200,000,000 @0.0068 = USD 1,360,000, 11-05 USD 1,000,000
  P4 生物医药研发中心   T3 3.2亿 b3yi   intent 03-01, contract 05-10, construction 07-01, production 10-15
  P5 云湖商业综合体     T1  12亿 b10yi  contract 10-25, REAL ESTATE
  P6 光伏组件扩产项目   T1 0.8亿 b05yi  negotiating since 02-01, last visit 08-01 (stale; 两未), reason asked 10-20
  P7 物流园项目         T2 0.3亿 —      negotiating since 09-10, visit 10-20
  P8 新材料项目         T3   2亿 b1yi   negotiating, LOST on 09-15 (left out everywhere)
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from zsfield.domain.enums import (
    EventKind,
    LeadStatus,
    MilestoneKind,
    NoteKind,
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
from zsfield.domain.models import (
    CapitalReceipt,
    Company,
    Contact,
    FollowUp,
    Lead,
    Milestone,
    Note,
    Office,
    Officer,
    Project,
    ServiceItem,
    ServicePlan,
    StageEvent,
    Target,
    Team,
    Visit,
)
from zsfield.store import Store

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def at(y: int, m: int, d: int, h: int = 2) -> datetime:
    """A UTC time on a day (02:00 UTC = 10:00 in China)."""
    return datetime(y, m, d, h, 0, tzinfo=UTC)


def pid(n: int) -> str:
    return f"00000000-0000-4000-8000-0000000000{n:02d}"


@dataclass(frozen=True)
class Ids:
    o1: str = "office-sh"
    o2: str = "office-tyo"
    t1: str = "team-p1"
    t2: str = "team-tyo"
    t3: str = "team-ne"
    sup: str = "officer-sup"
    l1: str = "officer-l1"
    l2: str = "officer-l2"
    a1: str = "officer-a1"
    a2: str = "officer-a2"
    a3: str = "officer-a3"


IDS = Ids()

_STAGE_DAYS: dict[int, list[tuple[str, datetime]]] = {
    1: [("screening", at(2026, 6, 1)), ("negotiating", at(2026, 7, 1)), ("intent_signed", at(2026, 9, 15)),
        ("contract_signed", at(2026, 10, 10))],
    2: [("screening", at(2026, 8, 1)), ("negotiating", at(2026, 8, 15)), ("intent_signed", at(2026, 10, 20))],
    3: [("screening", at(2026, 7, 1)), ("negotiating", at(2026, 8, 1)), ("contract_signed", at(2026, 10, 5)),
        ("construction", at(2026, 10, 28))],
    4: [("screening", at(2026, 1, 5)), ("negotiating", at(2026, 2, 1)), ("intent_signed", at(2026, 3, 1)),
        ("contract_signed", at(2026, 5, 10)), ("construction", at(2026, 7, 1)), ("production", at(2026, 10, 15))],
    5: [("screening", at(2026, 9, 1)), ("negotiating", at(2026, 9, 10)), ("contract_signed", at(2026, 10, 25))],
    6: [("screening", at(2026, 1, 10)), ("negotiating", at(2026, 2, 1))],
    7: [("screening", at(2026, 9, 1)), ("negotiating", at(2026, 9, 10))],
    8: [("screening", at(2026, 3, 1)), ("negotiating", at(2026, 4, 1))],
}  # fmt: skip


def build_yunhu(store: Store, *, actor: str | None = None, outbox: bool = False) -> Ids:
    """Write the 云湖 dataset (see module doc) into ``store``; sets the laptop's officer to the supervisor."""
    i = IDS
    with store.write(actor or i.sup, outbox=outbox) as w:
        w.insert(Office(id=i.o1, name="上海驻点", name_en="Shanghai Office", city="上海", tz="Asia/Shanghai"))
        w.insert(
            Office(
                id=i.o2, name="东京驻点", name_en="Tokyo Office", city="东京", country="JP", tz="Asia/Tokyo"
            )
        )
        w.insert(
            Team(
                id=i.t1, name="项目一部", kind=TeamKind.PROJECT_DEPT, office_id=i.o1, department="项目服务局"
            )
        )
        w.insert(
            Team(
                id=i.t2, name="驻东京招商组", kind=TeamKind.STATIONED, office_id=i.o2, department="外资招商局"
            )
        )
        w.insert(
            Team(
                id=i.t3,
                name="新能源招商攻坚队",
                kind=TeamKind.TASK_FORCE,
                office_id=i.o1,
                department="产业招商局",
            )
        )
        for oid, name, name_en, role, team, office in (
            (i.sup, "赵督查", "Zhao Du", Role.SUPERVISOR, None, i.o1),
            (i.l1, "王立峰", "Wang Lifeng", Role.LEADER, i.t1, i.o1),
            (i.l2, "李海涛", "Li Haitao", Role.LEADER, i.t3, i.o1),
            (i.a1, "陈思远", "Chen Siyuan", Role.OFFICER, i.t1, i.o1),
            (i.a2, "周晓雯", "Zhou Xiaowen", Role.OFFICER, i.t2, i.o2),
            (i.a3, "吴嘉怡", "Wu Jiayi", Role.OFFICER, i.t3, i.o1),
        ):
            w.insert(Officer(id=oid, name=name, name_en=name_en, role=role, team_id=team, office_id=office))

        companies = {
            1: ("远景能源科技有限公司", "新能源"),
            2: ("华芯微电子股份有限公司", "集成电路"),
            3: ("東京精工株式会社", "高端装备"),
            4: ("康宁生物医药有限公司", "生物医药"),
            5: ("云湖置业有限公司", "商贸服务"),
            6: ("晨阳光伏科技有限公司", "新能源"),
            7: ("顺达物流有限公司", "现代物流"),
            8: ("博远新材料有限公司", "新材料"),
        }
        for n, (name, industry) in companies.items():
            w.insert(Company(id=f"company-{n}", name=name, industry=industry, created_at=at(2026, 1, 2)))

        def project(n: int, **kw: object) -> None:
            stages = _STAGE_DAYS[n]
            name, industry = kw.pop("name"), companies[n][1]
            w.insert(
                Project(
                    id=pid(n),
                    name=name,
                    company_id=f"company-{n}",
                    source_channel=SourceChannel.STATIONED,
                    industry=industry,
                    stage=Stage(stages[-1][0]),
                    stage_since=stages[-1][1],
                    created_at=stages[0][1],
                    **kw,
                )
            )
            prev = None
            for k, (stage, when) in enumerate(stages):
                w.insert(
                    StageEvent(
                        id=f"se-{n}-{k}",
                        project_id=pid(n),
                        kind=EventKind.STAGE,
                        from_value=prev,
                        to_value=stage,
                        at=when,
                        by=kw.get("service_officer_id"),  # type: ignore[arg-type]
                        created_at=when,
                    )
                )
                prev = stage
            w.insert(ServicePlan(id=f"plan-{n}", project_id=pid(n), created_at=stages[0][1]))

        team1 = {"owner_team_id": i.t1, "leader_id": i.l1, "service_officer_id": i.a1, "office_id": i.o1}
        team2 = {"owner_team_id": i.t2, "leader_id": i.l1, "service_officer_id": i.a2, "office_id": i.o2}
        team3 = {"owner_team_id": i.t3, "leader_id": i.l2, "service_officer_id": i.a3, "office_id": i.o1}
        project(
            1,
            name="远景储能电池项目",
            **team1,
            park_area="核心片区",
            intent_signed_on=date(2026, 9, 15),
            contract_signed_on=date(2026, 10, 10),
            planned_investment=Decimal("2500000000"),
            total_investment=Decimal("2500000000"),
            fixed_asset_investment=Decimal("1800000000"),
            land_need_mu=Decimal("300"),
            foreign_capital_contracted=Decimal("1000000"),
            foreign_capital_currency="EUR",
            foreign_capital_rate_usd=Decimal("1.08"),
        )
        project(
            2,
            name="华芯封测项目",
            **team3,
            lead_id="lead-1",
            park_area="北部片区",
            intent_signed_on=date(2026, 10, 20),
            planned_investment=Decimal("600000000"),
            fixed_asset_investment=Decimal("450000000"),
            land_need_mu=Decimal("120.5"),
        )
        project(
            3,
            name="东京精密部件项目",
            **team2,
            co_introducer_id=i.a3,
            park_area="空港片区",
            contract_signed_on=date(2026, 10, 5),
            construction_start_on=date(2026, 10, 28),
            total_investment=Decimal("150000000"),
            foreign_capital_contracted=Decimal("1000000000"),
            foreign_capital_currency="JPY",
            foreign_capital_rate_usd=Decimal("0.0067"),
            no_new_land=True,
        )
        project(
            4,
            name="生物医药研发中心",
            **team3,
            intent_signed_on=date(2026, 3, 1),
            contract_signed_on=date(2026, 5, 10),
            construction_start_on=date(2026, 7, 1),
            production_start_on=date(2026, 10, 15),
            total_investment=Decimal("320000000"),
        )
        project(
            5,
            name="云湖商业综合体",
            **team1,
            is_real_estate=True,
            contract_signed_on=date(2026, 10, 25),
            total_investment=Decimal("1200000000"),
        )
        project(6, name="光伏组件扩产项目", **team1, planned_investment=Decimal("80000000"))
        project(7, name="物流园项目", **team2, planned_investment=Decimal("30000000"))
        project(
            8,
            name="新材料项目",
            **team3,
            planned_investment=Decimal("200000000"),
            status=ProjectStatus.LOST,
            status_on=date(2026, 9, 15),
            status_reason="落户外省",
            lost_to="安徽",
        )
        w.insert(
            StageEvent(
                id="se-8-lost",
                project_id=pid(8),
                kind=EventKind.STATUS,
                from_value="active",
                to_value="lost",
                at=at(2026, 9, 15),
                note="落户外省",
                created_at=at(2026, 9, 15),
            )
        )

        # visits and follow-ups
        w.insert(
            Visit(
                id="visit-6",
                project_id=pid(6),
                officer_id=i.a1,
                kind=VisitKind.VISIT,
                occurred_at=at(2026, 8, 1),
                summary="对方暂缓扩产计划",
                next_step="九月再联系",
                created_at=at(2026, 8, 1),
            )
        )
        w.insert(
            Visit(
                id="visit-7",
                project_id=pid(7),
                officer_id=i.a2,
                kind=VisitKind.MEETING,
                occurred_at=at(2026, 10, 20),
                summary="确认用地需求",
                next_step="提交选址方案",
                created_at=at(2026, 10, 20),
            )
        )
        w.insert(
            Visit(
                id="visit-2",
                project_id=pid(2),
                officer_id=i.a3,
                kind=VisitKind.VISIT,
                occurred_at=at(2026, 11, 18),
                summary="讨论投资协议条款",
                next_step="起草正式合同",
                created_at=at(2026, 11, 18),
            )
        )
        w.insert(
            FollowUp(
                id="fu-7",
                project_id=pid(7),
                visit_id="visit-7",
                assignee_id=i.a2,
                title="提交选址方案",
                due_on=date(2026, 11, 30),
                created_at=at(2026, 10, 20),
            )
        )
        w.insert(
            FollowUp(
                id="fu-2",
                project_id=pid(2),
                visit_id="visit-2",
                assignee_id=i.a3,
                title="起草正式合同",
                due_on=date(2026, 11, 28),
                created_at=at(2026, 11, 18),
            )
        )
        # a supervisor's request on P6 — not a touch: P6 stays stale
        w.insert(
            Note(
                id="note-6",
                project_id=pid(6),
                kind=NoteKind.REASON_REQUEST,
                body="请说明两个多月未跟进的原因",
                author_id=i.sup,
                at=at(2026, 10, 20),
                created_at=at(2026, 10, 20),
            )
        )

        # milestones and service items
        w.insert(
            Milestone(
                id="ms-1-reg",
                project_id=pid(1),
                kind=MilestoneKind.REGISTRATION,
                promised_on=date(2026, 10, 1),
            )
        )
        w.insert(
            Milestone(
                id="ms-1-cs",
                project_id=pid(1),
                kind=MilestoneKind.CONSTRUCTION_START,
                promised_on=date(2026, 12, 1),
            )
        )
        w.insert(
            Milestone(
                id="ms-3-cs",
                project_id=pid(3),
                kind=MilestoneKind.CONSTRUCTION_START,
                promised_on=date(2026, 10, 15),
                actual_on=date(2026, 10, 28),
            )
        )
        w.insert(
            Milestone(
                id="ms-3-done",
                project_id=pid(3),
                kind=MilestoneKind.COMPLETION,
                promised_on=date(2027, 6, 30),
            )
        )
        w.insert(
            Milestone(
                id="ms-8-reg",
                project_id=pid(8),
                kind=MilestoneKind.REGISTRATION,
                promised_on=date(2026, 8, 1),
            )
        )
        w.insert(
            ServiceItem(
                id="si-2",
                plan_id="plan-2",
                project_id=pid(2),
                kind=ServiceKind.LAND,
                title="用地预审",
                responsible="自然资源局",
                due_on=date(2026, 10, 10),
                state=ServiceState.OPEN,
                created_at=at(2026, 9, 1),
            )
        )
        w.insert(
            ServiceItem(
                id="si-3",
                plan_id="plan-3",
                project_id=pid(3),
                kind=ServiceKind.PERMIT,
                title="施工许可证",
                responsible="住建局",
                due_on=date(2026, 10, 20),
                state=ServiceState.DONE,
                done_on=date(2026, 10, 18),
                created_at=at(2026, 9, 1),
            )
        )

        # foreign capital received
        for rid, p, on, amount, cur, rate, usd in (
            ("cr-1", 1, date(2026, 6, 1), "500000", "EUR", "1.08", "540000.00"),
            ("cr-2", 3, date(2026, 10, 12), "3000000", "USD", "1", "3000000"),
            ("cr-3", 3, date(2026, 10, 30), "200000000", "JPY", "0.0068", "1360000.00"),
            ("cr-4", 3, date(2026, 11, 5), "1000000", "USD", "1", "1000000"),
        ):
            w.insert(
                CapitalReceipt(
                    id=rid,
                    project_id=pid(p),
                    received_on=on,
                    amount=Decimal(amount),
                    currency=cur,
                    rate_to_usd=Decimal(rate),
                    amount_usd=Decimal(usd),
                )
            )

        # leads
        for lid, title, company, channel, on, amount, cur, status, verdict, project_id in (
            ("lead-1", "华芯封测", "华芯微电子股份有限公司", SourceChannel.FAIR, date(2026, 10, 3), "200000000", "CNY",
             LeadStatus.CONVERTED, Verdict.REAL, pid(2)),
            ("lead-2", "智能仓储设备", "迅捷智能装备有限公司", SourceChannel.ONLINE, date(2026, 10, 15), "50000000", "CNY",
             LeadStatus.NEW, None, None),
            ("lead-3", "德国汽车零部件", "Keller Automotive GmbH", SourceChannel.FAIR, date(2026, 10, 30), "10000000",
             "USD", LeadStatus.NEW, None, None),
            ("lead-4", "光伏组件扩产", "晨阳光伏科技有限公司", SourceChannel.STATIONED, date(2026, 9, 28), "80000000",
             "CNY", LeadStatus.SCREENED, Verdict.DOUBTFUL, None),
            ("lead-5", "医疗器械产业园", "恒康医疗器械有限公司", SourceChannel.INVESTOR_REFERRAL, date(2026, 11, 17),
             "300000000", "CNY", LeadStatus.NEW, None, None),
        ):  # fmt: skip
            w.insert(
                Lead(
                    id=lid,
                    title=title,
                    company_name=company,
                    source_channel=channel,
                    received_on=on,
                    estimated_investment=Decimal(amount),
                    estimated_currency=cur,
                    status=status,
                    verdict=verdict,
                    project_id=project_id,
                    team_id=i.t1,
                    received_by=i.a1,
                    created_at=datetime.combine(on, datetime.min.time(), tzinfo=UTC),
                )
            )
        w.insert(
            Contact(id="contact-2", project_id=pid(2), company_id="company-2", name="孙立诚", title="投资总监",
                    phone="13800000002", created_at=at(2026, 8, 1))
        )  # fmt: skip

        # targets 2026
        for owner_kind, owner_id, owner_name, counts in (
            (TargetOwnerKind.TEAM, i.t1, "项目一部", {"b20yi": 1, "b10yi": 1, "b1yi": 2}),
            (TargetOwnerKind.TEAM, i.t2, "驻东京招商组", {"b1yi": 2}),
            (TargetOwnerKind.TEAM, i.t3, "新能源招商攻坚队", {"b5yi": 1, "b3yi": 1, "b1yi": 1}),
            (TargetOwnerKind.DEPARTMENT, "项目服务局", "项目服务局", {"b1yi": 3}),
            (TargetOwnerKind.LEADER, i.l1, "王立峰", {"b20yi": 1, "b1yi": 3}),
        ):
            for band, count in counts.items():
                w.insert(
                    Target(
                        id=f"tgt-{owner_id}-{band}",
                        year=2026,
                        owner_kind=owner_kind,
                        owner_id=owner_id,
                        owner_name=owner_name,
                        band=band,
                        count=count,
                    )
                )
    store.set_state("officer_id", actor or i.sup)
    return i


def yunhu_db(path: Path) -> Path:
    """A database file with the 云湖 dataset (for tests that need a path, e.g. the CLI)."""
    with Store.open(path) as store:
        build_yunhu(store)
    return path


# --- a template database, built once per test process and copied for each test ---------------------------

_TEMPLATE: list[Path] = []


def open_yunhu(folder: Path) -> Store:
    """A fresh, open copy of the 云湖 database in ``folder`` (the template is built once per process)."""
    if not _TEMPLATE:
        base = Path(tempfile.mkdtemp(prefix="zsfield-yunhu-"))
        atexit.register(shutil.rmtree, base, True)
        _TEMPLATE.append(yunhu_db(base / "template.db"))
    path = folder / "yunhu.db"
    shutil.copy(_TEMPLATE[0], path)
    return Store.open(path)
