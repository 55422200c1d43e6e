"""The project screen's fields per stage pane, how values show in them, and the pane widgets (bindings of
the tabs). Shared by the screen and its stage pane and tab modules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.containers import Grid, Vertical
from textual.widget import Widget

from zsfield.bindings import binding, localize
from zsfield.domain.enums import (
    MilestoneKind,
    Stage,
)
from zsfield.i18n import current_language, t

# (field, kind) per stage pane. Kinds: text, date, amount, decimal, int, credit_code (FormField);
# company (text, resolved to a company on save); select:<source>; check; milestone (a promised date).
PANES: dict[Stage, tuple[tuple[str, str], ...]] = {
    Stage.SCREENING: (
        ("name", "text"),
        ("company", "company"),
        ("source_channel", "select:channel"),
        ("industry", "text"),
        ("park_area", "select:park"),
        ("is_real_estate", "check"),
    ),
    Stage.NEGOTIATING: (
        ("owner_team_id", "select:team"),
        ("leader_id", "select:officer"),
        ("service_officer_id", "select:officer"),
        ("policy_asks", "text"),
        ("open_questions", "text"),
    ),
    Stage.INTENT_SIGNED: (("intent_signed_on", "date"), ("planned_investment", "amount")),
    Stage.CONTRACT_SIGNED: (
        ("contract_signed_on", "date"),
        ("total_investment", "amount"),
        ("total_investment_currency", "select:currency"),
        ("total_investment_rate", "decimal"),
        ("fixed_asset_investment", "amount"),
        ("registered_capital", "amount"),
        ("registered_capital_currency", "select:currency"),
        ("foreign_capital_contracted", "amount"),
        ("foreign_capital_currency", "select:currency"),
        ("foreign_capital_rate_usd", "decimal"),
        ("land_need_mu", "decimal"),
        ("committed_output", "amount"),
        ("committed_tax", "amount"),
        ("committed_jobs", "int"),
        *((f"milestone.{k.value}", "milestone") for k in MilestoneKind),
    ),
    Stage.REGISTERED: (
        ("registered_entity", "text"),
        ("credit_code", "credit_code"),
        ("registered_on", "date"),
    ),
    Stage.LAND_APPROVED: (
        ("land_parcel", "text"),
        ("land_area_mu", "decimal"),
        ("no_new_land", "check"),
        ("land_approval_doc", "text"),
        ("land_approved_on", "date"),
    ),
    Stage.PERMITS: (),
    Stage.CONSTRUCTION: (("construction_start_on", "date"), ("construction_progress", "text")),
    Stage.COMMISSIONING: (("equipment_readiness", "text"), ("completion_on", "date")),
    Stage.PRODUCTION: (("production_start_on", "date"), ("capacity", "text")),
    Stage.EFFECTIVE: (("actual_output", "amount"), ("actual_tax", "amount"), ("actual_jobs", "int")),
}

FIELD_STAGE: dict[str, Stage] = {name: stage for stage, fields in PANES.items() for name, _ in fields}
FIELD_STAGE.update({"company_id": Stage.SCREENING, "permits": Stage.PERMITS})
"""Which pane holds a field (refusals name fields; the first missing one is focused)."""

_LAZY_TABS: tuple[tuple[str, str], ...] = (
    ("tab-service", "detail.tab_service"),
    ("tab-milestones", "detail.tab_milestones"),
    ("tab-capital", "detail.tab_capital"),
    ("tab-contacts", "detail.tab_contacts"),
    ("tab-timeline", "detail.tab_timeline"),
)
"""The tabs built the first time they are shown (the stage tab is built with the screen)."""

_TAB_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "tab-service": (
        "#svc-table",
        ("svc.col_kind", "svc.col_title", "svc.col_responsible", "svc.col_due", "svc.col_state"),
    ),
    "tab-milestones": ("#ms-table", ("ms.col_kind", "ms.col_promised", "ms.col_actual", "ms.col_state")),
    "tab-capital": ("#cap-table", ("cap.col_date", "cap.col_amount", "cap.col_rate", "cap.col_usd")),
    "tab-contacts": (
        "#contact-table",
        ("contact.name", "contact.title_field", "contact.phone", "contact.email", "contact.wechat"),
    ),
}

_TEXT_COLUMNS = frozenset(
    {
        "name", "industry", "park_area", "policy_asks", "open_questions", "registered_entity", "land_parcel",
        "land_approval_doc", "construction_progress", "equipment_readiness", "capacity",
    }
)  # fmt: skip

_YI, _WAN = Decimal(100_000_000), Decimal(10_000)


def _plain(d: Decimal) -> str:
    s = format(d.normalize(), "f")
    return s


def amount_text(value: Decimal | None) -> str:
    """An amount as an officer would type it, and as the field parses it back (8亿, 3000万 / 800m, 1.2bn)."""
    if value is None:
        return ""
    if current_language() == "zh":
        for unit, word in ((_YI, "亿"), (_WAN, "万")):
            if value >= unit and (value / unit).as_tuple().exponent >= -4:  # type: ignore[operator]
                return _plain(value / unit) + word
        return _plain(value)
    for unit, word in ((Decimal(10**9), "bn"), (Decimal(10**6), "m"), (Decimal(1000), "k")):
        if value >= unit and (value / unit).normalize().as_tuple().exponent >= -3:  # type: ignore[operator]
            return _plain(value / unit) + word
    return _plain(value)


def _field_text(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == "amount":
        return amount_text(value)
    if kind in ("decimal",):
        return _plain(value)
    if kind == "date":
        return value.isoformat()
    return str(value)


def _widget_id(field: str) -> str:
    return "f-" + field.replace(".", "-")


def _label_key(field: str) -> str:
    return "detail.f." + field.replace(".", "_")


TIMELINE_PAGE = 15
"""Entries per page of the timeline tab: a screenful at 40 rows; the next pages load as it scrolls (or at once
while the list does not fill a taller terminal)."""

REST_AFTER = 0.25
"""Seconds after the project is shown when the tabs not yet opened are built (so that switching is instant)."""


class StagePane(Grid):
    """The fields of one stage, in a grid (two columns; one at narrow widths)."""

    def __init__(self, stage: Stage, *children: Widget) -> None:
        super().__init__(*children, id=f"pane-{stage.value}", classes="stage-pane")
        self.stage = stage


class _KeyedPane(Vertical):
    """A part of the screen with its own keys (descriptions are catalog keys, translated here)."""

    def __init__(self, *children: Widget, id: str | None = None) -> None:
        super().__init__(*children, id=id)
        localize(self)


class PermitChecklist(_KeyedPane):
    """证件办理: the permit items of the service plan; add one from the permit types, tick them off."""

    BINDINGS = [
        binding("permit_toggle", "space", "toggle_permit", "svc.key_toggle"),
    ]


class ServicePlanPane(_KeyedPane):
    """一套方案: the service items; add (n), assign (r), in progress (i), tick off (enter / d)."""

    BINDINGS = [
        binding("svc_add", "n", "screen.add_service_item", "svc.key_add"),
        binding("svc_assign", "r", "screen.assign_service_item", "svc.key_assign"),
        binding("svc_progress", "i", "screen.service_state('in_progress')", "svc.key_progress"),
        binding("svc_done", "d", "screen.toggle_service_item", "svc.key_done"),
    ]


class MilestonesPane(_KeyedPane):
    """履约: promised vs actual dates; enter sets them."""

    BINDINGS = [binding("ms_edit", "e", "screen.edit_milestone", "ms.key_edit")]


class CapitalPane(_KeyedPane):
    """外资: contracted vs received; the receipts; n adds one."""

    BINDINGS = [binding("cap_add", "n", "screen.add_receipt", "cap.key_add")]


class ContactsPane(_KeyedPane):
    """联系人: the project's contacts; n adds one."""

    BINDINGS = [binding("contact_add", "n", "screen.add_contact", "contact.key_add")]


class _Lbl:
    """A catalog reference as a Problem parameter (translated with the message)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def label(self, lang: str | None = None) -> str:
        return t(self.key, lang)


def _ready(w: Widget) -> bool:
    """A field that is mounted with its children (its input exists)."""
    return w.is_mounted and bool(w.children)


def _currencies() -> tuple[str, ...]:
    from zsfield.domain.money import CURRENCIES

    return CURRENCIES
