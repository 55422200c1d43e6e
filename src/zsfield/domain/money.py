"""Money, amounts as officers type them, exchange at recorded rates, investment bands (任务分解表).

Rules of the house: money is :class:`~decimal.Decimal`, never ``float`` (a float is refused with
``TypeError`` everywhere here); every amount carries its ISO 4217 currency; conversions use an explicit,
recorded rate and are rounded ``ROUND_HALF_UP`` to 2 decimal places, each amount on its own, so a total of
converted amounts reproduces exactly from the stored rows.

Refusals are :class:`AmountError` / :class:`CurrencyMismatchError` carrying a ``money.*`` catalog key and
its parameters, so the TUI, the CLI and the server can say what is wrong in either language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from enum import StrEnum

from zsfield.i18n import both, current_language, normalise_lang, t

__all__ = [
    "CURRENCIES",
    "MINOR_UNITS",
    "AmountError",
    "CurrencyMismatchError",
    "Money",
    "Rate",
    "Band",
    "BANDS_DESC",
    "quantize_amount",
    "sum_money",
    "parse_amount",
    "parse_money",
    "amount_message",
    "convert",
    "to_cny",
    "to_usd",
    "band_for",
    "band_min_cny",
    "format_cny",
    "format_usd_wan",
    "format_money",
]

#: The currencies officers meet, in the order a picker shows them.
CURRENCIES: tuple[str, ...] = ("CNY", "USD", "EUR", "JPY", "KRW", "HKD", "SGD", "GBP", "TWD", "ILS")
#: Decimal places of the minor unit where it is not 2 (for :meth:`Money.quantize_minor`).
MINOR_UNITS: dict[str, int] = {"JPY": 0, "KRW": 0}

_CODE_RE = re.compile(r"^[A-Z]{3}$")
_CENT = Decimal("0.01")
_WAN = Decimal(10_000)
_YI = Decimal(100_000_000)
_MILLION = Decimal(1_000_000)
_THOUSAND = Decimal(1_000)


# --------------------------------------------------------------------------------------------- errors
class AmountError(ValueError):
    """An amount that cannot be accepted; ``key`` is a ``money.*`` catalog key, ``params`` its parameters."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params: dict[str, object] = params
        super().__init__(key)

    def message(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: the current language)."""
        return t(self.key, lang, **self.params)

    def __str__(self) -> str:
        return both(self.key, **self.params)


class CurrencyMismatchError(AmountError):
    """Two amounts (or an amount and a rate) in different currencies were combined."""

    def __init__(self, left: str, right: str) -> None:
        super().__init__("money.currency_mismatch", left=left, right=right)


def _check_decimal(value: object, what: str) -> Decimal:
    """``value`` as a finite Decimal; ints are accepted, floats and bools refused with TypeError."""
    if isinstance(value, bool | float):
        raise TypeError(f"{what} must be Decimal (or int), not {type(value).__name__}")
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, Decimal):
        raise TypeError(f"{what} must be Decimal (or int), not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{what} must be finite, got {value}")
    return value


def _check_currency(code: str) -> str:
    norm = (code or "").strip().upper()
    if not _CODE_RE.match(norm):
        raise ValueError(f"currency must be a 3-letter ISO 4217 code, got {code!r}")
    return norm


def quantize_amount(value: Decimal, places: int = 2) -> Decimal:
    """``value`` rounded ``ROUND_HALF_UP`` to ``places`` decimal places (2.345 → 2.35, -2.345 → -2.35)."""
    value = _check_decimal(value, "amount")
    with localcontext() as ctx:
        ctx.prec = 60
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------- Money
@dataclass(frozen=True, slots=True)
class Money:
    """An amount with its currency (金额 + 币种). Immutable; arithmetic only within one currency.

    ``Money(Decimal("1.5"), "usd")`` stores the currency upper case. ``+``/``-`` with another Money of the
    same currency, ``*`` by a Decimal or int; mixing currencies raises :class:`CurrencyMismatchError`.
    Comparison (``<`` …) also requires the same currency. No rounding happens unless asked for.
    """

    amount: Decimal
    currency: str = "CNY"

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", _check_decimal(self.amount, "amount"))
        object.__setattr__(self, "currency", _check_currency(self.currency))

    @classmethod
    def zero(cls, currency: str = "CNY") -> Money:
        """0 in ``currency``."""
        return cls(Decimal(0), currency)

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"expected Money, got {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(self.currency, other.currency)
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, Money):
            raise TypeError("cannot multiply Money by Money")
        return Money(self.amount * _check_decimal(factor, "factor"), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def quantize(self, places: int = 2) -> Money:
        """Rounded ``ROUND_HALF_UP`` to ``places`` decimal places."""
        return Money(quantize_amount(self.amount, places), self.currency)

    def quantize_minor(self) -> Money:
        """Rounded ``ROUND_HALF_UP`` to the currency's minor unit (2 places; 0 for JPY, KRW)."""
        return self.quantize(MINOR_UNITS.get(self.currency, 2))

    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,}"


