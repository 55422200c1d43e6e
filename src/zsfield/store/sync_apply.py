"""The laptop's side of sync, in the store layer (no HTTP, no Textual): read the outbox as wire ops, store a
push reply, apply a pulled page, and record the officer's decision on a conflict.

Every function here is **one local transaction** (DESIGN: sync protocol):

* :func:`apply_push_reply` stores the reply's effects — record versions and server state, conflicts,
  rejections — and drops the acknowledged ops, together. A crash before it commits leaves the ops in the
  outbox; the next sync sends them again and the server replays its stored results (nothing twice).
* :func:`apply_pull_page` stores a page of changes and its cursor together.
* A pulled (or acknowledged) value never overwrites a field that still has an op waiting in the outbox: the
  local edit is in flight, and the server decides when it arrives. Such a record also keeps its older
  ``version``, so later edits stay based on what the officer really saw.
* A page's ``exits`` (records that left this laptop's team: a supervisor moved the project) drop the record
  and its local children from the store (:func:`_drop_moved`); the ops still waiting about them stay in the
  outbox and are listed (``moved_change``, with the cursor before that page: what the laptop knew when they
  were written, sent as the push's ``pulled_to``).

Sequence numbers: every op gets its wire number (``outbox.wire_seq``, sent as ``client_seq``) once, when it is
written (:func:`zsfield.store.writer.append_ops`), from the counter ``sync_state.wire_seq`` that never goes
back; a reply trims exactly the ops it acknowledges (their ``wire_seq`` and ``op_id``), never a range of local
rowids (SQLite reuses those once the table is empty). Ops are renumbered only under a new client id (a server
restore or another server: from 1) and by :func:`realign` (numbers the server never took, moved to follow the
server's own last number for this client).

Acknowledged ops move to ``sent_op`` in the transaction that trims them and stay there for the retention
window: after a server restore, those the restored server no longer has go back into the outbox
(:func:`reset_for_epoch`).

One sync per database at a time: :mod:`zsfield.store.synclock` (held by ``run_sync``).
"""

from __future__ import annotations

import itertools
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

import orjson
from sqlalchemy import text

from zsfield import protocol
from zsfield.domain.codec import decode_field, encode_field, field_names, readable_check
from zsfield.domain.derive import derive_project, entry_time
from zsfield.domain.models import ENTITIES, TIMELINE_ENTITIES
from zsfield.domain.types import UTCDateTime, new_id, utcnow
from zsfield.store import indexes
from zsfield.store.db import Store, set_state
from zsfield.store.writer import K_WIRE_SEQ, Writer, append_ops

_UTC = UTCDateTime()
_NS = uuid.UUID("6d1f4a3e-6a53-4f7b-9b43-2f3c1d0b7a10")
ALL_FIELDS = "*"
UNREADABLE = "unreadable"
"""Code of the laptop's own entry in the rejection list for a record the server sent that this laptop cannot
read (a field it cannot decode: a value an older server let through, or a newer server's code): the record is
not stored, the rest of the page is, and the entry names the record and the field (``op``: ``{"op": "pull",
entity, entity_id, version, server_seq, field, reason}``). Never sent to the server."""

# sync_state keys
K_CLIENT_ID = "client_id"
K_REALIGN = "realign"
"""'1': before sending, check the outbox's numbers against the server's (:func:`realign`): set by a restore of a
laptop backup, by ``zsfield sync --repair`` and by a ``seq_reused`` / ``seq_gap`` refusal."""
K_CURSOR = "cursor"
K_EPOCH = "epoch"
K_FULL_REPULL = "full_repull"
K_SERVER = "server"
K_LAST_SYNC = "last_sync_at"
K_LAST_RESULT = "last_result"
IDENTITY_KEYS = {
    "officer_id": "id",
    "officer_name": "name",
    "role": "role",
    "team_id": "team_id",
    "team_name": "team_name",
    "office_id": "office_id",
    "office_name": "office_name",
}
"""sync_state key → field of :class:`~zsfield.protocol.OfficerInfo` (who this laptop syncs as)."""


def now_text() -> str:
    return _UTC.process_bind_param(utcnow(), None)  # type: ignore[return-value]


def _sql_value(value: Any) -> Any:
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    if isinstance(value, bool):
        return int(value)
    return value


def _chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- state ------------------------------------------------------------------------------------------------


