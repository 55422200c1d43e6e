"""The officer's local store (SQLite): engine, migrations, the outbox-keeping writer, actions and queries.

No Textual here.
"""

from zsfield.store.db import Store
from zsfield.store.errors import (
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseMissing,
    DatabaseTooNew,
    DiskFull,
    StoreError,
)
from zsfield.store.writer import SCHEMA_VERSION, Writer

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
