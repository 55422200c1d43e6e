"""Applying a push's new ops to the generic record store: each op's values brought to the stored form
(:mod:`zsfield_sync.push_values`), authorisation, field-level conflicts, and the batch's writes. The batch's
domain checks (:mod:`zsfield_sync.push_checks`) ran before, in the same transaction, on the same records.

Rules (DESIGN: sync protocol):

* Every field of a record remembers the version and the client of its last change. An update applies each
  field unless it changed on the server since the op's ``base_version`` *by another client* and to a
  different value (:func:`zsfield.domain.conflicts.changed_by_other`): then that field becomes a conflict
  (both values are returned and logged) and the other fields still apply. Ops of one client never conflict
  with that client's earlier ops.
* A base is a fact, not a claim (:meth:`BatchApplier._base`): a ``base_version`` above the record's version
  in the current epoch is refused (``bad_base``); one of an earlier epoch (``base_epoch``, before a restore)
  counts on a record unchanged since the restore, and on one changed since then every differing field is
  a conflict.
* Timeline entries (:data:`~zsfield.domain.models.APPEND_ONLY`) merge as a union: inserting an id that exists
  changes nothing. Inserting any other existing id is an update based on version 0.
* Deletes are tombstones. An edit meeting a tombstone is a conflict on ``'*'`` (nothing resurrected), and so
  is a delete meeting an edit made since its base version. ``deleted: false`` in an update restores a
  record, when based on the version of its deletion (a "keep mine" decision).
* Authorisation (:meth:`BatchApplier._authorise`), from identity and the server's records, never from a
  field: the record as it stands is judged first (an officer or leader writes the records whose scope on
  the server is their team); then where the op puts it (:meth:`BatchApplier._scope_for`): ``'*'`` only for
  the shared entities, a team entity (project ``owner_team_id``, lead and contact ``team_id``) in a team
  that exists — an officer's always their own, a move to another team a supervisor's op — and a child in
  its parent's scope (``project_id`` / ``lead_id``) on the server. Anyone may add to and edit the zone's
  company index; offices, teams, officers and targets are for supervisors and admins (an officer may edit
  their own e-mail and phone). Supervisors and admins write everything. A refused op is rejected for good
  with a code and a message; the queue moves on.
* Team moves: a record whose scope changes (a project moved to another team, its children with it; a lead or
  contact moved) leaves an **exit** in the scope it left, numbered in the same transaction just below the
  record's new ``server_seq``: the old team's pull names it. The one exception to "an officer writes only
  their team's records" (:class:`HandedOver`, raised by :meth:`BatchApplier._authorise`): an officer of the
  old team who wrote about the record before their laptop had pulled that exit
  (:attr:`~zsfield.protocol.PushRequest.pulled_to` below the exit's number) hands their op to the new
  owners — timeline entries (:data:`FORMER_TEAM_ENTRIES`) are added and credited to them, edits and deletes
  become conflicts in the new owners' scope (nothing applied), a new record of another kind is refused.
  After their laptop pulled the exit, their writes are ``forbidden`` like any other team's. A reply never
  carries a record its officer cannot read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from zsfield import protocol
from zsfield.domain.codec import field_names
from zsfield.domain.conflicts import changed_by_other
from zsfield.domain.derive import wire_derived
from zsfield.domain.models import APPEND_ONLY, ENTITIES, SHARED_ENTITIES, TIMELINE_ENTITIES
from zsfield.protocol import Op
from zsfield_sync.auth import Actor
from zsfield_sync.push_values import Refused, normalise
from zsfield_sync.record import (
    CREATED,
    REC_COLUMNS,
    Rec,
    dumps,
    entity_columns,
    fresh_rec,
    must_have,
    rec_from_row,
    rec_from_tuple,
)
from zsfield_sync.storage import (
    WriteTx,
    conflicts,
    driver_sql,
    execute_many,
    exits,
    get_epoch,
    get_restore,
    known_epochs,
    now_text,
    records,
)

SHARED_READ = SHARED_ENTITIES | {"target"}
"""Readable by every officer: the organisation, the company index, and the targets (赛马 is public)."""


def readable(actor: Actor, scope: str) -> bool:
    """Whether ``actor`` may read a record of ``scope`` today (what a pull of theirs returns): a supervisor or
    admin everything, anyone else the shared records and their own team's."""
    return actor.is_supervisor or scope == "*" or (bool(actor.team_id) and scope == actor.team_id)


