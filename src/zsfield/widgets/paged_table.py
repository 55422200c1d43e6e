"""A DataTable that loads its rows a page at a time from a query run in a worker.

The owner gives a ``fetch(offset, limit) -> Page`` callable (run in a thread) and a ``to_cells(row)``
function; the table asks for the next page when the cursor nears the end, so 100,000 rows never sit in
one widget unless someone scrolls through all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.message import Message
from textual.widgets import DataTable

from zsfield.i18n import t


class PagedTable(DataTable[Any]):
    """A lazily paged, cursor-row table. Row keys are the records' ids."""

    DEFAULT_CSS = """
    PagedTable { height: 1fr; }
    """

    @dataclass
    class Opened(Message):
        """A row was chosen (enter): ``row`` is the record object the page held."""

        table: PagedTable
        row: Any

    @dataclass
    class Loaded(Message):
        """A page arrived: ``total`` rows match in all."""

        table: PagedTable
        total: int

    def __init__(
        self,
        columns: Sequence[tuple[str, str]],
        to_cells: Callable[[Any], Sequence[Any]],
        *,
        page_size: int = 200,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self._column_spec = list(columns)
        self._to_cells = to_cells
        self.page_size = page_size
        self._fetch: Callable[[int, int], Any] | None = None
        self._rows: dict[str, Any] = {}
        self._loaded = 0
        self.total = 0
        self._generation = 0
        self._loading = False

    def on_mount(self) -> None:
        for key, label_key in self._column_spec:
            self.add_column(t(label_key), key=key)

    def set_source(self, fetch: Callable[[int, int], Any]) -> None:
        """Show the rows ``fetch`` returns, from the first page (cursor position kept when possible)."""
        self._fetch = fetch
        self._generation += 1
        self._load(self._generation, 0, clear=True)

    def reload(self) -> None:
        if self._fetch is not None:
            self.set_source(self._fetch)

    @work(thread=True, group="paged-table", exclusive=True)
    def _load(self, generation: int, offset: int, clear: bool = False) -> None:
        assert self._fetch is not None
        self._loading = True
        page = self._fetch(offset, self.page_size)
        self.app.call_from_thread(self._apply, generation, page, clear)

    def _apply(self, generation: int, page: Any, clear: bool) -> None:
        self._loading = False
        if generation != self._generation:
            return  # a newer filter superseded this page
        if clear:
            keep = self.cursor_row
            self.clear()
            self._rows = {}
            self._loaded = 0
        else:
            keep = None
        for row in page.rows:
            key = str(row.id)
            if key in self._rows:
                continue
            self._rows[key] = row
            self.add_row(*self._to_cells(row), key=key)
        self._loaded = len(self._rows)
        self.total = page.total if page.total >= 0 else self._loaded
        if keep is not None and self.row_count:
            self.move_cursor(row=min(keep, self.row_count - 1))
        self.post_message(self.Loaded(self, self.total))

    def watch_cursor_coordinate(self, old: Any, new: Any) -> None:
        super().watch_cursor_coordinate(old, new)
        if (
            self._fetch is not None
            and not self._loading
            and self._loaded < self.total
            and new.row >= self._loaded - 20
        ):
            self._loading = True
            self._load(self._generation, self._loaded)

    def current(self) -> Any | None:
        """The record under the cursor (None for an empty table)."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self._rows.get(str(key))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self._rows.get(str(event.row_key.value))
        if row is not None:
            self.post_message(self.Opened(self, row))