def sync_state(store: Store) -> dict[str, str]:
    with store.engine.connect() as conn:
        return dict(conn.execute(text("SELECT key, value FROM sync_state")).all())  # type: ignore[arg-type]


def _get(conn: Any, key: str, default: str | None = None) -> str | None:
    row = conn.execute(text("SELECT value FROM sync_state WHERE key = :k"), {"k": key}).first()
    return row[0] if row else default


def ensure_client_id(store: Store) -> str:
    """This database's sync identity (created on first use)."""
    existing = store.get_state(K_CLIENT_ID)
    if existing:
        return existing
    with store.engine.begin() as conn:
        existing = _get(conn, K_CLIENT_ID)
        if existing:
            return existing
        client_id = str(uuid.uuid4())
        set_state(conn, K_CLIENT_ID, client_id)
        return client_id


def _renumber(conn: Any, start: int, first: Sequence[int] = ()) -> int:
    """Number the outbox's ops ``start``, ``start + 1``… in their order (the rows ``first`` — local rowids —
    ahead of the others); the counter becomes the last of them. Returns the number of ops."""
    ahead = set(first)
    ids = list(first) + [
        r[0]
        for r in conn.exec_driver_sql("SELECT client_seq FROM outbox ORDER BY wire_seq").all()
        if r[0] not in ahead
    ]
    if ids:  # out of the way of the new numbers first (the numbers are unique at every step)
        conn.exec_driver_sql("UPDATE outbox SET wire_seq = -1000000000000 - client_seq")
        conn.exec_driver_sql(
            "UPDATE outbox SET wire_seq = ? WHERE client_seq = ?",
            [(start + i, rid) for i, rid in enumerate(ids)],
        )
    set_state(conn, K_WIRE_SEQ, str(start - 1 + len(ids)))
    return len(ids)


def _reset_identity(conn: Any, first: Sequence[int] = ()) -> str:
    """A new client id whose sequence starts at 1 with the first op in the outbox (``first``: rowids of ops to
    send ahead of the others) — the one legitimate restart of the numbers: under a new client id."""
    client_id = str(uuid.uuid4())
    set_state(conn, K_CLIENT_ID, client_id)
    set_state(conn, K_REALIGN, "0")
    _renumber(conn, 1, first)
    return client_id


_JOURNAL_COLUMNS = (
    "op_id, entity, entity_id, op, fields, base_version, schema_version, created_at, base_epoch, "
    "client_id, wire_seq, server_seq, epoch, acked_at"
)


def reset_for_epoch(store: Store, epoch: str, restore: protocol.RestoreInfo | None = None) -> int:
    """The server was restored (new epoch): pull everything again from 0 and send the outbox — every op is
    kept — under a new client id (the restored server no longer knows this client's latest numbers).

    Acknowledged ops the restored server no longer has go back into the outbox, ahead of the pending ones:
    those acknowledged in an earlier epoch with a ``server_seq`` above ``restore.head`` (every one acknowledged
    in an earlier epoch when the server does not say what its restore kept). Every op then in the outbox
    that has no ``base_epoch`` gets the epoch its base was read in: the one it was acknowledged in (a re-sent
    op), the epoch before this one (a pending op). Returns the number of ops sent again."""
    with store.engine.begin() as conn:
        set_state(conn, K_CURSOR, "0")  # a write first: the transaction holds the lock
        previous = _get(conn, K_EPOCH) or None
        if previous:
            conn.exec_driver_sql("UPDATE outbox SET base_epoch = ? WHERE base_epoch IS NULL", (previous,))
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
        _reset_identity(conn, first)
        set_state(conn, K_EPOCH, epoch)
        set_state(conn, K_FULL_REPULL, "1")
    return len(lost)


def reset_for_server(store: Store, server: str) -> None:
    """This database now syncs with another server: new identity, pull everything, keep the outbox."""
    with store.engine.begin() as conn:
        _reset_identity(conn)
        set_state(conn, K_SERVER, server)
        set_state(conn, K_CURSOR, "0")
        set_state(conn, K_EPOCH, "")
        set_state(conn, K_FULL_REPULL, "1")


def prepare_restored(store: Store) -> None:
    """A laptop backup was just put back: pull everything again (the server moved on since the backup) and,
    before sending, check the outbox's numbers against the server's (:func:`realign`). The client id stays:
    the ops of the backup's outbox that the live database sent after the backup are the server's under their
    numbers and op ids, so the server replays them — nothing is applied twice, and edits made since are the
    same client's, never conflicts with the officer's own later edits."""
    with store.engine.begin() as conn:
        set_state(conn, K_CURSOR, "0")
        set_state(conn, K_FULL_REPULL, "1")
        set_state(conn, K_REALIGN, "1")


