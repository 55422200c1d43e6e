"""The lists the sync screen and ``zsfield conflicts`` show (no Textual): open conflicts, rejections not
dismissed, the unsent changes about records that moved to another team, the outbox, and the titles of the
records they name. :func:`sync_lists` reads all of it in a fixed number of queries, whatever the number of
rows (one per kind of record named, not one per row)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import text

from zsfield.domain.models import ENTITIES
from zsfield.store.db import Store
from zsfield.store.statements import MAX_PARAMS, chunks, marks
from zsfield.store.sync_state import sync_state

TITLE_FIELDS = {"project": "name", "lead": "title", "company": "name", "contact": "name", "officer": "name",
                "team": "name", "office": "name", "visit": "summary", "follow_up": "title", "note": "body",
                "service_item": "title", "stage_event": "to_value", "milestone": "kind",
                "capital_receipt": "amount", "target": "band", "service_plan": "summary"}  # fmt: skip
"""The column that names a record of each entity in the sync lists (and the label a record that moves to
another team keeps: :mod:`zsfield.store.pull`)."""


def _rows(conn: Any, sql: str, limit: int) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(text(sql), {"n": limit}).mappings()]


def _conflicts(conn: Any, limit: int) -> list[dict[str, Any]]:
    rows = _rows(conn, "SELECT * FROM conflict WHERE resolved = 0 ORDER BY created_at LIMIT :n", limit)
    return [
        {**r, "mine": orjson.loads(r["mine"]) if r["mine"] is not None else None,
         "theirs": orjson.loads(r["theirs"]) if r["theirs"] is not None else None}
        for r in rows
    ]  # fmt: skip


def _rejections(conn: Any, limit: int) -> list[dict[str, Any]]:
    rows = _rows(conn, "SELECT * FROM rejection WHERE dismissed = 0 ORDER BY created_at LIMIT :n", limit)
    return [{**r, "op": orjson.loads(r["op"]) if isinstance(r["op"], str) else r["op"]} for r in rows]


def _moved(conn: Any, limit: int) -> list[dict[str, Any]]:
    return _rows(
        conn,
        "SELECT m.op_id, m.entity, m.entity_id, m.label, m.pulled_to, m.created_at, o.op "
        "FROM moved_change m JOIN outbox o ON o.op_id = m.op_id ORDER BY o.client_seq LIMIT :n",
        limit,
    )


def open_conflicts(store: Store, limit: int = 500) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return _conflicts(conn, limit)


def open_rejections(store: Store, limit: int = 500) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return _rejections(conn, limit)


def moved_changes(store: Store, limit: int = 500) -> list[dict[str, Any]]:
    """The unsent changes about records that moved to another team (still in the outbox, to be sent)."""
    with store.engine.connect() as conn:
        return _moved(conn, limit)


def moved_count(store: Store) -> int:
    """How many unsent changes concern a record that moved to another team."""
    return int(store.scalar("SELECT count(*) FROM moved_change m JOIN outbox o ON o.op_id = m.op_id") or 0)


def _titles(conn: Any, rows: list[dict[str, Any]], moved: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(entity, id) → the record's title (:data:`TITLE_FIELDS`; its id's first 8 characters when it has none
    or is not in this database) for every row naming a record. A change about a record that moved to another
    team keeps the name it had (the record left this laptop). One query per entity named."""
    titles: dict[tuple[str, str], str] = {
        (m["entity"], m["entity_id"]): m["label"] or m["entity_id"][:8] for m in moved
    }
    wanted: dict[str, set[str]] = {}
    for row in rows:
        entity, rid = row["entity"], row["entity_id"]
        if (entity, rid) in titles or TITLE_FIELDS.get(entity) is None or entity not in ENTITIES:
            continue
        wanted.setdefault(entity, set()).add(rid)
    for entity, ids in wanted.items():
        table = ENTITIES[entity].__tablename__  # type: ignore[attr-defined]
        column = TITLE_FIELDS[entity]
        found: dict[str, Any] = {}
        for chunk in chunks(sorted(ids), MAX_PARAMS):
            found.update(
                conn.exec_driver_sql(
                    f"SELECT id, {column} FROM {table} WHERE id IN ({marks(len(chunk))})", tuple(chunk)
                ).all()
            )
        for rid in ids:
            value = found.get(rid)
            titles[(entity, rid)] = str(value) if value is not None else rid[:8]
    return titles


def sync_lists(store: Store, limit: int = 500) -> dict[str, Any]:
    """Everything the sync screen shows, read in one go (in a worker): ``conflicts``, ``rejections``,
    ``outbox`` (the first ``limit`` rows of each), ``pending`` (ops in the outbox), ``moved`` (how many of the
    first ``limit`` unsent changes concern a record that moved away) and ``moved_keys`` (those records),
    ``titles`` (:func:`_titles`) and ``state`` (the sync state)."""
    with store.engine.connect() as conn:
        conflicts = _conflicts(conn, limit)
        rejections = _rejections(conn, limit)
        moved = _moved(conn, limit)
        outbox = _rows(
            conn,
            "SELECT client_seq, entity, entity_id, op, fields, created_at FROM outbox ORDER BY client_seq LIMIT :n",
            limit,
        )
        pending = int(conn.execute(text("SELECT count(*) FROM outbox")).scalar() or 0)
        titles = _titles(conn, [*conflicts, *rejections, *outbox], moved)
    return {
        "conflicts": conflicts,
        "rejections": rejections,
        "outbox": outbox,
        "pending": pending,
        "moved": len(moved),
        "moved_keys": {(m["entity"], m["entity_id"]) for m in moved},
        "titles": titles,
        "state": sync_state(store),
    }
