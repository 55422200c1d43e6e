"""The service plan (一套方案) and permit tabs: the table and its actions."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.widgets import DataTable

from zsfield.domain.enums import (
    PermitType,
    ServiceState,
)
from zsfield.format import day
from zsfield.i18n import t
from zsfield.screens.project.modals import (
    AssignModal,
    ServiceItemModal,
    on_written,
)
from zsfield.store.read.rules import days_overdue, is_overdue

if TYPE_CHECKING:
    from zsfield.screens.base import ZsScreen as _Base
else:
    _Base = object


class ServiceTab(_Base):
    """The service plan and permits of :class:`ProjectDetailScreen` (a part of the screen)."""

    def _fill_service(self, d: Any, today: date) -> None:
        svc = self.query_one("#svc-table", DataTable)
        keep = svc.cursor_row
        svc.clear()
        for item in d.service_items:
            done = item.state == ServiceState.DONE
            overdue = is_overdue(item.due_on, today, done=done, finished_on=item.done_on)
            style = "red" if overdue else ("dim" if done else "")
            due = day(item.due_on) + (
                f" · {t('fmt.overdue_days', n=days_overdue(item.due_on, today))}" if overdue else ""
            )
            svc.add_row(
                Text(item.kind.label(), style=style),
                Text(item.title, style=style),
                Text(item.responsible or "—", style=style),
                Text(due, style=style),
                Text(("☑ " if done else "☐ ") + item.state.label(), style="green" if done else style),
                key=item.id,
            )
        if svc.row_count:
            svc.move_cursor(row=min(keep or 0, svc.row_count - 1))

    def _service_item(self, table_id: str = "#svc-table") -> Any:
        if not self.query(table_id):
            return None
        table = self.query_one(table_id, DataTable)
        if not table.row_count or self.detail is None:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((i for i in self.detail.service_items if i.id == key), None)

    def action_add_service_item(self) -> None:
        self.app.push_screen(ServiceItemModal(self.project_id), on_written(self.zs.data_changed))

    def action_assign_service_item(self) -> None:
        item = self._service_item()
        if item is not None:
            self.app.push_screen(
                AssignModal(item.id, item.title, item.responsible, item.due_on),
                on_written(self.zs.data_changed),
            )

    def action_toggle_service_item(self, table_id: str = "#svc-table") -> None:
        item = self._service_item(table_id)
        if item is not None:
            self._set_item_state(
                item.id, ServiceState.OPEN if item.state == ServiceState.DONE else ServiceState.DONE
            )

    def action_service_state(self, state: str) -> None:
        item = self._service_item()
        if item is not None:
            self._set_item_state(item.id, ServiceState(state))

    @work(thread=True, group="project-write")
    def _set_item_state(self, item_id: str, state: ServiceState) -> None:
        from zsfield.store.actions.service import set_service_item_state

        store = self.zs.wait_store()
        me = self.zs.me
        with store.write(me.id if me else None) as w:
            set_service_item_state(w, item_id, state)
        self.app.call_from_thread(self.zs.data_changed)

    def action_toggle_permit(self) -> None:
        self.action_toggle_service_item("#permit-table")

    @work(thread=True, group="project-write")
    def _add_permit_item(self, permit: PermitType) -> None:
        from zsfield.store.actions.service import add_service_item

        store = self.zs.wait_store()
        me = self.zs.me
        with store.write(me.id if me else None) as w:
            add_service_item(w, self.project_id, title="", permit_type=permit)
        self.app.call_from_thread(self.zs.data_changed)
