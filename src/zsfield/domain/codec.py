"""Record fields ⇄ wire values.

A field travels on the wire exactly as its column stores it: decimals and dates as text, UTC datetimes as
ISO text, enums as their codes, JSON as JSON. So the client, the server and both databases agree byte for
byte, and a pulled page can be written to SQLite without touching Python objects.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import JSON

from zsfield.domain.models import ENTITIES, Record, wire_fields
from zsfield.domain.types import DecimalText, EnumText, ISODate, UTCDateTime

_OWN_TYPES = (DecimalText, EnumText, ISODate, UTCDateTime)


class WireError(ValueError):
    """A wire value that does not fit its field (wrong type, not a date, not a number, unknown code)."""

    def __init__(self, entity: str, field: str, value: Any, reason: str) -> None:
        super().__init__(f"{entity}.{field}: {reason} ({value!r:.60})")
        self.entity, self.field, self.value, self.reason = entity, field, value, reason


@cache
def _columns(entity: str) -> dict[str, Any]:
    cls = ENTITIES[entity]
    table = cls.__table__  # type: ignore[attr-defined]
    return {name: table.c[name].type for name in wire_fields(cls)}


def field_names(entity: str) -> frozenset[str]:
    return frozenset(_columns(entity))


def encode_field(entity: str, field: str, value: Any) -> Any:
    """The wire (and column) form of a Python value."""
    col_type = _columns(entity)[field]
    if value is None:
        return None
    if isinstance(col_type, _OWN_TYPES):
        return col_type.process_bind_param(value, None)
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), str):
        return value.value
    return value


def decode_field(entity: str, field: str, value: Any) -> Any:
    """The Python value of a wire value, checked against the column (raises :class:`WireError`)."""
    columns = _columns(entity)
    if field not in columns:
        raise WireError(entity, field, value, "unknown field")
    col_type = columns[field]
    if value is None:
        return None
    try:
        if isinstance(col_type, _OWN_TYPES):
            # normalise through the column form so bad text is refused here, not in the database
            return col_type.process_result_value(col_type.process_bind_param(value, None), None)
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise WireError(entity, field, value, str(exc)) from exc
    if isinstance(col_type, JSON):  # its python_type is `object`: accept a JSON list or object
        if not isinstance(value, list | dict):
            raise WireError(entity, field, value, "expected a JSON list or object")
        return value
    py = column_python_type(col_type)
    if py in (dict, list):  # JSON columns
        if not isinstance(value, py):
            raise WireError(entity, field, value, f"expected a JSON {py.__name__}")
        return value
    if py is bool:
        if not isinstance(value, bool):
            raise WireError(entity, field, value, "expected true or false")
        return value
    if py is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise WireError(entity, field, value, "expected an integer")
        return value
    if py is str:
        if not isinstance(value, str):
            raise WireError(entity, field, value, "expected text")
        length = getattr(col_type, "length", None)
        if length is not None and len(value) > length:
            raise WireError(entity, field, value, f"longer than {length} characters")
        return value
    return value


def encode_record(obj: Record, fields: list[str] | None = None) -> dict[str, Any]:
    """The wire dict of ``obj`` (all wire fields, or just ``fields``)."""
    entity = obj.__entity__
    names = fields if fields is not None else list(_columns(entity))
    return {f: encode_field(entity, f, getattr(obj, f)) for f in names}


def decode_fields(entity: str, data: dict[str, Any]) -> dict[str, Any]:
    """Python values for a wire dict (raises :class:`WireError` on the first bad field)."""
    return {f: decode_field(entity, f, v) for f, v in data.items()}


def column_python_type(col_type: Any) -> type:
    """The Python type a column holds (``str`` for SQLModel's AutoString, whose ``python_type`` is unknown)."""
    try:
        py = col_type.python_type
    except NotImplementedError:
        py = object
    return str if py is object else py
