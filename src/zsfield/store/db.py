"""The officer's local store: one SQLite file, sessions, and the writer that keeps the outbox.

Use::

    store = Store.open(path)                 # migrates; refuses newer / damaged files
    with store.write(actor_id) as w:         # one transaction: rows and their outbox ops, or neither
        lead = w.insert(Lead(title="…"))
    with store.read() as s:                  # a read-only session
        ...
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlmodel import Session

from zsfield.store.engine import open_engine, translate_error
from zsfield.store.writer import Writer


class Store:
    """A handle on one local database. Thread-safe to share: each read or write opens its own session."""

    def __init__(self, engine: Engine, path: Path) -> None:
        self.engine = engine
        self.path = path
        self._write_lock = threading.Lock()

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True, migrate: bool = True) -> Store:
        path = Path(path)
        return cls(open_engine(path, create=create, migrate=migrate), path)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; nothing it does is committed."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
            except (OperationalError, DatabaseError) as exc:
                translated = translate_error(exc, self.path)
                if translated is not None:
                    raise translated from exc
                raise
            finally:
                session.rollback()

    @contextmanager
    def write(self, actor_id: str | None = None, *, outbox: bool = True) -> Iterator[Writer]:
        """One transaction. Every record written through the :class:`Writer` appends its outbox op (unless
        ``outbox`` is false, which only the sync's pull and the demo seed use); an exception rolls back both."""
        with self._write_lock, Session(self.engine, expire_on_commit=False) as session:
            writer = Writer(session, actor_id=actor_id, outbox=outbox)
            try:
                yield writer
                writer.finish()
                session.commit()
            except (OperationalError, DatabaseError) as exc:
                session.rollback()
                translated = translate_error(exc, self.path)
                if translated is not None:
                    raise translated from exc
                raise
            except BaseException:
                session.rollback()
                raise

    # --- local state --------------------------------------------------------------------------------------

    def get_state(self, key: str, default: str | None = None) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT value FROM sync_state WHERE key = :k"), {"k": key}).first()
        return row[0] if row else default

    def set_state(self, key: str, value: str) -> None:
        with self.engine.begin() as conn:
            set_state(conn, key, value)

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()


def set_state(conn: Any, key: str, value: str) -> None:
    """Upsert one key of ``sync_state`` on an open connection or session (inside its transaction)."""
    conn.execute(
        text(
            "INSERT INTO sync_state(key, value) VALUES (:k, :v) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
        ),
        {"k": key, "v": value},
    )
