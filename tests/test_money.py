"""Money, amount parsing, exchange at recorded rates, investment bands and amount formatting."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zsfield.domain.money import (
    BANDS_DESC,
    CURRENCIES,
    AmountError,
    Band,
    CurrencyMismatchError,
    Money,
    Rate,
    amount_message,
    band_for,
    band_min_cny,
    convert,
    format_cny,
    format_money,
    format_usd_wan,
    parse_amount,
    parse_money,
    quantize_amount,
    sum_money,
    to_cny,
    to_usd,
)
from zsfield.i18n import CATALOG


# ---------------------------------------------------------------------------------------- Money
def test_decimal_arithmetic_is_exact() -> None:
    total = Money(D("0.1"), "CNY") + Money(D("0.2"), "CNY")
    assert total == Money(D("0.3"), "CNY")
    assert total.amount == D("0.3")


def test_money_normalises_currency_and_accepts_int() -> None:
    money = Money(5, " usd ")
    assert money.currency == "USD"
    assert money.amount == D(5) and isinstance(money.amount, D)
    assert Money(D("1")).currency == "CNY"


@pytest.mark.parametrize("amount", [0.1, 1.0, True])
def test_money_refuses_float_and_bool(amount: object) -> None:
    with pytest.raises(TypeError):
        Money(amount, "CNY")  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", [D("NaN"), D("Infinity")])
def test_money_refuses_non_finite(amount: D) -> None:
    with pytest.raises(ValueError):
        Money(amount, "CNY")


@pytest.mark.parametrize("currency", ["", "RMB1", "US", "¥", "usd$"])
def test_money_refuses_bad_currency(currency: str) -> None:
    with pytest.raises(ValueError):
        Money(D(1), currency)


def test_money_is_immutable() -> None:
    money = Money(D(1), "CNY")
    with pytest.raises(AttributeError):
        money.amount = D(2)  # type: ignore[misc]


def test_add_sub_neg_mul() -> None:
    a, b = Money(D("10.50"), "USD"), Money(D("0.25"), "USD")
    assert a + b == Money(D("10.75"), "USD")
    assert a - b == Money(D("10.25"), "USD")
    assert -b == Money(D("-0.25"), "USD")
    assert abs(-b) == b
    assert a * D("2") == Money(D("21.00"), "USD")
    assert 3 * b == Money(D("0.75"), "USD")
    assert a * D("0.1") == Money(D("1.050"), "USD")


def test_different_currencies_do_not_mix() -> None:
    cny, usd = Money(D(1), "CNY"), Money(D(1), "USD")
    with pytest.raises(CurrencyMismatchError) as info:
        cny + usd
    assert isinstance(info.value, ValueError)
    assert info.value.key == "money.currency_mismatch"
    assert "CNY" in info.value.message("en") and "USD" in info.value.message("en")
    with pytest.raises(CurrencyMismatchError):
        cny - usd
    with pytest.raises(CurrencyMismatchError):
        _ = cny < usd


def test_multiply_refuses_float_and_money() -> None:
    money = Money(D(1), "CNY")
    with pytest.raises(TypeError):
        money * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        money * money  # type: ignore[operator]
    with pytest.raises(TypeError):
        money + D(1)  # type: ignore[operator]


def test_comparisons() -> None:
    small, big = Money(D("1.00"), "EUR"), Money(D("2"), "EUR")
    assert small < big and small <= big and big > small and big >= small
    assert Money(D("1.0"), "EUR") == Money(D("1.00"), "EUR")
    assert Money(D("1"), "EUR") != Money(D("1"), "USD")


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        ("2.345", 2, "2.35"),
        ("2.344", 2, "2.34"),
        ("-2.345", 2, "-2.35"),
        ("2.5", 0, "3"),
        ("0.125", 2, "0.13"),
        ("1234.5", 2, "1234.50"),
    ],
)
def test_quantize_half_up(value: str, places: int, expected: str) -> None:
    assert str(quantize_amount(D(value), places)) == expected
    assert str(Money(D(value)).quantize(places).amount) == expected


def test_quantize_minor_units() -> None:
    assert Money(D("1234.5"), "JPY").quantize_minor().amount == D("1235")
    assert str(Money(D("1234.5"), "KRW").quantize_minor().amount) == "1235"
    assert str(Money(D("1.005"), "USD").quantize_minor().amount) == "1.01"


def test_sum_money() -> None:
    items = [Money(D("0.1"), "CNY")] * 10
    assert sum_money(items) == Money(D("1.0"), "CNY")
    assert sum_money([], "USD") == Money(D(0), "USD")
    with pytest.raises(CurrencyMismatchError):
        sum_money([Money(D(1), "USD")], "CNY")


def test_zero_and_str() -> None:
    assert Money.zero("hkd") == Money(D(0), "HKD")
    assert Money.zero().is_zero()
    assert str(Money(D("1234567.5"), "USD")) == "USD 1,234,567.5"


def test_currencies() -> None:
    assert CURRENCIES == ("CNY", "USD", "EUR", "JPY", "KRW", "HKD", "SGD", "GBP", "TWD", "ILS")
    for code in CURRENCIES:
        assert Money(D(1), code.lower()).currency == code


# -------------------------------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.5亿", "150000000"),
        ("3000万", "30000000"),
        ("1,234.56", "1234.56"),
        ("１２３", "123"),
        ("１，２３４．５", "1234.5"),
        ("2.5 亿元", "250000000"),
        ("2.5亿元人民币", "250000000"),
        ("人民币3000万元", "30000000"),
        ("¥3,000万", "30000000"),
        ("￥100", "100"),
        ("RMB 5m", "5000000"),
        ("CNY 1.2bn", "1200000000"),
        ("12k", "12000"),
        ("12K", "12000"),
        ("1.2M", "1200000"),
        ("1.2 mn", "1200000"),
        ("3bn", "3000000000"),
        ("3B", "3000000000"),
        ("2 billion", "2000000000"),
        ("1亿5000万", "150000000"),
        ("1亿 2千万元", "120000000"),
        ("3千万", "30000000"),
        ("5百万", "5000000"),
        ("1万亿", "1000000000000"),
        ("0.5亿", "50000000"),
        (".5亿", "50000000"),
        ("1.2345亿", "123450000"),
        ("0.001亿", "100000"),
        ("1.50", "1.5"),
        ("100.00", "100"),
        ("0", "0"),
        ("-0", "0"),
        ("+5", "5"),
        (" 42 ", "42"),
        ("1 234 567", "1234567"),
    ],
)
def test_parse_amount(text: str, expected: str) -> None:
    value = parse_amount(text)
    assert isinstance(value, D)
    assert value == D(expected)
    assert str(value) == expected  # canonical: no exponent, no trailing zeros
    assert amount_message(text, "zh") is None


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "money.empty"),
        ("   ", "money.empty"),
        ("abc", "money.not_a_number"),
        ("万", "money.not_a_number"),
        ("亿元", "money.not_a_number"),
        ("1.2.3", "money.not_a_number"),
        ("3亿5", "money.not_a_number"),
        ("1e6", "money.not_a_number"),
        ("12 apples", "money.not_a_number"),
        ("五百万", "money.not_a_number"),
        ("12,34", "money.comma_grouping"),
        ("1,2345", "money.comma_grouping"),
        (",123", "money.not_a_number"),
        ("5000万1亿", "money.unit_order"),
        ("1万1万", "money.unit_order"),
        ("-5", "money.negative"),
        ("−5万", "money.negative"),  # U+2212 minus sign
        ("－3亿", "money.negative"),  # full-width hyphen-minus
        ("1.234", "money.too_many_decimals"),
        ("0.001", "money.too_many_decimals"),
        ("3000万美元", "money.wrong_currency"),
        ("$12k", "money.wrong_currency"),
        ("$3000万元", "money.currency_conflict"),
    ],
)
def test_parse_amount_refusals(text: str, key: str) -> None:
    with pytest.raises(AmountError) as info:
        parse_amount(text)
    assert info.value.key == key
    assert isinstance(info.value, ValueError)
    assert key in CATALOG
    zh, en = info.value.message("zh"), info.value.message("en")
    assert "{" not in zh and "{" not in en
    assert amount_message(text, "en") == en
    assert zh in str(info.value) and en in str(info.value)


def test_refusals_carry_parameters() -> None:
    with pytest.raises(AmountError) as info:
        parse_amount("1.2345")
    assert info.value.params == {"text": "1.2345", "max": 2, "got": 4}
    with pytest.raises(AmountError) as info:
        parse_amount("3000万美元")
    assert info.value.params == {"text": "3000万美元", "expected": "CNY", "got": "USD"}


def test_not_a_number_message_shows_how_to_write_it() -> None:
    message = amount_message("abc", "zh")
    assert message is not None and "1.5亿" in message
    message = amount_message("abc", "en")
    assert message is not None and "1.5亿" in message


def test_parse_options() -> None:
    assert parse_amount("-5", allow_negative=True) == D(-5)
    assert parse_amount("-1.5亿", allow_negative=True) == D(-150000000)
    assert parse_amount("1.2345", max_decimals=4) == D("1.2345")
    assert parse_amount("3000万美元", currency="USD") == D(30000000)
    assert parse_amount("3000万美元", currency=None) == D(30000000)
    assert parse_amount("12k", currency="usd") == D(12000)
    assert amount_message("-5", "en", allow_negative=True) is None


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("3000万美元", "30000000", "USD"),
        ("US$1.5m", "1500000", "USD"),
        ("$250k", "250000", "USD"),
        ("HK$1.2m", "1200000", "HKD"),
        ("2000万港币", "20000000", "HKD"),
        ("S$800k", "800000", "SGD"),
        ("NT$3亿", "300000000", "TWD"),
        ("5000万新台币", "50000000", "TWD"),
        ("€5k", "5000", "EUR"),
        ("500万欧元", "5000000", "EUR"),
        ("3亿日元", "300000000", "JPY"),
        ("50억", None, None),  # Korean unit is not understood
        ("₩5bn", "5000000000", "KRW"),
        ("100亿韩元", "10000000000", "KRW"),
        ("£2m", "2000000", "GBP"),
        ("1000万英镑", "10000000", "GBP"),
        ("₪3m", "3000000", "ILS"),
        ("200万新谢克尔", "2000000", "ILS"),
        ("1000万新加坡元", "10000000", "SGD"),
        ("1.5亿元", "150000000", "CNY"),
        ("1.5亿", "150000000", "EUR"),  # no marker: the default currency
        ("eur 12k", "12000", "EUR"),
        ("12k JPY", "12000", "JPY"),
    ],
)
def test_parse_money_detects_currency(text: str, amount: str | None, currency: str | None) -> None:
    if amount is None:
        with pytest.raises(AmountError):
            parse_money(text)
        return
    assert parse_money(text, default_currency="EUR") == Money(D(amount), currency or "")


def test_parse_money_without_default_currency_needs_a_marker() -> None:
    assert parse_money("3000万美元", default_currency="") == Money(D(30_000_000), "USD")
    with pytest.raises(ValueError):
        parse_money("3000万", default_currency="")


@given(st.decimals(min_value=0, max_value=D("1e12"), places=2, allow_nan=False, allow_infinity=False))
def test_parse_round_trips_plain_and_grouped(value: D) -> None:
    assert parse_amount(str(value)) == value
    assert parse_amount(f"{value:,}") == value


# ------------------------------------------------------------------------------------- exchange
def test_convert_rounds_half_up_to_cents() -> None:
    # 0.50 × 7.13 = 3.565 → 3.57 (half-up; banker's rounding would give 3.56)
    assert to_cny(Money(D("0.50"), "USD"), D("7.13")) == Money(D("3.57"), "CNY")
    assert str(to_cny(Money(D("0.50"), "USD"), D("7.13")).amount) == "3.57"
    assert to_usd(Money(D("100"), "CNY"), D("0.138456")) == Money(D("13.85"), "USD")


def test_conversion_reproduces_totals_exactly() -> None:
    receipts = [
        (Money(D("1250000.00"), "EUR"), D("1.0842")),
        (Money(D("300000000"), "JPY"), D("0.006673")),
        (Money(D("987654.32"), "HKD"), D("0.12813")),
        (Money(D("5000000"), "CNY"), D("0.138221")),
    ]

    def total() -> Money:
        return sum_money((to_usd(m, r) for m, r in receipts), "USD")

    # 1,355,250.00 + 2,001,900.00 + 126,548.1540216 → 126,548.15 + 691,105.00
    assert [str(to_usd(m, r).amount) for m, r in receipts] == [
        "1355250.00",
        "2001900.00",
        "126548.15",
        "691105.00",
    ]
    first = total()
    assert first == total()  # same inputs, same cents
    assert str(first.amount) == "4174803.15"


def test_large_amounts_keep_precision() -> None:
    # 28-digit default Decimal precision would not be enough here; the conversion uses 60.
    money = Money(D("123456789012345678.99"), "CNY")
    exact = 12345678901234567899 * 1381234567  # in units of 10^-12
    cents, rest = divmod(exact, 10**10)
    cents += rest * 2 >= 10**10  # half-up
    assert to_usd(money, D("0.1381234567")).amount == D(cents).scaleb(-2)


def test_rate_object() -> None:
    rate = Rate("usd", "cny", D("7.1234"), as_of=date(2025, 3, 31), source="PBOC")
    assert rate.from_currency == "USD" and rate.to_currency == "CNY"
    assert rate.apply(Money(D("100"), "USD")) == Money(D("712.34"), "CNY")
    assert to_cny(Money(D("100"), "USD"), rate) == Money(D("712.34"), "CNY")
    assert convert(Money(D("100"), "USD"), "CNY", rate).amount == D("712.34")
    with pytest.raises(CurrencyMismatchError):
        to_cny(Money(D("100"), "EUR"), rate)
    with pytest.raises(CurrencyMismatchError):
        to_usd(Money(D("100"), "USD"), rate)


@pytest.mark.parametrize("rate", [D(0), D("-7.1"), 0])
def test_rate_must_be_positive(rate: D) -> None:
    with pytest.raises(AmountError) as info:
        to_cny(Money(D(1), "USD"), rate)
    assert info.value.key == "money.bad_rate"
    with pytest.raises(AmountError):
        Rate("USD", "CNY", rate)


def test_rate_refuses_float() -> None:
    with pytest.raises(TypeError):
        to_cny(Money(D(1), "USD"), 7.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Rate("USD", "CNY", 7.1)  # type: ignore[arg-type]


def test_same_currency_needs_rate_one() -> None:
    assert to_cny(Money(D("1.005"), "CNY"), D(1)) == Money(D("1.01"), "CNY")
    with pytest.raises(AmountError):
        to_cny(Money(D(1), "CNY"), D("7.1"))


# ----------------------------------------------------------------------------------------- bands
@pytest.mark.parametrize(
    ("amount", "band"),
    [
        ("49999999.99", None),
        ("50000000", Band.B05YI),
        ("99999999.99", Band.B05YI),
        ("100000000", Band.B1YI),
        ("299999999.99", Band.B1YI),
        ("300000000", Band.B3YI),
        ("499999999.99", Band.B3YI),
        ("500000000", Band.B5YI),
        ("999999999.99", Band.B5YI),
        ("1000000000", Band.B10YI),
        ("1999999999.99", Band.B10YI),
        ("2000000000", Band.B20YI),
        ("85000000000", Band.B20YI),
        ("0", None),
        ("-100000000", None),
    ],
)
def test_band_edges(amount: str, band: Band | None) -> None:
    assert band_for(D(amount)) is band


def test_band_for_unknown_money_and_float() -> None:
    assert band_for(None) is None
    assert band_for(Money(D("1.5e8"), "CNY")) is Band.B1YI
    assert band_for(parse_amount("20亿")) is Band.B20YI
    with pytest.raises(CurrencyMismatchError):
        band_for(Money(D("1e9"), "USD"))
    with pytest.raises(TypeError):
        band_for(2e9)  # type: ignore[arg-type]


def test_bands_order_values_and_edges() -> None:
    assert [b.value for b in BANDS_DESC] == ["b20yi", "b10yi", "b5yi", "b3yi", "b1yi", "b05yi"]
    assert set(BANDS_DESC) == set(Band)
    edges = [band_min_cny(b) for b in BANDS_DESC]
    assert edges == [
        D(2_000_000_000),
        D(1_000_000_000),
        D(500_000_000),
        D(300_000_000),
        D(100_000_000),
        D(50_000_000),
    ]
    assert edges == sorted(edges, reverse=True)
    assert Band("b1yi") is Band.B1YI and Band.B1YI == "b1yi"
    assert Band.B05YI.min_cny == D(50_000_000)
    assert band_min_cny("b3yi") == D(300_000_000)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("band", "zh", "en"),
    [
        (Band.B20YI, "20亿以上", "≥ CNY 2bn"),
        (Band.B10YI, "10亿以上", "≥ CNY 1bn"),
        (Band.B5YI, "5亿以上", "≥ CNY 500M"),
        (Band.B3YI, "3亿以上", "≥ CNY 300M"),
        (Band.B1YI, "1亿以上", "≥ CNY 100M"),
        (Band.B05YI, "0.5亿以上", "≥ CNY 50M"),
    ],
)
def test_band_labels(band: Band, zh: str, en: str) -> None:
    assert band.label("zh") == zh
    assert band.label("en") == en


@given(st.decimals(min_value=0, max_value=D("1e11"), places=2, allow_nan=False, allow_infinity=False))
def test_band_is_highest_edge_reached(amount: D) -> None:
    band = band_for(amount)
    reached = [b for b in BANDS_DESC if amount >= band_min_cny(b)]
    assert band == (reached[0] if reached else None)


# ------------------------------------------------------------------------------------ formatting
@pytest.mark.parametrize(
    ("amount", "zh", "en"),
    [
        ("1250000000", "12.50亿元", "CNY 1,250M"),
        ("150000000", "1.50亿元", "CNY 150M"),
        ("100000000", "1.00亿元", "CNY 100M"),
        ("123456789", "1.23亿元", "CNY 123M"),
        ("125000000000", "1,250.00亿元", "CNY 125,000M"),
        ("99995000", "1.00亿元", "CNY 100M"),  # rounds up into 亿, never "10,000万元"
        ("99994999", "9,999万元", "CNY 99.99M"),
        ("30000000", "3,000万元", "CNY 30.00M"),
        ("12345678", "1,235万元", "CNY 12.35M"),
        ("500000", "50万元", "CNY 0.50M"),
        ("10000", "1万元", "CNY 0.01M"),
        ("9999.995", "1万元", "CNY 0.01M"),
        ("5000", "5,000.00元", "CNY 5,000.00"),
        ("0", "0.00元", "CNY 0.00"),
        ("-30000000", "-3,000万元", "CNY -30.00M"),
        ("-0.001", "0.00元", "CNY 0.00"),
    ],
)
def test_format_cny(amount: str, zh: str, en: str) -> None:
    assert format_cny(D(amount), "zh") == zh
    assert format_cny(D(amount), "en") == en


def test_format_cny_accepts_cny_money_only() -> None:
    assert format_cny(Money(D("3e7"), "CNY"), "zh") == "3,000万元"
    with pytest.raises(CurrencyMismatchError):
        format_cny(Money(D(1), "USD"), "zh")
    with pytest.raises(TypeError):
        format_cny(1.5e8, "zh")  # type: ignore[arg-type]


@given(st.decimals(min_value=0, max_value=D("1e13"), places=2, allow_nan=False, allow_infinity=False))
def test_format_cny_same_precision_in_both_languages(amount: D) -> None:
    zh, en = format_cny(amount, "zh"), format_cny(amount, "en")
    if zh.endswith("亿元"):
        assert D(zh[:-2].replace(",", "")) * 100 == D(en[4:-1].replace(",", ""))
    elif zh.endswith("万元"):
        assert D(zh[:-2].replace(",", "")) == D(en[4:-1].replace(",", "")) * 100
    else:
        assert zh[:-1] == en[4:]


@pytest.mark.parametrize(
    ("amount", "zh", "en"),
    [
        ("12345000", "1,234.5万美元", "USD 12,345k"),
        ("12345500", "1,234.6万美元", "USD 12,346k"),  # half-up in both
        ("50000", "5.0万美元", "USD 50k"),
        ("0", "0.0万美元", "USD 0k"),
        ("1000000000", "100,000.0万美元", "USD 1,000,000k"),
    ],
)
def test_format_usd_wan(amount: str, zh: str, en: str) -> None:
    assert format_usd_wan(D(amount), "zh") == zh
    assert format_usd_wan(Money(D(amount), "USD"), "en") == en


def test_format_usd_wan_refuses_other_currency() -> None:
    with pytest.raises(CurrencyMismatchError):
        format_usd_wan(Money(D(1), "CNY"), "zh")


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(D("1234.5"), "USD"), "USD 1,234.50"),
        (Money(D("1234.5"), "JPY"), "JPY 1,235"),
        (Money(D("-0.004"), "EUR"), "EUR 0.00"),
    ],
)
def test_format_money(money: Money, text: str) -> None:
    assert format_money(money, "zh") == text
    assert format_money(money, "en") == text


def test_format_uses_current_language_by_default() -> None:
    from zsfield import i18n

    before = i18n.current_language()
    try:
        i18n.set_language("zh")
        assert format_cny(D("3e7")) == "3,000万元"
        assert Band.B1YI.label() == "1亿以上"
        i18n.set_language("en")
        assert format_cny(D("3e7")) == "CNY 30.00M"
        assert format_usd_wan(D("12345000")) == "USD 12,345k"
    finally:
        i18n.set_language(before)
