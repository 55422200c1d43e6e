"""Periods and 序时进度 on fixed dates; band edges as the targets count them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from zsfield.reports import periods
from zsfield.reports.errors import ReportError


@pytest.mark.parametrize(
    ("as_of", "elapsed", "days"),
    [
        (date(2026, 1, 1), 1, 365),
        (date(2026, 6, 30), 181, 365),
        (date(2026, 12, 31), 365, 365),
        (date(2028, 1, 1), 1, 366),
        (date(2028, 2, 29), 60, 366),
        (date(2028, 6, 30), 182, 366),
        (date(2028, 12, 31), 366, 366),
    ],
)
def test_share_of_the_year_counts_the_as_of_day(as_of: date, elapsed: int, days: int) -> None:
    year = as_of.year
    assert periods.elapsed_days(year, as_of) == elapsed
    assert periods.days_in_year(year) == days
    assert periods.year_share(year, as_of) == Decimal(elapsed) / Decimal(days)


def test_share_before_and_after_the_year() -> None:
    assert periods.year_share(2026, date(2025, 12, 31)) == 0
    assert periods.year_share(2026, date(2027, 1, 1)) == 1


def test_pro_rata_and_gap_in_percentage_points() -> None:
    # target 12 on 30 June 2026: 12 × 181/365 = 5.950…; 6 signed = 50 % done, 49.589 % elapsed
    assert periods.pro_rata(12, 2026, date(2026, 6, 30)).quantize(Decimal("0.001")) == Decimal("5.951")
    gap = periods.gap_pp(6, 12, 2026, date(2026, 6, 30))
    assert gap is not None and gap.quantize(Decimal("0.01")) == Decimal("0.41")
    # 31 December: the whole target is due; 1 January: almost nothing
    assert periods.pro_rata(12, 2026, date(2026, 12, 31)) == 12
    assert periods.gap_pp(12, 12, 2026, date(2026, 12, 31)) == 0
    assert periods.pro_rata(365, 2026, date(2026, 1, 1)) == 1
    # leap year: 30 June is day 182 of 366
    assert periods.pro_rata(366, 2028, date(2028, 6, 30)) == 182
    assert periods.gap_pp(0, 0, 2026, date(2026, 6, 30)) is None


def test_months_and_weeks() -> None:
    m = periods.parse_month("2026-02")
    assert (m.start, m.end, m.code) == (date(2026, 2, 1), date(2026, 2, 28), "2026-02")
    assert periods.parse_month("2028年2月").end == date(2028, 2, 29)
    w = periods.parse_week("2026-W47")
    assert (w.start, w.end, w.code) == (date(2026, 11, 16), date(2026, 11, 22), "2026-W47")
    assert periods.week_of(date(2026, 11, 23)).code == "2026-W48"
    assert periods.week_of(date(2027, 1, 1)).code == "2026-W53"
    assert periods.previous_month(date(2026, 1, 15)).code == "2025-12"
    assert m.clipped(date(2026, 2, 10)).end == date(2026, 2, 10)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-11", "November", "", "2026-11-01"])
def test_bad_months_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(ReportError) as err:
        periods.parse_month(text)
    assert err.value.key == "rep.bad_month"
    assert "2026-11" in err.value.message("en")


@pytest.mark.parametrize("text", ["2026-W54", "2026-W00", "2026-47", "W47"])
def test_bad_weeks_are_refused(text: str) -> None:
    with pytest.raises(ReportError) as err:
        periods.parse_week(text)
    assert err.value.key == "rep.bad_week"


def test_band_edges_as_targets_count_them() -> None:
    """A project counts in the highest band it reaches; the edges are inclusive; below 0.5亿 none."""
    from dataclasses import replace

    from test_reports_ranking import facts
    from zsfield.reports.targets import TargetLine, progress

    amounts = {
        "a": ("2000000000", "b20yi"),
        "b": ("1999999999.99", "b10yi"),
        "c": ("1000000000", "b10yi"),
        "d": ("500000000", "b5yi"),
        "e": ("300000000", "b3yi"),
        "f": ("100000000", "b1yi"),
        "g": ("50000000", "b05yi"),
        "h": ("49999999.99", None),
    }
    from zsfield.domain.money import band_for

    projects = []
    for key, (amount, band) in amounts.items():
        got = band_for(Decimal(amount))
        assert (got.value if got else None) == band
        projects.append(
            replace(facts(key, "T1", intent=date(2026, 3, 1)), investment_cny=Decimal(amount), band=band)
        )
    line = TargetLine(
        2026, "team", "T1", "一部", {b: 1 for b in ("b20yi", "b10yi", "b5yi", "b3yi", "b1yi", "b05yi")}
    )
    report = progress([line], projects, 2026, date(2026, 12, 31))
    owner = report.owners[0]
    assert {b.band: b.actual for b in owner.bands} == {
        "b20yi": 1,
        "b10yi": 2,
        "b5yi": 1,
        "b3yi": 1,
        "b1yi": 1,
        "b05yi": 1,
    }
    assert owner.actual_total == 7  # 49,999,999.99 is in no band
