"""Pieces of the store's hand-written bulk statements (sync's apply, the writer's inserts, the sync lists):
``IN (...)`` lists in chunks under SQLite's bound-parameter limit, their placeholders, and a wire value as the
column holds it. No Textual here."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

MAX_PARAMS = 900 if sqlite3.sqlite_version_info < (3, 32) else 30_000
"""Bound parameters per statement (SQLite allows 999 before 3.32, 32,766 since)."""


def marks(n: int) -> str:
    """``?, ?, …``: the placeholders of ``n`` bound parameters."""
    return ", ".join("?" * n)


def chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    """``items`` in slices of at most ``size`` (an ``IN`` list per statement: ``size=MAX_PARAMS``)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def sql_value(value: Any) -> Any:
    """A wire value as its SQLite column holds it: a list or dict as JSON text, a bool as 0 / 1."""
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    if isinstance(value, bool):
        return int(value)
    return value
