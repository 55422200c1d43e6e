"""What every read module shares: the :class:`Page` of a paged list and the helpers that turn SQLite's column
text into Python values (and back, for bound parameters). No Textual here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from zsfield.domain.types import UTCDateTime

_UTC = UTCDateTime()


def ts_text(value: datetime) -> str:
    """``value`` as the UTC column text it is stored as (to compare with it in SQL)."""
    return _UTC.process_bind_param(value, None)  # type: ignore[return-value]


def as_dt(value: str | None) -> datetime | None:
    """A UTC timestamp column (aware)."""
    return None if not value else datetime.fromisoformat(value).replace(tzinfo=UTC)


def as_date(value: str | None) -> date | None:
    return None if not value else date.fromisoformat(value)


def as_dec(value: str | None) -> Decimal | None:
    return None if value in (None, "") else Decimal(value)


def like_pattern(term: str) -> str:
    """``%term%`` for ``LIKE … ESCAPE '\\'``, with the term's own ``%``, ``_`` and ``\\`` escaped."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def equal_clauses(alias: str, pairs: Iterable[tuple[str, Any]]) -> tuple[list[str], dict[str, Any]]:
    """``alias.column = :column`` for each (column, value) that has a value (an empty one narrows nothing)."""
    clauses, params = [], {}
    for column, value in pairs:
        if value:
            clauses.append(f"{alias}.{column} = :{column}")
            params[column] = str(value)
    return clauses, params


def in_clause(ids: Sequence[str]) -> tuple[str, dict[str, str]]:
    """Placeholders ``:id0, :id1, …`` for ``IN (…)`` and their parameters (``NULL`` for no ids)."""
    names = {f"id{i}": v for i, v in enumerate(ids)}
    return ", ".join(f":{k}" for k in names) or "NULL", names


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.rows) < self.total


def page_of(rows: Sequence[T], offset: int, limit: int) -> Page[T]:
    """A page of an in-memory list (for lists computed in Python)."""
    return Page(list(rows[offset : offset + limit]), len(rows), offset, limit)
