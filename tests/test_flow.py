"""Flow rules of 一个项目一跟到底: each stage gate allowed and refused (naming what is missing, in Chinese and
English), skipped stages, moves back, status reasons, closed projects — and the whole path through the store's
actions, from a captured lead to 投产达效."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from zsfield.domain.credit_code import compute_check_char, compute_org_check_char
from zsfield.domain.enums import (
    STAGES,
    MilestoneKind,
    PermitType,
    ProjectStatus,
    SourceChannel,
    Stage,
    Verdict,
)
from zsfield.domain.flow import (
    FlowContext,
    check_stage_move,
    check_status_change,
    missing_for,
    requirements_of,
)
from zsfield.domain.models import Lead, Project, StageEvent
from zsfield.domain.problems import DomainError
from zsfield.store import Store
from zsfield.store.actions.leads import capture_lead, convert_lead, screen_lead
from zsfield.store.actions.projects import move_stage, set_status, update_project
from zsfield.store.actions.service import add_service_item, set_milestone


def credit_code(division: str = "320591", body: str = "MA1XY37Q") -> str:
    first17 = "91" + division + body + compute_org_check_char(body)
    return first17 + compute_check_char(first17)


VALID_CODE = credit_code()
ALL_PROMISED = frozenset(
    {MilestoneKind.REGISTRATION, MilestoneKind.CONSTRUCTION_START, MilestoneKind.PRODUCTION_START}
)

# stage → (what entering it needs, the context it needs, what a refusal names in 中文 and in English)
GATES: dict[Stage, tuple[dict[str, Any], dict[str, Any], list[str], list[str]]] = {
    Stage.NEGOTIATING: (
        {"owner_team_id": "team-1", "leader_id": "leader-1", "service_officer_id": "officer-1"},
        {},
        ["缺少责任团队", "缺少包保领导", "缺少服务专员"],
        ["owner team is missing", "leader is missing", "service officer is missing"],
    ),
    Stage.INTENT_SIGNED: (
        {"intent_signed_on": date(2026, 3, 2), "planned_investment": Decimal("300000000")},
        {},
        ["缺少意向签约日期", "缺少计划总投资"],
        ["intent signing date is missing", "planned total investment is missing"],
    ),
    Stage.CONTRACT_SIGNED: (
        {"contract_signed_on": date(2026, 4, 8), "total_investment": Decimal("320000000")},
        {"promised_milestones": ALL_PROMISED},
        ["缺少正式签约日期", "缺少总投资", "缺少承诺的注册日期", "缺少承诺的开工日期", "缺少承诺的投产日期"],
        [
            "contract date is missing",
            "total investment is missing",
            "the promised Registration date is missing",
            "the promised Construction start date is missing",
            "the promised Production start date is missing",
        ],
    ),
    Stage.REGISTERED: (
        {"registered_entity": "云湖远澜储能技术有限公司", "credit_code": VALID_CODE},
        {},
        ["缺少注册主体名称", "缺少统一社会信用代码"],
        ["registered entity name is missing", "unified social credit code is missing"],
    ),
    Stage.LAND_APPROVED: (
        {"land_area_mu": Decimal("86.5")},
        {},
        ["需填写用地面积（亩）或勾选「不新增用地」"],
        ["enter the land area (mu) or tick “no new land”"],
    ),
    Stage.PERMITS: (
        {},
        {"permit_items": 3},
        ["服务方案中还没有证件清单"],
        ["the service plan has no permit list yet"],
    ),
    Stage.CONSTRUCTION: (
        {"construction_start_on": date(2026, 9, 1)},
        {},
        ["缺少开工日期"],
        ["construction start date is missing"],
    ),
    Stage.COMMISSIONING: ({}, {}, [], []),
    Stage.PRODUCTION: (
        {"production_start_on": date(2027, 6, 30)},
        {},
        ["缺少投产日期"],
        ["production start date is missing"],
    ),
    Stage.EFFECTIVE: (
        {"actual_output": Decimal("900000000"), "actual_tax": Decimal("36000000"), "actual_jobs": 420},
        {},
        ["缺少实际年产值", "缺少实际年税收", "缺少实际就业人数"],
        ["actual annual output is missing", "actual annual tax is missing", "actual jobs is missing"],
    ),
}


def project_at(stage: Stage, **extra: Any) -> tuple[dict[str, Any], FlowContext]:
    """A project standing in ``stage`` with everything each stage up to it needs."""
    project: dict[str, Any] = {"company_id": "company-1", "source_channel": "fair", "stage": stage.value}
    ctx: dict[str, Any] = {}
    for s in STAGES[1 : stage.index]:
        fields, needs, _, _ = GATES[s]
        project.update(fields)
        ctx.update(needs)
    project.update(extra)
    return project, FlowContext(**ctx)


@pytest.mark.parametrize("stage", list(GATES), ids=lambda s: s.value)
def test_each_gate_refuses_naming_what_is_missing_then_allows(stage: Stage) -> None:
    before = stage.previous()
    assert before is not None
    project, ctx = project_at(before)
    fields, needs, zh, en = GATES[stage]
    if zh:
        with pytest.raises(DomainError) as refused:
            check_stage_move(project, stage, ctx=ctx)
        message_zh, message_en = refused.value.message("zh"), refused.value.message("en")
        assert message_zh.startswith(f"不能进入「{stage.label('zh')}」")
        assert message_en.startswith(f"Cannot enter “{stage.label('en')}”")
        for phrase in zh:
            assert phrase in message_zh
        for phrase in en:
            assert phrase in message_en
        assert str(refused.value) == message_zh + " / " + message_en
    project.update(fields)
    ctx = FlowContext(**{**ctx.__dict__, **needs})
    move = check_stage_move(project, stage, ctx=ctx)
    assert (move.from_stage, move.to_stage, move.backwards) == (before, stage, False)


def test_screening_needs_a_company_and_a_source() -> None:
    problems = requirements_of(Stage.SCREENING, {})
    assert {p.field for p in problems} == {"company_id", "source_channel"}
    assert requirements_of(Stage.SCREENING, {"company_id": "c", "source_channel": "online"}) == []


def test_amounts_must_be_positive_and_codes_must_check() -> None:
    project, ctx = project_at(Stage.NEGOTIATING)
    project.update(intent_signed_on=date(2026, 3, 2), planned_investment=Decimal("0"))
    with pytest.raises(DomainError, match="planned total investment is missing"):
        check_stage_move(project, Stage.INTENT_SIGNED, ctx=ctx)
    project.update(planned_investment=None, total_investment=Decimal("5e7"))  # a total stands in for the plan
    check_stage_move(project, Stage.INTENT_SIGNED, ctx=ctx)

    project, ctx = project_at(Stage.CONTRACT_SIGNED, registered_entity="云湖远澜储能技术有限公司")
    broken = VALID_CODE[:-1] + ("0" if VALID_CODE[-1] != "0" else "1")
    project["credit_code"] = broken
    with pytest.raises(DomainError) as refused:
        check_stage_move(project, Stage.REGISTERED, ctx=ctx)
    assert f"统一社会信用代码 {broken} 校验不通过" in refused.value.message("zh")
    assert "fails its check digit" in refused.value.message("en")
    assert refused.value.fields == ["credit_code"]


def test_no_new_land_stands_in_for_a_land_area() -> None:
    project, ctx = project_at(Stage.REGISTERED, no_new_land=True)
    assert check_stage_move(project, Stage.LAND_APPROVED, ctx=ctx).to_stage == Stage.LAND_APPROVED


def test_skipping_stages_needs_everything_skipped() -> None:
    project, ctx = project_at(Stage.NEGOTIATING)
    project.update(contract_signed_on=date(2026, 4, 8), total_investment=Decimal("320000000"))
    ctx = FlowContext(promised_milestones=ALL_PROMISED)
    with pytest.raises(DomainError) as refused:
        check_stage_move(project, Stage.CONTRACT_SIGNED, ctx=ctx)
    assert refused.value.fields == ["intent_signed_on"]  # the total investment counts as the plan
    assert "intent signing date is missing" in refused.value.message("en")
    project["intent_signed_on"] = date(2026, 4, 8)  # intent and contract signed the same day
    move = check_stage_move(project, Stage.CONTRACT_SIGNED, ctx=ctx)
    assert move.from_stage == Stage.NEGOTIATING and not move.backwards
    # from screening straight to production: every stage between must be satisfied
    project, ctx = project_at(Stage.PRODUCTION)
    project["stage"] = Stage.SCREENING.value
    assert check_stage_move(project, Stage.PRODUCTION, ctx=ctx).to_stage == Stage.PRODUCTION
    project.pop("land_area_mu")
    with pytest.raises(DomainError, match="no new land"):
        check_stage_move(project, Stage.PRODUCTION, ctx=ctx)
    assert missing_for(Stage.NEGOTIATING, project) == []


def test_moving_back_needs_a_reason() -> None:
    project, ctx = project_at(Stage.LAND_APPROVED)
    with pytest.raises(DomainError) as refused:
        check_stage_move(project, Stage.REGISTERED, ctx=ctx)
    assert "退回「注册登记」需要说明原因" in refused.value.message("zh")
    assert "moving back to “Registered” needs a reason" in refused.value.message("en")
    with pytest.raises(DomainError):
        check_stage_move(project, Stage.REGISTERED, reason="   ", ctx=ctx)
    move = check_stage_move(project, Stage.REGISTERED, reason=" 用地规划调整，需重新报批 ", ctx=ctx)
    assert move.backwards and move.note == "用地规划调整，需重新报批"
    # moving back never asks for what the earlier stage already had
    assert check_stage_move({"stage": "effective"}, Stage.SCREENING, reason="重新研判").backwards


def test_the_same_stage_is_not_a_move() -> None:
    project, ctx = project_at(Stage.PERMITS)
    with pytest.raises(DomainError, match="already at"):
        check_stage_move(project, Stage.PERMITS, ctx=ctx)


@pytest.mark.parametrize("status", [ProjectStatus.DELAYED, ProjectStatus.LOST, ProjectStatus.ABANDONED])
def test_statuses_that_need_a_reason_and_a_date(status: ProjectStatus) -> None:
    project, _ = project_at(Stage.CONTRACT_SIGNED)
    problems = check_status_change(project, status)
    assert {p.key for p in problems} == {"flow.status_needs_reason", "flow.status_needs_date"}
    zh = [p.message("zh") for p in problems]
    en = [p.message("en") for p in problems]
    assert (
        f"改为「{status.label('zh')}」需要说明原因" in zh
        and f"改为「{status.label('zh')}」需要填写日期" in zh
    )
    assert f"“{status.label('en')}” needs a reason" in en and f"“{status.label('en')}” needs a date" in en
    assert [p.key for p in check_status_change(project, status, reason="融资未落实")] == [
        "flow.status_needs_date"
    ]
    assert check_status_change(project, status, reason="融资未落实", on=date(2026, 5, 6)) == []


def test_dormant_and_active_need_no_reason() -> None:
    project, _ = project_at(Stage.NEGOTIATING, status="delayed")
    assert check_status_change(project, ProjectStatus.DORMANT) == []
    assert check_status_change(project, ProjectStatus.ACTIVE) == []
    assert [p.key for p in check_status_change(project, ProjectStatus.DELAYED)] == ["flow.same_status"]


@pytest.mark.parametrize("status", [ProjectStatus.LOST, ProjectStatus.ABANDONED])
def test_lost_and_abandoned_projects_do_not_move(status: ProjectStatus) -> None:
    project, ctx = project_at(Stage.INTENT_SIGNED, status=status.value)
    project.update(GATES[Stage.CONTRACT_SIGNED][0])
    ctx = FlowContext(promised_milestones=ALL_PROMISED)
    for target, reason in ((Stage.CONTRACT_SIGNED, ""), (Stage.NEGOTIATING, "重新洽谈")):
        with pytest.raises(DomainError) as refused:
            check_stage_move(project, target, reason=reason, ctx=ctx)
        assert f"项目状态为「{status.label('zh')}」，请先恢复为正常推进" in refused.value.message("zh")
        assert "reactivate it first" in refused.value.message("en")
    project["status"] = ProjectStatus.ACTIVE.value
    assert check_stage_move(project, Stage.CONTRACT_SIGNED, ctx=ctx).to_stage == Stage.CONTRACT_SIGNED


# --- the whole path, through the store's actions ------------------------------------------------------------


def _move(store: Store, project_id: str, stage: Stage, **changes: Any) -> None:
    with store.write("officer-1") as w:
        project = w.session.get(Project, project_id)
        if changes:
            update_project(w, project, **changes)
        move_stage(w, project, stage)


def test_from_lead_to_targets_reached_through_the_actions(store: Store) -> None:
    with store.write("officer-1") as w:
        lead = capture_lead(
            w,
            title="远澜储能电站项目",
            company_name="江苏远澜储能技术有限公司",
            source_channel=SourceChannel.INVESTOR_REFERRAL,
            estimated_investment=Decimal("280000000"),
            industry="新能源",
            contact_name="宋嘉怡",
        )
        lead_id = lead.id
    with store.write("leader-1") as w:
        lead = w.session.get(Lead, lead_id)
        with pytest.raises(DomainError, match="only a lead screened as real"):
            convert_lead(w, lead, owner_team_id="team-1", leader_id="leader-1")
        screen_lead(w, lead, verdict=Verdict.REAL, reason="企业投资意向真实，资金来源明确")
        project = convert_lead(w, lead, owner_team_id="team-1", leader_id="leader-1")
        project_id = project.id
        assert project.service_officer_id == "officer-1"  # 首次接待即服务专员
        assert project.planned_investment == Decimal("280000000")

    _move(store, project_id, Stage.NEGOTIATING)
    with pytest.raises(DomainError) as refused:
        _move(store, project_id, Stage.INTENT_SIGNED)
    assert "缺少意向签约日期" in refused.value.message("zh")
    _move(store, project_id, Stage.INTENT_SIGNED, intent_signed_on=date(2026, 1, 12))
    with store.write("officer-1") as w:
        project = w.session.get(Project, project_id)
        update_project(
            w, project, contract_signed_on=date(2026, 2, 20), total_investment=Decimal("310000000")
        )
        for kind, promised in (
            (MilestoneKind.REGISTRATION, date(2026, 4, 1)),
            (MilestoneKind.CONSTRUCTION_START, date(2026, 8, 1)),
        ):
            set_milestone(w, project, kind, promised_on=promised)
    with pytest.raises(DomainError) as refused:
        _move(store, project_id, Stage.CONTRACT_SIGNED)
    assert "the promised Production start date is missing" in refused.value.message("en")
    with store.write("officer-1") as w:
        set_milestone(
            w,
            w.session.get(Project, project_id),
            MilestoneKind.PRODUCTION_START,
            promised_on=date(2027, 6, 1),
        )
    _move(store, project_id, Stage.CONTRACT_SIGNED)
    _move(
        store,
        project_id,
        Stage.REGISTERED,
        registered_entity="云湖远澜储能技术有限公司",
        credit_code=VALID_CODE,
    )
    _move(store, project_id, Stage.LAND_APPROVED, land_area_mu=Decimal("86.5"))
    with pytest.raises(DomainError, match="permit list"):
        _move(store, project_id, Stage.PERMITS)
    with store.write("officer-1") as w:
        project = w.session.get(Project, project_id)
        add_service_item(w, project, title="", permit_type=PermitType.FILING, responsible="行政审批局")
        add_service_item(w, project, title="", permit_type=PermitType.CONSTRUCTION)
    _move(store, project_id, Stage.PERMITS)
    _move(store, project_id, Stage.CONSTRUCTION, construction_start_on=date(2026, 8, 10))
    with store.write("officer-1") as w:  # delayed needs a reason and a date; the stage stays
        project = w.session.get(Project, project_id)
        with pytest.raises(DomainError):
            set_status(w, project, ProjectStatus.DELAYED)
    with store.write("officer-1") as w:
        set_status(
            w,
            w.session.get(Project, project_id),
            ProjectStatus.DELAYED,
            reason="设备到货延迟",
            on=date(2026, 10, 1),
        )
    with store.write("officer-1") as w:
        set_status(w, w.session.get(Project, project_id), ProjectStatus.ACTIVE)
    _move(store, project_id, Stage.COMMISSIONING)
    _move(store, project_id, Stage.PRODUCTION, production_start_on=date(2027, 5, 20))
    _move(
        store,
        project_id,
        Stage.EFFECTIVE,
        actual_output=Decimal("650000000"),
        actual_tax=Decimal("26000000"),
        actual_jobs=380,
    )

    with store.read() as s:
        project = s.get(Project, project_id)
        assert project.stage == Stage.EFFECTIVE and project.status == ProjectStatus.ACTIVE
        assert project.band == "b3yi"
        lead = s.get(Lead, lead_id)
        assert lead.status == "converted" and lead.project_id == project_id
        events = sorted(
            s.exec(select(StageEvent).where(StageEvent.project_id == project_id)).all(), key=lambda e: e.at
        )
        stage_path = [e.to_value for e in events if e.kind == "stage"]
        assert stage_path == [s.value for s in STAGES]
        assert [(e.from_value, e.to_value) for e in events if e.kind == "status"] == [
            ("active", "delayed"),
            ("delayed", "active"),
        ]
    # every one of those writes queued its op
    ops = store.scalar("SELECT count(*) FROM outbox WHERE entity = 'stage_event' AND op = 'insert'")
    assert ops == len(events)


def test_refusal_separators_follow_the_current_language() -> None:
    from zsfield.domain.problems import DomainError, Problem
    from zsfield.i18n import current_language, set_language

    before = current_language()
    err = DomainError(
        [Problem("flow.missing_field", {"field": "a"}), Problem("flow.missing_field", {"field": "b"})]
    )
    try:
        set_language("zh")
        assert "；" in err.message()
        set_language("en")
        assert "; " in err.message() and "；" not in err.message()
    finally:
        set_language(before)
