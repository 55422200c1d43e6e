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

Sequence numbers: the outbox's ``client_seq`` is SQLite's rowid, which restarts at 1 once the table is empty.
The number sent on the wire is ``client_seq + seq_offset`` (``sync_state.seq_offset``): when a trim empties
the outbox, the offset becomes the last acknowledged number, so the wire sequence never goes back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import text

from zsfield import protocol
from zsfield.domain.codec import decode_field, encode_field
from zsfield.domain.models import ENTITIES, TIMELINE_ENTITIES
from zsfield.domain.types import UTCDateTime, new_id, utcnow
from zsfield.store.db import Store, set_state
from zsfield.store.writer import Writer, derive_project, entry_time

_UTC = UTCDateTime()
_NS = uuid.UUID("6d1f4a3e-6a53-4f7b-9b43-2f3c1d0b7a10")
ALL_FIELDS = "*"

# sync_state keys
K_CLIENT_ID = "client_id"
K_SEQ_OFFSET = "seq_offset"
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


def _reset_identity(conn: Any) -> str:
    """A new client id whose sequence starts at 1 with the first op still in the outbox."""
    client_id = str(uuid.uuid4())
    lowest = conn.execute(text("SELECT min(client_seq) FROM outbox")).scalar()
    set_state(conn, K_CLIENT_ID, client_id)
    set_state(conn, K_SEQ_OFFSET, str(0 if lowest is None else 1 - int(lowest)))
    return client_id


def reset_for_epoch(store: Store, epoch: str) -> None:
    """The server was restored (new epoch): pull everything again from 0 and send the outbox — every op is
    kept — under a new client id (the restored server no longer knows this client's latest numbers)."""
    with store.engine.begin() as conn:
        _reset_identity(conn)
        set_state(conn, K_CURSOR, "0")
        set_state(conn, K_EPOCH, epoch)
        set_state(conn, K_FULL_REPULL, "1")


def reset_for_server(store: Store, server: str) -> None:
    """This database now syncs with another server: new identity, pull everything, keep the outbox."""
    with store.engine.begin() as conn:
        _reset_identity(conn)
        set_state(conn, K_SERVER, server)
        set_state(conn, K_CURSOR, "0")
        set_state(conn, K_EPOCH, "")
        set_state(conn, K_FULL_REPULL, "1")


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
    with store.engine.begin() as conn:
        set_state(conn, K_SERVER, server)
        for key, attr in IDENTITY_KEYS.items():
            set_state(conn, key, str(getattr(officer, attr) or ""))


# --- the outbox as wire ops ----------------------------------------------------------------------------------


@dataclass
class PendingOp:
    """An outbox row and the number it travels under."""

    rowid: int
    client_seq: int
    op_id: str
    entity: str
    entity_id: str
    op: str
    fields: dict[str, Any]
    base_version: int
    schema_version: int
    void: bool = False

    def to_wire(self) -> protocol.Op:
        if self.void:
            return protocol.Op(
                client_seq=self.client_seq,
                op_id=self.op_id,
                entity=self.entity,
                entity_id=self.entity_id,
                op="void",
                base_version=self.base_version,
                schema_version=self.schema_version,
            )
        return protocol.Op(
            client_seq=self.client_seq,
            op_id=self.op_id,
            entity=self.entity,
            entity_id=self.entity_id,
            op=self.op,  # type: ignore[arg-type]
            fields=self.fields,
            base_version=self.base_version,
            schema_version=self.schema_version,
        )

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


def read_outbox(
    store: Store, *, max_ops: int = protocol.MAX_BATCH_OPS, max_bytes: int = 900_000
) -> list[PendingOp]:
    """The next batch, oldest first: at most ``max_ops`` ops and about ``max_bytes`` of JSON. An op too large
    to send on its own travels as ``void`` (the server records it as rejected; the laptop keeps it listed)."""
    with store.engine.connect() as conn:
        offset = int(_get(conn, K_SEQ_OFFSET, "0") or 0)
        rows = conn.execute(
            text(
                "SELECT client_seq, op_id, entity, entity_id, op, fields, base_version, schema_version "
                "FROM outbox ORDER BY client_seq LIMIT :n"
            ),
            {"n": max_ops},
        ).all()
    batch: list[PendingOp] = []
    size = 200
    for r in rows:
        fields = orjson.loads(r.fields) if isinstance(r.fields, str | bytes) else (r.fields or {})
        op = PendingOp(
            rowid=int(r.client_seq),
            client_seq=int(r.client_seq) + offset,
            op_id=r.op_id,
            entity=r.entity,
            entity_id=r.entity_id,
            op=r.op,
            fields=fields,
            base_version=int(r.base_version),
            schema_version=int(r.schema_version),
        )
        op_size = len(orjson.dumps(op.as_dict())) + 64
        if op_size > max_bytes:
            op.void = True
            op_size = 300
        if batch and size + op_size > max_bytes:
            break
        batch.append(op)
        size += op_size
    return batch


