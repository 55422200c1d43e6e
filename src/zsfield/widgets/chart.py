"""A terminal chart of cumulative signed projects by month against the pro-rata (序时进度) line.

Twelve columns, one per month: a bar for the projects signed by the end of the month (green when on or
above the line, red when behind), and the pro-rata count ``target × share of the year elapsed`` at the
month's end drawn as a line across the column. Months after the as-of day have no bar. Plain Rich text:
no plotting library. :func:`render_chart` does the drawing and is tested on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from zsfield.i18n import t

BAR = "█"
LINE = "━"
COLUMN = 5  # characters per month: a space and four for the bar
AXIS = 5  # characters for the y labels and the axis


@dataclass(frozen=True)
class ChartPoint:
    """One month: the cumulative count at its end (None: not reached yet) and the pro-rata count."""

    month: int
    cumulative: int | None
    pro_rata: Decimal


def _row_of(value: Decimal, top: Decimal, rows: int) -> int:
    """How many rows a value fills (0 … rows), rounded half-up."""
    if top <= 0:
        return 0
    return int((value * rows / top).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def render_chart(points: Sequence[ChartPoint], *, height: int = 10, lang: str | None = None) -> Text:
    """The chart as Rich text: ``height`` rows of bars and line, the axis, the month labels, a legend."""
    rows = max(3, height)
    top_value = max(
        [Decimal(p.cumulative or 0) for p in points] + [p.pro_rata for p in points] + [Decimal(1)]
    )
    top = Decimal(int(top_value.to_integral_value(rounding="ROUND_CEILING")))
    bars = [(_row_of(Decimal(p.cumulative), top, rows) if p.cumulative is not None else None) for p in points]
    lines = [_row_of(p.pro_rata, top, rows) for p in points]
    out = Text(no_wrap=True)
    out.append(BAR * 2, "green")
    out.append(" " + t("tgt.chart_signed", lang) + "   ")
    out.append(LINE * 2, "bold yellow")
    out.append(" " + t("tgt.chart_pro_rata", lang) + "\n")
    labelled = {lv for lv in range(1, rows + 1) if (top * lv) % rows == 0}
    if len(labelled) < 2:
        labelled |= {rows, (rows + 1) // 2}
    for level in range(rows, 0, -1):
        label_value = (top * level / rows).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        label = f"{label_value.normalize():f}" if level in labelled else ""
        out.append(f"{label:>{AXIS - 2}} ┤", "dim")
        for point, bar, line in zip(points, bars, lines, strict=True):
            out.append(" ")
            behind = point.cumulative is not None and Decimal(point.cumulative) < point.pro_rata
            if line == level:
                out.append(
                    LINE * (COLUMN - 1), "bold yellow" if point.cumulative is not None else "yellow dim"
                )
            elif bar is not None and bar >= level:
                out.append(BAR * (COLUMN - 1), "red" if behind else "green")
            else:
                out.append(" " * (COLUMN - 1))
        out.append("\n")
    out.append(f"{'0':>{AXIS - 2}} ┼", "dim")
    out.append(("─" * (COLUMN - 1) + "┴") * len(points), "dim")
    out.append("\n" + " " * AXIS)
    for point in points:
        label = t("tgt.chart_month", lang, m=point.month)
        width = sum(2 if ord(ch) > 0x2E7F else 1 for ch in label)
        pad = max(0, COLUMN - width)
        out.append(" " * (pad // 2 + pad % 2) + label + " " * (pad // 2))
    return out


class ProgressChart(Static):
    """Cumulative signed projects against the pro-rata line (see the module doc); set :attr:`points`."""

    DEFAULT_CSS = """
    ProgressChart { height: auto; padding: 0 1; }
    """

    points: reactive[tuple[ChartPoint, ...]] = reactive(tuple)
    """The twelve months to draw (empty: nothing to show)."""
    title: reactive[str] = reactive("")
    """One line above the chart: whose progress it is."""

    def __init__(self, *, chart_height: int = 10, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self.chart_height = chart_height

    def watch_points(self) -> None:
        self._draw()

    def watch_title(self) -> None:
        self._draw()

    def _draw(self) -> None:
        if not self.points:
            self.update(Text(t("tgt.chart_empty"), style="dim italic"))
            return
        text = Text(self.title + "\n", style="bold") if self.title else Text()
        text.append_text(render_chart(self.points, height=self.chart_height))
        self.update(text)
