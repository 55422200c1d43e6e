"""A push reply stored on the laptop (no HTTP, no Textual), and what a push claims to have pulled.

:func:`apply_push_reply` is **one local transaction** (DESIGN: sync protocol): it stores the reply's effects —
record versions and server state, conflicts, rejections — and drops the acknowledged ops (into the journal,
:func:`~zsfield.store.outbox.journal`), together. A crash before it commits leaves the ops in the outbox; the
next sync sends them again and the server replays its stored results (nothing twice).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from zsfield import protocol
from zsfield.store.conflicts import MOVED, add_conflicts, add_rejections, rejection_id
from zsfield.store.db import Store, set_state
from zsfield.store.outbox import PendingOp, journal
from zsfield.store.pull import apply_states
from zsfield.store.statements import MAX_PARAMS, chunks, marks
from zsfield.store.sync_state import K_CURSOR, K_EPOCH, now_text, state_value


@dataclass
class AckSummary:
    acknowledged: int = 0
    applied: int = 0
    conflicts: int = 0
    rejected: int = 0
    replayed: int = 0
    conflict_ids: list[str] = field(default_factory=list)
    left: int = 0
    """Ops still in the outbox after this reply."""


def apply_push_reply(
    store: Store,
    sent: Sequence[PendingOp],
    reply: protocol.PushResponse | dict[str, Any],
    client_id: str,
) -> AckSummary:
    """Store the effects of a push reply (a :class:`~zsfield.protocol.PushResponse`, or its dict from
    :func:`~zsfield.protocol.parse_push_reply`) and drop the acknowledged ops — in one local transaction.

    The ops dropped are exactly those the reply's results name (wire number and op id): an op written since,
    whatever its local rowid, stays. Applied ops move to ``sent_op`` with their ``server_seq``."""
    data = reply.model_dump() if isinstance(reply, protocol.PushResponse) else reply
    results = {r["client_seq"]: r for r in data["results"]}
    missing = [op.client_seq for op in sent if op.client_seq not in results]
    if missing:
        raise ValueError(f"the server's reply lacks results for ops {missing[:5]}")
    other = [op.client_seq for op in sent if results[op.client_seq].get("op_id", op.op_id) != op.op_id]
    if other:
        raise ValueError(f"the server's reply names other ops under the numbers {other[:5]}")
    summary = AckSummary()
    now = now_text()
    with store.write(None, outbox=False) as w:
        conn = w.session.connection()
        set_state(conn, "last_push_at", now)  # first statement writes: the transaction holds the lock
        epoch = state_value(conn, K_EPOCH) or ""
        moved = _moved_ops(conn, sent)
        states: dict[tuple[str, str], dict[str, Any]] = {}
        versions: dict[tuple[str, str], int] = {}
        rejections: list[tuple[Any, ...]] = []
        found: list[tuple[Any, ...]] = []
        kept: list[tuple[Any, ...]] = []
        for op in sent:
            r = results[op.client_seq]
            summary.acknowledged += 1
            summary.replayed += int(r["replayed"])
            status = r["status"]
            if status != "rejected" and not op.void and op.op in ("insert", "update", "delete"):
                kept.append(
                    (op.op_id, op.entity, op.entity_id, op.op, op.fields_json, op.base_version,
                     op.schema_version, op.created_at or now, op.base_epoch, client_id, op.client_seq,
                     r["server_seq"], epoch, now)
                )  # fmt: skip
            if status == "rejected":
                summary.rejected += 1
                rejections.append(
                    (rejection_id(client_id, op.client_seq), op.client_seq, op.entity, op.entity_id,
                     orjson.dumps(op.as_dict()).decode(), r["code"] or "rejected", r["message"] or "", now)
                )  # fmt: skip
                continue
            if status == "applied" and not r["conflicts"]:
                summary.applied += 1
            handed = op.op_id in moved  # its record left this laptop: the new owners decide
            for c in r["conflicts"]:
                if not handed:
                    summary.conflicts += 1
                    summary.conflict_ids.append(c["conflict_id"])
                found.append(
                    (c["conflict_id"], op.entity, op.entity_id, c["field"], orjson.dumps(c["mine"]).decode(),
                     orjson.dumps(c["theirs"]).decode(), c["base_version"], c["server_version"], op.client_seq,
                     r["server_seq"], now, int(handed), MOVED if handed else None, now if handed else None)
                )  # fmt: skip
            if op.op not in ("insert", "update", "delete") or handed:
                continue  # a record that left this laptop: no reply brings it back
            key = (op.entity, op.entity_id)
            if r["record"] is not None:
                states[key] = r["record"]
                versions.pop(key, None)
            elif r["version"] is not None:
                if key in states:
                    states[key] = {**states[key], "version": max(states[key]["version"], r["version"])}
                else:
                    versions[key] = max(versions.get(key, 0), r["version"])
        if rejections:
            add_rejections(conn, rejections)
        if found:
            add_conflicts(conn, found)
        conn.exec_driver_sql(
            "DELETE FROM outbox WHERE wire_seq = ? AND op_id = ?", [(op.client_seq, op.op_id) for op in sent]
        )
        if kept:
            journal(conn, kept)
        if moved:
            _delete_ids(conn, "moved_change", "op_id", sorted(moved))
        summary.left = int(conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar() or 0)
        apply_states(w, list(states.values()), force=True, versions=versions)
    return summary


def _moved_ops(conn: Any, sent: Sequence[PendingOp]) -> set[str]:
    """The op ids of ``sent`` listed in ``moved_change`` (one read when the list is empty, as it mostly is)."""
    if conn.exec_driver_sql("SELECT 1 FROM moved_change LIMIT 1").first() is None:
        return set()
    out: set[str] = set()
    for chunk in chunks([op.op_id for op in sent], MAX_PARAMS):
        out.update(
            r[0]
            for r in conn.exec_driver_sql(
                f"SELECT op_id FROM moved_change WHERE op_id IN ({marks(len(chunk))})", tuple(chunk)
            ).all()
        )
    return out


def _delete_ids(conn: Any, table: str, column: str, ids: Sequence[str]) -> None:
    for chunk in chunks(ids, MAX_PARAMS):
        conn.exec_driver_sql(f"DELETE FROM {table} WHERE {column} IN ({marks(len(chunk))})", tuple(chunk))


def push_claim(store: Store, batch: Sequence[PendingOp]) -> int:
    """The push's ``pulled_to`` for ``batch``: the cursor now, or less when an op of the batch was written
    before a pull that removed its record (its ``moved_change`` entry says how far the laptop had pulled)."""
    with store.engine.connect() as conn:
        cursor = int(state_value(conn, K_CURSOR) or 0)
        if conn.exec_driver_sql("SELECT 1 FROM moved_change LIMIT 1").first() is None:
            return cursor
        ids = [op.op_id for op in batch]
        claims = [
            conn.exec_driver_sql(
                f"SELECT min(pulled_to) FROM moved_change WHERE op_id IN ({marks(len(chunk))})", tuple(chunk)
            ).scalar()
            for chunk in chunks(ids, MAX_PARAMS)
        ]
    return min([cursor, *(int(c) for c in claims if c is not None)])
