"""The whole flow from the keyboard: lead (captured, screened, converted through store.actions) → project list →
detail → visits with F8 → every stage to 投产达效, with the refusals along the way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import select
from textual.widgets import Input, Select, Static

from tui_b_data import bad_check_digit, build_org, credit_code, make_test_app, new_project, settle
from tui_common import until
from zsfield.domain.enums import Stage
from zsfield.domain.models import FollowUp, Project, ServiceItem, Visit
from zsfield.i18n import t
from zsfield.store import Store


async def type_text(pilot: Any, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


def stage_of(store: Store, pid: str) -> Stage:
    with store.read() as s:
        return Stage(s.get(Project, pid).stage)


def focused_field(app: Any) -> str | None:
    node = app.focused
    while node is not None and not (node.id or "").startswith("f-"):
        node = node.parent
    return node.id if node is not None else None


async def fill(pilot: Any, field_id: str, text: str) -> None:
    """Focus a field of the stage pane (as tab would) and enter ``text`` (as pasting would)."""
    field = pilot.app.screen.query_one(f"#{field_id} Input", Input)
    field.focus()
    field.value = text
    await pilot.pause()


async def advance(pilot: Any) -> None:
    await pilot.press("f9")
    await settle(pilot)


async def test_whole_flow_from_the_keyboard(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "flow.db")
    org = build_org(store)
    pid = new_project(
        store, org, "远景储能电池基地", "远景能源（江苏）有限公司"
    )  # no estimate: 意向 needs one
    app = make_test_app(store, lang="zh", start_mode="projects")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # the list shows the project; enter opens it
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ProjectDetailScreen"
        assert app.screen.project_id == pid

        # F8 logs a visit for this project, keyboard only (enter moves on, enter on the last field saves)
        await pilot.press("f8")
        await settle(pilot)
        assert type(app.screen).__name__ == "VisitCaptureModal"
        await type_text(pilot, "江阴")
        await pilot.press("enter")
        await type_text(pilot, "陈总")
        await pilot.press("enter")
        await type_text(pilot, "首次拜访，介绍园区")
        await pilot.press("enter")
        await type_text(pilot, "用地紧张")
        await pilot.press("enter", "enter")
        await type_text(pilot, "报送建议书")
        await pilot.press("enter", "enter")  # the next date keeps its +7; enter on the last field saves
        await settle(pilot)
        assert type(app.screen).__name__ == "ProjectDetailScreen"
        with store.read() as s:
            visits = s.exec(select(Visit).where(Visit.project_id == pid)).all()
            follow_ups = s.exec(select(FollowUp).where(FollowUp.project_id == pid)).all()
            assert [v.difficulties for v in visits] == ["用地紧张"]
            assert len(follow_ups) == 1 and follow_ups[0].title == "报送建议书"

        # 研判 → 洽谈: nothing missing (company, source, team, leader, service officer come from the lead)
        await pilot.press("a")
        await settle(pilot)
        assert stage_of(store, pid) == Stage.NEGOTIATING

        # 洽谈 → 意向签约 refused: the missing fields are named and the first one has the focus
        await advance(pilot)
        assert stage_of(store, pid) == Stage.NEGOTIATING
        missing = str(app.screen.query_one("#missing-line", Static).render())
        assert t("field.project.intent_signed_on") in missing
        assert t("field.project.planned_investment") in missing
        assert focused_field(app) == "f-intent_signed_on"
        await type_text(pilot, "2026-11-01")
        await fill(pilot, "f-planned_investment", "8亿")
        await advance(pilot)
        assert stage_of(store, pid) == Stage.INTENT_SIGNED
        with store.read() as s:
            assert s.get(Project, pid).planned_investment == 800_000_000

        # 正式签约 without a contract date: refused, with exactly what is missing
        await advance(pilot)
        assert stage_of(store, pid) == Stage.INTENT_SIGNED
        missing = str(app.screen.query_one("#missing-line", Static).render())
        for key in ("field.project.contract_signed_on", "field.project.total_investment"):
            assert t(key) in missing
        assert "开工" in missing and "投产" in missing
        assert focused_field(app) == "f-contract_signed_on"
        # an amount that is not a number is refused inline and kept as typed
        await fill(pilot, "f-total_investment", "abc")
        await pilot.press("f10")
        await settle(pilot)
        field = app.screen.query_one("#f-total_investment")
        assert field.has_class("-invalid") and field.text == "abc"
        with store.read() as s:
            assert s.get(Project, pid).total_investment is None
        field.text = ""
        await fill(pilot, "f-total_investment", "12亿")
        await fill(pilot, "f-contract_signed_on", "2026-11-20")
        await fill(pilot, "f-milestone-registration", "2026-12-31")
        await fill(pilot, "f-milestone-construction_start", "2027-03-31")
        await fill(pilot, "f-milestone-production_start", "2027-12-31")
        await advance(pilot)
        assert stage_of(store, pid) == Stage.CONTRACT_SIGNED

        # 注册登记: a credit code with a wrong check digit is refused inline and kept
        await advance(pilot)
        assert focused_field(app) == "f-registered_entity"
        await type_text(pilot, "云湖远景储能科技有限公司")
        wrong = bad_check_digit(credit_code())
        await fill(pilot, "f-credit_code", wrong)
        await advance(pilot)
        code = app.screen.query_one("#f-credit_code")
        assert code.has_class("-invalid") and code.text == wrong
        assert stage_of(store, pid) == Stage.CONTRACT_SIGNED
        code.text = ""
        await fill(pilot, "f-credit_code", credit_code())
        await advance(pilot)
        assert stage_of(store, pid) == Stage.REGISTERED

        # 土地报批
        await advance(pilot)
        assert focused_field(app) == "f-land_area_mu"
        await type_text(pilot, "150")
        await advance(pilot)
        assert stage_of(store, pid) == Stage.LAND_APPROVED

        # 证件办理: refused until the service plan has a permit; add one from the checklist, keyboard only
        await advance(pilot)
        assert app.focused is app.screen.query_one("#f-permits", Select)
        await pilot.press("enter")  # open the list of permit types
        await pilot.press("down", "enter")  # 项目备案
        await pilot.pause()
        await pilot.press("enter")  # the add button has the focus
        await settle(pilot)
        with store.read() as s:
            assert len(s.exec(select(ServiceItem).where(ServiceItem.project_id == pid)).all()) == 1
        await advance(pilot)
        assert stage_of(store, pid) == Stage.PERMITS

        # 开工建设, 设备调试, 竣工投产, 投产达效
        await advance(pilot)
        assert focused_field(app) == "f-construction_start_on"
        await type_text(pilot, "2026-11-22")
        await advance(pilot)
        assert stage_of(store, pid) == Stage.CONSTRUCTION
        await advance(pilot)
        assert stage_of(store, pid) == Stage.COMMISSIONING
        await advance(pilot)
        assert focused_field(app) == "f-production_start_on"
        await type_text(pilot, "2026-11-23")
        await advance(pilot)
        assert stage_of(store, pid) == Stage.PRODUCTION
        await advance(pilot)
        assert focused_field(app) == "f-actual_output"
        await type_text(pilot, "30亿")
        await fill(pilot, "f-actual_tax", "1.2亿")
        await fill(pilot, "f-actual_jobs", "800")
        await advance(pilot)
        assert stage_of(store, pid) == Stage.EFFECTIVE
        assert await until(
            pilot,
            lambda: t("detail.last_stage") in str(app.screen.query_one("#missing-line", Static).render()),
        )

        # a second visit with F8, then the timeline shows both and every stage event
        await pilot.press("f8")
        await settle(pilot)
        app.screen.query_one("#f-summary Input", Input).value = "投产后回访"
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        timeline = app.screen.query_one("#detail-timeline")
        kinds = [e.kind for e in timeline.entries]
        assert kinds.count("visit") == 2 and kinds.count("stage_event") == 11
    store.close()


async def test_unsaved_changes_ask_before_leaving_and_quitting(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "flow.db")
    org = build_org(store)
    pid = new_project(store, org, "明石新材料研发中心", "明石化学株式会社")
    app = make_test_app(store, lang="en", start_mode="projects")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_project(pid)
        await settle(pilot)
        await fill(pilot, "f-name", "明石新材料研发中心 II")
        detail = app.screen
        assert detail.has_unsaved_changes()
        # escape asks; "no" keeps editing with the text intact
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmModal"
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is detail and detail.query_one("#f-name").text.endswith(" II")
        # ctrl+q asks too
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmModal" and app.is_running
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is detail
        # the visit capture asks as well when something was typed
        await pilot.press("f8")
        await settle(pilot)
        await type_text(pilot, "Osaka")
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmModal"
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is detail
        # leaving for good
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert type(app.screen).__name__ == "ProjectsScreen"
        with store.read() as s:
            assert s.get(Project, pid).name == "明石新材料研发中心"
    store.close()