SUPERVISOR_ONLY = frozenset({"office", "team", "officer", "target"})
TEAM_FIELD = {"project": "owner_team_id", "lead": "team_id", "contact": "team_id"}
PARENT_FIELDS = (("project_id", "project"), ("lead_id", "lead"))
NOT_EDITABLE = frozenset({"id", "created_at", "created_by", "updated_at"})
OFFICER_SELF_EDITABLE = frozenset({"name_en", "email", "phone"})
FORMER_TEAM_ENTRIES = APPEND_ONLY | TIMELINE_ENTITIES
"""What an officer of a record's former team may still add to it when they wrote it before they learned of
the move: timeline entries, the record of their own work (visits, follow-ups, notes, stage events, plan
items, receipts), credited to them. Their edits and deletes become conflicts for the new owners; a new record
of another kind (a milestone, a service plan) is refused, listed on their laptop."""
HANDED_OVER = "This record moved to another team before this change arrived; it was handed to the new owners"


class HandedOver(Refused):
    """The op's record (for a new child: its parent) left the actor's team after the actor's laptop wrote the
    op: it goes to the new owners (:meth:`BatchApplier._hand_over`) instead of being refused. Not handled, it
    is the ``forbidden`` refusal it would otherwise be."""

    def __init__(self, left: Rec, scope: str, parent_id: str | None, message: str) -> None:
        super().__init__(protocol.REJECT_FORBIDDEN, message)
        self.left, self.scope, self.parent_id = left, scope, parent_id


Result = dict[str, Any]
"""An :class:`~zsfield.protocol.OpResult` as a plain dict (same keys, same order): a push of thousands of ops
builds, logs and returns its results without a pydantic model per op."""


def op_result(
    client_seq: int,
    op_id: str,
    status: str,
    *,
    version: int | None = None,
    server_seq: int | None = None,
    conflicts: list[dict[str, Any]] | None = None,
    code: str | None = None,
    message: str | None = None,
    record: dict[str, Any] | None = None,
    replayed: bool = False,
) -> Result:
    return {
        "client_seq": client_seq,
        "op_id": op_id,
        "status": status,
        "version": version,
        "server_seq": server_seq,
        "conflicts": [] if conflicts is None else conflicts,
        "code": code,
        "message": message,
        "record": record,
        "replayed": replayed,
    }


NAMED = "named"
"""Key of the op log's entry holding what the op named: ``{"officer", "op", "entity", "id"}`` (a replay must
name the same, see :func:`zsfield_sync.push.push_reply`); never part of a result on the wire."""


