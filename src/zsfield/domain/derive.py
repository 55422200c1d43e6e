"""Values derived from a record's own fields, one rule for the laptop and the server: a project's CNY total and
investment band (``total_investment_cny``, ``band``), and the moment a timeline entry touches its project or
lead ('last touched').

The laptop's writer keeps its local columns with these (local edits and pulled changes alike); the server
derives a pushed project's columns with the same function, so both hold the same values.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from zsfield.domain.enums import NOT_A_TOUCH_NOTE_KINDS
from zsfield.domain.money import band_for


def derive_project(values: dict[str, Any]) -> dict[str, Any]:
    """The derived columns of a project (CNY total and investment band) from its wire-or-Python values."""

    def dec(v: Any) -> Decimal | None:
        return None if v in (None, "") else Decimal(str(v))

    amount = dec(values.get("total_investment")) or dec(values.get("planned_investment"))
    currency = values.get("total_investment_currency") or "CNY"
    rate = dec(values.get("total_investment_rate"))
    cny: Decimal | None
    if amount is None:
        cny = None
    elif currency == "CNY":
        cny = amount
    elif rate is not None:
        cny = (amount * rate).quantize(Decimal("0.01"))
    else:
        cny = None  # a foreign amount without its rate has no CNY value yet
    band = band_for(cny) if cny is not None else None
    return {"total_investment_cny": cny, "band": band.value if band is not None else None}


def wire_derived(values: dict[str, Any]) -> dict[str, Any]:
    """:func:`derive_project` in wire (and column) form: the CNY total as decimal text."""
    d = derive_project(values)
    cny = d["total_investment_cny"]
    return {"total_investment_cny": None if cny is None else format(cny, "f"), "band": d["band"]}


def entry_time(entity: str, values: dict[str, Any]) -> Any:
    """The moment a timeline entry counts for 'last touched' (its own time, else its creation); None for an
    entry that is not a touch (a supervision note, a reason asked or given: see NOT_A_TOUCH_NOTE_KINDS)."""
    if entity == "note" and values.get("kind") in NOT_A_TOUCH_NOTE_KINDS:
        return None
    for key in ("occurred_at", "at", "created_at"):
        if values.get(key) is not None:
            return values[key]
    return None
