"""A record of the server's generic store as a push sees it (:class:`Rec`): the one model of a record that the
push's checks (:mod:`zsfield_sync.push_checks`), its apply (:mod:`zsfield_sync.push_apply`) and the admin's
own records (:mod:`zsfield_sync.admin`) read and change; and an entity's defaults for a new record.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson

from zsfield.domain.codec import encode_field
from zsfield.domain.models import ENTITIES, wire_fields

CREATED = "*"
"""Key of ``field_versions`` for the record's creation: a field without its own entry last changed then."""
SERVER_CLIENT = "server"
"""The client id recorded for changes made by the server's own CLI (officer add)."""


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class Rec:
    """A record of the generic store, as the batch sees and changes it. ``data`` and ``fv`` (the JSON columns)
    are decoded on first use: most records a batch loads are parents, read only for their scope."""

    __slots__ = (
        "entity", "id", "version", "scope", "parent_id", "deleted", "server_seq", "created_by", "updated_at",
        "new", "dirty", "_data", "_fv", "_data_text", "_fv_text",
    )  # fmt: skip

    def __init__(
        self,
        *,
        entity: str,
        id: str,  # noqa: A002 - the record's id, as the column is named
        version: int,
        scope: str,
        parent_id: str | None,
        deleted: bool,
        data: dict[str, Any] | None = None,
        fv: dict[str, list[Any]] | None = None,
        server_seq: int,
        created_by: str | None,
        updated_at: str,
        new: bool = False,
        dirty: bool = False,
        data_text: str | None = None,
        fv_text: str | None = None,
    ) -> None:
        self.entity, self.id, self.version, self.scope = entity, id, version, scope
        self.parent_id, self.deleted, self.server_seq = parent_id, deleted, server_seq
        self.created_by, self.updated_at, self.new, self.dirty = created_by, updated_at, new, dirty
        self._data, self._fv = data, fv
        self._data_text, self._fv_text = data_text, fv_text

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = orjson.loads(self._data_text) if self._data_text else {}
        return self._data

    @property
    def fv(self) -> dict[str, list[Any]]:
        if self._fv is None:
            self._fv = orjson.loads(self._fv_text) if self._fv_text else {}
        return self._fv

    def changed_at(self, name: str) -> list[Any] | None:
        """[version, client] of the last change of field ``name`` (its creation when never changed since)."""
        return self.fv.get(name) or self.fv.get(CREATED)

    def state(self) -> dict[str, Any]:
        """The record as a :class:`~zsfield.protocol.RecordState` dict (a snapshot: later ops of the batch
        replace values in ``data``, never change them in place)."""
        return {
            "entity": self.entity,
            "id": self.id,
            "version": self.version,
            "deleted": self.deleted,
            "server_seq": self.server_seq,
            "data": dict(self.data),
        }

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


REC_COLUMNS = (
    "entity, id, version, scope, parent_id, deleted, data, field_versions, server_seq, created_by, updated_at"
)


def rec_from_tuple(row: Any) -> Rec:
    """A :class:`Rec` from a row of :data:`REC_COLUMNS` (thousands per batch: no keyword call)."""
    rec = Rec.__new__(Rec)
    (rec.entity, rec.id, rec.version, rec.scope, rec.parent_id, deleted, rec._data_text, rec._fv_text,
     rec.server_seq, rec.created_by, rec.updated_at) = row  # fmt: skip
    rec.deleted = bool(deleted)
    rec.new = rec.dirty = False
    rec._data = rec._fv = None
    return rec


def fresh_rec(
    entity: str,
    record_id: str,
    scope: str,
    parent_id: str | None,
    deleted: bool,
    data: dict[str, Any],
    client: str,
) -> Rec:
    """A :class:`Rec` created by an insert of ``client`` at version 1 (thousands per batch: no keyword call;
    :meth:`BatchApplier._touch` gives it its number and time)."""
    rec = Rec.__new__(Rec)
    rec.entity, rec.id, rec.version, rec.scope, rec.parent_id = entity, record_id, 1, scope, parent_id
    rec.deleted, rec.server_seq, rec.created_by, rec.updated_at = deleted, 0, data.get("created_by"), ""
    rec._data, rec._fv, rec._data_text, rec._fv_text = data, {CREATED: [1, client]}, None, None
    rec.new, rec.dirty = True, False
    return rec


def rec_from_row(row: Any) -> Rec:
    return Rec(
        entity=row.entity,
        id=row.id,
        version=row.version,
        scope=row.scope,
        parent_id=row.parent_id,
        deleted=bool(row.deleted),
        data_text=row.data,
        fv_text=row.field_versions,
        server_seq=row.server_seq,
        created_by=row.created_by,
        updated_at=row.updated_at,
    )


# --- an entity's columns ------------------------------------------------------------------------------------


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


@cache
def must_have(entity: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """(fields a new record cannot lack: required or not nullable; those of them whose default is None — the
    only ones that can be None when the op leaves them out)."""
    defaults, required, not_null = entity_columns(entity)
    must = required | not_null
    return must, tuple(sorted(n for n in must if defaults.get(n) is None))
