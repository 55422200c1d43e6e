"""Errors of the local store, each with a message a person can act on (and an exit code for the CLI), and the
checks that find a bad file before SQLite is asked to open it.

A :class:`StoreError` carries a catalog key (``store.*`` in :mod:`zsfield.i18n.catalog_core`) and its
parameters: ``str(error)`` is the message in both languages (what the CLI prints), :meth:`StoreError.message`
the one in a given language (what a screen shows). A plain sentence instead of a key is kept as it is.

Exit codes (the CLI returns them; README "Command line"):

==  ==================================================================================
3   no database at that path (:class:`DatabaseMissing`)
4   the database was written by a newer zsfield (:class:`DatabaseTooNew`)
5   the database is locked by another program (:class:`DatabaseLocked`)
6   the file is damaged, truncated or not a zsfield database (:class:`DatabaseCorrupt`)
7   the disk is full: the change was not saved (:class:`DiskFull`)
==  ==================================================================================
"""

from __future__ import annotations

from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"


class StoreError(Exception):
    """Base: ``str()`` says what happened and what to do; ``exit_code`` is what the CLI returns."""

    exit_code = 1

    def __init__(self, key_or_text: str, /, **params: object) -> None:
        from zsfield.i18n import CATALOG

        self.key: str | None = key_or_text if key_or_text in CATALOG else None
        self.text = key_or_text
        self.params: dict[str, object] = params
        super().__init__(key_or_text)

    def message(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: the current language)."""
        if self.key is None:
            return self.text
        from zsfield.i18n import t

        return t(self.key, lang, **self.params)

    def __str__(self) -> str:
        if self.key is None:
            return self.text
        from zsfield.i18n import both

        return both(self.key, **self.params)


class DatabaseMissing(StoreError):
    exit_code = 3


class DatabaseTooNew(StoreError):
    """The file was written by a newer zsfield: opening it here could damage it."""

    exit_code = 4


class DatabaseLocked(StoreError):
    exit_code = 5


class DatabaseCorrupt(StoreError):
    exit_code = 6


class DiskFull(StoreError):
    exit_code = 7


def check_file(path: Path) -> StoreError | None:
    """What is wrong with the file at ``path`` that its first 100 bytes already show, read-only: not a SQLite
    database (wrong header), or shorter than its header says (truncated: a copy cut short, a full disk)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size == 0:
            return None  # a new, empty file: SQLite makes it a database
        with path.open("rb") as fh:
            header = fh.read(100)
    except OSError:
        return None  # missing or unreadable: SQLite's own error says it better
    if not header.startswith(SQLITE_HEADER):
        return DatabaseCorrupt("store.not_sqlite", path=path)
    if len(header) < 100:
        return DatabaseCorrupt("store.truncated", path=path, size=size, expected=100)
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    change_counter, valid_for = header[24:28], header[92:96]
    # the page count in the header is trusted only when it was written with the current change counter
    expected = pages * page_size if change_counter == valid_for else 0
    if page_size < 512 or page_size & (page_size - 1):
        return DatabaseCorrupt("store.not_sqlite", path=path)
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        expected = 0  # a checkpoint cut short: the file may lag its header until SQLite replays the WAL
    if size < max(expected, page_size):
        return DatabaseCorrupt("store.truncated", path=path, size=size, expected=max(expected, page_size))
    return None
