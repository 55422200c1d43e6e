"""Conflicts and rejections on the laptop (no HTTP, no Textual): the rows a push reply or a pull page adds, and
the officer's decisions — a conflict decided (:func:`resolve_conflict`, itself an op that syncs), a rejection
dismissed. The lists the sync screen and ``zsfield conflicts`` show are read in
:mod:`zsfield.store.read.sync_lists`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import text

from zsfield import protocol
from zsfield.domain.codec import decode_field, encode_field
from zsfield.domain.models import ENTITIES
from zsfield.domain.types import new_id
from zsfield.store.db import Store
from zsfield.store.statements import marks
from zsfield.store.sync_state import now_text
from zsfield.store.writer import Writer, append_ops

_NS = uuid.UUID("6d1f4a3e-6a53-4f7b-9b43-2f3c1d0b7a10")
UNREADABLE = "unreadable"
"""Code of the laptop's own entry in the rejection list for a record the server sent that this laptop cannot
read (a field it cannot decode: a value an older server let through, or a newer server's code): the record is
not stored, the rest of the page is, and the entry names the record and the field (``op``: ``{"op": "pull",
entity, entity_id, version, server_seq, field, reason}``). Never sent to the server."""

MOVED = "moved"
"""The resolution of a local conflict about a record that moved to another team: its new owners decide it
(the server's conflict log holds it in their scope)."""


def rejection_id(client_id: str, client_seq: int) -> str:
    return str(uuid.uuid5(_NS, f"{client_id}:{client_seq}"))


def list_unreadable(conn: Any, found: list[tuple[dict[str, Any], str]]) -> None:
    """Keep the states that could not be stored in the rejection list (:data:`UNREADABLE`), once each."""
    now = now_text()
    rows = []
    for state, name in found:
        entity, record_id = state["entity"], state["id"]
        reason = ""
        try:
            decode_field(entity, name, state["data"].get(name))
        except Exception as exc:  # noqa: BLE001 - the reason, whatever it is
            reason = str(exc)
        op = {"op": "pull", "entity": entity, "entity_id": record_id, "version": state.get("version"),
              "server_seq": state.get("server_seq"), "field": name, "reason": reason[:300]}  # fmt: skip
        message = (
            f"The server sent {entity} {record_id} (version {state.get('version')}) with a value this laptop "
            f"cannot read ({reason[:300]}); it was not stored, the rest of the sync went on."
        )
        key = f"pulled:{entity}:{record_id}:{state.get('version')}:{state.get('server_seq')}"
        rows.append((str(uuid.uuid5(_NS, key)), entity, record_id, orjson.dumps(op).decode(), message, now))
    conn.exec_driver_sql(
        "INSERT INTO rejection (id, client_seq, entity, entity_id, op, code, message, created_at, dismissed) "
        f"VALUES (?, 0, ?, ?, ?, '{UNREADABLE}', ?, ?, 0) ON CONFLICT(id) DO NOTHING",
        rows,
    )


def add_rejections(conn: Any, rows: Sequence[tuple[Any, ...]]) -> None:
    """Rejected ops of a push reply, into the rejection list (once each: an op replayed keeps its entry).
    A row: id (:func:`rejection_id`), client_seq, entity, entity_id, op (JSON), code, message, created_at."""
    conn.exec_driver_sql(
        "INSERT INTO rejection (id, client_seq, entity, entity_id, op, code, message, created_at, "
        "dismissed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT(id) DO NOTHING",
        rows,
    )


def add_conflicts(conn: Any, rows: Sequence[tuple[Any, ...]]) -> None:
    """Conflicts of a push reply, once each (the server's conflict id). A row: id, entity, entity_id, field,
    mine, theirs (JSON), base_version, server_version, client_seq, server_seq, created_at, resolved,
    resolution, resolved_at (a conflict about a record that moved away is closed at once: :data:`MOVED`)."""
    conn.exec_driver_sql(
        "INSERT INTO conflict (id, entity, entity_id, field, mine, theirs, base_version, server_version, "
        "client_seq, server_seq, created_at, resolved, resolution, resolved_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
        rows,
    )


def close_moved(conn: Any, record_ids: Sequence[str], now: str) -> None:
    """Close the open conflicts about records that moved to another team (:data:`MOVED`): their new owners
    decide them. ``record_ids``: one chunk (:data:`~zsfield.store.statements.MAX_PARAMS` leaves room for the
    two other parameters)."""
    conn.exec_driver_sql(
        f"UPDATE conflict SET resolved = 1, resolution = ?, resolved_at = ? WHERE resolved = 0 "
        f"AND entity_id IN ({marks(len(record_ids))})",
        (MOVED, now, *record_ids),
    )


# --- conflicts: the officer decides -------------------------------------------------------------------------


class ConflictDecisionError(ValueError):
    """The conflict cannot be decided that way (unknown, already decided, a bad value)."""


def _append_op(
    conn: Any, entity: str, entity_id: str, op: str, fields: dict[str, Any], base: int, at: str
) -> None:
    append_ops(
        conn,
        [(new_id(), entity, entity_id, op, orjson.dumps(fields).decode(), base, protocol.SCHEMA_VERSION, at)],
    )


def resolve_conflict(
    store: Store,
    conflict_id: str,
    choice: str,
    value: Any = None,
    *,
    actor_id: str | None = None,
) -> None:
    """Decide a conflict: ``mine`` (send my value again, based on the server's version), ``theirs`` (keep the
    server's value) or ``edited`` (send ``value``, a wire value — for ``'*'`` conflicts a dict of fields). The
    decision is itself an op that syncs (a ``resolve`` op closes the server's conflict log entry)."""
    if choice not in ("mine", "theirs", "edited"):
        raise ConflictDecisionError(f"choose mine, theirs or edited, not {choice!r}")
    now = now_text()
    with store.write(actor_id, outbox=False) as w:
        conn = w.session.connection()
        row = (
            conn.execute(text("SELECT * FROM conflict WHERE id = :id"), {"id": conflict_id})
            .mappings()
            .first()
        )
        if row is None:
            raise ConflictDecisionError(f"no conflict {conflict_id}")
        if row["resolved"]:
            raise ConflictDecisionError(f"conflict {conflict_id} was already decided ({row['resolution']})")
        entity, record_id, name = row["entity"], row["entity_id"], row["field"]
        mine = orjson.loads(row["mine"]) if row["mine"] is not None else None
        theirs = orjson.loads(row["theirs"]) if row["theirs"] is not None else None
        base = int(row["server_version"])
        cls = ENTITIES.get(entity)
        if cls is None:
            raise ConflictDecisionError(f"unknown entity {entity!r}")
        obj = w.session.get(cls, record_id)
        if obj is None:
            raise ConflictDecisionError(f"{entity} {record_id} is not in this database")
        if name == "*":
            if mine is None:  # my delete met their edit
                if choice == "edited":
                    raise ConflictDecisionError("a delete that met an edit is decided by mine or theirs")
                if choice == "mine":
                    obj.deleted = True
                    w.session.add(obj)
                    _append_op(conn, entity, record_id, "delete", {}, base, now)
                else:
                    obj.deleted = False
                    w.session.add(obj)
            else:  # my edit met their delete
                fields = mine if choice == "mine" else value
                if choice != "theirs":
                    if not isinstance(fields, dict):
                        raise ConflictDecisionError(
                            "an edit that met a delete is edited with a dict of fields"
                        )
                    _set_local(w, obj, entity, fields)
                    obj.deleted = False
                    w.session.add(obj)
                    _append_op(conn, entity, record_id, "update", {**fields, "deleted": False}, base, now)
                else:
                    obj.deleted = True
                    w.session.add(obj)
        else:
            if choice == "theirs":
                if encode_field(entity, name, getattr(obj, name)) == mine:
                    _set_local(w, obj, entity, {name: theirs})
            else:
                chosen = mine if choice == "mine" else value
                _set_local(w, obj, entity, {name: chosen})
                _append_op(
                    conn,
                    entity,
                    record_id,
                    "update",
                    {name: encode_field(entity, name, getattr(obj, name))},
                    base,
                    now,
                )
        _append_op(
            conn, entity, record_id, "resolve", {"conflict_id": conflict_id, "resolution": choice}, 0, now
        )
        conn.execute(
            text("UPDATE conflict SET resolved = 1, resolution = :r, resolved_at = :at WHERE id = :id"),
            {"r": choice, "at": now, "id": conflict_id},
        )


def _set_local(w: Writer, obj: Any, entity: str, wire: dict[str, Any]) -> None:
    try:
        values = {k: decode_field(entity, k, v) for k, v in wire.items() if k != "deleted"}
    except ValueError as exc:
        raise ConflictDecisionError(str(exc)) from exc
    w.update(obj, **values)


def dismiss_rejection(store: Store, rejection_id_: str) -> bool:
    with store.engine.begin() as conn:
        return bool(
            conn.execute(
                text("UPDATE rejection SET dismissed = 1 WHERE id = :id"), {"id": rejection_id_}
            ).rowcount
        )