def sum_money(items: Iterable[Money], currency: str = "CNY") -> Money:
    """The sum of ``items``, all in ``currency`` (0 in ``currency`` when empty)."""
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total


# ------------------------------------------------------------------------------------------- parsing
# Multipliers of the units officers append to numbers. Chinese units combine a digit-place with 万/亿
# (3千万 = 30,000,000); Latin ones are case-insensitive: k = thousand, m / mn = million, b / bn = billion.
_UNITS: dict[str, Decimal] = {
    "万亿": Decimal(10) ** 12,
    "千亿": Decimal(10) ** 11,
    "百亿": Decimal(10) ** 10,
    "十亿": Decimal(10) ** 9,
    "亿": Decimal(10) ** 8,
    "千万": Decimal(10) ** 7,
    "百万": Decimal(10) ** 6,
    "十万": Decimal(10) ** 5,
    "万": Decimal(10) ** 4,
    "千": Decimal(10) ** 3,
    "billion": Decimal(10) ** 9,
    "bn": Decimal(10) ** 9,
    "b": Decimal(10) ** 9,
    "million": Decimal(10) ** 6,
    "mio": Decimal(10) ** 6,
    "mn": Decimal(10) ** 6,
    "m": Decimal(10) ** 6,
    "thousand": Decimal(10) ** 3,
    "k": Decimal(10) ** 3,
}
_UNIT_ALT = "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
_SEGMENT_RE = re.compile(rf"([0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+)({_UNIT_ALT})?")
_GROUPED_RE = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$")

