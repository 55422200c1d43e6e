"""记拜访 (F8): snapshots with and without a record in view (zh / en), the record picker, refusals that keep
what was typed, and the follow-up it creates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from textual.widgets import Input

from tui_b_data import TODAY, build_template, dataset_copy, make_test_app, no_blink, settle
from zsfield.domain.models import FollowUp, Visit


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("tui_b") / "template.db")


@pytest.fixture
def data(template: Path, tmp_path: Path) -> Any:
    store, ids = dataset_copy(template, tmp_path / "officer.db")
    yield store, ids
    store.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("with_record", [True, False])
def test_visit_snapshot(snap_compare: Any, data: Any, lang: str, with_record: bool) -> None:
    store, ids = data
    app = make_test_app(store, lang=lang, start_mode="projects")

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        if with_record:
            pilot.app.open_project(ids["main"])
        else:
            pilot.app.screen.query_one("#proj-search", Input).focus()
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        no_blink(pilot.app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


async def test_pick_a_project_then_log(data: Any) -> None:
    store, ids = data
    app = make_test_app(store, lang="zh", start_mode="projects")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.query_one("#proj-search", Input).focus()
        await pilot.press("f8")
        await settle(pilot)
        modal = app.screen
        assert modal.ask_record
        # saving before choosing is refused and says so
        modal.query_one("#f-summary Input", Input).value = "电话沟通供地进度"
        await pilot.press("f10")
        await settle(pilot)
        assert app.screen is modal and modal.project_id is None
        modal.query_one("#visit-search", Input).focus()
        for ch in "宁川":
            await pilot.press(ch)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert modal.project_id == ids["宁川动力电池二期"]
        # a date after today is refused and kept
        date = modal.query_one("#f-date")
        date.text = "2026-12-01"
        await pilot.press("f10")
        await settle(pilot)
        assert app.screen is modal and date.text == "2026-12-01" and date.has_class("-invalid")
        date.text = "2026-11-20"
        modal.query_one("#f-next_step Input", Input).value = "下周现场查看"
        await pilot.press("f10")
        await settle(pilot)
        assert app.screen is not modal
        with store.read() as s:
            visit = s.exec(select(Visit).where(Visit.project_id == ids["宁川动力电池二期"])).one()
            assert (
                visit.summary == "电话沟通供地进度" and visit.occurred_at.date().isoformat() == "2026-11-20"
            )
            follow = s.exec(select(FollowUp).where(FollowUp.visit_id == visit.id)).one()
            assert follow.due_on.isoformat() == "2026-11-30" and follow.title == "下周现场查看"


async def test_keyboard_only_visit_for_the_project_in_view(data: Any) -> None:
    store, ids = data
    app = make_test_app(store, lang="en", start_mode="projects")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_project(ids["fresh"])
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        # place → people → summary → difficulties → policy asks → next step → next date (enter saves)
        for text in ("Tokyo", "Mr Sato", "Intro call", "", "", "Send brochure", ""):
            for ch in text:
                await pilot.press("space" if ch == " " else ch)
            await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ProjectDetailScreen"
        with store.read() as s:
            visit = s.exec(select(Visit).where(Visit.project_id == ids["fresh"])).one()
            assert (visit.place, visit.people, visit.summary, visit.next_step) == (
                "Tokyo",
                "Mr Sato",
                "Intro call",
                "Send brochure",
            )
            assert s.exec(
                select(FollowUp).where(FollowUp.visit_id == visit.id)
            ).one().due_on == TODAY.replace(day=30)
