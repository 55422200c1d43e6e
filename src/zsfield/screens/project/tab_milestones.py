"""The milestones tab (履约): promised and actual dates."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import DataTable

from zsfield.domain.enums import (
    MilestoneKind,
)
from zsfield.format import day
from zsfield.i18n import t
from zsfield.screens.project.modals import (
    MilestoneModal,
    on_written,
)
from zsfield.store.read.rules import days_overdue, is_overdue

if TYPE_CHECKING:
    from zsfield.screens.base import ZsScreen as _Base
else:
    _Base = object


class MilestonesTab(_Base):
    """The milestones of :class:`ProjectDetailScreen` (a part of the screen)."""

    def _fill_milestones(self, d: Any, today: date) -> None:
        ms = self.query_one("#ms-table", DataTable)
        keep = ms.cursor_row
        ms.clear()
        by_kind = {m.kind: m for m in d.milestones}
        for kind in MilestoneKind:
            m = by_kind.get(kind)
            promised, actual = (m.promised_on, m.actual_on) if m else (None, None)
            if actual is not None:
                late = promised is not None and actual > promised
                state = Text(
                    t("ms.late", n=(actual - promised).days) if late else t("ms.on_time"),
                    style="yellow" if late else "green",
                )  # type: ignore[operator]
            elif is_overdue(promised, today, done=False):
                state = Text(t("fmt.overdue_days", n=days_overdue(promised, today)), style="bold red")
            elif promised is not None:
                state = Text(t("ms.pending"))
            else:
                state = Text(t("ms.not_promised"), style="dim")
            red = "red" if is_overdue(promised, today, done=actual is not None, finished_on=actual) else ""
            ms.add_row(
                Text(kind.label(), style=red),
                Text(day(promised), style=red),
                day(actual),
                state,
                key=kind.value,
            )
        ms.move_cursor(row=min(keep or 0, ms.row_count - 1))

    def action_edit_milestone(self) -> None:
        if not self.query("#ms-table"):
            return
        table = self.query_one("#ms-table", DataTable)
        if not table.row_count or self.detail is None:
            return
        kind = MilestoneKind(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        m = next((m for m in self.detail.milestones if m.kind == kind), None)
        self.app.push_screen(
            MilestoneModal(self.project_id, kind, m.promised_on if m else None, m.actual_on if m else None),
            on_written(self.zs.data_changed),
        )
