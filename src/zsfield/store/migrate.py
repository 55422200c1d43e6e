"""Alembic, driven from code: the laptop's schema is brought to head whenever a database is opened."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

# Alembic is imported by the functions that need it: refuse_unusable runs before first paint
if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_revision(engine: Engine) -> Literal["empty", "behind", "current", "newer"]:
    """Where the database stands against this version's migrations."""
    from alembic.script import ScriptDirectory

    rev = current_revision(engine)
    if rev is None:
        return "empty"
    script = ScriptDirectory.from_config(alembic_config())
    if rev == script.get_current_head():
        return "current"
    try:
        script.get_revision(rev)
    except Exception:
        return "newer"  # a revision this version does not know: written by a newer zsfield
    return "behind"


def known_revisions() -> frozenset[str]:
    """Every revision this version ships, read from the migration files (no Alembic import: cheap)."""
    import re

    pattern = re.compile(r"^revision\s*(?::\s*str\s*)?=\s*[\"']([^\"']+)[\"']", re.M)
    found = set()
    for file in (MIGRATIONS_DIR / "versions").glob("*.py"):
        match = pattern.search(file.read_text(encoding="utf-8"))
        if match is not None:
            found.add(match.group(1))
    return frozenset(found)


def refuse_unusable(path: Path) -> None:
    """Read-only checks of an existing database file that take milliseconds: raise the store's error when it is
    not SQLite, is truncated (:func:`~zsfield.store.errors.check_file`) or carries a schema revision this
    version does not know (:class:`~zsfield.store.errors.DatabaseTooNew`). Used before the app starts, so that
    such a file is refused with its message and exit code instead of inside the full-screen app."""
    import sqlite3

    from zsfield.store.errors import DatabaseTooNew, check_file

    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return
    bad = check_file(path)
    if bad is not None:
        raise bad
    if Path(f"{path}-wal").exists():
        return  # not closed cleanly: only the store's own open reads it right (it replays the WAL)
    try:
        # immutable: read the file as it is, without creating -wal / -shm beside it
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, timeout=5)
    except sqlite3.Error:
        return  # the store's own open says what is wrong
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return
    finally:
        conn.close()
    if row is not None and row[0] not in known_revisions():
        raise DatabaseTooNew("store.too_new", path=path, revision=row[0])


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)
