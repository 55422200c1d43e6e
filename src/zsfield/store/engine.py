"""The SQLite engine of an officer's laptop: WAL, ``synchronous=FULL``, migrations on open.

Never ``create_all`` on a user's file: a database is brought to the current schema by Alembic, and a
database from a newer zsfield is refused before anything is written to it.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.pool import NullPool, StaticPool

from zsfield.store.errors import (
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseMissing,
    DatabaseTooNew,
    DiskFull,
    StoreError,
    check_file,
)

BUSY_TIMEOUT_MS = 5000


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # autocommit off at the driver level; SQLAlchemy issues BEGIN itself (see _on_begin)
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=OFF")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA cache_size=-32000")
    cur.close()


def make_engine(path: Path, *, pinned: bool = False) -> Engine:
    """An engine on ``path`` with the house pragmas (the file is created if missing): a connection of its own
    for each use, or with ``pinned`` one connection kept open and reused (see :meth:`Store.pinned`)."""
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        poolclass=StaticPool if pinned else NullPool,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(engine, "connect", _on_connect)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # BEGIN IMMEDIATE for writers would serialise readers too; plain BEGIN, and busy_timeout handles waits
        conn.exec_driver_sql("BEGIN")

    return engine


def translate_error(exc: BaseException, path: Path) -> StoreError | None:
    """A :class:`StoreError` for a low-level SQLite failure, or None when it is something else."""
    text = str(getattr(exc, "orig", exc)).lower()
    if "database is locked" in text or "database is busy" in text:
        return DatabaseLocked("store.locked", path=path)
    if "file is not a database" in text or "malformed" in text or "disk image" in text:
        return DatabaseCorrupt("store.corrupt", path=path)
    if "database or disk is full" in text or "disk full" in text:
        return DiskFull("store.disk_full", path=path)
    if "unable to open database" in text:
        return DatabaseMissing("store.cannot_open", path=path)
    return None


def head_revision() -> str:
    """The newest revision of the migrations shipped with this version, read from the migration files
    themselves (no Alembic import: opening an up-to-date database must stay cheap)."""
    global _HEAD
    if _HEAD is None:
        revisions: set[str] = set()
        parents: set[str] = set()
        for file in sorted((Path(__file__).parent / "migrations" / "versions").glob("*.py")):
            source = file.read_text(encoding="utf-8")
            rev = _REVISION.search(source)
            if rev is None:
                continue
            revisions.add(rev.group(1))
            down = _DOWN_REVISION.search(source)
            if down is not None and down.group(1):
                parents.add(down.group(1))
        heads = revisions - parents
        if len(heads) != 1:  # pragma: no cover - a broken release; let Alembic say what is wrong
            from zsfield.store import migrate as migrations

            _HEAD = migrations.head_revision()
        else:
            _HEAD = heads.pop()
    return _HEAD


_HEAD: str | None = None
_REVISION = re.compile(r"^revision\s*=\s*[\"']([^\"']+)[\"']", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*=\s*(?:[\"']([^\"']*)[\"']|None)", re.M)


def stored_revision(conn: Any) -> str | None:
    """The schema revision written in the file (None for a database without Alembic's table)."""
    has_table = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).first()
    if has_table is None:
        return None
    row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return row[0] if row else None


def integrity_problem(engine: Engine) -> str | None:
    """``PRAGMA quick_check`` (seconds on a large file): None when the file is sound, else what is wrong."""
    with engine.connect() as conn:
        result = conn.exec_driver_sql("PRAGMA quick_check").scalar()
    return None if result == "ok" else str(result)


def open_engine(path: Path, *, create: bool = True, migrate: bool = True, check: bool = False) -> Engine:
    """Open (or create) the database at ``path`` and bring it to the current schema.

    Every open reads the file's header, its schema and its revision (which fails on a damaged header or
    schema); the full ``PRAGMA quick_check`` of every page runs only with ``check`` (after a session that did
    not end cleanly, see :meth:`Store.open`) and before migrating, because on a large file it takes seconds.
    Alembic itself is imported only when the revision differs from this version's head.

    Raises :class:`DatabaseMissing` when ``create`` is false and there is no file, :class:`DatabaseTooNew`
    for a file from a newer version, :class:`DatabaseCorrupt` for a damaged one, :class:`DatabaseLocked`.
    """
    path = Path(path)
    if not path.exists():
        if not create:
            raise DatabaseMissing("store.missing", path=path)
        path.parent.mkdir(parents=True, exist_ok=True)
    elif (bad := check_file(path)) is not None:  # not SQLite, or truncated: refused before SQLite opens it
        raise bad
    engine = make_engine(path)
    try:
        with engine.connect() as conn:
            # reading the schema parses every table definition: a damaged header or schema fails here
            conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
            revision = stored_revision(conn)
        current = revision is not None and revision == head_revision()
        if check or (migrate and not current and revision is not None):
            problem = integrity_problem(engine)
            if problem is not None:
                raise DatabaseCorrupt("store.integrity", path=path, problem=problem)
        state = "current"
        if not current:
            from zsfield.store import migrate as migrations

            state = migrations.check_revision(engine)
            if state == "newer":
                raise DatabaseTooNew("store.too_new", path=path, revision=migrations.current_revision(engine))
        if migrate and revision is not None:
            from zsfield.store.indexes import restore_pending

            restore_pending(engine)  # a bulk load cut short: its indexes first, as the schema had them
        if migrate and state != "current":
            migrations.upgrade(engine)
    except (OperationalError, DatabaseError) as exc:
        engine.dispose()
        translated = translate_error(exc, path)
        if translated is not None:
            raise translated from exc
        raise
    except Exception:
        engine.dispose()
        raise
    return engine
