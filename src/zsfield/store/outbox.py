"""The outbox as the wire sees it (no HTTP, no Textual): read the next batch as wire ops, build a push body,
tell which fields of a record still have an op waiting, and the journal of acknowledged ops.

Sequence numbers: every op gets its wire number (``outbox.wire_seq``, sent as ``client_seq``) once, when it is
written (:func:`zsfield.store.writer.append_ops`), from the counter ``sync_state.wire_seq`` that never goes
back; a reply trims exactly the ops it acknowledges (their ``wire_seq`` and ``op_id``), never a range of local
rowids (SQLite reuses those once the table is empty). Ops are renumbered only under a new client id (a server
restore or another server: from 1) and by :func:`~zsfield.store.sync_state.realign` (numbers the server never
took, moved to follow the server's own last number for this client).

Acknowledged ops move to ``sent_op`` (:func:`journal`) in the transaction that trims them
(:func:`~zsfield.store.push.apply_push_reply`) and stay there for the retention window (:func:`prune_sent`):
after a server restore, those the restored server no longer has go back into the outbox
(:func:`requeue_lost`, from :func:`~zsfield.store.sync_state.reset_for_epoch`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import Any

import orjson

from zsfield import protocol
from zsfield.domain.types import UTCDateTime, utcnow
from zsfield.store.db import Store
from zsfield.store.statements import MAX_PARAMS, chunks, marks

_UTC = UTCDateTime()
ALL_FIELDS = "*"
"""A pending insert: every field of the record has an op waiting (:func:`pending_fields`)."""


@dataclass
class PendingOp:
    """An outbox row and the number it travels under. ``fields_json`` is the outbox's JSON text, sent as it
    is; ``wire_json`` the op's JSON on the wire (see :func:`push_body`)."""

    rowid: int
    client_seq: int
    """The op's wire number (``outbox.wire_seq``)."""
    op_id: str
    entity: str
    entity_id: str
    op: str
    fields_json: str
    base_version: int
    schema_version: int
    base_epoch: str | None = None
    created_at: str = ""
    void: bool = False
    void_reason: str | None = None  # the server's validation message: sent as a void op with code ``invalid``
    wire_json: bytes = b""

    @cached_property
    def fields(self) -> dict[str, Any]:
        return orjson.loads(self.fields_json)  # type: ignore[no-any-return]

    def wire_dict(self) -> dict[str, Any]:
        """The op as the wire has it (a :class:`~zsfield.protocol.Op`), ``fields`` as a JSON fragment;
        ``base_epoch`` only when it is set (absent: the server's current epoch)."""
        wire = {
            "client_seq": self.client_seq,
            "op_id": self.op_id,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "op": "void" if self.void else self.op,
            "fields": orjson.Fragment(self._void_fields() if self.void else self.fields_json),
            "base_version": self.base_version,
            "schema_version": self.schema_version,
        }
        if self.base_epoch is not None and not self.void:
            wire["base_epoch"] = self.base_epoch
        return wire

    def _void_fields(self) -> bytes:
        if self.void_reason is None:
            return b"{}"
        return orjson.dumps({"code": protocol.REJECT_INVALID, "message": self.void_reason[:500]})

    def make_void(self, reason: str | None = None) -> None:
        """Send this op as ``void``: too large (no reason), or refused by the server's checks (its message)."""
        self.void, self.void_reason = True, reason
        self.wire_json = orjson.dumps(self.wire_dict())

    def to_wire(self) -> protocol.Op:
        return protocol.Op.model_validate_json(orjson.dumps(self.wire_dict()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "client_seq": self.client_seq,
            "op_id": self.op_id,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "op": self.op,
            "fields": self.fields,
            "base_version": self.base_version,
        }


def outbox_count(store: Store) -> int:
    return int(store.scalar("SELECT count(*) FROM outbox") or 0)


_ENVELOPE_BYTES = 200
"""``{"client_id": …, "schema_version": …, "ops": […]}`` around the ops, with room to spare."""


def read_outbox(
    store: Store,
    *,
    max_ops: int = protocol.MAX_BATCH_OPS,
    max_bytes: int = 900_000,
    after: int = 0,
    upto: int = 2**62,
) -> list[PendingOp]:
    """The next batch, oldest first (the outbox's primary key order): at most ``max_ops`` ops and at most
    ``max_bytes`` of request body. An op too large to send on its own travels as ``void`` (the server records
    it as rejected; the laptop keeps it listed).

    ``after``: the last wire number of a batch sent but not yet acknowledged (its ops are still in the
    outbox): the batch that follows it. ``upto``: only ops numbered at most this. An op's number is given when
    it is written and changes only under the sync lock (:func:`~zsfield.store.sync_state.realign`, a new
    client id), so it holds from
    this read to the reply. A batch ends before a gap in the numbers (the server refuses the next one with
    ``seq_gap``, and the sync realigns the numbers)."""
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT client_seq, wire_seq, op_id, entity, entity_id, op, fields, base_version, schema_version, "
            "base_epoch, created_at FROM outbox WHERE wire_seq > ? AND wire_seq <= ? ORDER BY wire_seq LIMIT ?",
            (after, upto, max_ops),
        ).all()
    batch: list[PendingOp] = []
    size = _ENVELOPE_BYTES
    dumps = orjson.dumps
    for (
        rowid,
        wire_seq,
        op_id,
        entity,
        entity_id,
        kind,
        fields,
        base_version,
        schema_version,
        base_epoch,
        at,
    ) in rows:
        if not isinstance(fields, str | bytes):
            fields = dumps(fields or {})
        op = PendingOp(
            rowid=rowid,
            client_seq=wire_seq,
            op_id=op_id,
            entity=entity,
            entity_id=entity_id,
            op=kind,
            fields_json=fields,
            base_version=base_version,
            schema_version=schema_version,
            base_epoch=base_epoch,
            created_at=at or "",
        )
        op.wire_json = dumps(op.wire_dict())
        if len(op.wire_json) + _ENVELOPE_BYTES > max_bytes:
            op.make_void()
        if batch and size + len(op.wire_json) + 1 > max_bytes:
            break
        if batch and wire_seq != batch[-1].client_seq + 1:
            break  # a push holds consecutive numbers: a gap (numbers the server never took) ends the batch
        batch.append(op)
        size += len(op.wire_json) + 1
    return batch


