"""线索 — the lead inbox: a paged list, filtered as you type, by status; enter screens a lead, n captures one."""

from __future__ import annotations

import contextlib
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Input, Select, Static

from zsfield.bindings import binding
from zsfield.domain.enums import LeadStatus
from zsfield.format import day
from zsfield.i18n import t
from zsfield.screens.base import ZsScreen
from zsfield.screens.lead_cells import channel_label, clip, estimate
from zsfield.widgets.paged_table import PagedTable

STATUS_CYCLE: tuple[LeadStatus | None, ...] = (
    None,
    LeadStatus.NEW,
    LeadStatus.SCREENED,
    LeadStatus.CONVERTED,
    LeadStatus.REJECTED,
    LeadStatus.DUPLICATE,
)
"""The status filter, in the order the ``s`` key walks it (None: every status)."""

LEAD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("received_on", "leads.col_received"),
    ("title", "leads.col_title"),
    ("company", "leads.col_company"),
    ("channel", "leads.col_channel"),
    ("industry", "leads.col_industry"),
    ("office", "leads.col_office"),
    ("team", "leads.col_team"),
    ("status", "leads.col_status"),
    ("amount", "leads.col_amount"),
)


def lead_cells(row: Any) -> list[Any]:
    return [
        day(row.received_on),
        clip(row.title, 20),
        clip(row.company, 12),
        clip(channel_label(row.source_channel), 12),
        clip(row.industry, 8),
        clip(row.office, 6),
        clip(row.team, 14),
        t(f"leads.status_short.{row.status.value}"),
        estimate(row.estimated_investment, row.estimated_currency),
    ]


class LeadsScreen(ZsScreen):
    """The lead inbox (线索): filter by name, company, source, industry or office; cycle the status with s."""

    CSS_PATH = "leads.tcss"

    BINDINGS = [
        binding("new_lead", "n", "new_lead", "leads.key_new"),
        binding("filter_leads", "slash", "focus_filter", "leads.key_filter"),
        binding("cycle_status", "s", "cycle_status", "leads.key_status"),
        binding("reload_leads", "r", "reload", "leads.key_reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._debounce: Timer | None = None
        self._select_after_load: str | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="title-bar"):
            yield Static(t("leads.heading"), classes="screen-title", id="leads-heading")
            yield Static(t("fmt.loading"), classes="status-line", id="leads-count")
        with Horizontal(classes="filter-bar", id="leads-filter-bar"):
            yield Input(placeholder=t("leads.filter_placeholder"), id="leads-filter")
            yield Select(
                [(s.label(), s.value) for s in STATUS_CYCLE if s is not None],
                prompt=t("leads.status_all"),
                allow_blank=True,
                id="leads-status",
            )
        yield PagedTable(LEAD_COLUMNS, lead_cells, id="leads-table")
        yield Static(t("leads.hint"), classes="status-line", id="leads-hint")

    def on_mount(self) -> None:
        self.table.focus()
        # ZsScreen.on_mount (Textual calls it after this one) starts the first load
        # capture and screening check names against the company index: have it ready before they open
        self.set_timer(2.0, self._warm_company_index)

    @work(thread=True, exclusive=True, group="company-index-warmup")
    def _warm_company_index(self) -> None:
        from zsfield.widgets.company_picker import shared_company_index

        shared_company_index(self.zs.wait_store())

    @property
    def table(self) -> PagedTable:
        return self.query_one("#leads-table", PagedTable)

    # --- data ---------------------------------------------------------------------------------------------------

    @property
    def status_filter(self) -> LeadStatus | None:
        value = self.query_one("#leads-status", Select).value
        return None if value == Select.NULL else LeadStatus(str(value))

    @property
    def text_filter(self) -> str:
        return self.query_one("#leads-filter", Input).value

    def reload(self) -> None:
        text, status = self.text_filter, self.status_filter
        app = self.zs

        def fetch(offset: int, limit: int) -> Any:
            from zsfield.store.read.leads import list_leads

            return list_leads(app.wait_store(), text_filter=text, status=status, offset=offset, limit=limit)

        self.table.page_size = app.settings.page_size
        self.table.set_source(fetch)

    @on(Input.Changed, "#leads-filter")
    def _filter_typed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.15, self.reload)

    @on(Input.Submitted, "#leads-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    @on(Select.Changed, "#leads-status")
    def _status_chosen(self) -> None:
        self.reload()

    @on(PagedTable.Loaded)
    def _loaded(self, event: PagedTable.Loaded) -> None:
        table = event.table
        self.query_one("#leads-count", Static).update(t("fmt.rows", total=table.total, shown=table.row_count))
        if self._select_after_load is not None:
            key = self._select_after_load
            self._select_after_load = None
            with contextlib.suppress(Exception):  # not on the first page with this filter: leave it
                table.move_cursor(row=table.get_row_index(key))

    @on(PagedTable.Opened)
    def _opened(self, event: PagedTable.Opened) -> None:
        self.zs.open_lead(event.row.id)

    # --- actions ------------------------------------------------------------------------------------------------

    def action_focus_filter(self) -> None:
        self.query_one("#leads-filter", Input).focus()

    def action_cycle_status(self) -> None:
        current = self.status_filter
        nxt = STATUS_CYCLE[(STATUS_CYCLE.index(current) + 1) % len(STATUS_CYCLE)]
        select = self.query_one("#leads-status", Select)
        select.value = Select.NULL if nxt is None else nxt.value

    def action_new_lead(self) -> None:
        from zsfield.screens.lead_capture import LeadCaptureModal

        def done(lead_id: str | None) -> None:
            if lead_id:
                self._select_after_load = lead_id
                self.zs.data_changed()

        self.app.push_screen(LeadCaptureModal(company=self.text_filter.strip()), done)

    def action_reload(self) -> None:
        self.reload()

    def on_key(self, event: Any) -> None:
        # ↓ from the filter goes to the list, like enter.
        if event.key == "down" and isinstance(self.focused, Input) and self.focused.id == "leads-filter":
            event.stop()
            self.table.focus()

    def record_context(self) -> tuple[str | None, str | None]:
        row = self.table.current()
        return (None, row.id if row is not None else None)
