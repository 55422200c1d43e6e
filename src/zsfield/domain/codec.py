"""Record fields ⇄ wire values.

A field travels on the wire exactly as its column stores it: decimals and dates as text, UTC datetimes as
ISO text, enums as their codes, JSON as JSON. So the client, the server and both databases agree byte for
byte, and a pulled page can be written to SQLite without touching Python objects.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON

from zsfield.domain.fields import Kind, column_python_type, field_kinds
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
    if isinstance(col_type, JSON):  # its python_type is `object`: the model's annotation gives the shape
        reason = json_shape(entity, field)(value)
        if reason is not None:
            raise WireError(entity, field, value, reason)
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


# --- JSON columns: their shape, from the model's annotation -----------------------------------------------------

ShapeCheck = Callable[[Any], str | None]
"""A JSON value -> None when it has the shape, else the reason (``"item 0: expected text"``)."""


def _shape_of(annotation: Any, where: str) -> ShapeCheck:
    """The check of a JSON value against a Python annotation: ``list[X]``, ``dict[str, X]``, ``str``, ``int``,
    ``float``, ``bool``, ``X | None`` and ``Any`` (any JSON). Any other annotation is refused here, so a new
    JSON column cannot go unchecked (the test suite builds every column's check)."""
    if annotation is Any or annotation is object:
        return lambda value: None
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) != 1:
            raise TypeError(f"{where}: no JSON shape for {annotation!r}")
        inner = _shape_of(options[0], where)
        return lambda value: None if value is None else inner(value)
    if origin is list:
        (item_type,) = args or (Any,)
        item = _shape_of(item_type, where)

        def check_list(value: Any) -> str | None:
            if type(value) is not list:
                return "expected a JSON list"
            for i, x in enumerate(value):
                reason = item(x)
                if reason is not None:
                    return f"item {i}: {reason}"
            return None

        return check_list
    if origin is dict:
        key_type, value_type = args or (str, Any)
        if key_type is not str:
            raise TypeError(f"{where}: JSON object keys are text, not {key_type!r}")
        inner_value = _shape_of(value_type, where)

        def check_dict(value: Any) -> str | None:
            if type(value) is not dict:
                return "expected a JSON object"
            for k, v in value.items():
                if type(k) is not str:
                    return "expected text keys"
                reason = inner_value(v)
                if reason is not None:
                    return f"{k!r:.40}: {reason}"
            return None

        return check_dict
    if annotation is str:
        return lambda value: None if type(value) is str else "expected text"
    if annotation is bool:
        return lambda value: None if type(value) is bool else "expected true or false"
    if annotation is int:
        return lambda value: None if type(value) is int else "expected an integer"
    if annotation is float:
        return lambda value: None if type(value) in (int, float) else "expected a number"
    raise TypeError(f"{where}: no JSON shape for {annotation!r}")


@cache
def json_shape(entity: str, field: str) -> ShapeCheck:
    """The shape check of JSON column ``field`` of ``entity``, from the model's annotation (``Company.aliases:
    list[str]`` is a list of texts: ``[1, {}, null]`` is refused). The one rule for the server's checks of a
    pushed value and the laptop's of a pulled one (through :func:`decode_field`)."""
    annotation = ENTITIES[entity].model_fields[field].annotation
    return _shape_of(annotation, f"{entity}.{field}")


def json_columns() -> list[tuple[str, str]]:
    """Every (entity, field) stored as a JSON column."""
    return [(e, f) for e in ENTITIES for f, t in _columns(e).items() if isinstance(t, JSON)]


# --- can this wire value be stored and read back? ----------------------------------------------------------------

_CANONICAL_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


def _reference(entity: str, field: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        try:
            decode_field(entity, field, value)
        except Exception:  # noqa: BLE001 - any failure means "cannot be read"
            return False
        return True

    return check


@cache
def readable_check(entity: str, field: str) -> Callable[[Any], bool]:
    """``value -> bool``: whether a wire value of ``field`` decodes (:func:`decode_field` accepts it), so a
    stored row can be read back. A fast path for the usual values (a pull checks every field of every record);
    anything else goes through :func:`decode_field` itself, so the answer is always that of the reference."""
    slow = _reference(entity, field)
    found = field_kinds(entity)[field]
    kind = found.kind
    if kind is Kind.TIMESTAMP or kind is Kind.DATE:
        # the column's own text form (26 characters for a timestamp, 10 for a date) is read by fromisoformat
        parse, length = (datetime.fromisoformat, 26) if kind is Kind.TIMESTAMP else (date.fromisoformat, 10)

        def check_iso(value: Any) -> bool:
            if value is None:
                return True
            if type(value) is str and len(value) == length:
                try:
                    parse(value)
                    return True
                except ValueError:
                    return False
            return slow(value)

        return check_iso
    if kind is Kind.AMOUNT:
        canonical = _CANONICAL_DECIMAL.fullmatch
        return lambda value: value is None or (type(value) is str and bool(canonical(value))) or slow(value)
    if kind is Kind.ENUM:
        codes = frozenset(m.value for m in found.column.enum_cls if isinstance(m.value, str))
        return lambda value: value is None or (type(value) is str and value in codes) or slow(value)
    if kind is Kind.JSON:
        shape = json_shape(entity, field)
        return lambda value: value is None or shape(value) is None
    if kind is not Kind.OTHER:
        py, length = found.py, found.length
        return lambda value: (
            value is None or (type(value) is py and (length is None or len(value) <= length)) or slow(value)
        )
    return slow
