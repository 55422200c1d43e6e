"""Every local write goes through a :class:`Writer`, which appends the matching outbox op in the same
transaction (DESIGN: sync protocol). It also keeps the derived local columns (a project's CNY total and
band, the time of its last timeline entry) true, for local edits and pulled changes alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import JSON
from sqlmodel import Session

from zsfield.domain.codec import encode_field, encode_record, field_names
from zsfield.domain.derive import derive_project, entry_time, wire_derived
from zsfield.domain.enums import NOT_A_TOUCH_NOTE_KINDS
from zsfield.domain.models import ENTITIES, TIMELINE_ENTITIES, Project, Record
from zsfield.domain.types import UTCDateTime, as_utc, utcnow
from zsfield.protocol import SCHEMA_VERSION  # the wire schema every outbox op records (one home: protocol.py)
from zsfield.store.statements import sql_value

# Metadata the server keeps itself: never part of an update op's changed fields.
_META_FIELDS = frozenset({"id", "created_at", "updated_at", "created_by", "deleted"})
_UTC = UTCDateTime()


class Writer:
    """Writes records in one session; see :meth:`Store.write`."""

    def __init__(self, session: Session, *, actor_id: str | None, outbox: bool = True) -> None:
        self.session = session
        self.actor_id = actor_id
        self.outbox = outbox
        self._ops: list[tuple[Any, ...]] = []
        self._touched: dict[tuple[str, str], str] = {}  # (table, id) -> latest entry time text
        self.now = utcnow()

    # --- single records (the officer's edits) ---------------------------------------------------------------

    def insert(self, obj: Record) -> Record:
        """Add a new record and its ``insert`` op."""
        entity = obj.__entity__
        obj.created_at = obj.created_at or self.now
        obj.updated_at = self.now
        if obj.created_by is None:
            obj.created_by = self.actor_id
        if isinstance(obj, Project):
            for k, v in derive_project(obj.model_dump()).items():
                setattr(obj, k, v)
        self.session.add(obj)
        self.session.flush()  # the session autoflushes: whatever else is pending would go at the next query
        wire = encode_record(obj)
        wire.pop("id", None)
        self._append(entity, obj.id, "insert", wire, obj.version)
        self._touch_for(entity, wire)
        return obj

    def update(self, obj: Record, **changes: Any) -> dict[str, Any]:
        """Change fields of ``obj``; append an ``update`` op with just the fields that really changed.

        Returns the changed fields in wire form (empty: nothing changed and nothing was written).
        """
        entity = obj.__entity__
        allowed = field_names(entity) - _META_FIELDS
        changed: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in allowed:
                raise ValueError(f"{entity}.{name} cannot be edited")
            new = encode_field(entity, name, value)
            if encode_field(entity, name, getattr(obj, name)) != new:
                setattr(obj, name, value)
                changed[name] = new
        if not changed:
            return {}
        obj.updated_at = self.now
        if isinstance(obj, Project):
            for k, v in derive_project(obj.model_dump()).items():
                setattr(obj, k, v)
        self.session.add(obj)
        self.session.flush()  # the session autoflushes: whatever else is pending would go at the next query
        self._append(entity, obj.id, "update", changed, obj.version)
        if entity in TIMELINE_ENTITIES:
            owners = {
                "project_id": getattr(obj, "project_id", None),
                "lead_id": getattr(obj, "lead_id", None),
                "kind": getattr(obj, "kind", None),
            }
            self._touch_for(entity, {**owners, "at": _UTC.process_bind_param(self.now, None)})
        return changed

    def delete(self, obj: Record) -> None:
        """Tombstone ``obj`` (deletes are never physical, so a delete can meet an edit as a conflict)."""
        if obj.deleted:
            return
        obj.deleted = True
        obj.updated_at = self.now
        self.session.add(obj)
        self.session.flush()  # the session autoflushes: whatever else is pending would go at the next query
        self._append(obj.__entity__, obj.id, "delete", {}, obj.version)

    # --- many rows at once (seed, import, pull) ------------------------------------------------------------

    def insert_rows(self, entity: str, rows: Sequence[dict[str, Any]]) -> int:
        """Insert many records given as *wire* dicts (each with its ``id``), with one statement.

        Missing columns take their defaults; projects get their derived columns; timeline entries touch
        their project or lead; each row appends its ``insert`` op unless the writer has no outbox.
        """
        if not rows:
            return 0
        cls = ENTITIES[entity]
        table = cls.__table__  # type: ignore[attr-defined]
        now_text = _UTC.process_bind_param(self.now, None)
        defaults = _column_defaults(entity)
        columns = list(defaults)
        is_project = entity == "project"
        # only JSON columns need converting: sqlite3 binds bools as 0 / 1 and the rest are wire text or numbers
        json_at = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
        values_of = itemgetter(*columns)
        base = {**defaults, "created_at": now_text, "updated_at": now_text, "created_by": self.actor_id}
        tuples = []
        for row in rows:
            full = {**base, **row}
            if is_project:
                full.update(wire_derived(full))
            values = values_of(full)
            if json_at:
                values = list(values)
                for i in json_at:
                    values[i] = sql_value(values[i])
                values = tuple(values)
            tuples.append(values)
        placeholders = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})"
        self.session.connection().exec_driver_sql(sql, tuples)
        if self.outbox:
            for row in rows:
                fields = {k: v for k, v in row.items() if k != "id" and k not in cls.__local_fields__}
                self._append(entity, row["id"], "insert", fields, 0)
        if entity in TIMELINE_ENTITIES:
            self._touch_rows(entity, rows)
        return len(rows)

    # --- bookkeeping ---------------------------------------------------------------------------------------

    def _append(
        self, entity: str, entity_id: str, op: str, fields: dict[str, Any], base_version: int
    ) -> None:
        if not self.outbox:
            return
        from zsfield.domain.types import new_id

        self._ops.append(
            (
                new_id(),
                entity,
                entity_id,
                op,
                orjson.dumps(fields).decode(),
                base_version,
                SCHEMA_VERSION,
                _UTC.process_bind_param(self.now, None),
            )
        )
        if len(self._ops) >= 5000:
            self._flush_ops()

    def _flush_ops(self) -> None:
        if not self._ops:
            return
        append_ops(self.session.connection(), self._ops)
        self._ops = []

    def _touch_for(self, entity: str, wire: dict[str, Any]) -> None:
        if entity not in TIMELINE_ENTITIES:
            return
        when = entry_time(entity, wire)
        if when is None:
            return
        if isinstance(when, datetime):
            when = _UTC.process_bind_param(as_utc(when), None)
        for table, key in (("project", "project_id"), ("lead", "lead_id")):
            target = wire.get(key)
            if target:
                prev = self._touched.get((table, target))
                if prev is None or when > prev:
                    self._touched[(table, target)] = when

    def _touch_rows(self, entity: str, rows: Sequence[dict[str, Any]]) -> None:
        """:meth:`_touch_for` of many timeline rows (the same rule, in one tight loop)."""
        touched = self._touched
        for row in rows:
            if entity == "note" and row.get("kind") in NOT_A_TOUCH_NOTE_KINDS:
                continue
            when = row.get("occurred_at")
            if when is None:
                when = row.get("at")
                if when is None:
                    when = row.get("created_at")
                    if when is None:
                        continue
            if isinstance(when, datetime):
                when = _UTC.process_bind_param(as_utc(when), None)
            target = row.get("project_id")
            if target:
                prev = touched.get(("project", target))
                if prev is None or when > prev:
                    touched[("project", target)] = when
            target = row.get("lead_id")
            if target:
                prev = touched.get(("lead", target))
                if prev is None or when > prev:
                    touched[("lead", target)] = when

    def touch(self, table: str, record_id: str, when_text: str) -> None:
        """Note that ``table``/``record_id`` had a timeline entry at ``when_text`` (UTC column text)."""
        prev = self._touched.get((table, record_id))
        if prev is None or when_text > prev:
            self._touched[(table, record_id)] = when_text

    def _flush_touches(self) -> None:
        if not self._touched:
            return
        by_table: dict[str, list[tuple[str, str, str]]] = {}
        for (table, rid), when in self._touched.items():
            by_table.setdefault(table, []).append((when, rid, when))
        for table, params in by_table.items():
            # positional and straight to the driver: a bulk insert touches a hundred thousand parents
            self.session.connection().exec_driver_sql(
                f"UPDATE {table} SET last_entry_at = ? WHERE id = ? AND (last_entry_at IS NULL OR last_entry_at < ?)",
                params,
            )
        self._touched = {}

    def finish(self) -> None:
        """Write what was batched (outbox ops, last-entry times); called before commit."""
        self.session.flush()
        self._flush_ops()
        self._flush_touches()


_DEFAULTS_CACHE: dict[str, dict[str, Any]] = {}


K_WIRE_SEQ = "wire_seq"
"""sync_state key: the last wire sequence number given to an outbox op under this database's client id."""


