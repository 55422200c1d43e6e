"""Table cells (``ZsTable``): names exactly as typed (brackets are not Rich markup), and the quick one-line
drawing paints exactly what Textual's DataTable paints for the same cells."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from zsfield.widgets.table import ZsTable

NAMES = ["ACME [asia] GmbH", "丰田通商[上海]有限公司", "[b]not bold[/b]", "[/收尾]", "普通名称"]


def _rows() -> list[list[Any]]:
    """Cells of every kind the screens use: plain names (CJK, brackets, longer than their column), styled
    and right-justified Text, an empty cell, a number, a two-line cell (the DataTable's own path)."""
    rows: list[list[Any]] = []
    for i, name in enumerate(NAMES * 3):
        rows.append(
            [
                name,
                Text(f"{i:>2} 洽谈", style="yellow" if i % 2 else ""),
                Text(f"{1234.5 * (i + 1):,.1f} 万元", justify="right"),
                Text.assemble(("逾期 ", "bold red"), (f"{i} 天", "dim")),
                "" if i % 3 else "远景能源（江苏）有限公司 新能源汽车零部件与储能电池基地项目",
                i,
            ]
        )
    rows.append(["两行\n单元", Text("x", justify="center"), "", "", "", 0])
    return rows


class _Tables(App[None]):
    CSS = "DataTable { height: 20; width: 100; }"

    def compose(self) -> ComposeResult:
        yield ZsTable(id="zs", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="dt", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        zs, dt = self.query_one("#zs", ZsTable), self.query_one("#dt", DataTable)
        for table in (zs, dt):
            for label, width in (("名称", 14), ("阶段", None), ("金额", 12), ("逾期", None), ("企业", 20)):
                table.add_column(label, width=width)
            table.add_column("n")
        for n, row in enumerate(_rows()):
            zs.add_row(*row, key=str(n))
            dt.add_row(*(escape(c) if isinstance(c, str) else c for c in row), key=str(n))


def _lines(table: DataTable[Any]) -> list[list[tuple[str, Any]]]:
    """Each painted line as (text, style) runs: the same picture whatever way the segments were cut."""
    out = []
    for y in range(table.size.height):
        runs: list[tuple[str, Any]] = []
        for seg in table.render_line(y):
            if runs and runs[-1][1] == seg.style:
                runs[-1] = (runs[-1][0] + seg.text, seg.style)
            else:
                runs.append((seg.text, seg.style))
        out.append(runs)
    return out


async def test_quick_cells_paint_what_the_datatable_paints() -> None:
    app = _Tables()
    async with app.run_test(size=(110, 50)) as pilot:
        app.set_focus(None)  # both drawn unfocused
        await pilot.pause()
        zs, dt = app.query_one("#zs", ZsTable), app.query_one("#dt", DataTable)
        assert [c.get_render_width(zs) for c in zs.ordered_columns] == [
            c.get_render_width(dt) for c in dt.ordered_columns
        ]
        assert _lines(zs) == _lines(dt)
        zs.move_cursor(row=3)
        dt.move_cursor(row=3)
        await pilot.pause()
        assert _lines(zs) == _lines(dt)  # the cursor row's styles too


async def test_brackets_in_names_survive_the_table() -> None:
    app = _Tables()
    async with app.run_test(size=(110, 50)) as pilot:
        await pilot.pause()
        zs = app.query_one("#zs", ZsTable)
        assert [zs.get_cell_at((i, 0)) for i in range(len(NAMES))] == NAMES  # the values as given
        painted = ["".join(s.text for s in zs.render_line(y)) for y in range(1, len(NAMES) + 1)]
        assert all(line[1:].startswith(name[:8]) for line, name in zip(painted, NAMES, strict=True)), painted
        zs.update_cell("2", zs.ordered_columns[0].key, "[i]still plain[/i]")
        await pilot.pause()
        assert "[i]still plain" in "".join(s.text for s in zs.render_line(3))


async def test_a_row_drawn_before_it_is_measured_is_drawn_again_at_its_width() -> None:
    """A frame may draw new rows before the table measures them (it measures when idle): once measured, the
    columns are wider and the rows are drawn again, not kept cut at the old widths."""

    class _One(App[None]):
        CSS = "ZsTable { width: 40; height: 5; }"  # a fixed size: new widths change only the virtual size

        def compose(self) -> ComposeResult:
            yield ZsTable(id="zs")

    app = _One()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one("#zs", ZsTable)
        table.add_column("阶段", key="stage")
        table.add_column("总额", key="total")
        await pilot.pause()
        table.add_row("1 线索研判", Text("CNY 80.00M", justify="right"))
        _lines(table)  # drawn now, before the idle measure: at the headers' widths
        await pilot.pause()
        await pilot.pause()
        painted = "".join(text for text, _ in _lines(table)[1])
        assert "1 线索研判" in painted and "CNY 80.00M" in painted, painted
