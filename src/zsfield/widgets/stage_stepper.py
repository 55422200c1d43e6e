"""The stage stepper (阶段进度): the eleven stages of 一个项目一跟到底 across one line.

Passed stages show the date they were entered, the current one is highlighted with the time spent in it,
the stages ahead are dim. The labels shrink with the width (full → short → numbers) so that the stepper
fits 80 columns::

    ✓1 研判  ✓2 洽谈  ✓3 意向  ▶4 正式签约  5 注册  6 土地  7 证件  8 开工  9 调试  10 投产  11 达效
    10-02    10-20    11-03    11-11
    当前：正式签约 · 12 天（自 2026-11-11）

Clicking a stage posts :class:`StageStepper.StageClicked` (the detail screen opens that stage's pane).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from zsfield.clock import Clock
from zsfield.domain.enums import STAGES, Stage
from zsfield.i18n import t
from zsfield.reports import ZONE_TZ


@dataclass(frozen=True)
class StepperData:
    """What the stepper shows: the current stage, when each stage was (last) entered, and now."""

    stage: Stage
    entered: dict[Stage, datetime] = field(default_factory=dict)
    since: datetime | None = None
    now: datetime | None = None
    tz: str = ZONE_TZ


def _chip_texts(level: int, current: Stage) -> list[str]:
    """The chip labels at a detail ``level`` (0 full … 4 numbers only)."""
    out = []
    for s in STAGES:
        full, short = s.label(), t(f"stepper.short.{s.value}")
        if level == 0:
            label = full
        elif level == 1:
            label = full if s == current else short
        elif level == 2:
            label = short
        elif level == 3:
            label = short if s == current else ""
        else:
            label = ""
        out.append(f"{s.index} {label}".rstrip())
    return out


class StageStepper(Widget):
    """The eleven stages across, the current one highlighted (see module doc)."""

    DEFAULT_CSS = """
    StageStepper { height: 3; padding: 0 1; }
    StageStepper > .stage-stepper--done { color: $success; }
    StageStepper > .stage-stepper--current { background: $accent; color: $text; text-style: bold; }
    StageStepper > .stage-stepper--todo { color: $text-muted; }
    StageStepper > .stage-stepper--date { color: $text-muted; }
    StageStepper > .stage-stepper--since { color: $text; }
    """

    COMPONENT_CLASSES = {
        "stage-stepper--done",
        "stage-stepper--current",
        "stage-stepper--todo",
        "stage-stepper--date",
        "stage-stepper--since",
    }

    data: reactive[StepperData | None] = reactive(None)
    """The stage to highlight and the stage history (None: nothing loaded yet)."""

    @dataclass
    class StageClicked(Message):
        """A stage chip was clicked: ``stage`` is the one under the mouse."""

        stepper: StageStepper
        stage: Stage

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._spans: list[tuple[int, int, Stage]] = []

    # --- layout -------------------------------------------------------------------------------------------

    def _layout(self, width: int, current: Stage) -> tuple[list[str], list[int]]:
        """Chip labels and chip widths for the most detailed level that fits ``width``."""
        for level in range(5):
            labels = _chip_texts(level, current)
            widths = [max(cell_len(lbl) + 2, 6) for lbl in labels]  # mark + label + space; 6 fits " MM-DD"
            if sum(widths) + len(widths) - 1 <= width or level == 4:
                return labels, widths
        raise AssertionError("unreachable")

    def render(self) -> Text:
        data = self.data
        if data is None:
            return Text(t("fmt.loading"), style=self.get_component_rich_style("stage-stepper--date"))
        width = max(self.content_size.width, 20)
        labels, widths = self._layout(width, data.stage)
        done = self.get_component_rich_style("stage-stepper--done")
        current = self.get_component_rich_style("stage-stepper--current")
        todo = self.get_component_rich_style("stage-stepper--todo")
        dim = self.get_component_rich_style("stage-stepper--date")
        chips, dates = Text(no_wrap=True, overflow="crop"), Text(no_wrap=True, overflow="crop")
        self._spans = []
        x = 0
        for i, (stage, label, w) in enumerate(zip(STAGES, labels, widths, strict=True)):
            if i:
                chips.append(" ")
                dates.append(" ")
                x += 1
            if stage.index < data.stage.index:
                mark, style = "✓", done
            elif stage == data.stage:
                mark, style = "▶", current
            else:
                mark, style = " ", todo
            chip = f"{mark}{label}"
            chips.append(chip + " " * (w - cell_len(chip)), style)
            self._spans.append((x, x + w, stage))
            x += w
            when = data.entered.get(stage) if stage.index <= data.stage.index else None
            day = Clock.local(when, data.tz).strftime("%m-%d") if when else ""
            dates.append(" " + day + " " * max(0, w - 1 - cell_len(day)), dim)
        since = Text(no_wrap=True, overflow="ellipsis")
        since.append(t("stepper.current", stage=data.stage.label()), Style(bold=True))
        if data.since is not None and data.now is not None:
            days = max(
                0, (Clock.local(data.now, data.tz).date() - Clock.local(data.since, data.tz).date()).days
            )
            since.append(
                " · "
                + t("stepper.in_stage", days=days, since=Clock.local(data.since, data.tz).date().isoformat()),
                self.get_component_rich_style("stage-stepper--since"),
            )
        nxt = data.stage.next()
        if nxt is not None:
            since.append("  " + t("stepper.next", stage=nxt.label()), dim)
        return Text("\n").join([chips, dates, since])

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return 3

    def watch_data(self) -> None:
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        if event.y != 0 or self.data is None:
            return
        x = event.x - self.styles.padding.left
        for start, end, stage in self._spans:
            if start <= x < end:
                self.post_message(self.StageClicked(self, stage))
                return
