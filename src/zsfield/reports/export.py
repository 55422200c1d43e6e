"""Tables of a report and their export: xlsx (openpyxl) and csv.

A :class:`Report` is a list of :class:`Table` (one sheet each) plus a few lines about the report itself
(the 说明 sheet). Cells hold exact values (``Decimal``, ``int``, ``date``, text); each column has a kind
that fixes its number format, so 亿元 and 万美元 show with two decimals while the cell keeps the exact
figure and a sum in Excel matches the total row.

**Deterministic files.** The same report gives the same bytes: the workbook's created / modified
properties are the report's as-of time, every zip entry carries that time too (openpyxl would stamp the
wall clock), and nothing else in the file depends on when or where it was written.

xlsx layout per sheet: the header row in bold on a grey fill, frozen (the rows scroll under it), an
autofilter over the data, column widths fitted to the content (CJK characters count double), and the total
row (合计) in bold at the bottom. CSV: UTF-8 with BOM (so Excel reads the Chinese), one section per table
— its title, its header, its rows, a blank line; a single-table report is a plain CSV.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from zsfield.reports import ZONE_TZ
from zsfield.reports.errors import ReportError
from zsfield.reports.periods import Period

ColumnKind = Literal["text", "count", "half", "yi", "wan_usd", "amount", "rate", "date", "pct", "mu", "int"]

NUMBER_FORMATS: dict[str, str] = {
    "count": "0",
    "int": "0",
    "half": "0.0",
    "yi": "#,##0.00",
    "wan_usd": "#,##0.00",
    "amount": "#,##0.00",
    "rate": "0.000000",
    "date": "yyyy-mm-dd",
    "pct": "0.0",
    "mu": "#,##0.00",
}
CSV_PLACES: dict[str, int] = {"yi": 2, "wan_usd": 2, "amount": 2, "rate": 6, "pct": 1, "mu": 2, "half": 1}
FORMATS = ("xlsx", "csv")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: ColumnKind = "text"
    total: bool = False  # added up in the total row


@dataclass(frozen=True)
class Cell:
    """A cell whose kind differs from its column's (the summary sheet mixes counts, 亿元 and 万美元)."""

    value: Any
    kind: ColumnKind


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    total_label: str | None = None  # when set, the last row is the total row

    def add_total(self, label: str) -> None:
        """Append the total row: ``label`` in the first column, the sum of every ``total`` column."""
        total: list[Any] = [label]
        for i, col in enumerate(self.columns[1:], start=1):
            if col.total:
                values = [_plain(r[i]) for r in self.rows]
                total.append(sum((v for v in values if isinstance(v, int | Decimal)), Decimal(0)))
            else:
                total.append(None)
        self.rows.append(total)
        self.total_label = label

    def column(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)


@dataclass
class Report:
    kind: str  # "monthly" | "weekly"
    title: str
    period: Period
    as_of: datetime  # aware; the file's timestamp
    lang: str
    tables: list[Table]
    about: list[tuple[str, str]] = field(default_factory=list)  # the 说明 sheet: (item, text)
    about_title: str = "说明"
    about_headers: tuple[str, str] = ("项目", "内容")

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Cell) else value


# --- xlsx -------------------------------------------------------------------------------------------------------

_BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def sheet_title(title: str, used: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, none of ``[]:*?/\\``)."""
    base = title.translate(_BAD_SHEET_CHARS).strip("'") or "Sheet"
    name = base[:31]
    n = 2
    while name.casefold() in used:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name.casefold())
    return name


def _display_width(value: Any, kind: str) -> int:
    if value is None:
        return 0
    if kind in NUMBER_FORMATS and isinstance(value, int | Decimal):
        return len(f"{value:,.2f}") if kind not in ("count", "int") else len(str(value))
    if isinstance(value, date):
        return 10
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        value = value.normalize()
        return int(value) if value == value.to_integral_value() and abs(value) < 10**15 else value
    return value


def _zip_time(as_of: datetime) -> tuple[int, int, int, int, int, int]:
    local = as_of.astimezone(ZoneInfo(ZONE_TZ)) if as_of.tzinfo else as_of
    if local.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    return (local.year, local.month, local.day, local.hour, local.minute, local.second)


class _FixedTimeZip(zipfile.ZipFile):
    """A ZipFile that stamps every entry with one fixed time (openpyxl writes entries by name)."""

    fixed_time: tuple[int, int, int, int, int, int] = (1980, 1, 1, 0, 0, 0)

    def writestr(
        self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None, compresslevel: Any = None
    ) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zipfile.ZipInfo(str(zinfo_or_arcname), date_time=self.fixed_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(
        self, filename: Any, arcname: Any = None, compress_type: Any = None, compresslevel: Any = None
    ) -> None:
        """openpyxl writes worksheets from temporary files: store their bytes under the fixed time."""
        with open(filename, "rb") as fh:
            data = fh.read()
        self.writestr(str(arcname or os.path.basename(filename)), data, compress_type, compresslevel)


def xlsx_bytes(report: Report) -> bytes:
    """The workbook of ``report`` as bytes (deterministic: see the module doc)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="FFD9D9D9")
    total_fill = PatternFill("solid", fgColor="FFF2F2F2")
    thin = Side(style="thin", color="FF808080")
    header_border = Border(bottom=thin)
    wrap = Alignment(horizontal="center", vertical="center", wrap_text=True)

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()

    def fill_sheet(
        title: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]], has_total: bool
    ) -> None:
        ws = wb.create_sheet(sheet_title(title, used))
        widths = [_display_width(c.header, "text") for c in columns]
        ws.append([c.header for c in columns])
        for cell in ws[1]:
            cell.font = bold
            cell.fill = header_fill
            cell.alignment = wrap
            cell.border = header_border
        for r_index, row in enumerate(rows):
            is_total = has_total and r_index == len(rows) - 1
            values = []
            for i, col in enumerate(columns):
                value = row[i] if i < len(row) else None
                kind = value.kind if isinstance(value, Cell) else col.kind
                value = _plain(value)
                values.append(_xlsx_value(value))
                widths[i] = max(widths[i], _display_width(value, kind))
            ws.append(values)
            excel_row = ws.max_row
            for i, col in enumerate(columns):
                cell = ws.cell(row=excel_row, column=i + 1)
                raw = row[i] if i < len(row) else None
                kind = raw.kind if isinstance(raw, Cell) else col.kind
                if kind in NUMBER_FORMATS and cell.value is not None and not isinstance(cell.value, str):
                    cell.number_format = NUMBER_FORMATS[kind]
                if is_total:
                    cell.font = bold
                    cell.fill = total_fill
        ws.freeze_panes = "A2"
        last_data = ws.max_row - (1 if has_total else 0)
        if columns and last_data >= 2:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{last_data}"
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)

    about_cols = [Column("item", report.about_headers[0]), Column("text", report.about_headers[1])]
    fill_sheet(report.about_title, about_cols, [list(r) for r in report.about], False)
    for table in report.tables:
        fill_sheet(table.title, table.columns, table.rows, table.total_label is not None)

    stamp = report.as_of.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    props = wb.properties
    props.creator = "zsfield"
    props.lastModifiedBy = "zsfield"
    props.title = report.title
    props.created = stamp
    props.modified = stamp

    buffer = io.BytesIO()
    archive = _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    archive.fixed_time = _zip_time(report.as_of)
    ExcelWriter(wb, archive).save()
    return buffer.getvalue()


# --- csv ---------------------------------------------------------------------------------------------------------


def _csv_value(value: Any, kind: str) -> str:
    if isinstance(value, Cell):
        kind, value = value.kind, value.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal | int) and kind in CSV_PLACES:
        q = Decimal(value).quantize(Decimal(1).scaleb(-CSV_PLACES[kind]), rounding=ROUND_HALF_UP)
        return format(q if q != 0 else abs(q), "f")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_text(report: Report, *, sections: bool | None = None) -> str:
    """The report as CSV text: one section per table (title line, header, rows, blank line), or a plain
    table when the report has one table (``sections`` forces either)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    with_sections = len(report.tables) > 1 if sections is None else sections
    for n, table in enumerate(report.tables):
        if with_sections:
            if n:
                writer.writerow([])
            writer.writerow([f"【{table.title}】"])
        writer.writerow([c.header for c in table.columns])
        for row in table.rows:
            writer.writerow(
                [_csv_value(row[i] if i < len(row) else None, c.kind) for i, c in enumerate(table.columns)]
            )
    return out.getvalue()


def csv_bytes(report: Report) -> bytes:
    return csv_text(report).encode("utf-8-sig")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# --- files --------------------------------------------------------------------------------------------------------


def format_for(path: str | Path, explicit: str | None = None) -> str:
    """``xlsx`` or ``csv``: ``explicit`` when given, else from the file's suffix. Raises ``rep.bad_format``."""
    chosen = (explicit or Path(path).suffix.lstrip(".")).strip().lower()
    if chosen not in FORMATS:
        raise ReportError("rep.bad_format", format=explicit or Path(path).suffix or "—")
    return chosen


def write_report(report: Report, path: str | Path, fmt: str | None = None) -> Path:
    """Write ``report`` to ``path`` as xlsx or csv, atomically (a temporary file renamed into place).

    Raises :class:`ReportError` (``rep.bad_format``, ``rep.cannot_write``).
    """
    path = Path(path).expanduser()
    fmt = format_for(path, fmt)
    data = xlsx_bytes(report) if fmt == "xlsx" else csv_bytes(report)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ReportError("rep.cannot_write", path=str(path), reason="no such folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".zsfield-", suffix="." + fmt, dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ReportError("rep.cannot_write", path=str(path), reason=exc.strerror or str(exc)) from exc
    return path
