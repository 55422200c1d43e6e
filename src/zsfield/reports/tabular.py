"""Reading a table with a header row from an ``.xlsx`` or ``.csv`` file, and matching its headers.

CSV files may be UTF-8 (with or without BOM) or GB18030 (what Excel on a Chinese Windows saves), separated
by commas, semicolons or tabs. In an xlsx file the first sheet is read (values, not formulas); the header
row is the first row with at least two filled cells. Every data row keeps its row number in the file,
so a refusal can say "row 7".

Headers match by synonyms after folding: NFKC, case-folded, spaces, punctuation and a bracketed unit
removed (``"预计投资（万元）"`` → ``预计投资``, unit ``万元``).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from zsfield.reports.errors import ReportError

_UNIT_RE = re.compile(r"[（(\[【]([^）)\]】]*)[）)\]】]")
_DROP_RE = re.compile(r"[\s_\-·.:：/\\*＊#]+")


@dataclass(frozen=True)
class Row:
    """A data row: its 1-based row number in the file and its cells keyed by column index."""

    number: int
    cells: tuple[Any, ...]

    def get(self, index: int | None) -> Any:
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index]


@dataclass(frozen=True)
class Sheet:
    headers: tuple[str, ...]
    header_row: int
    rows: list[Row]


def fold_header(text: Any) -> tuple[str, str]:
    """(folded name, unit) of a header cell: ``"预计投资（万元）"`` → ``("预计投资", "万元")``."""
    s = unicodedata.normalize("NFKC", str(text or "")).strip()
    unit = ""
    m = _UNIT_RE.search(s)
    if m:
        unit = m.group(1).strip()
        s = _UNIT_RE.sub("", s)
    return _DROP_RE.sub("", s).casefold(), unicodedata.normalize("NFKC", unit).casefold()


def match_headers(
    headers: Iterable[str], synonyms: Mapping[str, Iterable[str]]
) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """Map each field of ``synonyms`` to the first header that names it.

    Returns (field → column index, field → unit found in that header, headers left unmatched).
    """
    folded_syn = {field: {fold_header(s)[0] for s in names} for field, names in synonyms.items()}
    found: dict[str, int] = {}
    units: dict[str, str] = {}
    unmatched: list[str] = []
    for index, header in enumerate(headers):
        name, unit = fold_header(header)
        if not name:
            continue
        hit = next((f for f, names in folded_syn.items() if name in names and f not in found), None)
        if hit is None:
            unmatched.append(str(header))
            continue
        found[hit] = index
        units[hit] = unit
    return found, units, unmatched


def read_table(path: str | Path) -> Sheet:
    """The header and data rows of ``path`` (.xlsx / .xlsm / .csv / .txt). Raises :class:`ReportError`
    (``imp.file_missing``, ``imp.file_unreadable``, ``imp.file_kind``, ``imp.file_empty``)."""
    path = Path(path)
    if not path.exists():
        raise ReportError("imp.file_missing", path=str(path))
    if path.is_dir():
        raise ReportError("imp.file_unreadable", path=str(path), reason="is a directory")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raw = _read_xlsx(path)
    elif suffix in (".csv", ".txt", ".tsv"):
        raw = _read_csv(path)
    else:
        raise ReportError("imp.file_kind", path=str(path), suffix=suffix or "—")
    for i, (number, cells) in enumerate(raw):
        if sum(1 for c in cells if _filled(c)) >= 2:
            headers = tuple(str(c).strip() if _filled(c) else "" for c in cells)
            rows = [
                Row(n, tuple(_clean(c) for c in cs)) for n, cs in raw[i + 1 :] if any(_filled(c) for c in cs)
            ]
            return Sheet(headers, number, rows)
    raise ReportError("imp.file_empty", path=str(path))


def _filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _read_xlsx(path: Path) -> list[tuple[int, tuple[Any, ...]]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ReportError("imp.file_unreadable", path=str(path), reason=type(exc).__name__) from exc
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise ReportError("imp.file_unreadable", path=str(path), reason=type(exc).__name__) from exc
    try:
        ws = wb.worksheets[0]
        out = []
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            out.append((number, tuple(_xlsx_value(v) for v in row)))
        return out
    finally:
        wb.close()


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    return value


def _read_csv(path: Path) -> list[tuple[int, tuple[Any, ...]]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReportError("imp.file_unreadable", path=str(path), reason=exc.strerror or str(exc)) from exc
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None or "\x00" in text:
        raise ReportError("imp.file_unreadable", path=str(path), reason="not UTF-8 or GB18030 text")
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        return [(n, tuple(row)) for n, row in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise ReportError("imp.file_unreadable", path=str(path), reason=str(exc)) from exc


def cell_text(value: Any) -> str:
    """A cell as text (numbers without a trailing ``.0``), '' for empty."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()
