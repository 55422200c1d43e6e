"""A DataTable that loads its rows a page at a time from a query run in a worker, and holds a window of them.

The owner gives a ``fetch(offset, limit) -> Page`` callable (run in a thread) and a ``to_cells(row)``
function; the table asks for the next page when the cursor nears the end of what it holds, and for the
previous one near the top, keeping at most ``window_pages`` pages: 100,000 rows never sit in one widget,
however far someone scrolls.

* ``set_source(fetch, keyset=True)``: ``fetch(offset, limit, after)`` also receives the last row of the
  previous page (None for the first), so the query can continue from it (keyset paging) rather than skip
  ``offset`` rows.
* ``set_source(fetch, count=...)``: the first page may come without its total (``Page.total == -1``);
  ``count()`` then runs in a second worker and the total follows, so the rows are painted first.
* Only one page query runs at a time: a source set while one runs (typing a filter) waits for it and then
  replaces it; results for an older source, or arriving after the table left the screen, are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.message import Message
from textual.widgets import DataTable

from zsfield.i18n import t
from zsfield.widgets.table import ZsTable

_NEAR = 20
"""Rows from either end of the window at which the next (previous) page is asked for."""


@dataclass(frozen=True)
class _Request:
    generation: int
    page: int  # index of the page in the whole list
    clear: bool  # the first page of a new source: replaces everything


class PagedTable(ZsTable):
    """A lazily paged, windowed, cursor-row table. Row keys are the records' ids."""

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
        """A page (or the total) arrived: ``total`` rows match in all (-1 while still counting)."""

        table: PagedTable
        total: int

    def __init__(
        self,
        columns: Sequence[tuple[str, str]],
        to_cells: Callable[[Any], Sequence[Any]],
        *,
        page_size: int = 200,
        first_page_size: int = 50,
        window_pages: int = 3,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self._column_spec = list(columns)
        self._to_cells = to_cells
        self.page_size = page_size
        self.first_page_size = first_page_size
        """Rows of a new source's first page: a screenful or so, so that each keystroke of a filter repaints
        quickly (every row added is measured by the DataTable); the next pages have ``page_size`` rows."""
        self.window_pages = max(2, window_pages)
        self._fetch: Callable[..., Any] | None = None
        self._count: Callable[[], int] | None = None
        self._keyset = False
        self._rows: dict[str, Any] = {}
        self._pages: list[list[Any]] = []  # the pages in the window, in order
        self._first_page = 0  # index (in the whole list) of the window's first page
        self._after: dict[int, Any] = {}  # page index → the row before it (keyset starts)
        self.total = 0
        self._more = False  # pages beyond the window (known even before the total is)
        self._generation = 0
        self.shown_generation = 0
        """The source generation whose rows are shown (benchmarks and tests wait on it)."""
        self._inflight: _Request | None = None
        self._pending: _Request | None = None
        self._rebuilding = False

    def on_mount(self) -> None:
        for key, label_key in self._column_spec:
            self.add_column(t(label_key), key=key)

    # --- the source -------------------------------------------------------------------------------------------

    @property
    def generation(self) -> int:
        """Incremented by every :meth:`set_source`."""
        return self._generation

    def _page_rows(self, page: int) -> int:
        return max(1, min(self.first_page_size, self.page_size)) if page == 0 else self.page_size

    def _offset(self, page: int) -> int:
        """Position in the whole list of the first row of page ``page``."""
        return 0 if page == 0 else self._page_rows(0) + (page - 1) * self.page_size

    @property
    def window_start(self) -> int:
        """Position in the whole list of the first row the table holds."""
        return self._offset(self._first_page)

    @property
    def rows_through(self) -> int:
        """Position in the whole list just after the last row the table holds (what was seen so far)."""
        return self.window_start + sum(len(p) for p in self._pages)

    def set_source(
        self,
        fetch: Callable[..., Any],
        *,
        keyset: bool = False,
        count: Callable[[], int] | None = None,
    ) -> None:
        """Show the rows ``fetch`` returns, from the first page (cursor position kept when possible)."""
        self._fetch = fetch
        self._keyset = keyset
        self._count = count
        self._generation += 1
        self._request(_Request(self._generation, 0, clear=True))

    def reload(self) -> None:
        if self._fetch is not None:
            self.set_source(self._fetch, keyset=self._keyset, count=self._count)

    def _request(self, request: _Request) -> None:
        if self._inflight is not None:
            if self._pending is None or request.clear or not self._pending.clear:
                self._pending = request  # the newest wins; it starts when the running query returns
            return
        self._inflight = request
        after = self._after.get(request.page) if request.page and not request.clear else None
        self._load(request, self._fetch, after)

    @work(thread=True, group="paged-table")
    def _load(self, request: _Request, fetch: Callable[..., Any] | None, after: Any) -> None:
        assert fetch is not None
        offset, limit = self._offset(request.page), self._page_rows(request.page)
        try:
            if self._keyset:
                page = fetch(offset, limit, after)
            else:
                page = fetch(offset, limit)
        except BaseException:
            self.app.call_from_thread(self._failed, request)
            raise
        self.app.call_from_thread(self._apply, request, page)

    def _failed(self, request: _Request) -> None:
        if self._inflight == request:
            self._inflight = None
        self._next()

    def _next(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and pending.generation == self._generation and self.is_attached:
            self._request(pending)

    def _start_count(self, generation: int, count: Callable[[], int]) -> None:
        if generation == self._generation and self.is_attached:  # not for a source already replaced
            self._count_rows(generation, count)

    @work(thread=True, group="paged-table-count", exclusive=True)
    def _count_rows(self, generation: int, count: Callable[[], int]) -> None:
        total = count()
        self.app.call_from_thread(self._apply_total, generation, total)

    def _apply_total(self, generation: int, total: int) -> None:
        if generation != self._generation or not self.is_attached:
            return
        self.total = total
        self._more = self.rows_through < total
        self.post_message(self.Loaded(self, self.total))

    # --- pages arriving -----------------------------------------------------------------------------------------

    def _apply(self, request: _Request, page: Any) -> None:
        if self._inflight == request:
            self._inflight = None
        if not self.is_attached or request.generation != self._generation:
            self._next()  # closed, or a newer filter superseded this page
            return
        rows = list(page.rows)
        full = len(rows) >= self._page_rows(request.page)
        if request.clear:
            keep = self.cursor_row
            self._pages, self._first_page, self._after = [rows], 0, {}
            self.shown_generation = request.generation
            self._rebuild(keep)
            if page.total >= 0:
                self.total = page.total
            else:
                self.total = -1
                if self._count is not None:  # once the rows are on screen: the count never delays them
                    self.call_after_refresh(self._start_count, request.generation, self._count)
        elif request.page == self._first_page + len(self._pages):  # the next page
            self._pages.append(rows)
            cursor = self.cursor_row
            if len(self._pages) > self.window_pages:
                dropped = len(self._pages[0])
                self._pages.pop(0)
                self._first_page += 1
                self._rebuild(cursor - dropped)
            else:
                self._add_rows(rows)
        elif request.page == self._first_page - 1:  # the previous page
            self._pages.insert(0, rows)
            self._first_page -= 1
            cursor = self.cursor_row
            if len(self._pages) > self.window_pages:
                self._pages.pop()
            self._rebuild(cursor + len(rows))
        if rows:
            last_page = self._first_page + len(self._pages) - 1
            if last_page == request.page:
                self._after[request.page + 1] = rows[-1]
        if self.total >= 0:
            self._more = self.rows_through < self.total
        else:
            self._more = full
        if page.total >= 0 or not request.clear or self._count is None:
            self.post_message(self.Loaded(self, self.total if self.total >= 0 else self.rows_through))
        else:
            self.post_message(self.Loaded(self, -1))
        self._next()

    def _add_rows(self, rows: list[Any]) -> None:
        for row in rows:
            key = str(row.id)
            if key in self._rows:
                continue
            self._rows[key] = row
            self.add_row(*self._to_cells(row), key=key)

    def _rebuild(self, cursor: int | None) -> None:
        """Fill the table with the window's pages again, the cursor on the same record as before."""
        self._rebuilding = True  # the cursor moves while rows come and go: that asks for no page
        try:
            self.clear()
            self._rows = {}
            for rows in self._pages:
                self._add_rows(rows)
            if cursor is not None and self.row_count:
                self.move_cursor(row=max(0, min(cursor, self.row_count - 1)))
        finally:
            self._rebuilding = False

    # --- the cursor asks for more ----------------------------------------------------------------------------

    def watch_cursor_coordinate(self, old: Any, new: Any) -> None:
        super().watch_cursor_coordinate(old, new)
        if self._fetch is None or self._inflight is not None or self._rebuilding or not self.row_count:
            return
        if self._more and new.row >= self.row_count - _NEAR:
            self._request(_Request(self._generation, self._first_page + len(self._pages), clear=False))
        elif self._first_page > 0 and new.row < _NEAR:
            self._request(_Request(self._generation, self._first_page - 1, clear=False))

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
