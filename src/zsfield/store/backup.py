"""An officer's own backup: SQLite's online backup API, checked after writing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from zsfield.store.db import Store


def backup_database(store: Store, out: Path) -> int:
    """Copy ``store`` to ``out`` consistently while it may be in use; returns the size. ``out`` must be new."""
    out = Path(out)
    if out.exists():
        raise FileExistsError(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    src = sqlite3.connect(store.path)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise RuntimeError(f"backup failed its integrity check: {check}")
        finally:
            dst.close()
    finally:
        src.close()
    tmp.replace(out)
    return out.stat().st_size