# Currency markers, longest first within each group. Prefixes (symbols, codes, 人民币) and suffixes
# (codes, Chinese currency words) after the number and its unit.
_PREFIX_MARKERS: tuple[tuple[str, str], ...] = (
    ("人民币", "CNY"),
    ("hk$", "HKD"),
    ("us$", "USD"),
    ("nt$", "TWD"),
    ("s$", "SGD"),
    ("$", "USD"),
    ("¥", "CNY"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("₩", "KRW"),
    ("₪", "ILS"),
    ("rmb", "CNY"),
    *((c.lower(), c) for c in CURRENCIES),
)
_SUFFIX_MARKERS: tuple[tuple[str, str], ...] = tuple(
    sorted(
        (
            ("人民币", "CNY"),
            ("元人民币", "CNY"),
            ("元", "CNY"),
            ("圆", "CNY"),
            ("美元", "USD"),
            ("美金", "USD"),
            ("欧元", "EUR"),
            ("日元", "JPY"),
            ("日币", "JPY"),
            ("韩元", "KRW"),
            ("港元", "HKD"),
            ("港币", "HKD"),
            ("新加坡元", "SGD"),
            ("新元", "SGD"),
            ("英镑", "GBP"),
            ("新台币", "TWD"),
            ("台币", "TWD"),
            ("新谢克尔", "ILS"),
            ("谢克尔", "ILS"),
            ("rmb", "CNY"),
            *((c.lower(), c) for c in CURRENCIES),
        ),
        key=lambda pair: len(pair[0]),
        reverse=True,
    )
)
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\ufe63": "-"})


def _strip_markers(s: str) -> tuple[str, set[str]]:
    """``s`` without its currency markers, and the currencies they name."""
    named: set[str] = set()
    sign = ""
    if s[:1] in "+-":
        sign, s = s[0], s[1:]
    changed = True
    while changed:
        changed = False
        for marker, code in _PREFIX_MARKERS:
            if s.startswith(marker) and len(s) > len(marker):
                s, changed = s[len(marker) :], True
                named.add(code)
                break
        if s[:1] in "+-" and not sign:
            sign, s = s[0], s[1:]
            changed = True
    changed = True
    while changed:
        changed = False
        for marker, code in _SUFFIX_MARKERS:
            if s.endswith(marker) and len(s) > len(marker):
                s, changed = s[: -len(marker)], True
                named.add(code)
                break
    return sign + s, named


def _parse(text: str) -> tuple[Decimal, set[str]]:
    """The value of ``text`` and the currencies it names; raises :class:`AmountError`."""
    shown = (text or "").strip()
    s = unicodedata.normalize("NFKC", text or "").translate(_MINUS)
    s = "".join(s.split()).casefold()
    if not s:
        raise AmountError("money.empty")
    s, named = _strip_markers(s)
    sign = 1
    if s[:1] in "+-":
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    segments: list[tuple[str, str]] = []
    pos = 0
    while pos < len(s):
        m = _SEGMENT_RE.match(s, pos)
        if m is None:
            raise AmountError("money.not_a_number", text=shown)
        segments.append((m.group(1), m.group(2) or ""))
        pos = m.end()
    if not segments:
        raise AmountError("money.not_a_number", text=shown)
    # 1亿5000万: several segments, each with a unit, units strictly decreasing.
    if len(segments) > 1:
        if any(not unit for _, unit in segments):
            raise AmountError("money.not_a_number", text=shown)
        multipliers = [_UNITS[unit] for _, unit in segments]
        if any(a <= b for a, b in zip(multipliers, multipliers[1:], strict=False)):
            raise AmountError("money.unit_order", text=shown)
    total = Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 60
        for number, unit in segments:
            if "," in number and not _GROUPED_RE.match(number):
                raise AmountError("money.comma_grouping", text=shown)
            try:
                value = Decimal(number.replace(",", ""))
            except InvalidOperation:  # pragma: no cover - the regex admits only digits
                raise AmountError("money.not_a_number", text=shown) from None
            total += value * (_UNITS[unit] if unit else 1)
        total = sign * total
    return total, named


def _canonical(value: Decimal) -> Decimal:
    """``value`` without trailing fractional zeros and never in exponent form (150000000.0 → 150000000)."""
    if value == 0:
        return Decimal(0)
    norm = value.normalize()
    return norm.quantize(Decimal(1)) if norm.as_tuple().exponent > 0 else norm  # type: ignore[operator]


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def parse_money(
    text: str,
    default_currency: str = "CNY",
    *,
    allow_negative: bool = False,
    max_decimals: int = 2,
) -> Money:
    """Parse an amount as officers write it, with an optional currency marker, into :class:`Money`.

    Accepted (NFKC first, so full-width ``１２３`` and ``，`` work; spaces anywhere are ignored):

    - plain numbers ``1234.56``, with correct thousands commas ``1,234.56``;
    - Chinese units ``万`` ``亿`` ``万亿`` ``千`` and ``十/百/千`` + ``万/亿`` (``3千万``), combined from the
      largest down (``1亿5000万``); Latin units ``k``, ``m`` / ``mn`` / ``million``, ``b`` / ``bn`` /
      ``billion`` (case-insensitive);
    - currency markers: a prefix symbol or code (``¥`` ``$`` ``US$`` ``HK$`` ``€`` ``£`` ``₩`` ``₪``
      ``RMB`` ``USD`` … ``人民币``) and / or a suffix word or code (``元`` ``人民币`` ``美元`` ``欧元`` ``日元``
      ``韩元`` ``港元`` ``新加坡元`` ``英镑`` ``新台币`` ``谢克尔`` ``USD`` …). ``¥`` and ``元`` mean CNY.
      Without a marker the currency is ``default_currency``; pass ``default_currency=""`` to learn only
      the currency a text names (a text naming none then raises ``ValueError``).

    Raises :class:`AmountError` with key ``money.empty``, ``money.not_a_number``, ``money.comma_grouping``,
    ``money.unit_order``, ``money.currency_conflict`` (two different currencies named), ``money.negative``
    (unless ``allow_negative``) or ``money.too_many_decimals`` (more than ``max_decimals`` places after the
    unit is applied: ``1.234`` is refused, ``1.2345亿`` is 123,450,000 and fine).
    """
    value, named = _parse(text)
    shown = (text or "").strip()
    if len(named) > 1:
        raise AmountError("money.currency_conflict", text=shown, currencies="/".join(sorted(named)))
    currency = next(iter(named)) if named else _check_currency(default_currency)
    if value < 0 and not allow_negative:
        raise AmountError("money.negative", text=shown)
    value = _canonical(value)
    if _decimals(value) > max_decimals:
        raise AmountError("money.too_many_decimals", text=shown, max=max_decimals, got=_decimals(value))
    return Money(value, currency)


def parse_amount(
    text: str,
    *,
    currency: str | None = "CNY",
    allow_negative: bool = False,
    max_decimals: int = 2,
) -> Decimal:
    """Parse an amount as officers write it (``"1.5亿"``, ``"3000万"``, ``"2.5 亿元"``, ``"1,234.56"``,
    ``"１２３"``, ``"12k"``, ``"1.2M"``, ``"3bn"``) into a Decimal — see :func:`parse_money` for the grammar.

    The result has no trailing fractional zeros and no exponent (``"1.5亿"`` → ``Decimal("150000000")``).
    ``currency`` is the currency of the field: the text may name it (``"3000万元"`` for CNY) but naming
    another one (``"3000万美元"`` in a CNY field) raises ``money.wrong_currency``; pass ``None`` to accept
    any marker. Other errors as in :func:`parse_money`.
    """
    money = parse_money(
        text,
        default_currency=currency or "CNY",
        allow_negative=allow_negative,
        max_decimals=max_decimals,
    )
    if currency is not None and money.currency != _check_currency(currency):
        raise AmountError(
            "money.wrong_currency", text=(text or "").strip(), expected=currency.upper(), got=money.currency
        )
    return money.amount


def amount_message(
    text: str,
    lang: str | None = None,
    *,
    currency: str | None = "CNY",
    allow_negative: bool = False,
    max_decimals: int = 2,
) -> str | None:
    """None if :func:`parse_amount` accepts ``text``, else what is wrong and how to write it, in ``lang``."""
    try:
        parse_amount(text, currency=currency, allow_negative=allow_negative, max_decimals=max_decimals)
    except AmountError as exc:
        return exc.message(lang)
    return None


# ------------------------------------------------------------------------------------------ exchange
@dataclass(frozen=True, slots=True)
class Rate:
    """A recorded exchange rate (汇率): ``rate`` units of ``to_currency`` for 1 unit of ``from_currency``.

    Store it with the amount it converted (date and source, e.g. the PBOC central parity 人民银行中间价), so
    the converted figure can be reproduced exactly later.
    """

    from_currency: str
    to_currency: str
    rate: Decimal
    as_of: date | None = None
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "from_currency", _check_currency(self.from_currency))
        object.__setattr__(self, "to_currency", _check_currency(self.to_currency))
        object.__setattr__(self, "rate", _check_rate(self.rate))

    def apply(self, money: Money) -> Money:
        """``money`` converted at this rate (see :func:`convert`)."""
        return convert(money, self.to_currency, self)


