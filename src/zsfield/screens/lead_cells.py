"""How the dashboard, the lead inbox and screening show a value in a table cell: clipped to a width in
terminal cells (CJK counts 2), source channels by label, estimated investments short."""

from __future__ import annotations

from decimal import Decimal

from rich.cells import cell_len
from rich.text import Text

from zsfield.domain.enums import SourceChannel
from zsfield.format import amount
from zsfield.i18n import current_language


def clip(text: str, cells: int) -> str:
    """``text`` cut to ``cells`` terminal cells, with an ellipsis when cut."""
    if cell_len(text) <= cells:
        return text
    out, used = [], 0
    for ch in text:
        w = cell_len(ch)
        if used + w > cells - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def channel_label(code: str) -> str:
    """The label of a source channel code (the code itself when unknown)."""
    try:
        return SourceChannel(code).label()
    except ValueError:
        return code


def estimate(value: Decimal | None, currency: str) -> Text:
    """An estimated investment, right-aligned and short: 亿元 / 万美元 the officers' way for CNY and USD;
    other currencies in 亿 / 万 (Chinese) or millions (English)."""
    if value is None or currency in ("CNY", "USD"):
        return Text(amount(value, currency), justify="right")
    if current_language() == "zh":
        if value >= 100_000_000:
            text = f"{value / 100_000_000:,.2f}亿 {currency}"
        else:
            text = f"{value / 10_000:,.0f}万 {currency}"
    else:
        text = f"{currency} {value / 1_000_000:,.2f}M"
    return Text(text, justify="right")
