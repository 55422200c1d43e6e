"""Column types and small value helpers shared by the tables: UTC datetimes, exact decimals, ids."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.types import TypeDecorator


def new_id() -> str:
    """A client-generated UUID (DESIGN: IDs are client-generated UUIDs)."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """Now, timezone-aware in UTC. Times are stored in UTC and shown in the officer's time zone."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A datetime in UTC; a naive one is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as ISO-8601 text in UTC (``2026-11-23T08:00:00.000000``), read back timezone-aware.

    Text rather than the dialect's DateTime so that SQLite and PostgreSQL sort and compare identically and the
    wire format and the column format are the same string.
    """

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return as_utc(value).replace(tzinfo=None).isoformat(timespec="microseconds")

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return datetime.fromisoformat(value).replace(tzinfo=UTC)


class DecimalText(TypeDecorator[Decimal]):
    """An exact ``Decimal`` stored as its canonical text: money is never a float (DESIGN: Money is Decimal)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            try:
                value = Decimal(str(value))
            except InvalidOperation as exc:
                raise ValueError(f"not a decimal amount: {value!r}") from exc
        return format(value, "f")

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


class ISODate(TypeDecorator[date]):
    """A calendar date stored as ``YYYY-MM-DD`` text (same on SQLite, PostgreSQL and the wire)."""

    impl = String(10)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return value.isoformat()

    def process_result_value(self, value: Any, dialect: Any) -> date | None:
        return None if value is None else date.fromisoformat(value)


LongText = Text


class EnumText(TypeDecorator[Any]):
    """A ``StrEnum`` stored as its value (the stable wire code), not its Python name."""

    impl = String(24)
    cache_ok = True

    def __init__(self, enum_cls: type, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enum_cls = enum_cls

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return self.enum_cls(value).value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else self.enum_cls(value)