def _check_rate(rate: object) -> Decimal:
    value = _check_decimal(rate, "rate")
    if value <= 0:
        raise AmountError("money.bad_rate", rate=str(value))
    return value


def convert(money: Money, to_currency: str, rate: Decimal | Rate) -> Money:
    """``money`` in ``to_currency`` at ``rate`` (units of ``to_currency`` per 1 of ``money.currency``).

    The result is ``money.amount × rate`` rounded ``ROUND_HALF_UP`` to 2 decimal places, computed with
    60 significant digits so nothing is lost before the one rounding. The same inputs always give the same
    cents, so totals of converted amounts reproduce exactly. A :class:`Rate` must be for this pair
    (``CurrencyMismatchError``); converting to the same currency needs rate 1. Rates must be > 0.
    """
    target = _check_currency(to_currency)
    if isinstance(rate, Rate):
        if rate.from_currency != money.currency:
            raise CurrencyMismatchError(money.currency, rate.from_currency)
        if rate.to_currency != target:
            raise CurrencyMismatchError(target, rate.to_currency)
        factor = rate.rate
    else:
        factor = _check_rate(rate)
    if money.currency == target and factor != 1:
        raise AmountError("money.bad_rate", rate=str(factor))
    with localcontext() as ctx:
        ctx.prec = 60
        amount = (money.amount * factor).quantize(_CENT, rounding=ROUND_HALF_UP)
    return Money(amount, target)


