"""项目: the pipeline and the project list — snapshots (zh / en, 120×40 and 80×24) and pilot tests of the
filters, the sort, search as you type and opening a project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Checkbox, Input, Select

from tui_b_data import build_template, dataset_copy, make_test_app, no_blink, settle


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("tui_b") / "template.db")


@pytest.fixture
def data(template: Path, tmp_path: Path) -> Any:
    store, ids = dataset_copy(template, tmp_path / "officer.db")
    yield store, ids
    store.close()


async def _ready(pilot: Any) -> None:
    await settle(pilot)
    no_blink(pilot.app)
    await pilot.pause()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_projects_snapshot(snap_compare: Any, data: Any, lang: str, size: tuple[int, int]) -> None:
    store, _ = data
    app = make_test_app(store, lang=lang, start_mode="projects")
    assert snap_compare(app, terminal_size=size, run_before=_ready)


async def test_filters_sort_search_and_open(data: Any) -> None:
    store, ids = data
    app = make_test_app(store, lang="zh", start_mode="projects")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.table
        assert table.total == 12
        # search as you type (debounced)
        screen.query_one("#proj-search", Input).focus()
        for ch in "储能":
            await pilot.press(ch)
        await pilot.pause(0.3)
        await settle(pilot)
        names = {row.name for row in table._rows.values()}
        assert names == {"远景储能电池基地", "北斗储能系统集成"}
        # a stage filter from the select; the pipeline keeps every stage
        screen.query_one("#proj-stage", Select).value = "commissioning"
        await settle(pilot)
        assert {row.name for row in table._rows.values()} == {"北斗储能系统集成"}
        await pilot.press("escape")  # leave the search field
        screen.query_one("#projects-table").focus()
        await pilot.press("x")  # clear filters
        await settle(pilot)
        assert table.total == 12
        # the team filter from the options of the store
        team = screen.query_one("#proj-team", Select)
        team_id = next(value for label, value in team._options if label == "驻东京招商组")
        team.value = team_id
        await settle(pilot)
        assert table.total == 3
        team.value = Select.NULL
        # overdue: the main project has an overdue service item and milestone
        screen.query_one("#proj-overdue", Checkbox).value = True
        await settle(pilot)
        assert ids["main"] in {row.id for row in table._rows.values()}
        screen.query_one("#proj-overdue", Checkbox).value = False
        await settle(pilot)
        # the pipeline: enter on a stage filters the list by it
        pipeline = screen.query_one("#pipeline-table")
        pipeline.focus()
        pipeline.move_cursor(row=2)  # 3 意向签约
        await pilot.press("enter")
        await settle(pilot)
        assert {row.stage.value for row in table._rows.values()} == {"intent_signed"}
        assert table.total == 2
        # sort cycles; enter on a row opens the project
        screen.query_one("#proj-stage", Select).value = Select.NULL
        await settle(pilot)
        table.focus()
        await pilot.press("s")
        await settle(pilot)
        assert screen.sort == "last_entry"
        await pilot.press("s", "s")
        await settle(pilot)
        assert screen.sort == "name"
        first = table.current()
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ProjectDetailScreen"
        assert app.screen.project_id == first.id
