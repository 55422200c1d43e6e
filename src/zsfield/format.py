"""How values are shown to officers: amounts the way they write them, dates and times in their zone.

Shared by the TUI and the reports; no Textual here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from zsfield.clock import Clock
from zsfield.i18n import current_language, t


def amount_cny(value: Decimal | None, lang: str | None = None) -> str:
    """亿元 / 万元 in Chinese, CNY 100M units in English; '—' when unknown."""
    if value is None:
        return "—"
    from zsfield.domain.money import format_cny

    return format_cny(value, lang or current_language())


def amount_usd(value: Decimal | None, lang: str | None = None) -> str:
    """万美元 in Chinese, USD k in English; '—' when unknown."""
    if value is None:
        return "—"
    from zsfield.domain.money import format_usd_wan

    return format_usd_wan(value, lang or current_language())


def amount(value: Decimal | None, currency: str, lang: str | None = None) -> str:
    """An amount in its own currency (CNY and USD the officers' way; others plainly)."""
    if value is None:
        return "—"
    if currency == "CNY":
        return amount_cny(value, lang)
    if currency == "USD":
        return amount_usd(value, lang)
    return f"{currency} {value:,.2f}"


def day(value: date | None) -> str:
    return "—" if value is None else value.isoformat()


def local_time(value: datetime | None, tz: str, *, with_date: bool = True) -> str:
    """A stored UTC time shown in the officer's zone: ``2026-11-23 14:05``."""
    if value is None:
        return "—"
    local = Clock.local(value if value.tzinfo else value.replace(tzinfo=UTC), tz)
    return local.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def days_ago(value: datetime | date | None, now: datetime, lang: str | None = None) -> str:
    """'3天前' / '3 d ago'; '今天' / 'today'; '—' when never."""
    if value is None:
        return t("fmt.never", lang)
    d = value.date() if isinstance(value, datetime) else value
    n = (now.date() - d).days
    if n <= 0:
        return t("fmt.today", lang)
    return t("fmt.days_ago", lang, n=n)


def overdue_days(n: int, lang: str | None = None) -> str:
    return t("fmt.overdue_days", lang, n=n) if n > 0 else t("fmt.due_today", lang)
