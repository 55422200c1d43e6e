"""The officer's local store: one SQLite file, sessions, and the writer that keeps the outbox.

Use::

    store = Store.open(path)                 # migrates; refuses newer / damaged files
    with store.write(actor_id) as w:         # one transaction: rows and their outbox ops, or neither
        lead = w.insert(Lead(title="…"))
    with store.read() as s:                  # a read-only session
        ...
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError, OperationalError

from zsfield.store.engine import open_engine, translate_error

if TYPE_CHECKING:  # the ORM (SQLModel, the domain models) is imported by the first session, not by opening:
    from sqlmodel import Session  # the app's first screen reads with plain SQL and shows sooner

    from zsfield.store.writer import Writer


class Store:
    """A handle on one local database. Thread-safe to share: each read or write opens its own session."""

    def __init__(self, engine: Engine, path: Path) -> None:
        self.engine = engine
        self.path = path
        self._write_lock = threading.Lock()
        self.integrity_checked = False
        """Whether opening ran the full page check (else the app runs it in the background)."""

    @classmethod
    def open(
        cls, path: str | Path, *, create: bool = True, migrate: bool = True, check: bool | None = None
    ) -> Store:
        """Open ``path`` (see :func:`~zsfield.store.engine.open_engine`). ``check``: run the full integrity
        check of every page; None (the default) runs it only when the app's last session on this file did
        not end cleanly (its session marker is still there, see :meth:`begin_session`)."""
        path = Path(path)
        if check is None:
            check = session_marker(path).exists()
        store = cls(open_engine(path, create=create, migrate=migrate, check=check), path)
        store.integrity_checked = check
        return store

    def begin_session(self) -> None:
        """Leave a marker beside the file while the app has it open: a crash leaves it behind, and the
        next open then checks every page of the file (``PRAGMA quick_check``) before trusting it."""
        with contextlib.suppress(OSError):
            session_marker(self.path).touch()

    def end_session(self) -> None:
        """The app is closing cleanly: remove the marker of :meth:`begin_session`."""
        with contextlib.suppress(OSError):
            session_marker(self.path).unlink(missing_ok=True)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def pinned(self) -> Iterator[Store]:
        """This store on one connection, open until the block ends, for one thread that runs many short
        transactions in a row (a sync: hundreds of batches and pages; each would otherwise open the file, set
        its pragmas, read its schema and prepare its statements again). It shares this store's write lock."""
        from zsfield.store.engine import make_engine

        view = Store(make_engine(self.path, pinned=True), self.path)
        view._write_lock = self._write_lock
        view.integrity_checked = self.integrity_checked
        try:
            yield view
        finally:
            view.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; nothing it does is committed."""
        from sqlmodel import Session

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
        from sqlmodel import Session

        from zsfield.store.writer import Writer

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


def session_marker(path: Path) -> Path:
    """The file that says an app session has ``path`` open (left behind by a crash)."""
    return path.with_name(path.name + ".session")


def set_state(conn: Any, key: str, value: str) -> None:
    """Upsert one key of ``sync_state`` on an open connection or session (inside its transaction)."""
    conn.execute(
        text(
            "INSERT INTO sync_state(key, value) VALUES (:k, :v) ON CONFLICT(key) DO UPDATE SET value = excluded.value"
        ),
        {"k": key, "v": value},
    )
