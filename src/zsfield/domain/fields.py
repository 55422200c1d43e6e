"""Fields as the domain sees them: the kind of every wire field (from its column), the problems of a value
(money, time, size), and the refusals the officer's actions raise.

One home for these rules: the codec's fast read-back check (:func:`zsfield.domain.codec.readable_check`) and
the server's normalisers dispatch on :func:`field_kinds`; the server's push checks judge values with
:func:`value_problem`; the store's actions refuse with :func:`require` and :func:`non_negative`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from typing import Any

import orjson
from sqlalchemy.types import JSON

from zsfield.domain.models import ENTITIES, wire_fields
from zsfield.domain.money import AmountError, Money
from zsfield.domain.problems import DomainError, Problem
from zsfield.domain.types import DecimalText, EnumText, ISODate, UTCDateTime

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
"""No zsfield record is older than this: an earlier timestamp is a laptop clock gone wrong (1970)."""
FUTURE_SLACK = timedelta(days=2)
"""How far ahead of the server's clock a timestamp may lie (laptop clocks drift; time zones are UTC)."""
EARLIEST_DATE = date(1980, 1, 1)
DATE_YEARS_AHEAD = 30
"""Calendar dates (promised milestones, signing dates) may lie at most this many years ahead."""
MAX_TEXT_CHARS = 65_536
"""The longest text of a column without its own length (a visit's minutes, a note)."""
MAX_AMOUNT_CHARS = 40
"""An amount's decimal text fits the column (``DecimalText`` is ``String(40)``)."""


# --- kinds ----------------------------------------------------------------------------------------------------


class Kind(StrEnum):
    """What a wire field holds, from its column."""

    TIMESTAMP = "datetime"
    """A UTC instant (:class:`~zsfield.domain.types.UTCDateTime`), ISO text on the wire."""
    DATE = "date"
    """A calendar date (:class:`~zsfield.domain.types.ISODate`), ``YYYY-MM-DD``."""
    AMOUNT = "amount"
    """An exact decimal amount (:class:`~zsfield.domain.types.DecimalText`), decimal text on the wire."""
    ENUM = "enum"
    """A code of an enum (:class:`~zsfield.domain.types.EnumText`)."""
    JSON = "json"
    """A JSON column (its shape: :func:`zsfield.domain.codec.json_shape`)."""
    CURRENCY = "currency"
    """A currency code (``currency``, ``*_currency``): three capitals, ISO 4217."""
    INT = "int"
    BOOL = "bool"
    TEXT = "text"
    OTHER = "other"
    """A column of any other Python type: no fast rule, the codec's reference rule decides."""


@dataclass(frozen=True)
class FieldKind:
    """The kind of one wire field, its text length (None: no limit of its own), its column type and the Python
    type the column holds."""

    kind: Kind
    length: int | None
    column: Any
    py: type


def column_python_type(col_type: Any) -> type:
    """The Python type a column holds (``str`` for SQLModel's AutoString, whose ``python_type`` is unknown)."""
    try:
        py = col_type.python_type
    except NotImplementedError:
        py = object
    return str if py is object else py


def _kind_of(name: str, col_type: Any) -> FieldKind:
    py = column_python_type(col_type)

    def kind(k: Kind, length: int | None = None) -> FieldKind:
        return FieldKind(k, length, col_type, py)

    if isinstance(col_type, UTCDateTime):
        return kind(Kind.TIMESTAMP)
    if isinstance(col_type, ISODate):
        return kind(Kind.DATE)
    if isinstance(col_type, DecimalText):
        return kind(Kind.AMOUNT)
    if isinstance(col_type, JSON):
        return kind(Kind.JSON)
    if isinstance(col_type, EnumText):
        return kind(Kind.ENUM, getattr(col_type, "length", None))
    length = getattr(col_type, "length", None) if py is str else None
    if name == "currency" or name.endswith("_currency"):
        return kind(Kind.CURRENCY, length)
    if py is int:
        return kind(Kind.INT)
    if py is bool:
        return kind(Kind.BOOL)
    if py is str:
        return kind(Kind.TEXT, length)
    return kind(Kind.OTHER)


@cache
def field_kinds(entity: str) -> dict[str, FieldKind]:
    """The :class:`FieldKind` of every wire field of ``entity``, by name."""
    cls = ENTITIES[entity]
    table = cls.__table__  # type: ignore[attr-defined]
    return {name: _kind_of(name, table.c[name].type) for name in wire_fields(cls)}


# --- the values a push may carry (money, time, size) ---------------------------------------------------------


