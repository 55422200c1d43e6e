"""Report periods (months, ISO weeks, years) and the share of the year elapsed (序时进度).

序时进度 — the pro-rata share of a year's target that should be done by a date — is defined here, once:

    share(as_of) = elapsed days / days in the year
    elapsed days = (as_of − 1 January).days + 1        (the as-of day itself counts as elapsed)

so the share is counted at the *end* of the as-of day: 1 January → 1/365, 30 June → 181/365
(182/366 in a leap year), 31 December → 365/365 = 1. A date before the year gives 0, after it 1.
The pro-rata count of a target is ``target × share``; the gap (in percentage points) is
``actual / target × 100 − share × 100``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from zsfield.reports import ZONE_TZ
from zsfield.reports.errors import ReportError

PeriodKind = Literal["month", "week", "year", "range"]

_MONTH_RE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")
_WEEK_RE = re.compile(r"^\s*(\d{4})\s*-?\s*[Ww]\s*(\d{1,2})\s*$")
_DATE_RE = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*$")


@dataclass(frozen=True)
class Period:
    """A span of whole days, both ends included (``start`` … ``end``)."""

    kind: PeriodKind
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def code(self) -> str:
        """``2026-11`` for a month, ``2026-W47`` for an ISO week, ``2026`` for a year, else ``start_end``."""
        if self.kind == "month":
            return f"{self.start.year:04d}-{self.start.month:02d}"
        if self.kind == "week":
            y, w, _ = self.start.isocalendar()
            return f"{y:04d}-W{w:02d}"
        if self.kind == "year":
            return f"{self.start.year:04d}"
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    def clipped(self, as_of: date) -> Period:
        """This period cut at ``as_of`` (a month in progress counts up to today); unchanged if it ended."""
        if as_of >= self.end:
            return self
        if as_of < self.start:
            raise ReportError("rep.period_in_future", period=self.code, as_of=as_of.isoformat())
        return Period(self.kind, self.start, as_of)


def month(year: int, month_no: int) -> Period:
    """The calendar month ``year``-``month_no``."""
    if not 1 <= month_no <= 12:
        raise ReportError("rep.bad_month", text=f"{year}-{month_no}")
    last = calendar.monthrange(year, month_no)[1]
    return Period("month", date(year, month_no, 1), date(year, month_no, last))


def year(year_no: int) -> Period:
    return Period("year", date(year_no, 1, 1), date(year_no, 12, 31))


def iso_week(iso_year: int, week_no: int) -> Period:
    """ISO week ``week_no`` of ``iso_year`` (Monday … Sunday)."""
    try:
        monday = date.fromisocalendar(iso_year, week_no, 1)
    except ValueError:
        raise ReportError("rep.bad_week", text=f"{iso_year}-W{week_no:02d}") from None
    return Period("week", monday, monday + timedelta(days=6))


def week_of(day: date) -> Period:
    """The ISO week (Monday … Sunday) that contains ``day``."""
    monday = day - timedelta(days=day.weekday())
    return Period("week", monday, monday + timedelta(days=6))


def month_of(day: date) -> Period:
    return month(day.year, day.month)


def previous_month(day: date) -> Period:
    first = day.replace(day=1) - timedelta(days=1)
    return month(first.year, first.month)


def parse_month(text: str) -> Period:
    """``2026-11`` (also ``2026/11``, ``2026.11``, ``2026年11月``) → that month. Raises ``rep.bad_month``."""
    m = _MONTH_RE.match(text or "")
    if not m:
        raise ReportError("rep.bad_month", text=(text or "").strip())
    y, mo = int(m.group(1)), int(m.group(2))
    if not 1 <= mo <= 12 or y < 1900:
        raise ReportError("rep.bad_month", text=text.strip())
    return month(y, mo)


def parse_week(text: str) -> Period:
    """``2026-W47`` (also ``2026W47``, ``2026-w47``) → that ISO week. Raises ``rep.bad_week``."""
    m = _WEEK_RE.match(text or "")
    if not m:
        raise ReportError("rep.bad_week", text=(text or "").strip())
    return iso_week(int(m.group(1)), int(m.group(2)))


def parse_day(text: str) -> date:
    """``2026-11-23`` (also with ``/`` or ``.``) → the date. Raises ``rep.bad_date``."""
    m = _DATE_RE.match(text or "")
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    raise ReportError("rep.bad_date", text=(text or "").strip())


def parse_year(text: str | int) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise ReportError("rep.bad_year", text=str(text).strip()) from None
    if not 1900 <= value <= 9999:
        raise ReportError("rep.bad_year", text=str(text).strip())
    return value


# --- 序时进度 -------------------------------------------------------------------------------------------------


def days_in_year(year_no: int) -> int:
    return 366 if calendar.isleap(year_no) else 365


def elapsed_days(year_no: int, as_of: date) -> int:
    """Days of ``year_no`` elapsed at the end of ``as_of`` (0 before the year, all of it after)."""
    if as_of.year < year_no:
        return 0
    if as_of.year > year_no:
        return days_in_year(year_no)
    return (as_of - date(year_no, 1, 1)).days + 1


def year_share(year_no: int, as_of: date) -> Decimal:
    """The share of ``year_no`` elapsed at the end of ``as_of`` (0 … 1), exact to 28 digits."""
    return Decimal(elapsed_days(year_no, as_of)) / Decimal(days_in_year(year_no))


def pro_rata(target: int | Decimal, year_no: int, as_of: date) -> Decimal:
    """序时进度 count: ``target × share``; compare an actual count against it."""
    return Decimal(target) * year_share(year_no, as_of)


def completion_pct(actual: int | Decimal, target: int | Decimal) -> Decimal | None:
    """``actual / target × 100`` (None when there is no target)."""
    if not target:
        return None
    return Decimal(actual) * 100 / Decimal(target)


def gap_pp(actual: int | Decimal, target: int | Decimal, year_no: int, as_of: date) -> Decimal | None:
    """Completion minus the share of the year elapsed, in percentage points (negative: behind)."""
    pct = completion_pct(actual, target)
    if pct is None:
        return None
    return pct - year_share(year_no, as_of) * 100


# --- day boundaries ---------------------------------------------------------------------------------------------


def end_of_day_utc(day: date, tz: str = ZONE_TZ) -> datetime:
    """The first instant after ``day`` ends in ``tz``, in UTC: entries strictly before it belong to ``day``."""
    local = datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC)


def start_of_day_utc(day: date, tz: str = ZONE_TZ) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def local_date(value: datetime, tz: str = ZONE_TZ) -> date:
    """The calendar date of a UTC instant in ``tz``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(tz)).date()


def months_of_year(year_no: int) -> list[Period]:
    return [month(year_no, m) for m in range(1, 13)]