def log_text(result: Result, named: dict[str, str] | None = None) -> str:
    """The op log's copy of a result: everything but the record (a replay adds the record as it is then) and
    the keys that hold their default (a replay starts from :func:`op_result`'s defaults), in the result's
    order; and under :data:`NAMED` what the op named and who made it."""
    log: dict[str, Any] = {
        "client_seq": result["client_seq"],
        "op_id": result["op_id"],
        "status": result["status"],
        "version": result["version"],
        "server_seq": result["server_seq"],
    }
    if result["conflicts"]:
        log["conflicts"] = result["conflicts"]
    if result["code"] is not None:
        log["code"] = result["code"]
    if result["message"] is not None:
        log["message"] = result["message"]
    if result["replayed"]:
        log["replayed"] = True
    if named is not None:
        log[NAMED] = named
    return dumps(log)


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
    log_rows: list[tuple[Any, ...]] = field(default_factory=list)
    cascades: dict[str, str] = field(default_factory=dict)
    absent: set[tuple[str, str]] = field(default_factory=set)
    pulled_to: int | None = None
    """The push's :attr:`~zsfield.protocol.PushRequest.pulled_to`: how far the laptop had pulled when it wrote
    the batch."""
    exit_rows: dict[tuple[str, str, str], tuple[Any, ...]] = field(default_factory=dict)
    exit_seqs: dict[tuple[str, str], int | None] = field(default_factory=dict)
    _epoch_info: tuple[str, list[str], dict[str, Any] | None] | None = None

    # --- records ------------------------------------------------------------------------------------------

    def prefetch(self, ops: list[Op]) -> None:
        """Load every record the batch names (and the parents its fields point at) in a few queries."""
        keys: set[tuple[str, str]] = set()
        for op in ops:
            if op.entity in ENTITIES and op.op in ("insert", "update", "delete"):
                keys.add((op.entity, op.entity_id))
                team_field = TEAM_FIELD.get(op.entity)
                team = op.fields.get(team_field) if team_field else None
                if isinstance(team, str) and team:
                    keys.add(("team", team))
                for key, parent_entity in PARENT_FIELDS:
                    value = op.fields.get(key)
                    if isinstance(value, str) and value:
                        keys.add((parent_entity, value))
        keys -= set(self.cache)
        by_entity: dict[str, list[str]] = {}
        for entity, record_id in keys:
            by_entity.setdefault(entity, []).append(record_id)
        conn = self.tx.conn
        for entity, ids in by_entity.items():
            for i in range(0, len(ids), 2000):
                chunk = ids[i : i + 2000]
                sql = driver_sql(
                    conn,
                    f"SELECT {REC_COLUMNS} FROM records WHERE entity = ? AND id IN ({', '.join('?' * len(chunk))})",
                )
                for row in conn.exec_driver_sql(sql, (entity, *chunk)).all():
                    self.cache[(entity, row[1])] = rec_from_tuple(row)
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

    def apply(self, op: Op) -> Result:
        try:
            if op.op == "void":
                if op.fields.get("code") == protocol.REJECT_INVALID:  # refused by validation earlier
                    reason = str(op.fields.get("message") or "")[:500] or "a value the server refuses"
                    raise Refused(
                        protocol.REJECT_INVALID,
                        f"Refused by the server's checks ({reason}); it stays listed on the laptop that made it.",
                    )
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
        except HandedOver as exc:
            result = self._hand_over(op, exc.left)
        except Refused as exc:
            result = op_result(op.client_seq, op.op_id, "rejected", code=exc.code, message=exc.message)
        named = {"officer": self.actor.id, "op": op.op, "entity": op.entity, "id": op.entity_id}
        self.log_rows.append((self.client_id, op.client_seq, op.op_id, log_text(result, named), self.now))
        return result

    def _result(
        self, op: Op, rec: Rec, conflicts_: list[dict[str, Any]], applied: bool, fresh: bool = False
    ) -> Result:
        return {
            "client_seq": op.client_seq,
            "op_id": op.op_id,
            "status": "applied" if applied or not conflicts_ else "conflict",
            "version": rec.version,
            "server_seq": rec.server_seq,
            "conflicts": conflicts_,
            "code": None,
            "message": None,
            "record": None if fresh or not readable(self.actor, rec.scope) else rec.state(),
            "replayed": False,
        }

    def _hand_over(self, op: Op, rec: Rec) -> Result:
        """An update, delete or repeated insert of ``rec`` by its former team, written before they learned it
        moved (:class:`HandedOver`): nothing applied; every field the op sets to another value (a delete: the
        whole record) becomes a conflict in the new owners' scope; a timeline entry already there is the
        union's, once."""
        found: list[dict[str, Any]] = []
        if op.op == "delete":
            if not rec.deleted:
                found.append(self._conflict(op, rec, "*", None, None, former=True))
        elif not (op.op == "insert" and op.entity in APPEND_ONLY):
            fields = {k: v for k, v in op.fields.items() if k not in NOT_EDITABLE and k != "deleted"}
            values = normalise(op.entity, fields)
            if rec.deleted:
                found.append(self._conflict(op, rec, "*", fields, None, former=True))
            else:
                found += [
                    self._conflict(op, rec, name, value, rec.data.get(name), op.base_version, former=True)
                    for name, value in values.items()
                    if rec.data.get(name) != value
                ]
        result = self._result(op, rec, found, False)
        result["message"] = HANDED_OVER
        return result

    def _insert(self, op: Op) -> Result:
        entity = op.entity
        fields = op.fields  # never changed in place: the op is the request's
        if "id" in fields:
            fields = dict(fields)
            if fields.pop("id") != op.entity_id:
                raise Refused(protocol.REJECT_INVALID, "the id in the fields differs from entity_id")
        existing = self.load(entity, op.entity_id)
        if existing is not None:
            if entity in APPEND_ONLY:
                self._authorise(entity, "update", existing, None, {})
                return self._result(op, existing, [], applied=True)  # union: the same entry, once
            if existing.deleted:
                self._authorise(entity, "update", existing, None, {})
                return self._result(op, existing, [self._conflict(op, existing, "*", fields, None)], False)
            editable = {k: v for k, v in fields.items() if k not in NOT_EDITABLE and k != "deleted"}
            return self._update(op, editable, 0)
        values = normalise(entity, fields)
        data = {**entity_columns(entity)[0], **values}
        data["created_at"] = data.get("created_at") or self.now
        data["updated_at"] = data.get("updated_at") or self.now
        if not data.get("created_by") or not self.actor.is_supervisor and data["created_by"] != self.actor.id:
            data["created_by"] = self.actor.id
        must, unset = must_have(entity)
        missing = [n for n in unset if data[n] is None]
        if None in values.values():
            missing += [n for n, v in values.items() if v is None and n in must and n not in unset]
            missing.sort()
        if missing:
            raise Refused(protocol.REJECT_INVALID, f"{entity}: missing {', '.join(missing)}")
        if entity == "project":
            data.update(wire_derived(data))
        deleted = bool(data.pop("deleted", False))
        handed = False
        try:
            scope, parent_id = self._authorise(entity, "insert", None, data, data)
        except HandedOver as exc:  # a new child of a record that left the actor's team before they knew
            if entity not in FORMER_TEAM_ENTRIES:
                raise Refused(
                    protocol.REJECT_FORBIDDEN,
                    "This record's project or lead moved to another team before this change arrived: its new "
                    f"owners take timeline entries from its former team, not a new {entity}",
                ) from None
            scope, parent_id, handed = exc.scope, exc.parent_id, True
        team_field = TEAM_FIELD.get(entity)
        filled = bool(team_field and scope and parent_id is None and not data.get(team_field))
        if filled:
            data[team_field] = scope  # the team it landed in, as its field says (never "*")
        rec = fresh_rec(entity, op.entity_id, scope, parent_id, deleted, data, self.client_id)
        self._touch(rec)
        self.cache[(entity, op.entity_id)] = rec
        # the reply carries the record when the server filled in its team: the laptop stores it as it is
        result = self._result(op, rec, [], applied=True, fresh=not filled)
        if handed:
            result["message"] = HANDED_OVER
        return result

    def _update(self, op: Op, fields: dict[str, Any], base_version: int) -> Result:
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
        target = self._authorise(entity, "update", rec, {**rec.data, **values}, values)
        base = self._base(op, rec, base_version)
        found: list[dict[str, Any]] = []
        if rec.deleted:
            deleted_at = rec.fv.get("deleted", [rec.version, None])  # a tombstone always records its version
            if not restore or changed_by_other(deleted_at, base, self.client_id):
                return self._result(op, rec, [self._conflict(op, rec, "*", fields, None)], False)
        applied: dict[str, Any] = {}
        for name, value in values.items():
            current = rec.data.get(name)
            if current == value:
                continue
            if changed_by_other(rec.changed_at(name), base, self.client_id):
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
                rec.data.update(wire_derived(rec.data))
            rec.data["updated_at"] = self.now
            placing = {TEAM_FIELD.get(entity), "project_id", "lead_id"}
            # where it goes: as authorised, unless a field that places it became a conflict (it stays then)
            held = any(c["field"] in placing for c in found)
            scope, parent_id = self._scope_for(entity, rec.data, rec) if held else target
            if scope != rec.scope:
                self._left(rec.scope, rec.entity, rec.id)
                if entity in ("project", "lead"):
                    self.cascades[rec.id] = scope
            rec.scope, rec.parent_id = scope, parent_id
            self._touch(rec)
        return self._result(op, rec, found, applied=bool(applied))

    def _delete(self, op: Op) -> Result:
        rec = self.load(op.entity, op.entity_id)
        if rec is None:
            raise Refused(protocol.REJECT_NOT_FOUND, f"{op.entity} {op.entity_id} is not on the server")
        self._authorise(op.entity, "delete", rec, None, {})
        base = self._base(op, rec, op.base_version)
        if rec.deleted:
            return self._result(op, rec, [], applied=True)
        changed = {
            name: rec.data.get(name)
            for name, at in rec.fv.items()
            if name != CREATED and name in rec.data and changed_by_other(at, base, self.client_id)
        }
        if changed:
            return self._result(op, rec, [self._conflict(op, rec, "*", None, changed)], False)
        rec.deleted = True
        rec.version += 1
        rec.fv["deleted"] = [rec.version, self.client_id]
        rec.data["updated_at"] = self.now
        self._touch(rec)
        return self._result(op, rec, [], applied=True)

    def _resolve(self, op: Op) -> Result:
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
        return op_result(op.client_seq, op.op_id, "applied")

    # --- helpers ------------------------------------------------------------------------------------------

    def _base(self, op: Op, rec: Rec, base_version: int) -> int | None:
        """The op's base as a fact of this server, for :func:`~zsfield.domain.conflicts.changed_by_other`: a
        version number, or None when the base is a version of an earlier epoch that cannot be compared with
        this one's. Raises
        :class:`Refused` (``bad_base``) for a base the server never handed out. The rule (DESIGN: bases are
        facts, not claims):

        * in the current epoch (``base_epoch`` absent or the current one), a base above the record's version
          is refused — nothing applied;
        * in an earlier epoch of this server (before a restore, :func:`~zsfield_sync.storage.known_epochs`):
          if the record is unchanged since the restore (``server_seq`` ≤ the restore's head) its versions
          are the backup's, which the base's epoch shares up to the backup when it is the backed-up epoch:
          the base counts as it is, at most the record's version (its author saw that state or a later one,
          which the restore lost); a record changed since the restore has versions the base never saw: None,
          so every field another client changed and the op sets to another value is a conflict;
        * an epoch the server never had: refused.
        """
        epoch = op.base_epoch
        if epoch and epoch != self._epochs()[0]:
            current, earlier, restore = self._epochs()
            if epoch not in earlier:
                raise Refused(
                    protocol.REJECT_BAD_BASE,
                    f"{op.entity} {op.entity_id}: the base epoch {epoch!r:.70} is not an epoch of this server "
                    f"(it is {current!r}); nothing was applied",
                )
            head = int(restore["head"]) if restore and isinstance(restore.get("head"), int) else -1
            if rec.server_seq > head:
                return None
            if restore is not None and epoch == restore.get("previous_epoch"):
                return min(base_version, rec.version)
            return rec.version
        if base_version > rec.version:
            raise Refused(
                protocol.REJECT_BAD_BASE,
                f"{op.entity} {op.entity_id}: the change is based on version {base_version}, but the server "
                f"has version {rec.version}: a base must be a version the server handed out. Nothing was "
                "applied; sync again to get the record as it is.",
            )
        return base_version

    def _epochs(self) -> tuple[str, list[str], dict[str, Any] | None]:
        """(the current epoch, the server's earlier epochs, the last restore), read once per batch."""
        if self._epoch_info is None:
            conn = self.tx.conn
            self._epoch_info = (get_epoch(conn), known_epochs(conn), get_restore(conn))
        return self._epoch_info

    def _conflict(
        self,
        op: Op,
        rec: Rec,
        name: str,
        mine: Any,
        theirs: Any,
        base_version: int | None = None,
        *,
        former: bool = False,
    ) -> dict[str, Any]:
        """A :class:`~zsfield.protocol.FieldConflict` (as a dict), also kept for the server's conflict log (in
        the record's scope: its team sees it). ``former``: the author's team no longer owns the record, so
        the value it holds now stays in the log, for the new owners, and is not returned."""
        conflict = {
            "conflict_id": str(uuid.uuid4()),
            "field": name,
            "mine": mine,
            "theirs": None if former else theirs,
            "base_version": op.base_version if base_version is None else base_version,
            "server_version": rec.version,
        }
        self.conflict_rows.append(
            {
                "id": conflict["conflict_id"],
                "entity": rec.entity,
                "entity_id": rec.id,
                "field": name,
                "mine": dumps(mine),
                "theirs": dumps(theirs),
                "base_version": conflict["base_version"],
                "server_version": conflict["server_version"],
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
        """(scope, parent id) of a record with fields ``data``, decided by the server's own facts.

        * Shared entities (the organisation, the company index, targets): ``'*'``, never anything else; and
          ``'*'`` is never the scope of any other entity.
        * A team entity (project, lead, contact with ``team_id``): the team its team field names, which must
          be a team on the server (the field only *requests* a team: :meth:`_authorise` lets an officer name
          nothing but the team their token says, and a change of team — a move — only a supervisor). Without
          the field: the record's scope as it stands, or for a new record the actor's team (``''`` for a
          supervisor or admin without a team: readable by supervisors only, until one assigns a team). A
          project or lead whose team field is cleared goes to ``''`` (a move: supervisors only).
        * A child (visit, follow-up, service item, stage event, contact without ``team_id``…): its parent's
          scope on the server (``project_id`` first, then ``lead_id``); a child without a parent keeps its
          scope, or on insert takes the actor's team.
        """
        if entity in SHARED_READ:
            return "*", None
        team_field = TEAM_FIELD.get(entity)
        if team_field and data.get(team_field):
            return self._team_scope(entity, team_field, str(data[team_field])), None
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
            if team_field and entity in ("project", "lead") and rec.data.get(team_field):
                return "", None  # the team field cleared: unassigned (supervisors only)
            return rec.scope, rec.parent_id
        return self.actor.team_id or "", None

    def _team_scope(self, entity: str, team_field: str, team_id: str) -> str:
        """The scope a team field names: a team on the server, never the shared scope."""
        team = self.load("team", team_id)
        if team is None or team.deleted:
            raise Refused(
                protocol.REJECT_INVALID, f"{entity}.{team_field}: {team_id!r:.60} is not a team on the server"
            )
        return team_id

    def _authorise(
        self, entity: str, kind: str, rec: Rec | None, data: dict[str, Any] | None, values: dict[str, Any]
    ) -> tuple[str, str | None]:
        """Raise :class:`Refused` unless the actor may ``kind`` (insert/update/delete) this record; return its
        (scope, parent id) after the op (:meth:`_scope_for` of ``data``, the record's fields after the op; the
        record's own for ``data=None``).

        The record as it stands on the server is judged first, from the actor's identity (the token's role
        and team) and the record's scope on the server — never from a field of the op. Then the place the op
        puts it: an officer or leader writes only into their own team, and a change of team (a move of a
        project, lead or contact, or a child moved under another team's parent) is a supervisor's op.

        One exception, where "another team's record" would be refused: the record (for a new child, its
        parent) left the actor's team after the actor's laptop wrote the op (:meth:`_left_unknown`): raises
        :class:`HandedOver`, and the op goes to the new owners."""
        actor = self.actor
        if not actor.is_supervisor:
            if entity == "officer":
                if not (
                    kind == "update"
                    and rec is not None
                    and rec.id == actor.id
                    and set(values) <= OFFICER_SELF_EDITABLE
                ):
                    raise Refused(protocol.REJECT_FORBIDDEN, "only a supervisor or admin can change officers")
            elif entity in SUPERVISOR_ONLY:
                raise Refused(
                    protocol.REJECT_FORBIDDEN, f"only a supervisor or admin can change {entity} records"
                )
            elif entity in SHARED_READ:  # the company index
                if kind == "delete":
                    raise Refused(
                        protocol.REJECT_FORBIDDEN,
                        "only a supervisor can remove a company from the zone's index",
                    )
            elif rec is not None and rec.scope != actor.team_id:
                self._left_unknown(rec, rec.scope, rec.parent_id)
                raise Refused(protocol.REJECT_FORBIDDEN, "this record belongs to another team")
        if data is None:
            assert rec is not None
            return rec.scope, rec.parent_id
        team_field = TEAM_FIELD.get(entity)
        if not actor.is_supervisor and team_field and data.get(team_field) not in (None, "", actor.team_id):
            if rec is not None:
                raise Refused(
                    protocol.REJECT_FORBIDDEN,
                    f"moving a {entity} to another team is a supervisor's op (ask a supervisor)",
                )
            raise Refused(protocol.REJECT_FORBIDDEN, "an officer can only write their own team's records")
        scope, parent_id = self._scope_for(entity, data, rec)
        if not actor.is_supervisor and entity not in SHARED_READ:
            if rec is not None and scope != rec.scope:
                raise Refused(
                    protocol.REJECT_FORBIDDEN,
                    f"moving a {entity} to another team is a supervisor's op (ask a supervisor)",
                )
            if scope != actor.team_id:
                if rec is None and parent_id is not None:  # a new child: its parent may have left
                    entity_of = {data.get(key): e for key, e in reversed(PARENT_FIELDS)}
                    parent = self.load(entity_of[parent_id], parent_id)
                    self._left_unknown(parent, scope, parent_id)
                raise Refused(protocol.REJECT_FORBIDDEN, "an officer can only write their own team's records")
        return scope, parent_id

    def _left_unknown(self, rec: Rec | None, scope: str, parent_id: str | None) -> None:
        """Raise :class:`HandedOver` when ``rec`` left the actor's team (an exit in the team's scope) at a
        ``server_seq`` above the push's ``pulled_to``: the laptop wrote the batch before it had pulled that
        exit. No ``pulled_to``, or one at or above the exit: nothing (the laptop knew)."""
        team = self.actor.team_id
        if rec is None or self.pulled_to is None or not team:
            return
        key = (rec.entity, rec.id)
        if key not in self.exit_seqs:
            row = self.tx.conn.execute(
                select(exits.c.server_seq).where(
                    exits.c.scope == team, exits.c.entity == rec.entity, exits.c.id == rec.id
                )
            ).first()
            self.exit_seqs[key] = None if row is None else int(row[0])
        left_at = self.exit_seqs[key]
        if left_at is not None and self.pulled_to < left_at:
            raise HandedOver(rec, scope, parent_id, HANDED_OVER)

    def _left(self, scope: str, entity: str, record_id: str) -> None:
        """Record that the record left ``scope`` (its readers' pull names it), numbered now: below the
        record's new ``server_seq``, so a reader that sees both keeps the record. '' (no team) has no readers."""
        if scope:
            self.exit_rows[(scope, entity, record_id)] = (
                scope, entity, record_id, self.tx.next_seq(), self.now
            )  # fmt: skip

    # --- the end of the batch -----------------------------------------------------------------------------

    def finish(self) -> None:
        """Write the batch: new records, changed records (in ``server_seq`` order), cascades, the conflict log
        and the op log — a few bulk statements, whatever the batch size."""
        conn = self.tx.conn
        new = [r for r in self.cache.values() if r.new]
        changed = [r for r in self.cache.values() if r.dirty and not r.new]
        if new:
            execute_many(
                conn,
                "INSERT INTO records (entity, id, version, scope, parent_id, deleted, data, field_versions, "
                "server_seq, created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (r.entity, r.id, r.version, r.scope, r.parent_id, r.deleted, dumps(r.data), dumps(r.fv),
                     r.server_seq, r.created_by, r.updated_at)
                    for r in new
                ],
            )  # fmt: skip
        if changed:
            # server_seq is unique: move every changed row to its new number in increasing order
            execute_many(
                conn,
                "UPDATE records SET version = ?, scope = ?, parent_id = ?, deleted = ?, data = ?, "
                "field_versions = ?, server_seq = ?, updated_at = ? WHERE entity = ? AND id = ?",
                [
                    (r.version, r.scope, r.parent_id, r.deleted, dumps(r.data), dumps(r.fv), r.server_seq,
                     r.updated_at, r.entity, r.id)
                    for r in sorted(changed, key=lambda r: r.server_seq)
                ],
            )  # fmt: skip
        for parent_id, scope in self.cascades.items():
            children = conn.execute(
                select(records.c.entity, records.c.id, records.c.scope).where(
                    records.c.parent_id == parent_id, records.c.scope != scope
                )
            ).all()
            for child in children:
                self._left(child.scope, child.entity, child.id)
                conn.execute(
                    update(records)
                    .where(records.c.entity == child.entity, records.c.id == child.id)
                    .values(scope=scope, server_seq=self.tx.next_seq())
                )
        if self.exit_rows:  # one row per record and scope left: the latest exit
            rows = list(self.exit_rows.values())
            execute_many(
                conn, "DELETE FROM exits WHERE scope = ? AND entity = ? AND id = ?", [r[:3] for r in rows]
            )
            execute_many(
                conn,
                "INSERT INTO exits (scope, entity, id, server_seq, created_at) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
        if self.conflict_rows:
            conn.execute(conflicts.insert(), self.conflict_rows)
        if self.log_rows:
            execute_many(
                conn,
                "INSERT INTO op_log (client_id, client_seq, op_id, result, created_at) VALUES (?, ?, ?, ?, ?)",
                self.log_rows,
            )