def to_cny(money: Money, rate_to_cny: Decimal | Rate) -> Money:
    """``money`` in CNY at the recorded rate (CNY per 1 unit of ``money.currency``); see :func:`convert`."""
    return convert(money, "CNY", rate_to_cny)


def to_usd(money: Money, rate_to_usd: Decimal | Rate) -> Money:
    """``money`` in USD at the recorded rate (USD per 1 unit of ``money.currency``); see :func:`convert`.

    Foreign capital received (到位外资) is reported in USD: convert each receipt at its own recorded rate
    and add the converted amounts.
    """
    return convert(money, "USD", rate_to_usd)


# ------------------------------------------------------------------------------------------- bands
class Band(StrEnum):
    """Investment band of the target breakdown (任务分解表): the highest threshold a project reaches.

    Thresholds in CNY, inclusive: 20亿, 10亿, 5亿, 3亿, 1亿, 0.5亿.
    """

    B20YI = "b20yi"
    B10YI = "b10yi"
    B5YI = "b5yi"
    B3YI = "b3yi"
    B1YI = "b1yi"
    B05YI = "b05yi"

    @property
    def min_cny(self) -> Decimal:
        """The inclusive lower edge of the band in CNY."""
        return _BAND_MIN[self]

    def label(self, lang: str | None = None) -> str:
        """``"20亿以上"`` / ``"≥ CNY 2bn"`` … in ``lang`` (default: the current language)."""
        return t(f"band.{self.value}", lang)


_BAND_MIN: dict[Band, Decimal] = {
    Band.B20YI: Decimal(2_000_000_000),
    Band.B10YI: Decimal(1_000_000_000),
    Band.B5YI: Decimal(500_000_000),
    Band.B3YI: Decimal(300_000_000),
    Band.B1YI: Decimal(100_000_000),
    Band.B05YI: Decimal(50_000_000),
}

#: Bands from the highest (20亿以上) to the lowest (0.5亿以上): the column order of 任务分解表.
BANDS_DESC: tuple[Band, ...] = (Band.B20YI, Band.B10YI, Band.B5YI, Band.B3YI, Band.B1YI, Band.B05YI)


def band_min_cny(band: Band) -> Decimal:
    """The inclusive lower edge of ``band`` in CNY (``Band.B1YI`` → 100,000,000)."""
    return _BAND_MIN[Band(band)]


