"""Applying pushed ops to the generic record store: validation, authorisation, field-level conflicts.

Rules (DESIGN: sync protocol):

* Every field of a record remembers the version and the client of its last change. An update applies each
  field unless it changed on the server since the op's ``base_version`` *by another client* and to a
  different value: then that field becomes a conflict (both values are returned and logged) and the other
  fields still apply. Ops of one client never conflict with that client's earlier ops.
* Timeline entries (:data:`~zsfield.domain.models.APPEND_ONLY`) merge as a union: inserting an id that exists
  changes nothing. Inserting any other existing id is an update based on version 0.
* Deletes are tombstones. An edit meeting a tombstone is a conflict on ``'*'`` (nothing resurrected), and so
  is a delete meeting an edit made since its base version. ``deleted: false`` in an update restores a
  record, when based on the version of its deletion (a "keep mine" decision).
* Authorisation: an officer or leader writes their team's records (the project's ``owner_team_id``, the
  lead's and contact's ``team_id``, and through ``project_id`` / ``lead_id`` the children of both); anyone
  may add to and edit the zone's company index; offices, teams, officers and targets are for supervisors
  and admins (an officer may edit their own e-mail and phone). Supervisors and admins write everything.
  A refused op is rejected for good with a code and a message; the queue moves on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

import orjson
from sqlalchemy import select, update

from zsfield import protocol
from zsfield.domain.codec import WireError, decode_field, encode_field, field_names
from zsfield.domain.models import APPEND_ONLY, ENTITIES, SHARED_ENTITIES, wire_fields
from zsfield.protocol import FieldConflict, Op, OpResult, RecordState
from zsfield_sync.auth import Actor
from zsfield_sync.storage import WriteTx, conflicts, now_text, op_log, records

SHARED_READ = SHARED_ENTITIES | {"target"}
"""Readable by every officer: the organisation, the company index, and the targets (赛马 is public)."""
SUPERVISOR_ONLY = frozenset({"office", "team", "officer", "target"})
TEAM_FIELD = {"project": "owner_team_id", "lead": "team_id", "contact": "team_id"}
PARENT_FIELDS = (("project_id", "project"), ("lead_id", "lead"))
NOT_EDITABLE = frozenset({"id", "created_at", "created_by", "updated_at"})
OFFICER_SELF_EDITABLE = frozenset({"name_en", "email", "phone"})
CREATED = "*"
"""Key of ``field_versions`` for the record's creation: a field without its own entry last changed then."""
SERVER_CLIENT = "server"
"""The client id recorded for changes made by the server's own CLI (officer add)."""


