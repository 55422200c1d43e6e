"""The officer's local store (SQLite): engine, migrations, the outbox-keeping writer, the actions that write
(:mod:`zsfield.store.actions`) and the reads (:mod:`zsfield.store.read`).

No Textual here. ``Store``, ``Writer`` and ``SCHEMA_VERSION`` are imported on first use (they bring in
SQLAlchemy): the app's start-up imports :mod:`zsfield.store.errors` before its first paint and must stay light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from zsfield.store.errors import (
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseMissing,
    DatabaseTooNew,
    DiskFull,
    StoreError,
)

if TYPE_CHECKING:
    from zsfield.store.db import Store
    from zsfield.store.writer import SCHEMA_VERSION, Writer

_LAZY = {
    "Store": "zsfield.store.db",
    "Writer": "zsfield.store.writer",
    "SCHEMA_VERSION": "zsfield.store.writer",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "SCHEMA_VERSION",
    "DatabaseCorrupt",
    "DatabaseLocked",
    "DatabaseMissing",
    "DatabaseTooNew",
    "DiskFull",
    "Store",
    "StoreError",
    "Writer",
]
