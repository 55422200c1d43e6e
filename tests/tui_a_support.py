"""Shared by the TUI part A tests (dashboard, leads, screening): a tiny deterministic dataset, a frozen
clock, an app factory and helpers to wait for workers and freeze cursor blink before a snapshot.

The dataset (today = 2026-11-23, Shanghai): the officer 李明 of the Shanghai stationed team has one
follow-up due today and two overdue, an overdue construction-start milestone and two overdue service items,
one stale project, three leads waiting for screening — one of them on 宁德时代, whose first lead the Tokyo
team already holds (首谈负责).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from tui_common import freeze_cursors, settle  # noqa: F401  (re-exported for the tests)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TODAY = date(2026, 11, 23)


def uid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


# ids
OFF_SH, OFF_TK = uid(1), uid(2)
T_SH, T_TK, T_NE = uid(11), uid(12), uid(13)
ME, WANG, ZHAO, CHEN, SUN = uid(21), uid(22), uid(23), uid(24), uid(25)
C_CATL, C_ENVISION, C_TOYOTA, C_HUAHONG, C_SIEMENS = uid(31), uid(32), uid(33), uid(34), uid(35)
L_TK, L_MINE, L_REAL, L_REJ, L_CONV, L_SIEMENS = uid(41), uid(42), uid(43), uid(44), uid(45), uid(46)
P_HH, P_ENV, P_BIO, P_OTHER = uid(51), uid(52), uid(53), uid(54)
PLAN_HH, PLAN_ENV = uid(61), uid(62)


def _at(y: int, m: int, d: int, h: int = 2) -> datetime:
    return datetime(y, m, d, h, 0, tzinfo=UTC)


def build_store(path: Path) -> Any:
    """A store with the dataset above; the local identity is 李明 (``ME``)."""
    from zsfield.domain import models as M
    from zsfield.domain.enums import (
        LeadStatus,
        MilestoneKind,
        Role,
        ServiceKind,
        ServiceState,
        SourceChannel,
        Stage,
        TeamKind,
        Verdict,
        VisitKind,
    )
    from zsfield.store import Store

    store = Store.open(path)
    old = _at(2026, 1, 5)
    with store.write(ME, outbox=False) as w:

        def add(obj: Any) -> None:
            if getattr(obj, "created_at", None) is None or obj.created_at > NOW:
                obj.created_at = old
            w.insert(obj)

        add(
            M.Office(
                id=OFF_SH, name="上海", name_en="Shanghai", city="上海", tz="Asia/Shanghai", created_at=old
            )
        )
        add(
            M.Office(
                id=OFF_TK,
                name="东京",
                name_en="Tokyo",
                city="东京",
                country="JP",
                tz="Asia/Tokyo",
                created_at=old,
            )
        )
        add(
            M.Team(
                id=T_SH,
                name="上海驻点招商组",
                kind=TeamKind.STATIONED,
                office_id=OFF_SH,
                leader_id=CHEN,
                created_at=old,
            )
        )
        add(M.Team(id=T_TK, name="东京驻点招商组", kind=TeamKind.STATIONED, office_id=OFF_TK, created_at=old))
        add(
            M.Team(
                id=T_NE,
                name="新能源项目部",
                kind=TeamKind.PROJECT_DEPT,
                office_id=OFF_SH,
                leader_id=ZHAO,
                created_at=old,
            )
        )
        for oid, name, name_en, role, team, office in (
            (ME, "李明", "Li Ming", Role.OFFICER, T_SH, OFF_SH),
            (WANG, "王芳", "Wang Fang", Role.OFFICER, T_TK, OFF_TK),
            (ZHAO, "赵刚", "Zhao Gang", Role.LEADER, T_NE, OFF_SH),
            (CHEN, "陈静", "Chen Jing", Role.LEADER, T_SH, OFF_SH),
            (SUN, "孙悦", "Sun Yue", Role.OFFICER, T_SH, OFF_SH),
        ):
            add(
                M.Officer(
                    id=oid,
                    name=name,
                    name_en=name_en,
                    role=role,
                    team_id=team,
                    office_id=office,
                    created_at=old,
                )
            )
        for cid, name, aliases, industry in (
            (C_CATL, "宁德时代新能源科技股份有限公司", ["宁德时代", "CATL"], "新能源"),
            (C_ENVISION, "江苏远景能源有限公司", ["远景能源"], "新能源"),
            (C_TOYOTA, "丰田通商株式会社", ["丰田通商"], "现代物流"),
            (C_HUAHONG, "上海华虹宏力半导体制造有限公司", ["华虹宏力"], "集成电路"),
            (C_SIEMENS, "Siemens AG", ["西门子"], "高端装备"),
        ):
            add(M.Company(id=cid, name=name, aliases=aliases, industry=industry, created_at=old))

        def lead(
            lid: str,
            title: str,
            company: str,
            cname: str,
            team: str,
            office: str,
            who: str,
            on: date,
            **kw: Any,
        ) -> None:
            add(
                M.Lead(
                    id=lid,
                    title=title,
                    company_id=company,
                    company_name=cname,
                    team_id=team,
                    office_id=office,
                    received_by=who,
                    received_on=on,
                    created_at=_at(on.year, on.month, on.day),
                    **kw,
                )
            )

        lead(
            L_TK,
            "宁德时代储能基地",
            C_CATL,
            "宁德时代",
            T_TK,
            OFF_TK,
            WANG,
            date(2026, 11, 10),
            source_channel=SourceChannel.STATIONED,
            estimated_investment=Decimal("2000000000"),
            industry="新能源",
        )
        lead(
            L_MINE,
            "宁德时代动力电池二期",
            C_CATL,
            "宁德时代",
            T_SH,
            OFF_SH,
            ME,
            date(2026, 11, 20),
            source_channel=SourceChannel.INVESTOR_REFERRAL,
            source_detail="远景能源推荐",
            estimated_investment=Decimal("1500000000"),
            industry="新能源",
            land_need_mu=Decimal("300"),
        )
        lead(
            L_REAL,
            "远景零碳产业园二期",
            C_ENVISION,
            "远景能源",
            T_SH,
            OFF_SH,
            ME,
            date(2026, 11, 15),
            source_channel=SourceChannel.INVESTOR_REFERRAL,
            estimated_investment=Decimal("800000000"),
            industry="新能源",
            status=LeadStatus.SCREENED,
            verdict=Verdict.REAL,
            verdict_reason="已与企业高管面谈，投资意向明确",
            verdict_by=ME,
            verdict_at=_at(2026, 11, 16, 6),
        )
        lead(
            L_REJ,
            "丰田通商物流中心",
            C_TOYOTA,
            "丰田通商",
            T_SH,
            OFF_SH,
            SUN,
            date(2026, 11, 1),
            source_channel=SourceChannel.FAIR,
            industry="现代物流",
            status=LeadStatus.REJECTED,
            verdict=Verdict.REJECTED,
            verdict_reason="企业已选址他处",
            verdict_by=SUN,
            verdict_at=_at(2026, 11, 3),
        )
        lead(
            L_CONV,
            "华虹宏力十二英寸产线",
            C_HUAHONG,
            "华虹宏力",
            T_SH,
            OFF_SH,
            ME,
            date(2026, 6, 1),
            source_channel=SourceChannel.LEADERSHIP,
            estimated_investment=Decimal("5000000000"),
            industry="集成电路",
            status=LeadStatus.CONVERTED,
            verdict=Verdict.REAL,
            verdict_reason="签约意向明确",
            verdict_by=ME,
            verdict_at=_at(2026, 6, 2),
            project_id=P_HH,
        )
        lead(
            L_SIEMENS,
            "西门子智能工厂",
            C_SIEMENS,
            "Siemens",
            T_SH,
            OFF_SH,
            SUN,
            date(2026, 11, 18),
            source_channel=SourceChannel.CHAMBER,
            estimated_investment=Decimal("50000000"),
            estimated_currency="EUR",
            industry="高端装备",
        )
        contact = M.Contact(
            id=uid(71),
            name="周海涛",
            title="战略投资部经理",
            phone="138 0000 1234",
            company_id=C_CATL,
            lead_id=L_MINE,
            team_id=T_SH,
            created_at=_at(2026, 11, 20),
        )
        add(contact)

        def project(
            pid: str,
            name: str,
            company: str | None,
            stage: Stage,
            officer: str,
            leader: str,
            last: datetime,
            **kw: Any,
        ) -> None:
            add(
                M.Project(
                    id=pid,
                    name=name,
                    company_id=company,
                    stage=stage,
                    service_officer_id=officer,
                    leader_id=leader,
                    owner_team_id=kw.pop("team", T_SH),
                    office_id=OFF_SH,
                    stage_since=last,
                    last_entry_at=last,
                    created_at=kw.pop("created", _at(2026, 6, 2)),
                    **kw,
                )
            )

        project(
            P_HH,
            "华虹宏力十二英寸产线",
            C_HUAHONG,
            Stage.CONTRACT_SIGNED,
            ME,
            CHEN,
            _at(2026, 10, 1),
            total_investment=Decimal("5000000000"),
            contract_signed_on=date(2026, 6, 20),
            industry="集成电路",
            lead_id=L_CONV,
            source_channel=SourceChannel.LEADERSHIP,
        )
        project(
            P_ENV,
            "远景零碳产业园",
            C_ENVISION,
            Stage.NEGOTIATING,
            ME,
            ZHAO,
            _at(2026, 11, 20),
            planned_investment=Decimal("2000000000"),
            industry="新能源",
            team=T_NE,
        )
        project(
            P_BIO,
            "生物医药中试基地",
            None,
            Stage.SCREENING,
            ME,
            CHEN,
            _at(2026, 11, 22),
            planned_investment=Decimal("300000000"),
            industry="生物医药",
        )
        project(
            P_OTHER,
            "丰田通商汽车零部件",
            C_TOYOTA,
            Stage.INTENT_SIGNED,
            SUN,
            CHEN,
            _at(2026, 8, 1),
            planned_investment=Decimal("600000000"),
            intent_signed_on=date(2026, 7, 30),
            industry="高端装备",
        )
        add(M.ServicePlan(id=PLAN_HH, project_id=P_HH, created_at=_at(2026, 6, 2)))
        add(M.ServicePlan(id=PLAN_ENV, project_id=P_ENV, created_at=_at(2026, 9, 2)))
        add(
            M.Milestone(
                id=uid(81),
                project_id=P_HH,
                kind=MilestoneKind.CONSTRUCTION_START,
                promised_on=date(2026, 11, 1),
                created_at=_at(2026, 6, 20),
            )
        )
        add(
            M.Milestone(
                id=uid(82),
                project_id=P_HH,
                kind=MilestoneKind.REGISTRATION,
                promised_on=date(2026, 7, 1),
                actual_on=date(2026, 6, 28),
                created_at=_at(2026, 6, 20),
            )
        )
        add(
            M.Milestone(
                id=uid(83),
                project_id=P_HH,
                kind=MilestoneKind.PRODUCTION_START,
                promised_on=date(2027, 12, 1),
                created_at=_at(2026, 6, 20),
            )
        )
        add(
            M.ServiceItem(
                id=uid(91),
                plan_id=PLAN_HH,
                project_id=P_HH,
                kind=ServiceKind.ENVIRONMENTAL,
                title="环评批复",
                responsible="区生态环境局",
                due_on=date(2026, 11, 15),
                state=ServiceState.IN_PROGRESS,
                created_at=_at(2026, 6, 25),
            )
        )
        add(
            M.ServiceItem(
                id=uid(92),
                plan_id=PLAN_HH,
                project_id=P_HH,
                kind=ServiceKind.PERMIT,
                title="施工许可证",
                responsible="区住建局",
                due_on=date(2026, 12, 20),
                created_at=_at(2026, 6, 25),
            )
        )
        add(
            M.ServiceItem(
                id=uid(93),
                plan_id=PLAN_ENV,
                project_id=P_ENV,
                kind=ServiceKind.LAND,
                title="用地预审",
                responsible="区自然资源局",
                due_on=date(2026, 11, 10),
                created_at=_at(2026, 9, 2),
            )
        )
        add(
            M.Visit(
                id=uid(101),
                lead_id=L_MINE,
                officer_id=ME,
                kind=VisitKind.VISIT,
                occurred_at=_at(2026, 11, 20, 6),
                place="宁德",
                people="周海涛",
                summary="拜访企业总部，了解动力电池二期扩产计划",
                difficulties="需 300 亩工业用地，希望年内完成供地",
                next_step="约企业高管实地考察",
                next_on=date(2026, 11, 20),
                created_at=_at(2026, 11, 20, 6),
            )
        )
        for fid, subject, title, due, who, created in (
            (uid(111), {"project_id": P_ENV}, "确认园区用地方案", date(2026, 11, 23), ME, _at(2026, 11, 20)),
            (uid(112), {"project_id": P_HH}, "催办施工许可证材料", date(2026, 11, 18), ME, _at(2026, 9, 30)),
            (
                uid(113),
                {"lead_id": L_MINE},
                "约企业高管实地考察",
                date(2026, 11, 20),
                ME,
                _at(2026, 11, 20, 6),
            ),
            (
                uid(114),
                {"project_id": P_BIO},
                "提交中试基地用地需求",
                date(2026, 11, 30),
                ME,
                _at(2026, 11, 22),
            ),
            (uid(115), {"project_id": P_OTHER}, "回访物流需求", date(2026, 11, 1), SUN, _at(2026, 8, 1)),
        ):
            add(M.FollowUp(id=fid, title=title, due_on=due, assignee_id=who, created_at=created, **subject))
        add(
            M.Note(
                id=uid(121),
                lead_id=L_MINE,
                body="远景能源推荐：企业正为二期选址",
                author_id=ME,
                at=_at(2026, 11, 20, 3),
                created_at=_at(2026, 11, 20, 3),
            )
        )
        from zsfield.store.db import set_state

        set_state(w.session, "officer_id", ME)
    # one change waiting for upload, so the sync badge and the outbox line show it
    with store.write(ME) as w:
        w.insert(
            M.Contact(
                id=uid(72),
                name="吴晓东",
                title="总经理",
                phone="021 5555 0101",
                project_id=P_BIO,
                team_id=T_SH,
                created_at=_at(2026, 11, 22),
            )
        )
    return store


def make_test_app(store: Any, lang: str = "en", start_mode: str = "dashboard") -> Any:
    from zsfield.app import make_app
    from zsfield.clock import FrozenClock
    from zsfield.config import load_settings

    return make_app(load_settings(), store=store, clock=FrozenClock(NOW), lang=lang, start_mode=start_mode)


async def ready(pilot: Any) -> None:
    await settle(pilot)
    freeze_cursors(pilot.app)
    await pilot.pause()
