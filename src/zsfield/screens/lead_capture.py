"""Quick capture of a lead (线索录入), keyboard only, in under 30 seconds.

Tab order is the fastest path: company (duplicate candidates appear while typing; ↓ enter links one) →
title (defaults to the company) → source channel → estimated investment (1.5亿, 3000万, 12M …) → currency →
industry (→ accepts the suggestion) → contact → phone → note. Enter moves to the next field; enter in the
note, F10 or the Save button saves. Refusals appear under their field and nothing typed is lost; escape
with changes asks first. Dismisses with the new lead's id (None when cancelled).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Select, Static

from zsfield.bindings import binding
from zsfield.domain.enums import INDUSTRIES, SourceChannel
from zsfield.domain.money import CURRENCIES
from zsfield.i18n import t
from zsfield.screens.base import ZsModal
from zsfield.widgets.company_picker import CompanyPicker
from zsfield.widgets.fields import FormField
from zsfield.widgets.worker_results import while_shown

_PHONE_RE = re.compile(r"^[0-9+\-() ./]*$")

DEFAULT_CHANNEL = SourceChannel.STATIONED
"""The channel most leads of stationed officers come through (驻点招商); one key away from any other."""


class LeadCaptureModal(ZsModal):
    """The quick-capture form. ``dismiss`` result: the new lead's id, or None."""

    CSS_PATH = "lead_capture.tcss"

    BINDINGS = [
        binding("capture_save", "f10", "save", "capture.key_save"),
        binding("capture_cancel", "escape", "cancel", "key.cancel"),
    ]

    def __init__(self, *, company: str = "") -> None:
        super().__init__()
        self._initial_company = company
        self._saving = False

    # --- layout ------------------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        me = getattr(self.app, "me", None)
        with Vertical(classes="dialog", id="capture-box"):
            yield Static(t("capture.title"), classes="dialog-title")
            with VerticalScroll(id="capture-form"):
                yield CompanyPicker(
                    "capture.company",
                    value=self._initial_company,
                    placeholder_key="capture.company_placeholder",
                    my_team_id=me.team_id if me else None,
                    id="capture-company",
                )
                yield FormField(
                    "capture.lead_title", placeholder_key="capture.title_placeholder", id="capture-title"
                )
                with Horizontal(classes="capture-row"):
                    with Vertical(classes="capture-cell", id="capture-source-cell"):
                        yield Label(t("capture.source"))
                        yield Select(
                            [(c.label(), c.value) for c in SourceChannel],
                            value=DEFAULT_CHANNEL.value,
                            allow_blank=False,
                            id="capture-source",
                        )
                    yield FormField(
                        "capture.amount",
                        kind="amount",
                        placeholder_key="capture.amount_placeholder",
                        id="capture-amount",
                    )
                    with Vertical(classes="capture-cell", id="capture-currency-cell"):
                        yield Label(t("capture.currency"))
                        yield Select(
                            [(c, c) for c in CURRENCIES],
                            value="CNY",
                            allow_blank=False,
                            id="capture-currency",
                        )
                with Horizontal(classes="capture-row"):
                    yield FormField(
                        "capture.industry",
                        placeholder_key="capture.industry_placeholder",
                        id="capture-industry",
                    )
                    yield FormField("capture.contact", id="capture-contact")
                    yield FormField("capture.phone", id="capture-phone")
                yield FormField("capture.note", placeholder_key="capture.note_placeholder", id="capture-note")
            yield Static(t("capture.keys_hint"), classes="muted", id="capture-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("key.cancel") + " (Esc)", id="capture-cancel-btn")
                yield Button(t("capture.save_button"), id="capture-save-btn", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#capture-industry", FormField).input.suggester = SuggestFromList(
            INDUSTRIES, case_sensitive=False
        )
        self.picker.input.focus()

    # --- parts -------------------------------------------------------------------------------------------------

    @property
    def picker(self) -> CompanyPicker:
        return self.query_one("#capture-company", CompanyPicker)

    def _field(self, name: str) -> FormField:
        return self.query_one(f"#capture-{name}", FormField)

    def _select(self, name: str) -> Select[Any]:
        return self.query_one(f"#capture-{name}", Select)

    @property
    def dirty(self) -> bool:
        """Whether anything was typed or chosen (escape then asks before throwing it away)."""
        if self.picker.dirty:
            return True
        if any(f.dirty for f in self.query(FormField)):
            return True
        return (
            self._select("source").value != DEFAULT_CHANNEL.value or self._select("currency").value != "CNY"
        )

    def has_unsaved_changes(self) -> bool:
        """Asked by the app before quitting (ctrl+q asks first when this is true)."""
        return self.dirty

    # --- live behaviour ----------------------------------------------------------------------------------------

    @on(Input.Changed, "#capture-company Input")
    def _company_typed(self, event: Input.Changed) -> None:
        self._title_placeholder()

    @on(CompanyPicker.Linked)
    def _linked(self, event: CompanyPicker.Linked) -> None:
        self._title_placeholder()

    def _title_placeholder(self) -> None:
        company = self.picker.text.strip()
        self._field("title").input.placeholder = (
            t("capture.title_default", name=company) if company else t("capture.title_placeholder")
        )

    def on_form_field_changed(self, event: FormField.Changed) -> None:
        if event.field.id == "capture-amount":
            self._amount_typed(event.field.text)
        elif event.field.id == "capture-phone":
            self._check_phone(show_empty=False)

    def _amount_typed(self, text: str) -> None:
        """An amount that names its currency (3000万美元, US$12M) sets the currency for the officer."""
        from zsfield.domain.money import AmountError, parse_money

        try:
            money = parse_money(text, default_currency="")
        except (AmountError, ValueError):
            return
        if money.currency in CURRENCIES:
            self._select("currency").value = money.currency

    def _check_phone(self, *, show_empty: bool = True) -> bool:
        phone = self._field("phone")
        ok = bool(_PHONE_RE.match(phone.text.strip()))
        if not ok:
            phone.show_error(t("capture.bad_phone", text=phone.text.strip()))
        else:
            phone.validate_now(show_required=show_empty)
        return ok

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        """Enter moves on like tab; in the last field it saves."""
        event.stop()
        if event.input is self._field("note").input:
            self.action_save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#capture-save-btn")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#capture-cancel-btn")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    # --- save / cancel -----------------------------------------------------------------------------------------

    def collect(self) -> dict[str, Any] | None:
        """The action's arguments from the form, or None after showing what is wrong under each field."""
        first_bad: Any = None
        amount = self._field("amount")
        if not amount.validate_now():
            first_bad = amount.input
        if not self._check_phone():
            first_bad = first_bad or self._field("phone").input
        company = self.picker.text.strip()
        title = self._field("title").text.strip()
        if not company and not title:
            self.picker.show_error(t("action.lead_needs_title"))
            first_bad = self.picker.input
        if first_bad is not None:
            first_bad.focus()
            self.notify(t("form.fix_errors"), severity="warning")
            return None
        estimate: Decimal | None = None
        if amount.text.strip():
            from zsfield.domain.money import AmountError, parse_amount

            try:
                estimate = parse_amount(amount.text, currency=str(self._select("currency").value))
            except AmountError as exc:
                amount.show_error(exc.message())
                amount.input.focus()
                self.notify(t("form.fix_errors"), severity="warning")
                return None
        return {
            "title": title or company,
            "company_name": company,
            "company_id": self.picker.company_id,
            "source_channel": str(self._select("source").value),
            "estimated_investment": estimate,
            "estimated_currency": str(self._select("currency").value),
            "industry": self._field("industry").text.strip(),
            "contact_name": self._field("contact").text.strip(),
            "contact_phone": self._field("phone").text.strip(),
            "note": self._field("note").text.strip(),
        }

    def action_save(self) -> None:
        if self._saving:
            return
        values = self.collect()
        if values is None:
            return
        self._saving = True
        self._save(values)

    @work(thread=True, exclusive=True, group="capture-save")
    def _save(self, values: dict[str, Any]) -> None:
        from zsfield.domain.problems import DomainError
        from zsfield.store.actions.leads import capture_lead
        from zsfield.store.read.today import whoami

        try:
            store = self.zs.wait_store()
            me = self.zs.me or whoami(store)
            with store.write(me.id) as w:
                lead = capture_lead(
                    w,
                    office_id=me.office_id,
                    team_id=me.team_id,
                    received_by=me.id,
                    received_on=self.zs.clock.today(me.tz),  # the officer's day, where the officer is
                    **values,
                )
                lead_id = lead.id
        except DomainError as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        except Exception as exc:  # the store's errors say what to do; never lose the form over one
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._saved, lead_id)

    _FIELD_OF = {
        "title": "title",
        "company_id": "company",
        "estimated_investment": "amount",
        "estimated_currency": "amount",
        "contact_phone": "phone",
    }

    @while_shown
    def _refused(self, exc: Any) -> None:
        self._saving = False
        shown = False
        for problem in exc.problems:
            name = self._FIELD_OF.get(problem.field or "")
            if name == "company" or (name == "title" and not self._field("title").text.strip()):
                self.picker.show_error(problem.message())
                shown = True
            elif name:
                self._field(name).show_error(problem.message())
                shown = True
        self.notify(exc.message(), title=t("capture.refused"), severity="error" if not shown else "warning")

    @while_shown
    def _failed(self, message: str) -> None:
        self._saving = False
        self.notify(message, title=t("capture.failed"), severity="error", timeout=15)

    @while_shown
    def _saved(self, lead_id: str) -> None:
        self._saving = False
        self.notify(t("capture.saved"), timeout=4)
        self.dismiss(lead_id)

    def action_cancel(self) -> None:
        from zsfield.screens.confirm import confirm_leave

        confirm_leave(self.app, self.dirty, lambda: self.dismiss(None))