def _pending_fields(conn: Any, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    """Fields of the given records that still have an op in the outbox (``{'*'}``: a pending insert)."""
    ids = sorted({record_id for _, record_id in keys})
    out: dict[tuple[str, str], set[str]] = {}
    for chunk in _chunks(ids):
        marks = ", ".join(f":i{n}" for n in range(len(chunk)))
        rows = conn.execute(
            text(f"SELECT entity, entity_id, op, fields FROM outbox WHERE entity_id IN ({marks})"),
            {f"i{n}": v for n, v in enumerate(chunk)},
        ).all()
        for r in rows:
            names = out.setdefault((r.entity, r.entity_id), set())
            if r.op == "insert":
                names.add(ALL_FIELDS)
            elif r.op == "delete":
                names.add("deleted")
            elif r.op == "update":
                fields = orjson.loads(r.fields) if isinstance(r.fields, str | bytes) else (r.fields or {})
                names.update(fields)
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


def _apply_states(
    w: Writer,
    states: Sequence[protocol.RecordState],
    *,
    force: bool = False,
    versions: dict[tuple[str, str], int] | None = None,
) -> Applied:
    """Write server states into local records (pending fields kept). ``versions`` raises just the version of
    records whose reply carried no state (a plain new insert: the local copy is the server's)."""
    conn = w.session.connection()
    stats = Applied()
    keys = [(s.entity, s.id) for s in states if s.entity in ENTITIES]
    if versions:
        keys += [k for k in versions if k[0] in ENTITIES]
    pending = _pending_fields(conn, keys)
    by_entity: dict[str, list[protocol.RecordState]] = {}
    for state in states:
        if state.entity in ENTITIES:
            by_entity.setdefault(state.entity, []).append(state)
    for entity, items in by_entity.items():
        table = ENTITIES[entity].__tablename__  # type: ignore[attr-defined]
        columns = _columns(entity)
        local: dict[str, int] = {}
        for chunk in _chunks([s.id for s in items]):
            marks = ", ".join(f":i{n}" for n in range(len(chunk)))
            for rid, version in conn.execute(
                text(f"SELECT id, version FROM {table} WHERE id IN ({marks})"),
                {f"i{n}": v for n, v in enumerate(chunk)},
            ).all():
                local[rid] = int(version)
        new_rows: list[dict[str, Any]] = []
        for state in items:
            row = {k: v for k, v in state.data.items() if k in columns and k != "id"}
            row.update(id=state.id, deleted=state.deleted, version=state.version)
            if state.id not in local:
                new_rows.append(row)
                local[state.id] = state.version
                continue
            held = pending.get((entity, state.id), set())
            if ALL_FIELDS in held:
                stats.kept_local += 1
                continue
            if not force and state.version <= local[state.id]:
                stats.skipped += 1
                continue
            values = {k: v for k, v in row.items() if k not in held and k != "id"}
            if held:
                values.pop("version", None)  # keep the older base while local edits are in flight
                stats.kept_local += 1
            if entity == "project":
                current = (
                    conn.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": state.id})
                    .mappings()
                    .one()
                )
                merged = {**dict(current), **values}
                derived = derive_project(merged)
                cny: Decimal | None = derived["total_investment_cny"]
                values["total_investment_cny"] = None if cny is None else format(cny, "f")
                values["band"] = derived["band"]
            if values:
                sets = ", ".join(f"{k} = :{k}" for k in values)
                params = {k: _sql_value(v) for k, v in values.items()}
                params["_id"] = state.id
                conn.execute(text(f"UPDATE {table} SET {sets} WHERE id = :_id"), params)
                stats.updated += 1
            if entity in TIMELINE_ENTITIES:
                when = entry_time(entity, state.data)
                if isinstance(when, str):
                    for parent_table, key in (("project", "project_id"), ("lead", "lead_id")):
                        if state.data.get(key):
                            w.touch(parent_table, state.data[key], when)
        if new_rows:
            stats.inserted += w.insert_rows(entity, new_rows)
    bumps: dict[str, list[dict[str, Any]]] = {}
    for (entity, record_id), version in (versions or {}).items():
        if entity in ENTITIES and not pending.get((entity, record_id)):
            bumps.setdefault(entity, []).append({"v": version, "id": record_id})
    for entity, params in bumps.items():
        table = ENTITIES[entity].__tablename__  # type: ignore[attr-defined]
        conn.execute(text(f"UPDATE {table} SET version = :v WHERE id = :id AND version < :v"), params)
    return stats


# --- push replies ------------------------------------------------------------------------------------------


@dataclass
class AckSummary:
    acknowledged: int = 0
    applied: int = 0
    conflicts: int = 0
    rejected: int = 0
    replayed: int = 0
    conflict_ids: list[str] = field(default_factory=list)


def rejection_id(client_id: str, client_seq: int) -> str:
    return str(uuid.uuid5(_NS, f"{client_id}:{client_seq}"))


def apply_push_reply(
    store: Store, sent: Sequence[PendingOp], reply: protocol.PushResponse, client_id: str
) -> AckSummary:
    """Store the effects of a push reply and drop the acknowledged ops — in one local transaction."""
    results = {r.client_seq: r for r in reply.results}
    missing = [op.client_seq for op in sent if op.client_seq not in results]
    if missing:
        raise ValueError(f"the server's reply lacks results for ops {missing[:5]}")
    summary = AckSummary()
    now = now_text()
    with store.write(None, outbox=False) as w:
        conn = w.session.connection()
        set_state(conn, "last_push_at", now)  # first statement writes: the transaction holds the lock
        states: dict[tuple[str, str], protocol.RecordState] = {}
        versions: dict[tuple[str, str], int] = {}
        for op in sent:
            r = results[op.client_seq]
            summary.acknowledged += 1
            summary.replayed += int(r.replayed)
            if r.status == "rejected":
                summary.rejected += 1
                conn.execute(
                    text(
                        "INSERT INTO rejection (id, client_seq, entity, entity_id, op, code, message, created_at, "
                        "dismissed) VALUES (:id, :seq, :entity, :eid, :op, :code, :msg, :at, 0) "
                        "ON CONFLICT(id) DO NOTHING"
                    ),
                    {
                        "id": rejection_id(client_id, op.client_seq),
                        "seq": op.client_seq,
                        "entity": op.entity,
                        "eid": op.entity_id,
                        "op": orjson.dumps(op.as_dict()).decode(),
                        "code": r.code or "rejected",
                        "msg": r.message or "",
                        "at": now,
                    },
                )
                continue
            if r.status == "applied" and not r.conflicts:
                summary.applied += 1
            for c in r.conflicts:
                summary.conflicts += 1
                summary.conflict_ids.append(c.conflict_id)
                conn.execute(
                    text(
                        "INSERT INTO conflict (id, entity, entity_id, field, mine, theirs, base_version, "
                        "server_version, client_seq, server_seq, created_at, resolved) VALUES (:id, :entity, "
                        ":eid, :field, :mine, :theirs, :base, :sv, :seq, :sseq, :at, 0) ON CONFLICT(id) DO NOTHING"
                    ),
                    {
                        "id": c.conflict_id,
                        "entity": op.entity,
                        "eid": op.entity_id,
                        "field": c.field,
                        "mine": orjson.dumps(c.mine).decode(),
                        "theirs": orjson.dumps(c.theirs).decode(),
                        "base": c.base_version,
                        "sv": c.server_version,
                        "seq": op.client_seq,
                        "sseq": r.server_seq,
                        "at": now,
                    },
                )
            if op.op not in ("insert", "update", "delete"):
                continue
            key = (op.entity, op.entity_id)
            if r.record is not None:
                states[key] = r.record
                versions.pop(key, None)
            elif r.version is not None:
                if key in states:
                    states[key] = states[key].model_copy(
                        update={"version": max(states[key].version, r.version)}
                    )
                else:
                    versions[key] = max(versions.get(key, 0), r.version)
        conn.execute(
            text("DELETE FROM outbox WHERE client_seq >= :lo AND client_seq <= :hi"),
            {"lo": sent[0].rowid, "hi": sent[-1].rowid},
        )
        if conn.execute(text("SELECT count(*) FROM outbox")).scalar() == 0:
            set_state(conn, K_SEQ_OFFSET, str(sent[-1].client_seq))
        _apply_states(w, list(states.values()), force=True, versions=versions)
    return summary


# --- pull pages ---------------------------------------------------------------------------------------------


def apply_pull_page(store: Store, page: protocol.PullResponse, *, full_repull: bool = False) -> Applied:
    """Store a page of pulled changes and its cursor in one local transaction."""
    with store.write(None, outbox=False) as w:
        conn = w.session.connection()
        set_state(conn, K_CURSOR, str(page.cursor))
        stats = _apply_states(w, page.changes, force=full_repull)
        set_state(conn, K_EPOCH, page.epoch)
        if not page.has_more:
            set_state(conn, K_FULL_REPULL, "0")
    return stats


# --- conflicts: the officer decides -------------------------------------------------------------------------


class ConflictDecisionError(ValueError):
    """The conflict cannot be decided that way (unknown, already decided, a bad value)."""


def _append_op(
    conn: Any, entity: str, entity_id: str, op: str, fields: dict[str, Any], base: int, at: str
) -> None:
    conn.execute(
        text(
            "INSERT INTO outbox (op_id, entity, entity_id, op, fields, base_version, schema_version, created_at) "
            "VALUES (:op_id, :entity, :eid, :op, :fields, :base, :sv, :at)"
        ),
        {
            "op_id": new_id(),
            "entity": entity,
            "eid": entity_id,
            "op": op,
            "fields": orjson.dumps(fields).decode(),
            "base": base,
            "sv": protocol.SCHEMA_VERSION,
            "at": at,
        },
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