def push_body(client_id: str, batch: Sequence[PendingOp], pulled_to: int | None = None) -> bytes:
    """The JSON body of ``POST /v1/push`` (a :class:`~zsfield.protocol.PushRequest`) for ``batch``;
    ``pulled_to``: see :func:`~zsfield.store.push.push_claim`."""
    envelope: dict[str, Any] = {"client_id": client_id, "schema_version": protocol.SCHEMA_VERSION}
    if pulled_to is not None:
        envelope["pulled_to"] = pulled_to
    head = orjson.dumps(envelope)
    return head[:-1] + b',"ops":[' + b",".join(op.wire_json for op in batch) + b"]}"


def pending_fields(conn: Any, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    """Fields of the given records that still have an op in the outbox (``{'*'}``: a pending insert).

    The outbox is looked at only when it holds anything (its primary key answers that at once), and ``keys``
    only then; it holds the officer's unsent edits, so the cost follows those, never the size of the database."""
    out: dict[tuple[str, str], set[str]] = {}
    if conn.exec_driver_sql("SELECT 1 FROM outbox LIMIT 1").first() is None:
        return out
    ids = sorted({record_id for _, record_id in keys})
    for chunk in chunks(ids, MAX_PARAMS):
        rows = conn.exec_driver_sql(
            f"SELECT entity, entity_id, op, fields FROM outbox WHERE entity_id IN ({marks(len(chunk))})",
            tuple(chunk),
        ).all()
        for entity, entity_id, op, fields in rows:
            names = out.setdefault((entity, entity_id), set())
            if op == "insert":
                names.add(ALL_FIELDS)
            elif op == "delete":
                names.add("deleted")
            elif op == "update":
                names.update(orjson.loads(fields) if isinstance(fields, str | bytes) else (fields or {}))
    return out


def waiting_values(conn: Any, entity: str, record_id: str, columns: frozenset[str]) -> dict[str, Any]:
    """What the ops still in the outbox say of a record (its pulled copy must not overwrite them), with the
    oldest base they were written on as its version (what the officer really saw)."""
    values: dict[str, Any] = {}
    bases: list[int] = []
    for op, fields, base in conn.exec_driver_sql(
        "SELECT op, fields, base_version FROM outbox WHERE entity = ? AND entity_id = ? ORDER BY client_seq",
        (entity, record_id),
    ).all():
        if op == "delete":
            values["deleted"] = True
        elif op in ("insert", "update"):
            wire = orjson.loads(fields) if isinstance(fields, str | bytes) else (fields or {})
            values.update((k, v) for k, v in wire.items() if k in columns)
        else:
            continue
        bases.append(int(base))
    if bases:
        values["version"] = min(bases)
    return values


# --- the journal of acknowledged ops ------------------------------------------------------------------------

_JOURNAL_COLUMNS = (
    "op_id, entity, entity_id, op, fields, base_version, schema_version, created_at, base_epoch, "
    "client_id, wire_seq, server_seq, epoch, acked_at"
)


def journal(conn: Any, acked: Sequence[tuple[Any, ...]]) -> None:
    """Keep acknowledged ops in ``sent_op`` (rows of :data:`_JOURNAL_COLUMNS`), in the transaction that drops
    them from the outbox."""
    conn.exec_driver_sql(f"INSERT OR REPLACE INTO sent_op ({_JOURNAL_COLUMNS}) VALUES ({marks(14)})", acked)


def requeue_lost(conn: Any, epoch: str, restore: protocol.RestoreInfo | None) -> list[int]:
    """Put the acknowledged ops a restored server (new ``epoch``) no longer has back into the outbox, numbered
    below every op's (the caller renumbers them from 1, ahead of the others): those acknowledged in an earlier
    epoch with a ``server_seq`` above ``restore.head`` (every one acknowledged in an earlier epoch when the
    server does not say what its restore kept). Returns their local rowids, in the order they go."""
    where = "epoch != ?"
    params: tuple[Any, ...] = (epoch,)
    if restore is not None and restore.epoch == epoch:
        where += " AND server_seq IS NOT NULL AND server_seq > ?"
        params = (epoch, restore.head)
    lost = conn.exec_driver_sql(
        f"SELECT op_id, entity, entity_id, op, fields, base_version, schema_version, created_at, "
        f"coalesce(base_epoch, nullif(epoch, '')) FROM sent_op WHERE {where} "
        f"ORDER BY epoch, server_seq, wire_seq",
        params,
    ).all()
    first: list[int] = []
    for i, row in enumerate(lost):  # numbered below every op's (renumbered from 1 just after)
        first.append(
            conn.exec_driver_sql(
                "INSERT INTO outbox (wire_seq, op_id, entity, entity_id, op, fields, base_version, "
                "schema_version, created_at, base_epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (-(i + 1), *row),
            ).lastrowid
        )
        conn.exec_driver_sql("DELETE FROM sent_op WHERE op_id = ?", (row[0],))
    return first


def prune_sent(store: Store, retention_days: int) -> int:
    """Forget acknowledged ops older than the retention window (one indexed delete; nothing to do is a read)."""
    cutoff = _UTC.process_bind_param(utcnow() - timedelta(days=max(0, retention_days)), None)
    with store.engine.connect() as conn:
        if (
            conn.exec_driver_sql("SELECT 1 FROM sent_op WHERE acked_at < ? LIMIT 1", (cutoff,)).first()
            is None
        ):
            return 0
    with store.engine.begin() as conn:
        return int(conn.exec_driver_sql("DELETE FROM sent_op WHERE acked_at < ?", (cutoff,)).rowcount or 0)