def mark_realign(store: Store) -> None:
    """Check the outbox's numbers against the server's at the next push (``zsfield sync --repair``)."""
    store.set_state(K_REALIGN, "1")


def realign(store: Store, server_last: int) -> int:
    """The server holds this client's ops up to ``server_last``, and none of the ops still in the outbox is
    among them (the ones that were have been acknowledged by their replay): number the outbox's ops
    ``server_last + 1``… in their order. Numbers above ``server_last`` were never taken by the server, so they
    may be given again; the counter never goes below what the server holds. Returns the ops renumbered."""
    with store.engine.begin() as conn:
        set_state(conn, K_REALIGN, "0")
        return _renumber(conn, server_last + 1)


def check_epoch(store: Store, epoch: str) -> bool:
    """Remember the server's epoch; True when it changed (and the local state was reset for a full pull)."""
    stored = store.get_state(K_EPOCH)
    if not stored:
        store.set_state(K_EPOCH, epoch)
        return False
    if stored == epoch:
        return False
    reset_for_epoch(store, epoch)
    return True


def record_identity(store: Store, server: str, officer: protocol.OfficerInfo) -> None:
    """Remember the server and who this laptop syncs as (no write when nothing changed: a sync with nothing
    to do stays cheap)."""
    wanted = {
        K_SERVER: server,
        **{key: str(getattr(officer, attr) or "") for key, attr in IDENTITY_KEYS.items()},
    }
    current = sync_state(store)
    changed = {k: v for k, v in wanted.items() if current.get(k) != v}
    if not changed:
        return
    with store.engine.begin() as conn:
        for key, value in changed.items():
            set_state(conn, key, value)


def record_result(store: Store, render: Callable[[int], str], *, ok: bool, finished_at: str) -> int:
    """Store what a sync did — ``last_result`` (``render(ops left in the outbox)``), ``last_sync_ok`` and, when
    it went through, ``last_sync_at`` — in one transaction; returns the ops left in the outbox."""
    with store.engine.begin() as conn:
        left = int(conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar() or 0)
        set_state(conn, K_LAST_RESULT, render(left))
        set_state(conn, "last_sync_ok", "1" if ok else "0")
        if ok:
            set_state(conn, K_LAST_SYNC, finished_at)
    return left


@dataclass
class SyncStart:
    """Where a sync starts: the local sync state (after the steps below), the ops waiting, the client id;
    ``resent``: acknowledged ops put back into the outbox because the restored server lost them."""

    state: dict[str, str]
    outbox: int
    client_id: str
    epoch_reset: bool = False
    resent: int = 0


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


def begin_sync(
    store: Store,
    server: str,
    officer: protocol.OfficerInfo,
    epoch: str,
    restore: protocol.RestoreInfo | None = None,
    *,
    retention_days: int = 30,
) -> SyncStart:
    """:func:`record_identity`, :func:`check_epoch` and :func:`ensure_client_id` in one go: one read, and a
    write only when something changed (a sync with nothing to do must stay cheap); acknowledged ops older
    than ``retention_days`` are forgotten; a changed epoch puts back what the restore lost
    (:func:`reset_for_epoch`, with the server's ``restore``)."""
    prune_sent(store, retention_days)
    with store.engine.connect() as conn:
        state: dict[str, str] = dict(conn.exec_driver_sql("SELECT key, value FROM sync_state").all())  # type: ignore[arg-type]
        outbox = int(conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar() or 0)
    wanted = {
        K_SERVER: server,
        **{key: str(getattr(officer, attr) or "") for key, attr in IDENTITY_KEYS.items()},
    }
    changed = {k: v for k, v in wanted.items() if state.get(k) != v}
    reset = bool(state.get(K_EPOCH)) and state.get(K_EPOCH) != epoch
    if not state.get(K_EPOCH):
        changed[K_EPOCH] = epoch
    if not state.get(K_CLIENT_ID):
        changed[K_CLIENT_ID] = str(uuid.uuid4())
    if changed:
        with store.engine.begin() as conn:
            for key, value in changed.items():
                if key != K_CLIENT_ID or not _get(conn, K_CLIENT_ID):
                    set_state(conn, key, value)
    resent = 0
    if reset:
        resent = reset_for_epoch(store, epoch, restore)
        outbox += resent
    if changed or reset:
        state = sync_state(store)
    return SyncStart(
        state=state, outbox=outbox, client_id=state[K_CLIENT_ID], epoch_reset=reset, resent=resent
    )


