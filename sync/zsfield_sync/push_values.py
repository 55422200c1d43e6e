"""A pushed op's field values, checked against their columns and brought to the stored form: a value that does
not fit is the op's :class:`Refused` (a per-op rejection, the batch goes on).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from zsfield import protocol
from zsfield.domain.codec import WireError, decode_field, encode_field, field_names
from zsfield.domain.fields import Kind, field_kinds
from zsfield_sync.record import entity_columns


class Refused(Exception):
    """An op refused for good: becomes a ``rejected`` result."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _slow_normalise(entity: str, name: str, value: Any) -> Any:
    """The reference rule: decode the wire value against its column, encode it back (or :class:`Refused`)."""
    try:
        return encode_field(entity, name, decode_field(entity, name, value))
    except WireError as exc:
        raise Refused(protocol.REJECT_INVALID, str(exc)) from exc
    except Exception as exc:  # any other failure of a bad value is the op's fault, never a 500
        raise Refused(protocol.REJECT_INVALID, f"{entity}.{name}: {exc}") from exc


@cache
def _normaliser(entity: str, name: str) -> Callable[[Any], Any]:
    """``value -> encode_field(decode_field(value))`` for one field, without the generic dispatch: a push of
    thousands of ops normalises tens of thousands of values. For every value it accepts it returns exactly what
    the reference rule returns; anything else (a bad value, an unusual type, an unknown field) goes through the
    reference rule, so the refusals and their messages are the same."""

    def slow(value: Any) -> Any:
        return _slow_normalise(entity, name, value)

    found = field_kinds(entity).get(name)
    if found is None:
        return slow
    kind, col_type = found.kind, found.column
    if kind is Kind.TIMESTAMP or kind is Kind.DATE:
        # bind(result(bind(v))) == bind(v): the column form is already canonical (ISO text in UTC / a date)
        bind = col_type.process_bind_param
        timestamp = kind is Kind.TIMESTAMP

        def norm_time(value: Any) -> Any:
            if type(value) is str:
                try:
                    if timestamp and len(value) == 26:  # most often already the column's form: keep it
                        parsed = datetime.fromisoformat(value)
                        if parsed.tzinfo is None and parsed.isoformat(timespec="microseconds") == value:
                            return value
                    return bind(value, None)
                except Exception:
                    return slow(value)
            return None if value is None else slow(value)

        return norm_time
    if kind is Kind.AMOUNT:
        bind_d, result_d = col_type.process_bind_param, col_type.process_result_value

        def norm_decimal(value: Any) -> Any:
            if type(value) is str and _CANONICAL_DECIMAL.fullmatch(value):
                return value  # format(Decimal(v), "f") == v: already the column's form
            if type(value) is str or type(value) is int:
                try:
                    return bind_d(result_d(bind_d(value, None), None), None)
                except Exception:
                    return slow(value)
            return None if value is None else slow(value)

        return norm_decimal
    if kind is Kind.ENUM:
        codes = frozenset(m.value for m in col_type.enum_cls if isinstance(m.value, str))

        def norm_enum(value: Any) -> Any:
            if type(value) is str and value in codes:
                return value
            return None if value is None else slow(value)

        return norm_enum
    if kind is Kind.JSON or kind is Kind.OTHER:
        return slow  # the shape of JSON contents is checked by the codec (json_shape), for every entity
    kinds = (found.py,)
    length = found.length

    def norm_plain(value: Any) -> Any:
        if type(value) in kinds and (length is None or len(value) <= length):
            return value
        return None if value is None else slow(value)

    return norm_plain


_CANONICAL_DECIMAL = re.compile(r"(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
"""Decimal text in the form ``format(Decimal(text), "f")`` gives back unchanged (no sign, exponent or
leading zero)."""


@cache
def _normalisers(entity: str) -> dict[str, Callable[[Any], Any]]:
    """:func:`_normaliser` of every wire field of ``entity``, by name."""
    return {name: _normaliser(entity, name) for name in field_names(entity)}


def normalise(entity: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Wire values checked against their columns and brought to the stored form (or :class:`Refused`)."""
    known = _normalisers(entity)
    out = {name: (known.get(name) or _normaliser(entity, name))(value) for name, value in fields.items()}
    if None in out.values():
        _, _, not_null = entity_columns(entity)
        for name, value in out.items():
            if value is None and name in not_null:
                raise Refused(protocol.REJECT_INVALID, f"{entity}.{name} cannot be empty (null)")
    return out
