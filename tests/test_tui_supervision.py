"""督查 (F6): snapshots of every tab and the report dialog in both languages at 120×40, and the flows —
ask for a reason, leave a 督办意见, show a timeline in place, export the monthly report from the TUI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reports_fixtures import NOW, open_yunhu, pid
from tui_common import freeze_cursors, settle  # noqa: F401  (re-exported for the tests)


@pytest.fixture
def yunhu(tmp_path: Path) -> Iterator[Any]:
    store = open_yunhu(tmp_path)
    yield store
    store.close()


def make(store: Any, lang: str) -> Any:
    from zsfield.app import make_app
    from zsfield.clock import FrozenClock
    from zsfield.config import load_settings

    app = make_app(load_settings(), store=store, clock=FrozenClock(NOW), lang=lang, start_mode="supervision")
    app.animation_level = "none"
    return app


async def ready(pilot: Any) -> None:
    from textual.widgets import Input

    await settle(pilot)
    for screen in pilot.app.screen_stack:
        for node in screen.query(Input):
            node.cursor_blink = False
    await pilot.pause()


def press_then_ready(*keys: str) -> Any:
    async def run(pilot: Any) -> None:
        await ready(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await ready(pilot)

    return run


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    "keys",
    [(), ("2",), ("3",), ("4",), ("5",), ("m",)],
    ids=["review", "stale", "overdue", "targets", "ranking", "report"],
)
def test_supervision_snapshots(snap_compare: Any, yunhu: Any, lang: str, keys: tuple[str, ...]) -> None:
    assert snap_compare(make(yunhu, lang), terminal_size=(120, 40), run_before=press_then_ready(*keys))


async def test_tabs_show_the_lists_and_figures(yunhu: Any) -> None:
    from textual.widgets import DataTable, Static

    from zsfield.widgets.chart import ProgressChart
    from zsfield.widgets.paged_table import PagedTable

    app = make(yunhu, "en")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = app.screen
        assert type(screen).__name__ == "SupervisionScreen"
        assert screen.query_one("#sup-review", PagedTable).row_count == 7
        assert screen.query_one("#sup-stale", PagedTable).total == 4
        assert "stale 4 · overdue 2 · 两未 4 · 三未 4" in str(
            screen.query_one("#sup-summary", Static).render()
        )
        await pilot.press("3")
        assert screen.query_one("#sup-overdue", PagedTable).row_count == 2
        screen.query_one("#sup-list").value = "signed_not_started"
        await settle(pilot)
        gaps = screen.query_one("#sup-gaps", PagedTable)
        assert gaps.display and gaps.row_count == 3
        await pilot.press("4")
        targets = screen.query_one("#sup-targets", DataTable)
        assert targets.row_count == 6  # the zone, three teams, a department, a leader
        chart = screen.query_one("#sup-chart", ProgressChart)
        assert [p.cumulative for p in chart.points][:11] == [0, 0, 1, 1, 1, 1, 1, 1, 2, 4, 4]
        await pilot.press("down")  # the first team: its own curve
        await pilot.pause()
        assert chart.title.startswith("新能源招商攻坚队")
        await pilot.press("5")
        ranking = screen.query_one("#sup-ranking", DataTable)
        assert [str(ranking.get_row_at(i)[1]) for i in range(3)] == [
            "新能源招商攻坚队",
            "项目一部",
            "驻东京招商组",
        ]
        await pilot.press("p")  # this month (November): only P3's November receipt counts
        await settle(pilot)
        assert "this month" in str(screen.query_one("#sup-ranking-info", Static).render())
        assert str(ranking.get_row_at(0)[7]) == "0.50"  # half of 100万美元 × 0.01, for each of two teams

        # the review, filtered by team; x clears the filters
        await pilot.press("1")
        screen.query_one("#sup-team").value = "team-tyo"
        await settle(pilot)
        review = screen.query_one("#sup-review", PagedTable)
        assert [review.current().name] == ["物流园项目"] and review.row_count == 2
        await pilot.press("x")
        await settle(pilot)
        assert review.row_count == 7

        # t shows the timeline of the project under the cursor in place; it follows the cursor; t hides it
        from zsfield.widgets.timeline import Timeline

        assert not screen.query_one("#sup-side").display
        await pilot.press("t")
        await settle(pilot)
        assert screen.query_one("#sup-side").display
        assert screen.query_one(Timeline).project_id == pid(6)
        assert screen.query_one(Timeline).total == 4
        await pilot.press("down")
        await settle(pilot)
        assert [tl.project_id for tl in screen.query(Timeline)] == [pid(1)]
        await pilot.press("t")
        await settle(pilot)
        assert not screen.query_one("#sup-side").display


async def test_reason_note_and_targets_are_written_from_the_screen(yunhu: Any) -> None:
    app = make(yunhu, "zh")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("2")  # stale: 光伏组件扩产项目 first
        await pilot.press("r")
        await settle(pilot)
        assert type(app.screen).__name__ == "NoteModal"
        field = app.screen.query_one("#f-body")
        assert "114 天" in field.text  # the default text says how long
        await pilot.press("f10")
        await settle(pilot)
        assert type(app.screen).__name__ == "SupervisionScreen"
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"请本周内上门拜访")
        await pilot.press("enter")  # enter on the last field saves
        await settle(pilot)
        assert type(app.screen).__name__ == "SupervisionScreen"
        # leaving a typed note asks first; staying keeps the text; leaving writes nothing
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"draft")
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmModal"
        await pilot.press("n")
        await settle(pilot)
        assert type(app.screen).__name__ == "NoteModal"
        assert app.screen.query_one("#f-body").text == "draft"
        await pilot.press("escape", "y")
        await settle(pilot)
        assert type(app.screen).__name__ == "SupervisionScreen"
        # 任务分解表: e edits the targets of the owner under the cursor (项目一部: 1亿以上 2 → 3)
        await pilot.press("4", "down", "down", "e")
        await settle(pilot)
        assert type(app.screen).__name__ == "TargetModal"
        app.screen.query_one("#f-b1yi").text = "3"
        await pilot.press("f10")
        await settle(pilot)
        assert type(app.screen).__name__ == "SupervisionScreen"
        assert str(app.screen.query_one("#sup-targets").get_row_at(2)[5]) == "0/3"
    rows = yunhu.engine.connect().exec_driver_sql(
        "SELECT kind, body FROM note WHERE project_id = ? AND author_id = 'officer-sup' ORDER BY kind",
        (pid(6),),
    )
    notes = dict(rows.all())
    assert set(notes) == {"reason_request", "supervision"}
    assert notes["supervision"] == "请本周内上门拜访"
    assert yunhu.scalar("SELECT count(*) FROM outbox WHERE entity = 'note'") == 2  # both sync to the owner
    assert (
        yunhu.scalar("SELECT count FROM target WHERE owner_id = 'team-p1' AND band = 'b1yi' AND year = 2026")
        == 3
    )
    assert yunhu.scalar("SELECT op FROM outbox WHERE entity = 'target'") == "update"


async def test_export_the_monthly_report_from_the_tui(yunhu: Any, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    app = make(yunhu, "zh")
    out = tmp_path / "十月专报.xlsx"
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("m")
        await settle(pilot)
        modal = app.screen
        assert type(modal).__name__ == "ReportModal"
        assert modal.query_one("#f-period").text == "2026-10"  # the last full month
        assert modal.query_one("#f-path").text == "zsfield-monthly-2026-10.xlsx"
        modal.query_one("#f-period").text = "2026-13"
        await pilot.press("f10")
        await settle(pilot)
        assert "2026-13" in str(modal.query_one("#f-period .field-error").render())
        modal.query_one("#f-period").text = "2026-10"
        modal.query_one("#f-path").text = str(out)
        await pilot.press("f10")
        await settle(pilot)
        assert type(app.screen).__name__ == "SupervisionScreen"
    wb = load_workbook(out)
    assert wb.sheetnames[:3] == ["说明", "汇总", "分档统计"]
    assert wb["汇总"]["B4"].value == 3  # signed in October


def test_chart_draws_bars_against_the_pro_rata_line() -> None:
    from decimal import Decimal

    from zsfield.widgets.chart import BAR, LINE, ChartPoint, render_chart

    points = [ChartPoint(m, (m if m <= 3 else None), Decimal(m)) for m in range(1, 5)]  # target 4, on track
    lines = render_chart(points, height=4, lang="en").plain.splitlines()
    assert lines[0].startswith(BAR * 2)  # the legend
    rows = lines[1:5]  # levels 4, 3, 2, 1
    assert [r.split("┤")[0].strip() for r in rows] == ["4", "3", "2", "1"]
    # month 3: bar up to 3 with the line drawn at 3; month 4 (after the as-of day): the line only
    assert rows[1].count(LINE * 4) == 1 and rows[0].count(LINE * 4) == 1
    assert BAR * 4 in rows[2] and BAR * 4 in rows[3]
    assert lines[-1].split() == ["M1", "M2", "M3", "M4"]