# --- the outbox as wire ops ----------------------------------------------------------------------------------


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
    it is written and changes only under the sync lock (:func:`realign`, a new client id), so it holds from
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
    ``pulled_to``: see :func:`push_claim`."""
    envelope: dict[str, Any] = {"client_id": client_id, "schema_version": protocol.SCHEMA_VERSION}
    if pulled_to is not None:
        envelope["pulled_to"] = pulled_to
    head = orjson.dumps(envelope)
    return head[:-1] + b',"ops":[' + b",".join(op.wire_json for op in batch) + b"]}"


_MAX_PARAMS = 900 if sqlite3.sqlite_version_info < (3, 32) else 30_000
"""Bound parameters per statement (SQLite allows 999 before 3.32, 32,766 since)."""


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _pending_fields(conn: Any, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    """Fields of the given records that still have an op in the outbox (``{'*'}``: a pending insert).

    The outbox is looked at only when it holds anything (its primary key answers that at once), and ``keys``
    only then; it holds the officer's unsent edits, so the cost follows those, never the size of the database."""
    out: dict[tuple[str, str], set[str]] = {}
    if conn.exec_driver_sql("SELECT 1 FROM outbox LIMIT 1").first() is None:
        return out
    ids = sorted({record_id for _, record_id in keys})
    for chunk in _chunks(ids, _MAX_PARAMS):
        rows = conn.exec_driver_sql(
            f"SELECT entity, entity_id, op, fields FROM outbox WHERE entity_id IN ({_marks(len(chunk))})",
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


# --- applying server state to local records ----------------------------------------------------------------


_COLUMNS: dict[str, frozenset[str]] = {}


def _columns(entity: str) -> frozenset[str]:
    if entity not in _COLUMNS:
        _COLUMNS[entity] = frozenset(ENTITIES[entity].__table__.c.keys())  # type: ignore[attr-defined]
    return _COLUMNS[entity]


@dataclass
class Applied:
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    kept_local: int = 0
    moved_away: int = 0
    """Records dropped because they left this laptop's team (the page's exits and their local children)."""
    unreadable: int = 0


_CHECKS: dict[str, dict[str, Callable[[Any], bool]]] = {}


def _unreadable_field(entity: str, data: dict[str, Any]) -> str | None:
    """The first field of a server state this laptop cannot read back (:func:`~zsfield.domain.codec.
    readable_check`: the codec's own rule), or None. Fields this laptop does not know are not stored, so not
    judged."""
    checks = _CHECKS.get(entity)
    if checks is None:
        checks = _CHECKS[entity] = {name: readable_check(entity, name) for name in field_names(entity)}
    for name, value in data.items():
        check = checks.get(name)
        if check is not None and not check(value):
            return name
    return None


def _list_unreadable(conn: Any, found: list[tuple[dict[str, Any], str]]) -> None:
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


def _apply_states(
    w: Writer,
    states: Sequence[dict[str, Any]],
    *,
    force: bool = False,
    versions: dict[tuple[str, str], int] | None = None,
    bulk: bool = False,
    server_base: bool = False,
) -> Applied:
    """Write server states (:class:`~zsfield.protocol.RecordState` dicts) into local records, pending fields
    kept. ``versions`` raises just the version of records whose reply carried no state (a plain new insert:
    the local copy is the server's). ``bulk``: a pull page with more to come (see :data:`BULK_ROWS`).
    ``server_base``: a full re-pull (another server, or this one restored): a record with fields still in the
    outbox takes the server's version anyway, so that the officer's next edits are based on a version this
    server knows (the ops waiting carry their own base and ``base_epoch``). A few bulk statements per entity,
    whatever the number of records. A state with a field this laptop cannot read is not stored: it is listed
    (:data:`UNREADABLE`) and the others are stored."""
    conn = w.session.connection()
    stats = Applied()
    by_entity: dict[str, list[dict[str, Any]]] = {}
    unreadable: list[tuple[dict[str, Any], str]] = []
    for state in states:
        entity = state["entity"]
        if entity in ENTITIES:
            bad = _unreadable_field(entity, state["data"])
            if bad is not None:
                unreadable.append((state, bad))
                continue
            by_entity.setdefault(entity, []).append(state)
    if unreadable:
        _list_unreadable(conn, unreadable)
        stats.unreadable = len(unreadable)
    if bulk:
        _defer_indexes(conn, {entity: len(items) for entity, items in by_entity.items()})
    keys = itertools.chain(
        ((e, s["id"]) for e, items in by_entity.items() for s in items),
        (k for k in versions or () if k[0] in ENTITIES),
    )
    pending = _pending_fields(conn, keys)
    for entity, items in by_entity.items():
        table = ENTITIES[entity].__tablename__  # type: ignore[attr-defined]
        columns = _columns(entity)
        local: dict[str, int] = {}
        for chunk in _chunks([s["id"] for s in items], _MAX_PARAMS):
            rows = conn.exec_driver_sql(
                f"SELECT id, version FROM {table} WHERE id IN ({_marks(len(chunk))})", tuple(chunk)
            ).all()
            local.update((rid, int(version)) for rid, version in rows)
        new_rows: list[dict[str, Any]] = []
        changes: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (state, column values)
        for state in items:
            record_id = state["id"]
            if record_id not in local:  # new here: the insert takes the columns it knows from this row
                new_row = {
                    **state["data"],
                    "id": record_id,
                    "deleted": state["deleted"],
                    "version": state["version"],
                }
                if pending.get((entity, record_id)):  # it left this laptop and came back, edits still waiting
                    new_row.update(_waiting_values(conn, entity, record_id, columns))
                    stats.kept_local += 1
                new_rows.append(new_row)
                local[record_id] = state["version"]
                continue
            data = state["data"]
            if data.keys() <= columns:  # the usual case: every wire field is a column
                row = dict(data)
            else:
                row = {k: v for k, v in data.items() if k in columns}
            row["id"], row["deleted"], row["version"] = record_id, state["deleted"], state["version"]
            held = pending.get((entity, record_id), set())
            if ALL_FIELDS in held:
                stats.kept_local += 1
                continue
            if not force and state["version"] <= local[record_id]:
                stats.skipped += 1
                continue
            values = {k: v for k, v in row.items() if k not in held and k != "id"}
            if held and not server_base:
                values.pop("version", None)  # keep the older base while local edits are in flight
                stats.kept_local += 1
            changes.append((state, values))
        if entity == "project" and changes:
            _derive_projects(conn, table, changes)
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for state, values in changes:
            if values:
                names = tuple(values)
                groups.setdefault(names, []).append((*(_sql_value(values[k]) for k in names), state["id"]))
                stats.updated += 1
            if entity in TIMELINE_ENTITIES:
                when = entry_time(entity, state["data"])
                if isinstance(when, str):
                    for parent_table, key in (("project", "project_id"), ("lead", "lead_id")):
                        if state["data"].get(key):
                            w.touch(parent_table, state["data"][key], when)
        for names, params in groups.items():
            sets = ", ".join(f"{k} = ?" for k in names)
            conn.exec_driver_sql(f"UPDATE {table} SET {sets} WHERE id = ?", params)
        if new_rows:
            stats.inserted += w.insert_rows(entity, new_rows)
    bumps: dict[str, list[tuple[int, str, int]]] = {}
    for (entity, record_id), version in (versions or {}).items():
        if entity in ENTITIES and not pending.get((entity, record_id)):
            bumps.setdefault(entity, []).append((version, record_id, version))
    for entity, params in bumps.items():
        table = ENTITIES[entity].__tablename__  # type: ignore[attr-defined]
        conn.exec_driver_sql(f"UPDATE {table} SET version = ? WHERE id = ? AND version < ?", params)
    return stats


def _waiting_values(conn: Any, entity: str, record_id: str, columns: frozenset[str]) -> dict[str, Any]:
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


def _back_in_scope(conn: Any, changes: Sequence[dict[str, Any]]) -> None:
    """Records of this page listed as moved away came back (moved to this laptop's team again): their
    changes are no longer about a record that left (one read when the list is empty, as it mostly is)."""
    if not changes or conn.exec_driver_sql("SELECT 1 FROM moved_change LIMIT 1").first() is None:
        return
    ids = sorted({c["id"] for c in changes})
    for chunk in _chunks(ids, _MAX_PARAMS):
        conn.exec_driver_sql(
            f"DELETE FROM moved_change WHERE entity_id IN ({_marks(len(chunk))})", tuple(chunk)
        )


def _derive_projects(conn: Any, table: str, changes: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """A project's derived columns (CNY total, band) from its current row merged with the new values."""
    ids = [state["id"] for state, _ in changes]
    current: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids, _MAX_PARAMS):
        result = conn.exec_driver_sql(
            f"SELECT * FROM {table} WHERE id IN ({_marks(len(chunk))})", tuple(chunk)
        )
        names = list(result.keys())
        current.update((r[names.index("id")], dict(zip(names, r, strict=True))) for r in result.all())
    for state, values in changes:
        merged = {**current[state["id"]], **values}
        derived = derive_project(merged)
        cny: Decimal | None = derived["total_investment_cny"]
        values["total_investment_cny"] = None if cny is None else format(cny, "f")
        values["band"] = derived["band"]


# --- push replies ------------------------------------------------------------------------------------------


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


def rejection_id(client_id: str, client_seq: int) -> str:
    return str(uuid.uuid5(_NS, f"{client_id}:{client_seq}"))


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
        epoch = _get(conn, K_EPOCH) or ""
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
            conn.exec_driver_sql(
                "INSERT INTO rejection (id, client_seq, entity, entity_id, op, code, message, created_at, "
                "dismissed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT(id) DO NOTHING",
                rejections,
            )
        if found:
            conn.exec_driver_sql(
                "INSERT INTO conflict (id, entity, entity_id, field, mine, theirs, base_version, server_version, "
                "client_seq, server_seq, created_at, resolved, resolution, resolved_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
                found,
            )
        conn.exec_driver_sql(
            "DELETE FROM outbox WHERE wire_seq = ? AND op_id = ?", [(op.client_seq, op.op_id) for op in sent]
        )
        if kept:
            conn.exec_driver_sql(
                f"INSERT OR REPLACE INTO sent_op ({_JOURNAL_COLUMNS}) VALUES ({_marks(14)})", kept
            )
        if moved:
            _delete_ids(conn, "moved_change", "op_id", sorted(moved))
        summary.left = int(conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar() or 0)
        _apply_states(w, list(states.values()), force=True, versions=versions)
    return summary


def _moved_ops(conn: Any, sent: Sequence[PendingOp]) -> set[str]:
    """The op ids of ``sent`` listed in ``moved_change`` (one read when the list is empty, as it mostly is)."""
    if conn.exec_driver_sql("SELECT 1 FROM moved_change LIMIT 1").first() is None:
        return set()
    out: set[str] = set()
    for chunk in _chunks([op.op_id for op in sent], _MAX_PARAMS):
        out.update(
            r[0]
            for r in conn.exec_driver_sql(
                f"SELECT op_id FROM moved_change WHERE op_id IN ({_marks(len(chunk))})", tuple(chunk)
            ).all()
        )
    return out


def _delete_ids(conn: Any, table: str, column: str, ids: Sequence[str]) -> None:
    for chunk in _chunks(ids, _MAX_PARAMS):
        conn.exec_driver_sql(f"DELETE FROM {table} WHERE {column} IN ({_marks(len(chunk))})", tuple(chunk))


# --- pull pages ---------------------------------------------------------------------------------------------


def apply_pull_page(
    store: Store, page: protocol.PullResponse | dict[str, Any], *, full_repull: bool = False
) -> Applied:
    """Store a page of pulled changes (a :class:`~zsfield.protocol.PullResponse`, or its dict from
    :func:`~zsfield.protocol.parse_pull_reply`) and its cursor in one local transaction. An empty page that
    leaves the cursor, the epoch and the re-pull flag as they are writes nothing (a sync with nothing to do
    commits nothing here)."""
    data = page.model_dump() if isinstance(page, protocol.PullResponse) else page
    if not data["changes"]:
        state = sync_state(store)
        if (
            state.get(K_CURSOR) == str(data["cursor"])
            and state.get(K_EPOCH) == data["epoch"]
            and (data["has_more"] or state.get(K_FULL_REPULL, "0") != "1")
        ):
            return Applied()
    with store.write(None, outbox=False) as w:
        conn = w.session.connection()
        # a write first, so the transaction holds the write lock before it reads (a read first would make it a
        # reader whose upgrade fails at once, SQLITE_BUSY, when another process wrote meanwhile)
        set_state(conn, "last_pull_at", now_text())
        before = int(_get(conn, K_CURSOR) or 0)
        set_state(conn, K_CURSOR, str(data["cursor"]))
        stats = _apply_states(
            w, data["changes"], force=full_repull, bulk=data["has_more"], server_base=full_repull
        )
        _back_in_scope(conn, data["changes"])
        if data.get("exits"):
            stats.moved_away = _drop_moved(conn, data["exits"], data["changes"], before)
        set_state(conn, K_EPOCH, data["epoch"])
        if not data["has_more"]:
            set_state(conn, K_FULL_REPULL, "0")
            indexes.restore(conn)  # the pull is at its end: build what it put aside
    return stats


# --- records that left this laptop's team ------------------------------------------------------------------

MOVED = "moved"
"""The resolution of a local conflict about a record that moved to another team: its new owners decide it
(the server's conflict log holds it in their scope)."""
_LABEL_FIELDS = {"project": "name", "lead": "title", "contact": "name"}


def _children(entity: str) -> tuple[bool, bool]:
    """(has project_id, has lead_id) of an entity that takes its scope from a project or lead."""
    columns = _columns(entity)
    if entity in ("project", "lead"):
        return False, False
    return "project_id" in columns, "lead_id" in columns


def _drop_moved(
    conn: Any, exits: Sequence[dict[str, Any]], changes: Sequence[dict[str, Any]], before: int
) -> int:
    """Drop the records a page's ``exits`` name — unless a later change of the page brought one back — and the
    local children of dropped projects and leads (the server's rule: a child follows ``project_id``, else
    ``lead_id``; a contact with its own ``team_id`` stays), which includes children never sent. The outbox
    keeps every op about them, listed in ``moved_change`` with ``before`` (the cursor before this page);
    open local conflicts about them are closed as :data:`MOVED`. Returns the records dropped."""
    latest = {(c["entity"], c["id"]): c["server_seq"] for c in changes}
    gone: dict[str, set[str]] = {}
    for x in exits:
        if x["entity"] in ENTITIES and latest.get((x["entity"], x["id"]), -1) < x["server_seq"]:
            gone.setdefault(x["entity"], set()).add(x["id"])
    labels: dict[tuple[str, str], str] = {}
    for entity, field_ in _LABEL_FIELDS.items():
        ids = sorted(gone.get(entity, ()))
        for chunk in _chunks(ids, _MAX_PARAMS):
            rows = conn.exec_driver_sql(
                f"SELECT id, {field_} FROM {entity} WHERE id IN ({_marks(len(chunk))})", tuple(chunk)
            ).all()
            labels.update(((entity, rid), label or "") for rid, label in rows)
    projects, leads = sorted(gone.get("project", ())), sorted(gone.get("lead", ()))
    for entity, cls in ENTITIES.items():
        by_project, by_lead = _children(entity)
        table = cls.__tablename__  # type: ignore[attr-defined]
        own_team = " AND (team_id IS NULL OR team_id = '')" if "team_id" in _columns(entity) else ""
        queries: list[tuple[str, str, list[str], str]] = []
        if by_project and projects:
            queries.append(("project_id", "project", projects, ""))
        if by_lead and leads:
            no_project = " AND (project_id IS NULL OR project_id = '')" if by_project else ""
            queries.append(("lead_id", "lead", leads, no_project))
        for column, parent_entity, parent_ids, extra in queries:
            for chunk in _chunks(parent_ids, _MAX_PARAMS):
                for rid, parent in conn.exec_driver_sql(
                    f"SELECT id, {column} FROM {table} WHERE {column} IN ({_marks(len(chunk))}){own_team}{extra}",
                    tuple(chunk),
                ).all():
                    gone.setdefault(entity, set()).add(rid)
                    labels.setdefault((entity, rid), labels.get((parent_entity, parent), ""))
    dropped = 0
    ids = sorted({rid for rids in gone.values() for rid in rids})
    moved: list[tuple[Any, ...]] = []
    now = now_text()
    for chunk in _chunks(ids, _MAX_PARAMS):
        for op_id, entity, entity_id in conn.exec_driver_sql(
            f"SELECT op_id, entity, entity_id FROM outbox WHERE entity_id IN ({_marks(len(chunk))})",
            tuple(chunk),
        ).all():
            if entity_id in gone.get(entity, ()):
                moved.append((op_id, entity, entity_id, labels.get((entity, entity_id), ""), before, now))
        conn.exec_driver_sql(
            f"UPDATE conflict SET resolved = 1, resolution = ?, resolved_at = ? WHERE resolved = 0 "
            f"AND entity_id IN ({_marks(len(chunk))})",
            (MOVED, now, *chunk),
        )
    if moved:
        conn.exec_driver_sql(
            "INSERT INTO moved_change (op_id, entity, entity_id, label, pulled_to, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(op_id) DO NOTHING",
            moved,
        )
    for entity, rids in gone.items():
        table = ENTITIES[entity].__tablename__  # type: ignore[attr-defined]
        for chunk in _chunks(sorted(rids), _MAX_PARAMS):
            dropped += conn.exec_driver_sql(
                f"DELETE FROM {table} WHERE id IN ({_marks(len(chunk))})", tuple(chunk)
            ).rowcount
    return dropped


def moved_changes(store: Store, limit: int = 500) -> list[dict[str, Any]]:
    """The unsent changes about records that moved to another team (still in the outbox, to be sent)."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT m.op_id, m.entity, m.entity_id, m.label, m.pulled_to, m.created_at, o.op "
                "FROM moved_change m JOIN outbox o ON o.op_id = m.op_id ORDER BY o.client_seq LIMIT :n"
            ),
            {"n": limit},
        ).mappings()
        return [dict(r) for r in rows]


def moved_count(store: Store) -> int:
    """How many unsent changes concern a record that moved to another team."""
    return int(store.scalar("SELECT count(*) FROM moved_change m JOIN outbox o ON o.op_id = m.op_id") or 0)


def push_claim(store: Store, batch: Sequence[PendingOp]) -> int:
    """The push's ``pulled_to`` for ``batch``: the cursor now, or less when an op of the batch was written
    before a pull that removed its record (its ``moved_change`` entry says how far the laptop had pulled)."""
    with store.engine.connect() as conn:
        cursor = int(_get(conn, K_CURSOR) or 0)
        if conn.exec_driver_sql("SELECT 1 FROM moved_change LIMIT 1").first() is None:
            return cursor
        ids = [op.op_id for op in batch]
        claims = [
            conn.exec_driver_sql(
                f"SELECT min(pulled_to) FROM moved_change WHERE op_id IN ({_marks(len(chunk))})", tuple(chunk)
            ).scalar()
            for chunk in _chunks(ids, _MAX_PARAMS)
        ]
    return min([cursor, *(int(c) for c in claims if c is not None)])


BULK_ROWS = 1000
"""A page bringing at least this many records of a table that is still empty, with more pages to come, is the
start of a bulk load (the first pull into an empty laptop): the table's plain indexes are put aside until the
pull ends (:mod:`zsfield.store.indexes`)."""


def _defer_indexes(conn: Any, counts: dict[str, int]) -> None:
    """Put aside the plain indexes of the tables a page of a pull starts filling (``counts``: its records by
    entity)."""
    tables = [
        ENTITIES[entity].__tablename__  # type: ignore[attr-defined]
        for entity, n in counts.items()
        if n >= BULK_ROWS
    ]
    empty = [t for t in tables if conn.exec_driver_sql(f"SELECT 1 FROM {t} LIMIT 1").first() is None]
    if empty:
        indexes.defer(conn, empty)


def restore_indexes(store: Store) -> bool:
    """A sync that stopped before its pull ended: build the indexes a bulk load put aside (one read when there
    are none). True when there were some."""
    return indexes.restore_pending(store.engine)


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


def open_conflicts(store: Store, limit: int = 500) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = (
            conn.execute(
                text("SELECT * FROM conflict WHERE resolved = 0 ORDER BY created_at LIMIT :n"), {"n": limit}
            )
            .mappings()
            .all()
        )
    return [
        {**dict(r), "mine": orjson.loads(r["mine"]) if r["mine"] is not None else None,
         "theirs": orjson.loads(r["theirs"]) if r["theirs"] is not None else None}
        for r in rows
    ]  # fmt: skip


def open_rejections(store: Store, limit: int = 500) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = (
            conn.execute(
                text("SELECT * FROM rejection WHERE dismissed = 0 ORDER BY created_at LIMIT :n"), {"n": limit}
            )
            .mappings()
            .all()
        )
    return [{**dict(r), "op": orjson.loads(r["op"]) if isinstance(r["op"], str) else r["op"]} for r in rows]


def dismiss_rejection(store: Store, rejection_id_: str) -> bool:
    with store.engine.begin() as conn:
        return bool(
            conn.execute(
                text("UPDATE rejection SET dismissed = 1 WHERE id = :id"), {"id": rejection_id_}
            ).rowcount
        )