def append_ops(conn: Any, ops: Sequence[tuple[Any, ...]]) -> None:
    """Append ops to the outbox — ``(op_id, entity, entity_id, op, fields JSON, base_version, schema_version,
    created_at)`` each — in the caller's transaction, each with its wire sequence number: the next ones of the
    counter ``sync_state.wire_seq``. The only place ops are numbered: a number is given once, when the op is
    written, and the counter only moves on (its first statement writes, so the transaction holds SQLite's
    write lock before it reads the counter; two processes never give out one number)."""
    if not ops:
        return
    n = len(ops)
    conn.exec_driver_sql(
        "INSERT INTO sync_state (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + ?",
        (K_WIRE_SEQ, str(n), n),
    )
    last = int(conn.exec_driver_sql("SELECT value FROM sync_state WHERE key = ?", (K_WIRE_SEQ,)).scalar())
    first = last - n + 1
    conn.exec_driver_sql(
        "INSERT INTO outbox (wire_seq, op_id, entity, entity_id, op, fields, base_version, schema_version, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(first + i, *row) for i, row in enumerate(ops)],
    )


def _column_defaults(entity: str) -> dict[str, Any]:
    """Wire-form defaults for every column of ``entity`` (local columns included)."""
    if entity in _DEFAULTS_CACHE:
        return _DEFAULTS_CACHE[entity]
    cls = ENTITIES[entity]
    out: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        if info.default_factory is not None:
            value = info.default_factory()  # type: ignore[call-arg]
        else:
            value = info.default
        if repr(value) == "PydanticUndefined":  # a required column without a default
            value = None
        if name in ("id", "created_at", "updated_at"):
            value = None
        elif value is not None and name in field_names(entity):
            value = encode_field(entity, name, value)
        elif hasattr(value, "value"):
            value = value.value
        out[name] = None if repr(value) == "PydanticUndefined" else value
    _DEFAULTS_CACHE[entity] = out
    return out


def wire_rows(objs: Iterable[Record]) -> list[dict[str, Any]]:
    """Wire dicts (with ids) for records built in Python, for :meth:`Writer.insert_rows`."""
    return [encode_record(o) for o in objs]