def band_for(amount_cny: Decimal | Money | None) -> Band | None:
    """The highest band ``amount_cny`` reaches (edges inclusive), or None below 0.5亿 or when unknown.

    50,000,000 → ``B05YI``; 49,999,999.99 → None; 2,000,000,000 → ``B20YI``. A :class:`Money` must be CNY.
    """
    if amount_cny is None:
        return None
    if isinstance(amount_cny, Money):
        if amount_cny.currency != "CNY":
            raise CurrencyMismatchError("CNY", amount_cny.currency)
        amount_cny = amount_cny.amount
    value = _check_decimal(amount_cny, "amount_cny")
    for band in BANDS_DESC:
        if value >= _BAND_MIN[band]:
            return band
    return None


# ------------------------------------------------------------------------------------------ formatting
def _amount_of(amount: Decimal | Money, currency: str) -> Decimal:
    if isinstance(amount, Money):
        if amount.currency != currency:
            raise CurrencyMismatchError(currency, amount.currency)
        return amount.amount
    return _check_decimal(amount, "amount")


def _number(value: Decimal, places: int) -> str:
    """``value`` rounded half-up to ``places`` with thousands commas; never ``-0``."""
    q = quantize_amount(value, places)
    if q == 0:
        q = abs(q)
    return f"{q:,.{places}f}"


def _lang(lang: str | None) -> str:
    return (normalise_lang(lang) if lang else None) or current_language()


def format_cny(amount: Decimal | Money, lang: str | None = None) -> str:
    """An amount in CNY the way officers write it.

    The magnitude ``a = |amount|`` picks the unit; numbers are rounded ``ROUND_HALF_UP`` and both languages
    always carry the same precision:

    - ``a`` reaches 1亿 once rounded to whole 万 (``a ≥ 99,995,000``): 中文 in 亿 with 2 places
      (``12.50亿元``), English in millions with 0 places (``CNY 1,250M``) — precision CNY 1M;
    - else ``a`` reaches 1万 once rounded to cents: 中文 in 万 with 0 places (``3,000万元``), English in
      millions with 2 places (``CNY 30.00M``) — precision CNY 10k;
    - else in yuan with 2 places: ``5,000.00元`` / ``CNY 5,000.00``.

    So 99,995,000 shows as ``1.00亿元`` / ``CNY 100M`` rather than ``10,000万元``. A negative amount gets a
    leading ``-`` on the number.
    """
    value = _amount_of(amount, "CNY")
    sign = "-" if value < 0 else ""
    a = abs(value)
    zh = _lang(lang) == "zh"
    if quantize_amount(a / _WAN, 0) >= _WAN:
        key, number = "money.fmt.cny_large", (_number(a / _YI, 2) if zh else _number(a / _MILLION, 0))
    elif quantize_amount(a, 2) >= _WAN:
        key, number = "money.fmt.cny_medium", (_number(a / _WAN, 0) if zh else _number(a / _MILLION, 2))
    else:
        key, number = "money.fmt.cny_small", _number(a, 2)
    if sign and number.strip("0.,") == "":
        sign = ""
    return t(key, lang, value=sign + number)


def format_usd_wan(amount_usd: Decimal | Money, lang: str | None = None) -> str:
    """A USD amount in the unit of the foreign-capital reports (万美元 = USD 10k).

    中文: amount / 10,000 rounded ``ROUND_HALF_UP`` to 1 place → ``"1,234.5万美元"``;
    English: amount / 1,000 rounded to 0 places → ``"USD 12,345k"``. Both carry the precision of USD 1,000.
    """
    value = _amount_of(amount_usd, "USD")
    zh = _lang(lang) == "zh"
    number = _number(value / _WAN, 1) if zh else _number(value / _THOUSAND, 0)
    return t("money.fmt.usd_wan", lang, value=number)


def format_money(money: Money, lang: str | None = None) -> str:
    """Any amount as ``"USD 1,234.56"`` (minor-unit places: 0 for JPY / KRW, else 2), in both languages."""
    places = MINOR_UNITS.get(money.currency, 2)
    return t("money.fmt.plain", lang, currency=money.currency, value=_number(money.amount, places))
