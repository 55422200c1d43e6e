"""今日 dashboard: snapshots in both languages at 120×40 and 80×24; every row opens its record."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tui_a_support import L_MINE, P_ENV, P_HH, build_store, make_test_app, ready


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tui_dash") / "template.db"
    build_store(path).close()
    return path


@pytest.fixture
def tui_store(template_db: Path, tmp_path: Path) -> Any:
    from zsfield.store import Store

    path = tmp_path / "officer.db"
    shutil.copy(template_db, path)
    store = Store.open(path)
    yield store
    store.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_dashboard_snapshot(snap_compare: Any, tui_store: Any, lang: str, size: tuple[int, int]) -> None:
    app = make_test_app(tui_store, lang=lang)
    assert snap_compare(app, terminal_size=size, run_before=ready)


async def test_dashboard_shows_my_day_and_every_row_opens_its_record(
    tui_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import DataTable, TabbedContent

    app = make_test_app(tui_store, lang="en")
    opened: list[tuple[str, str]] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = app.screen
        assert type(screen).__name__ == "DashboardScreen"
        tabs = screen.query_one("#dash-tabs", TabbedContent)
        labels = {
            pane: str(tabs.get_tab(f"tab-{pane}").label) for pane in ("follow_ups", "milestones", "stale")
        }
        assert labels == {"follow_ups": "Due 3", "milestones": "Milestones 1", "stale": "Stale 1"}
        due = screen.query_one("#dash-follow_ups", DataTable)
        # oldest first: overdue 5 days, overdue 3 days, due today; not the one due next week, not a colleague's
        assert [due.get_row_at(i)[3] for i in range(due.row_count)] == [
            "催办施工许可证材料",
            "约企业高管实地考察",
            "确认园区用地方案",
        ]
        assert screen.query_one("#dash-service_items", DataTable).row_count == 2
        assert screen.query_one("#dash-leads", DataTable).row_count == 2
        pipeline = screen.query_one("#dash-pipeline-side", DataTable)
        assert pipeline.row_count == 11
        assert str(pipeline.get_row_at(3)[1]) == "1"  # 正式签约: 华虹宏力
        assert "1 to upload" in str(screen.query_one("#dash-summary").render())

        # every row opens its record
        monkeypatch.setattr(app, "open_project", lambda pid: opened.append(("project", pid)))
        monkeypatch.setattr(app, "open_lead", lambda lid: opened.append(("lead", lid)))
        await pilot.press("enter")  # first follow-up: 华虹宏力 (overdue 5 days)
        await pilot.press("down", "down", "enter")  # the one due today: 远景零碳产业园
        await pilot.press("4", "enter")  # stale: 华虹宏力
        await pilot.press("2", "enter")  # overdue milestone of 华虹宏力
        await pilot.press("5", "enter")  # the newest lead waiting for screening
        assert opened == [
            ("project", P_HH),
            ("project", P_ENV),
            ("project", P_HH),
            ("project", P_HH),
            ("lead", L_MINE),
        ]


async def test_narrow_terminal_puts_the_pipeline_in_a_tab(tui_store: Any) -> None:
    from textual.widgets import DataTable, TabbedContent

    app = make_test_app(tui_store, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.screen
        assert not screen.query_one("#dash-side").display
        await pilot.press("6")
        assert screen.query_one("#dash-tabs", TabbedContent).active == "tab-pipeline"
        assert app.focused is screen.query_one("#dash-pipeline", DataTable)
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert screen.query_one("#dash-side").display
        # a stage of the pipeline opens the projects screen at that stage
        await pilot.press("6", "down", "down", "down", "enter")
        await ready(pilot)
        assert app.current_mode == "projects"
        stage = app.screen.query("#proj-stage")
        if stage:  # the projects screen's stage filter, when it has one
            assert stage.first().value == "contract_signed"
