"""The app's notion of now, so that tests and snapshots can freeze time (no Textual here)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


class Clock:
    """Real time. ``now()`` is aware UTC; ``today(tz)`` is the calendar date where the officer is."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self, tz: str = "Asia/Shanghai") -> date:
        return self.local(self.now(), tz).date()

    @staticmethod
    def local(value: datetime, tz: str = "Asia/Shanghai") -> datetime:
        try:
            zone = ZoneInfo(tz)
        except (KeyError, ValueError):
            zone = ZoneInfo("Asia/Shanghai")
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(zone)


class FrozenClock(Clock):
    """A clock stopped at one instant (tests, snapshots, benchmarks)."""

    def __init__(self, at: datetime) -> None:
        self.at = at if at.tzinfo else at.replace(tzinfo=UTC)

    def now(self) -> datetime:
        return self.at