class Refused(Exception):
    """An op refused for good: becomes a ``rejected`` result."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


@dataclass
class Rec:
    entity: str
    id: str
    version: int
    scope: str
    parent_id: str | None
    deleted: bool
    data: dict[str, Any]
    fv: dict[str, list[Any]]
    server_seq: int
    created_by: str | None
    updated_at: str
    new: bool = False
    dirty: bool = False

    def changed_at(self, name: str) -> list[Any] | None:
        """[version, client] of the last change of field ``name`` (its creation when never changed since)."""
        return self.fv.get(name) or self.fv.get(CREATED)

    def state(self) -> RecordState:
        return RecordState(
            entity=self.entity,
            id=self.id,
            version=self.version,
            deleted=self.deleted,
            server_seq=self.server_seq,
            data=self.data,
        )

    def row(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "id": self.id,
            "version": self.version,
            "scope": self.scope,
            "parent_id": self.parent_id,
            "deleted": self.deleted,
            "data": dumps(self.data),
            "field_versions": dumps(self.fv),
            "server_seq": self.server_seq,
            "created_by": self.created_by,
            "updated_at": self.updated_at,
        }


def rec_from_row(row: Any) -> Rec:
    return Rec(
        entity=row.entity,
        id=row.id,
        version=row.version,
        scope=row.scope,
        parent_id=row.parent_id,
        deleted=bool(row.deleted),
        data=orjson.loads(row.data),
        fv=orjson.loads(row.field_versions),
        server_seq=row.server_seq,
        created_by=row.created_by,
        updated_at=row.updated_at,
    )


# --- field values ------------------------------------------------------------------------------------------


@cache
def entity_columns(entity: str) -> tuple[dict[str, Any], frozenset[str], frozenset[str]]:
    """(wire defaults, required fields, non-nullable fields) of an entity, ``id`` left out."""
    cls = ENTITIES[entity]
    table = cls.__table__  # type: ignore[attr-defined]
    defaults: dict[str, Any] = {}
    required: set[str] = set()
    not_null: set[str] = set()
    for name in wire_fields(cls):
        if name == "id":
            continue
        info = cls.model_fields[name]
        if info.is_required():
            required.add(name)
            defaults[name] = None
        elif name in ("created_at", "updated_at"):
            defaults[name] = None
        else:
            value = info.default_factory() if info.default_factory is not None else info.default  # type: ignore[call-arg]
            defaults[name] = None if value is None else encode_field(entity, name, value)
        if not table.c[name].nullable:
            not_null.add(name)
    return defaults, frozenset(required), frozenset(not_null)


def normalise(entity: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Wire values checked against their columns and brought to the stored form (or :class:`Refused`)."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        try:
            out[name] = encode_field(entity, name, decode_field(entity, name, value))
        except WireError as exc:
            raise Refused(protocol.REJECT_INVALID, str(exc)) from exc
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise Refused(protocol.REJECT_INVALID, f"{entity}.{name}: {exc}") from exc
    _, _, not_null = entity_columns(entity)
    for name, value in out.items():
        if value is None and name in not_null:
            raise Refused(protocol.REJECT_INVALID, f"{entity}.{name} cannot be empty (null)")
    return out


def derive_project(data: dict[str, Any]) -> dict[str, Any]:
    """The derived columns of a project (CNY total and band) in wire form, as the client computes them."""
    from zsfield.store.writer import derive_project as derive

    d = derive(data)
    cny: Decimal | None = d["total_investment_cny"]
    return {"total_investment_cny": None if cny is None else format(cny, "f"), "band": d["band"]}


# --- the batch --------------------------------------------------------------------------------------------


@dataclass
class BatchApplier:
    """Applies the new ops of one push inside one :class:`WriteTx`; :meth:`finish` writes it all."""

    tx: WriteTx
    actor: Actor
    client_id: str
    now: str = field(default_factory=now_text)
    cache: dict[tuple[str, str], Rec] = field(default_factory=dict)
    conflict_rows: list[dict[str, Any]] = field(default_factory=list)
    log_rows: list[dict[str, Any]] = field(default_factory=list)
    cascades: dict[str, str] = field(default_factory=dict)
    absent: set[tuple[str, str]] = field(default_factory=set)

    # --- records ------------------------------------------------------------------------------------------

    def prefetch(self, ops: list[Op]) -> None:
        """Load every record the batch names (and the parents its fields point at) in a few queries."""
        keys: set[tuple[str, str]] = set()
        for op in ops:
            if op.entity in ENTITIES and op.op in ("insert", "update", "delete"):
                keys.add((op.entity, op.entity_id))
                for key, parent_entity in PARENT_FIELDS:
                    value = op.fields.get(key)
                    if isinstance(value, str) and value:
                        keys.add((parent_entity, value))
        keys -= set(self.cache)
        by_entity: dict[str, list[str]] = {}
        for entity, record_id in keys:
            by_entity.setdefault(entity, []).append(record_id)
        for entity, ids in by_entity.items():
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                for row in self.tx.conn.execute(
                    select(records).where(records.c.entity == entity, records.c.id.in_(chunk))
                ):
                    self.cache[(entity, row.id)] = rec_from_row(row)
        self.absent |= {k for k in keys if k not in self.cache}

    def load(self, entity: str, record_id: str) -> Rec | None:
        key = (entity, record_id)
        if key in self.cache:
            return self.cache[key]
        if key in self.absent:
            return None
        row = self.tx.conn.execute(
            select(records).where(records.c.entity == entity, records.c.id == record_id)
        ).first()
        if row is None:
            return None
        rec = rec_from_row(row)
        self.cache[key] = rec
        return rec

    def _touch(self, rec: Rec) -> None:
        rec.server_seq = self.tx.next_seq()
        rec.updated_at = self.now
        rec.dirty = True

    # --- one op -------------------------------------------------------------------------------------------

    def apply(self, op: Op) -> OpResult:
        try:
            if op.op == "void":
                raise Refused(
                    protocol.REJECT_TOO_LARGE,
                    "This change was too large to send; it stays listed on the laptop that made it.",
                )
            if op.op == "resolve":
                result = self._resolve(op)
            else:
                if op.entity not in ENTITIES:
                    raise Refused(protocol.REJECT_UNKNOWN_ENTITY, f"unknown entity {op.entity!r}")
                if op.op == "insert":
                    result = self._insert(op)
                elif op.op == "update":
                    result = self._update(op, dict(op.fields), op.base_version)
                else:
                    result = self._delete(op)
        except Refused as exc:
            result = OpResult(
                client_seq=op.client_seq,
                op_id=op.op_id,
                status="rejected",
                code=exc.code,
                message=exc.message,
            )
        self.log_rows.append(
            {
                "client_id": self.client_id,
                "client_seq": op.client_seq,
                "op_id": op.op_id,
                "result": result.model_dump_json(exclude={"record"}),
                "created_at": self.now,
            }
        )
        return result

    def _result(
        self, op: Op, rec: Rec, conflicts_: list[FieldConflict], applied: bool, fresh: bool = False
    ) -> OpResult:
        status = "applied" if applied or not conflicts_ else "conflict"
        return OpResult(
            client_seq=op.client_seq,
            op_id=op.op_id,
            status=status,
            version=rec.version,
            server_seq=rec.server_seq,
            conflicts=conflicts_,
            record=None if fresh else rec.state(),
        )

    def _insert(self, op: Op) -> OpResult:
        entity = op.entity
        fields = dict(op.fields)
        if fields.pop("id", op.entity_id) != op.entity_id:
            raise Refused(protocol.REJECT_INVALID, "the id in the fields differs from entity_id")
        existing = self.load(entity, op.entity_id)
        if existing is not None:
            if entity in APPEND_ONLY:
                self._authorise(entity, "update", existing, existing.scope, {})
                return self._result(op, existing, [], applied=True)  # union: the same entry, once
            if existing.deleted:
                self._authorise(entity, "update", existing, existing.scope, {})
                return self._result(op, existing, [self._conflict(op, existing, "*", fields, None)], False)
            editable = {k: v for k, v in fields.items() if k not in NOT_EDITABLE and k != "deleted"}
            return self._update(op, editable, 0)
        values = normalise(entity, fields)
        defaults, required, not_null = entity_columns(entity)
        data = {**defaults, **values}
        data["created_at"] = data.get("created_at") or self.now
        data["updated_at"] = data.get("updated_at") or self.now
        if not data.get("created_by") or not self.actor.is_supervisor and data["created_by"] != self.actor.id:
            data["created_by"] = self.actor.id
        missing = sorted(n for n in required | not_null if data.get(n) is None)
        if missing:
            raise Refused(protocol.REJECT_INVALID, f"{entity}: missing {', '.join(missing)}")
        if entity == "project":
            data.update(derive_project(data))
        deleted = bool(data.pop("deleted", False))
        scope, parent_id = self._scope_for(entity, data)
        self._authorise(entity, "insert", None, scope, data)
        rec = Rec(
            entity=entity,
            id=op.entity_id,
            version=1,
            scope=scope,
            parent_id=parent_id,
            deleted=deleted,
            data=data,
            fv={CREATED: [1, self.client_id]},
            server_seq=0,
            created_by=data.get("created_by"),
            updated_at=self.now,
            new=True,
        )
        self._touch(rec)
        self.cache[(entity, op.entity_id)] = rec
        return self._result(op, rec, [], applied=True, fresh=True)

    def _update(self, op: Op, fields: dict[str, Any], base_version: int) -> OpResult:
        entity = op.entity
        rec = self.load(entity, op.entity_id)
        if rec is None:
            raise Refused(protocol.REJECT_NOT_FOUND, f"{entity} {op.entity_id} is not on the server")
        restore = "deleted" in fields
        if restore and fields.pop("deleted") is not False:
            raise Refused(protocol.REJECT_INVALID, "delete with a delete op, not by setting deleted")
        bad = sorted(set(fields) & NOT_EDITABLE)
        if bad:
            raise Refused(protocol.REJECT_INVALID, f"{entity}: {', '.join(bad)} cannot be edited")
        unknown = sorted(set(fields) - field_names(entity))
        if unknown:
            raise Refused(protocol.REJECT_INVALID, f"{entity}: unknown field {', '.join(unknown)}")
        values = normalise(entity, fields)
        merged = {**rec.data, **values}
        new_scope, _ = self._scope_for(entity, merged, rec)
        self._authorise(entity, "update", rec, new_scope, values)
        found: list[FieldConflict] = []
        if rec.deleted:
            deleted_at = rec.fv.get("deleted", [rec.version, None])  # a tombstone always records its version
            if not restore or self._changed_by_other(deleted_at, base_version):
                return self._result(op, rec, [self._conflict(op, rec, "*", fields, None)], False)
        applied: dict[str, Any] = {}
        for name, value in values.items():
            current = rec.data.get(name)
            if current == value:
                continue
            if self._changed_by_other(rec.changed_at(name), base_version):
                found.append(self._conflict(op, rec, name, value, current, base_version))
            else:
                applied[name] = value
        if restore and rec.deleted and not found:
            rec.deleted = False
            applied["deleted"] = False
        if applied:
            rec.version += 1
            for name, value in applied.items():
                if name != "deleted":
                    rec.data[name] = value
                rec.fv[name] = [rec.version, self.client_id]
            if entity == "project":
                rec.data.update(derive_project(rec.data))
            rec.data["updated_at"] = self.now
            scope, parent_id = self._scope_for(entity, rec.data, rec)
            if scope != rec.scope and entity in ("project", "lead"):
                self.cascades[rec.id] = scope
            rec.scope, rec.parent_id = scope, parent_id
            self._touch(rec)
        return self._result(op, rec, found, applied=bool(applied))

    def _delete(self, op: Op) -> OpResult:
        rec = self.load(op.entity, op.entity_id)
        if rec is None:
            raise Refused(protocol.REJECT_NOT_FOUND, f"{op.entity} {op.entity_id} is not on the server")
        self._authorise(op.entity, "delete", rec, rec.scope, {})
        if rec.deleted:
            return self._result(op, rec, [], applied=True)
        changed = {
            name: rec.data.get(name)
            for name, at in rec.fv.items()
            if name != CREATED and name in rec.data and self._changed_by_other(at, op.base_version)
        }
        if changed:
            return self._result(op, rec, [self._conflict(op, rec, "*", None, changed)], False)
        rec.deleted = True
        rec.version += 1
        rec.fv["deleted"] = [rec.version, self.client_id]
        rec.data["updated_at"] = self.now
        self._touch(rec)
        return self._result(op, rec, [], applied=True)

    def _resolve(self, op: Op) -> OpResult:
        conflict_id = op.fields.get("conflict_id")
        resolution = op.fields.get("resolution")
        if not isinstance(conflict_id, str) or resolution not in ("mine", "theirs", "edited"):
            raise Refused(
                protocol.REJECT_INVALID, "resolve needs conflict_id and resolution (mine|theirs|edited)"
            )
        row = self.tx.conn.execute(select(conflicts).where(conflicts.c.id == conflict_id)).first()
        pending = next((c for c in self.conflict_rows if c["id"] == conflict_id), None)
        if row is not None:
            if not (
                self.actor.is_supervisor or row.officer_id == self.actor.id or row.scope == self.actor.team_id
            ):
                raise Refused(protocol.REJECT_FORBIDDEN, "this conflict belongs to another team")
            self.tx.conn.execute(
                update(conflicts)
                .where(conflicts.c.id == conflict_id)
                .values(resolved=True, resolution=resolution, resolved_by=self.actor.id, resolved_at=self.now)
            )
        elif pending is not None:
            pending.update(
                resolved=True, resolution=resolution, resolved_by=self.actor.id, resolved_at=self.now
            )
        return OpResult(client_seq=op.client_seq, op_id=op.op_id, status="applied")

    # --- helpers ------------------------------------------------------------------------------------------

    def _changed_by_other(self, at: list[Any] | None, base_version: int) -> bool:
        return bool(at) and at[0] > base_version and at[1] != self.client_id  # type: ignore[index]

    def _conflict(
        self, op: Op, rec: Rec, name: str, mine: Any, theirs: Any, base_version: int | None = None
    ) -> FieldConflict:
        conflict = FieldConflict(
            conflict_id=str(uuid.uuid4()),
            field=name,
            mine=mine,
            theirs=theirs,
            base_version=op.base_version if base_version is None else base_version,
            server_version=rec.version,
        )
        self.conflict_rows.append(
            {
                "id": conflict.conflict_id,
                "entity": rec.entity,
                "entity_id": rec.id,
                "field": name,
                "mine": dumps(mine),
                "theirs": dumps(theirs),
                "base_version": conflict.base_version,
                "server_version": conflict.server_version,
                "officer_id": self.actor.id,
                "client_id": self.client_id,
                "client_seq": op.client_seq,
                "scope": rec.scope,
                "created_at": self.now,
                "resolved": False,
                "resolution": None,
                "resolved_by": None,
                "resolved_at": None,
            }
        )
        return conflict

    def _scope_for(self, entity: str, data: dict[str, Any], rec: Rec | None = None) -> tuple[str, str | None]:
        """(scope, parent id): '*' for shared entities, else the owning team (through the parent)."""
        if entity in SHARED_READ:
            return "*", None
        team_field = TEAM_FIELD.get(entity)
        if team_field and data.get(team_field):
            return str(data[team_field]), None
        if entity not in ("project", "lead"):
            for key, parent_entity in PARENT_FIELDS:
                parent_id = data.get(key)
                if parent_id:
                    parent = self.load(parent_entity, parent_id)
                    if parent is None:
                        raise Refused(
                            protocol.REJECT_UNKNOWN_PARENT,
                            f"{entity} refers to {parent_entity} {parent_id}, which is not on the server",
                        )
                    return parent.scope, parent_id
        if rec is not None:
            return rec.scope, rec.parent_id
        return self.actor.team_id or "", None

    def _authorise(
        self, entity: str, kind: str, rec: Rec | None, new_scope: str, values: dict[str, Any]
    ) -> None:
        """Raise :class:`Refused` unless the actor may ``kind`` (insert/update/delete) this record."""
        actor = self.actor
        if actor.is_supervisor:
            return
        if entity == "officer":
            if (
                kind == "update"
                and rec is not None
                and rec.id == actor.id
                and set(values) <= OFFICER_SELF_EDITABLE
            ):
                return
            raise Refused(protocol.REJECT_FORBIDDEN, "only a supervisor or admin can change officers")
        if entity in SUPERVISOR_ONLY:
            raise Refused(
                protocol.REJECT_FORBIDDEN, f"only a supervisor or admin can change {entity} records"
            )
        if new_scope == "*":  # the company index
            if kind == "delete":
                raise Refused(
                    protocol.REJECT_FORBIDDEN, "only a supervisor can remove a company from the zone's index"
                )
            return
        if rec is not None and rec.scope != actor.team_id:
            raise Refused(protocol.REJECT_FORBIDDEN, "this record belongs to another team")
        if new_scope != actor.team_id:
            raise Refused(protocol.REJECT_FORBIDDEN, "an officer can only write their own team's records")

    # --- the end of the batch -----------------------------------------------------------------------------

    def finish(self) -> None:
        conn = self.tx.conn
        new = [r.row() for r in self.cache.values() if r.new]
        changed = [r for r in self.cache.values() if r.dirty and not r.new]
        if new:
            conn.execute(records.insert(), new)
        if changed:
            from sqlalchemy import bindparam

            stmt = (
                update(records)
                .where(records.c.entity == bindparam("k_entity"), records.c.id == bindparam("k_id"))
                .values(
                    version=bindparam("version"),
                    scope=bindparam("scope"),
                    parent_id=bindparam("parent_id"),
                    deleted=bindparam("deleted"),
                    data=bindparam("data"),
                    field_versions=bindparam("field_versions"),
                    server_seq=bindparam("server_seq"),
                    updated_at=bindparam("updated_at"),
                )
            )
            # server_seq is unique: move every changed row to its new number in increasing order
            rows = []
            for r in sorted(changed, key=lambda r: r.server_seq):
                row = r.row()
                row["k_entity"], row["k_id"] = row.pop("entity"), row.pop("id")
                row.pop("created_by")
                rows.append(row)
            conn.execute(stmt, rows)
        for parent_id, scope in self.cascades.items():
            children = conn.execute(
                select(records.c.entity, records.c.id).where(
                    records.c.parent_id == parent_id, records.c.scope != scope
                )
            ).all()
            for child in children:
                conn.execute(
                    update(records)
                    .where(records.c.entity == child.entity, records.c.id == child.id)
                    .values(scope=scope, server_seq=self.tx.next_seq())
                )
        if self.conflict_rows:
            conn.execute(conflicts.insert(), self.conflict_rows)
        if self.log_rows:
            conn.execute(op_log.insert(), self.log_rows)