def has_nul(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` (text, or JSON: keys and values) holds a NUL character, which PostgreSQL cannot store."""
    if depth == 0 and not isinstance(value, str):
        try:  # the usual case, at once: JSON text spells a NUL character only as \u0000
            if b"\\u0000" not in orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS):
                return False
        except orjson.JSONEncodeError:
            pass  # nested too deep for orjson: the walk below decides
    if isinstance(value, str):
        return "\x00" in value
    if depth > 32:
        return False
    if isinstance(value, dict):
        return any(has_nul(k, depth + 1) or has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v, depth + 1) for v in value)
    return False


def shown(value: Any) -> str:
    """``value`` as a refusal's message quotes it: text as it is, anything else as JSON; at most 40 characters."""
    text = value if isinstance(value, str) else orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    return text if len(text) <= 40 else text[:37] + "…"


_PLAIN_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]*)?")
"""Digits, with at most one decimal point after the first: the usual wire amount, which every rule below
accepts when it has at most :data:`MAX_AMOUNT_CHARS` characters."""


def check_amount(value: Any) -> tuple[str, str] | None:
    """(code, message) when ``value`` is not a non-negative amount in wire form, else None."""
    if type(value) is str and len(value) <= MAX_AMOUNT_CHARS and _PLAIN_AMOUNT.fullmatch(value):
        return None  # what _amount_problem says of it, at once
    return _amount_problem(value)


def _amount_problem(value: Any) -> tuple[str, str] | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        kind = "a floating-point number" if isinstance(value, float) else f"JSON {type(value).__name__}"
        return "not_a_number", f'an amount travels as decimal text (e.g. "1500000.00"), not as {kind}'
    text = str(value).strip()
    if len(text) > MAX_AMOUNT_CHARS:
        return "too_large", f"the amount has more than {MAX_AMOUNT_CHARS} characters"
    try:
        amount = Money(Decimal(text)).amount  # the money rules: a finite Decimal
    except (InvalidOperation, ValueError, TypeError):
        return "not_a_number", AmountError("money.not_a_number", text=shown(value)).message("en")
    if amount < 0:
        return "negative_amount", AmountError("money.negative", text=text).message("en")
    exponent = amount.as_tuple().exponent
    if (
        amount.adjusted() >= MAX_AMOUNT_CHARS
        or (isinstance(exponent, int) and exponent < -MAX_AMOUNT_CHARS)
        or len(format(amount, "f")) > MAX_AMOUNT_CHARS
    ):  # 1e999999 is eight characters on the wire and a million in the column
        return "too_large", f"the amount {shown(value)} has more than {MAX_AMOUNT_CHARS} digits"
    return None


_UTC = UTCDateTime()


def _instant(value: str) -> datetime | None:
    """The timestamp as the column stores it and reads it back (aware, UTC): :func:`_round_trip`, at once for
    a naive ISO text — the wire form, already in UTC — whose round trip gives exactly its own value."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return _round_trip(value)


def _round_trip(value: str) -> datetime | None:
    return _UTC.process_result_value(_UTC.process_bind_param(value, None), None)


def check_value(entity: str, name: str, value: Any, now: datetime) -> tuple[str, str] | None:
    """(code, message) when the value breaks a money, time or size rule, else None."""
    found = field_kinds(entity).get(name)
    if found is None or value is None:
        return None  # unknown fields and nulls are apply's business (per-op rejections)
    kind = found.kind
    if kind is Kind.TEXT or kind is Kind.ENUM:  # the most common kind first; an unknown code is apply's
        limit = found.length or MAX_TEXT_CHARS
        if isinstance(value, str) and len(value) > limit:
            return "too_long", f"{name} has {len(value)} characters, more than {limit}"
        return None
    if kind is Kind.AMOUNT:
        return check_amount(value)
    if kind is Kind.INT:
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 0:
                return "negative_amount", f"{name} cannot be negative ({value})"
            if value > 2**31 - 1:
                return "too_large", f"{name} is larger than {2**31 - 1}"
        return None  # a wrong type is a per-op rejection
    if kind is Kind.CURRENCY:
        if not isinstance(value, str):
            return None
        try:
            code = Money(Decimal(0), value).currency
        except ValueError:
            code = ""
        if code != value:
            return (
                "bad_currency",
                f"{name} must be a 3-letter ISO 4217 code in capitals, not {shown(value)!r}",
            )
        return None
    if kind is Kind.TIMESTAMP:
        if not isinstance(value, str):
            return None
        try:
            when = _instant(value)
        except (ValueError, TypeError, OverflowError):  # 0001-01-01T00:00+08:00 is before year 1 in UTC
            return "bad_time", f"{name}: {shown(value)!r} is not an ISO 8601 timestamp"
        assert when is not None
        if when < EARLIEST:
            return "implausible_time", (
                f"{name} {value} is before {EARLIEST.year}: the laptop's clock is probably wrong"
            )
        if when > now + FUTURE_SLACK:
            return "implausible_time", (
                f"{name} {value} lies more than {FUTURE_SLACK.days} days after the server's clock: "
                "the laptop's clock is probably wrong"
            )
        return None
    if kind is Kind.DATE:
        if not isinstance(value, str):
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return "bad_date", f"{name}: {shown(value)!r} is not a date (YYYY-MM-DD)"
        latest = date(now.year + DATE_YEARS_AHEAD, 12, 31)
        if not EARLIEST_DATE <= day <= latest:
            return "implausible_date", f"{name} {value} is not between {EARLIEST_DATE} and {latest}"
        return None
    if kind is Kind.JSON:
        size = (
            len(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)) if isinstance(value, list | dict) else 0
        )
        if size > MAX_TEXT_CHARS:
            return "too_long", f"{name} holds {size} characters of JSON, more than {MAX_TEXT_CHARS}"
    return None


# --- the officer's actions ------------------------------------------------------------------------------------


def require(cond: bool, key: str, field: str | None = None, **params: Any) -> None:
    """Raise :class:`DomainError` (catalog ``key``, about ``field``) unless ``cond``."""
    if not cond:
        raise DomainError(Problem(key, params, field=field))


def non_negative(value: Decimal | None, field: str) -> None:
    """Raise :class:`DomainError` (``action.negative_amount``) for a negative amount; None is no amount."""
    if value is not None and value < 0:
        raise DomainError(Problem("action.negative_amount", {}, field=field))
