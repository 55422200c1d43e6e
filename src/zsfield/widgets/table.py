"""``ZsTable``: the DataTable of zsfield — cells are shown as typed, and one-line cells are drawn quickly.

* **Cells as typed.** A DataTable reads a ``str`` cell as Rich markup, so ``ACME [asia] GmbH`` would lose its
  brackets (and ``[/x]`` would raise). Here a ``str`` cell is drawn as plain text: every character is kept,
  and no markup parser runs per cell. The cell's value stays the ``str`` (``get_cell``); Text cells, with
  their styles, pass as they are.
* **Quick one-line cells.** The DataTable draws each cell through Rich's generic layers (Padding inside
  Styled inside ``render_lines``). For a one-line row whose cell is a single line of ``Text`` (justified
  left, right or by default; folded or cropped), the same segments are made directly: Rich's own ``wrap``
  (justify, truncate at cell boundaries) and ``render``, then the padding and the table's styles laid on
  exactly as Styled(Padding) would, at about a third of the cost; every other cell takes the DataTable's
  own path. Column widths are measured the same way (the cell length of the one line).

When the measured widths change, the table's caches start afresh: a frame drawn between adding rows and
measuring them (the DataTable measures when idle) would otherwise stay drawn at the old widths.

Textual is pinned exactly (``pyproject.toml``); the three hooks (``_compute_row_renderables``,
``_render_cell``, ``_update_dimensions``) are the DataTable's of that version. ``tests/test_tui_cells.py``
paints the same cells in a ZsTable and in a DataTable and compares them line by line; the snapshot tests
draw every table.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import zip_longest
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets._data_table import (
    _EMPTY_TEXT,
    CellCacheKey,
    RowKey,
    RowRenderables,
    default_cell_formatter,
)

_SIMPLE_JUSTIFY = frozenset({None, "default", "left", "right"})
_SIMPLE_OVERFLOW = frozenset({None, "fold", "crop"})
_JOINER = Text("\n")


def _plain(content: str, wrap: bool, height: int) -> Text:
    """What the DataTable's cell formatter makes of a ``str``, without reading it as markup."""
    if height:  # lines below the row's height are never shown (the formatter drops them too)
        content = "\n".join(content.split("\n")[:height])
    return Text(content, no_wrap=not wrap, end="")


def _one_line(cell: Any) -> bool:
    return (
        isinstance(cell, Text)
        and cell.justify in _SIMPLE_JUSTIFY
        and cell.overflow in _SIMPLE_OVERFLOW
        and "\n" not in cell.plain
        and "\t" not in cell.plain
    )


class ZsTable(DataTable[Any]):
    """A DataTable whose ``str`` cells are plain text and whose one-line cells render quickly."""

    def _compute_row_renderables(self, row_index: int) -> RowRenderables:
        # the DataTable's own, except that a str cell is plain text (its formatter parses markup)
        if row_index < 0:
            return super()._compute_row_renderables(row_index)
        row_key = self._row_locations.get_key(row_index)
        meta = self.rows.get(row_key) if row_key is not None else None
        if meta is None:
            return RowRenderables(None, [])
        wrap, height = meta.height != 1, meta.height
        cells = [
            _EMPTY_TEXT if datum is None
            else _plain(datum, wrap, height) if isinstance(datum, str)
            else default_cell_formatter(datum, wrap=wrap, height=height)
            for datum, _ in zip_longest(self.get_row_at(row_index), range(len(self.columns)))
        ]  # fmt: skip
        label = None
        if self._should_render_row_labels and meta.label:
            label = meta.label
        return RowRenderables(label, [cell or _EMPTY_TEXT for cell in cells])

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> Any:
        if (
            row_index < 0
            or column_index < 0
            or row_index < self.fixed_rows
            or column_index < self.fixed_columns
        ):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        cache_key: CellCacheKey = (
            row_key,
            column_key,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cached = self._cell_render_cache.get(cache_key)
        if cached is not None:
            return cached
        row = self.rows.get(row_key) if row_key is not None else None
        cells = self._get_row_renderables(row_index).cells
        cell = cells[column_index] if column_index < len(cells) else None
        pad = self.cell_padding
        inner = width - 2 * pad
        if row is None or row.height != 1 or inner <= 0 or not _one_line(cell):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            False,
            False,
            False,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        console = self.app.console
        pre = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        post = console.get_style(post_style)
        lines = [_line_segments(cell, inner, pad, pre, post, console)]
        self._cell_render_cache[cache_key] = lines
        return lines

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # the DataTable measures every new cell with Rich's measure(); a one-line Text is its cell length
        widths = [c.content_width for c in self.ordered_columns]
        slow: list[RowKey] = []
        for row_key in new_rows:
            row_index = self._row_locations.get(row_key)
            row = self.rows.get(row_key)
            if row_index is None or row is None:
                continue
            renderables = self._get_row_renderables(row_index)
            if row.label is None and not row.auto_height and all(_one_line(c) for c in renderables.cells):
                for column, cell in zip(self.ordered_columns, renderables.cells, strict=False):
                    column.content_width = max(column.content_width, cell.cell_len)
            else:
                slow.append(row_key)
        super()._update_dimensions(slow)
        if [c.content_width for c in self.ordered_columns] != widths:
            # cells drawn in a frame before these rows were measured are cached at the old widths, and a new
            # virtual width alone sends the table no Resize (which would start its caches afresh): do it here
            self._update_count += 1
            self.refresh()


def _line_segments(cell: Text, inner: int, pad: int, pre: Style, post: Style, console: Any) -> list[Segment]:
    """What ``Styled(Padding(cell, (0, pad)), pre, post)`` renders for a one-line cell ``inner`` cells wide:
    Rich's wrap (justify, truncate) and render of the text, padded with blanks, styled pre + own + post."""
    line = cell.wrap(
        console, inner, justify=cell.justify or "default", overflow=cell.overflow or "fold", no_wrap=True
    )[0]
    blank = pre + post
    segments = [Segment(" " * pad, blank)] if pad else []
    if line._spans or line.style:
        for text, style, _control in _JOINER.join([line]).render(console):
            segments.append(Segment(text, (pre + style) + post if style else blank))
    elif line.plain:
        segments.append(Segment(line.plain, blank))
    short = inner - line.cell_len
    if short > 0:
        segments.append(Segment(" " * short, blank))
    if pad:
        segments.append(Segment(" " * pad, blank))
    return segments
