"""Plain indexes put aside during a bulk load and built once from the loaded rows (the demo seed, the first
pull into an empty laptop): building an index from all its rows (SQLite sorts them) costs a fraction of
keeping it up to date row by row, and gives packed pages.

Only plain (non-unique) indexes are put aside: primary keys and unique constraints stay and are checked as the
rows go in, and every index comes back from the very ``CREATE INDEX`` text the migrations stored. A load in
one transaction (the seed) drops and builds them inside it. A load over several transactions (a pull, page by
page) records what it put aside in ``sync_state`` (:data:`K_DEFERRED`) in the transaction that drops them;
:func:`restore` builds them again — when the load ends, when a sync stops early, and when the store is next
opened after a crash (:func:`restore_pending`) — so a committed file either has every index or names those it
lacks. No Textual here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

K_DEFERRED = "deferred_indexes"
"""``sync_state`` key: the ``[name, sql]`` pairs of the indexes a load in progress put aside."""


def plain_indexes(conn: Any, tables: Iterable[str]) -> list[tuple[str, str]]:
    """(name, ``CREATE INDEX`` text) of the plain indexes of ``tables``, by name."""
    names = tuple(tables)
    if not names:
        return []
    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join('?' * len(names))}) ORDER BY name",
        names,
    ).all()
    return [(name, sql) for name, sql in rows if not sql.lstrip().upper().startswith("CREATE UNIQUE")]


def drop(conn: Any, tables: Iterable[str]) -> list[tuple[str, str]]:
    """Drop the plain indexes of ``tables`` (in the caller's transaction); returns what :func:`create` needs
    to build them again."""
    found = plain_indexes(conn, tables)
    for name, _ in found:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return found


def create(conn: Any, dropped: Sequence[tuple[str, str]]) -> None:
    """Build the indexes :func:`drop` returned (SQLite's sorter may use a helper thread for each)."""
    if not dropped:
        return
    conn.exec_driver_sql("PRAGMA threads=2")
    for _, sql in dropped:
        conn.exec_driver_sql(sql)


def _recorded(conn: Any) -> list[tuple[str, str]]:
    row = conn.exec_driver_sql("SELECT value FROM sync_state WHERE key = ?", (K_DEFERRED,)).first()
    return [(name, sql) for name, sql in orjson.loads(row[0])] if row and row[0] else []


def defer(conn: Any, tables: Iterable[str]) -> None:
    """Put the plain indexes of ``tables`` aside until :func:`restore`, recording them in the same
    transaction."""
    dropped = drop(conn, tables)
    if dropped:
        conn.exec_driver_sql(
            "INSERT INTO sync_state (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (K_DEFERRED, orjson.dumps(_recorded(conn) + dropped).decode()),
        )


def restore(conn: Any) -> bool:
    """Build the indexes a load put aside, and forget them (in the caller's transaction). False: none."""
    deferred = _recorded(conn)
    if not deferred:
        return False
    present = {
        name for (name,) in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").all()
    }
    create(conn, [(name, sql) for name, sql in deferred if name not in present])
    conn.exec_driver_sql("DELETE FROM sync_state WHERE key = ?", (K_DEFERRED,))
    return True


def restore_pending(engine: Any) -> bool:
    """:func:`restore` in a transaction of its own, for a load that did not end: a sync that stopped early, or
    a crash (at the next open, before any migration). One read when nothing is pending; True otherwise."""
    with engine.connect() as conn:
        has_state = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_state'"
        ).first()
        pending = has_state is not None and bool(_recorded(conn))
    if pending:
        with engine.begin() as conn:  # the first statement writes: the transaction holds the lock
            conn.exec_driver_sql("UPDATE sync_state SET value = value WHERE key = ?", (K_DEFERRED,))
            return restore(conn)
    return False
