"""Small dialogs of the project detail: status change, move back with a reason, add a service item, assign
it, set a milestone's dates, add a capital receipt, add a contact.

Each is a :class:`FormModal`: fields that validate inline, F10 or the Save button (or enter on the last field)
saves in ONE store transaction run in a worker; a refusal of the store is shown in the dialog and keeps
everything typed; escape with changes asks first. They dismiss with True after a successful write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from zsfield.bindings import binding
from zsfield.domain.enums import STAGES, MilestoneKind, ProjectStatus, ServiceKind, Stage
from zsfield.domain.problems import DomainError
from zsfield.i18n import current_language, t
from zsfield.screens.base import ZsModal
from zsfield.widgets.fields import FieldError, FormField


class SelectField(Vertical):
    """A label above a compact select, with the value it started from (for unsaved-change checks)."""

    def __init__(
        self,
        label_key: str,
        options: Iterable[tuple[str, Any]],
        *,
        value: Any = None,
        allow_blank: bool = True,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="select-field")
        self.label_key = label_key
        self._options = list(options)
        self.initial = value if any(v == value for _, v in self._options) else None
        self._allow_blank = allow_blank

    def compose(self) -> ComposeResult:
        yield Label(t(self.label_key))
        value = self.initial if any(v == self.initial for _, v in self._options) else Select.NULL
        if value is Select.NULL and not self._allow_blank and self._options:
            value = self._options[0][1]
            self.initial = value
        yield Select(self._options, value=value, allow_blank=self._allow_blank, compact=True, prompt="—")

    @property
    def select(self) -> Select[Any]:
        return self.query_one(Select)

    @property
    def value(self) -> Any:
        v = self.select.value
        return None if v == Select.NULL else v

    @value.setter
    def value(self, v: Any) -> None:
        self.select.value = Select.NULL if v is None else v

    def set_initial(self, value: Any) -> None:
        """Take ``value`` as the saved value without changing what is shown."""
        self.initial = value if any(v == value for _, v in self._options) else None

    @property
    def dirty(self) -> bool:
        return self.value != self.initial

    def reset(self, value: Any) -> None:
        """Take ``value`` as the saved value (and show it)."""
        value = value if any(v == value for _, v in self._options) else None
        self.initial = value
        with self.prevent(Select.Changed):
            self.value = value

    def focus(self, scroll_visible: bool = True) -> SelectField:
        self.select.focus(scroll_visible)
        return self


class CheckField(Vertical):
    """A checkbox in a form grid (a blank label line keeps it aligned with the fields beside it)."""

    def __init__(self, label_key: str, *, value: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, classes="check-field")
        self.label_key = label_key
        self.initial = value

    def compose(self) -> ComposeResult:
        yield Label(" ")
        yield Checkbox(t(self.label_key), value=self.initial, compact=True)

    @property
    def checkbox(self) -> Checkbox:
        return self.query_one(Checkbox)

    @property
    def value(self) -> bool:
        return self.checkbox.value

    @property
    def dirty(self) -> bool:
        return self.value != self.initial

    def reset(self, value: bool) -> None:
        self.initial = value
        with self.prevent(Checkbox.Changed):
            self.checkbox.value = value

    def focus(self, scroll_visible: bool = True) -> CheckField:
        self.checkbox.focus(scroll_visible)
        return self


class FormModal(ZsModal):
    """A dialog with fields, Save (F10, enter on the last field, the button) and Cancel (escape)."""

    BINDINGS = [
        binding("form_save", "f10", "save", "key.save"),
        binding("form_cancel", "escape", "cancel", "key.cancel"),
    ]

    CSS_PATH = str(Path(__file__).with_name("project_modals.tcss"))  # absolute: subclasses live elsewhere
    TITLE_KEY = ""
    BOX_ID = "form-box"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form-dialog", id=self.BOX_ID):
            yield Static(self.title_text(), classes="dialog-title")
            yield from self.compose_fields()
            yield Static("", classes="error-text form-error", id="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("key.cancel") + " (Esc)", id="form-cancel", compact=True)
                yield Button(t("key.save") + " (F10)", id="form-save", variant="primary", compact=True)

    def title_text(self) -> str:
        return t(self.TITLE_KEY)

    def compose_fields(self) -> ComposeResult:
        yield from ()

    # --- values ---------------------------------------------------------------------------------------------

    def form_fields(self) -> list[FormField]:
        return list(self.query(FormField))

    def is_dirty(self) -> bool:
        if any(f.dirty for f in self.form_fields()):
            return True
        return any(getattr(w, "dirty", False) for w in self.query(".select-field, .check-field"))

    def has_unsaved_changes(self) -> bool:
        return self.is_dirty()

    def collect(self) -> dict[str, Any]:
        """The parsed values (raise :class:`FieldError` through ``validate``); override."""
        return {}

    def write(self, w: Any, values: dict[str, Any]) -> Any:
        """Write ``values`` in the open transaction ``w`` (raise DomainError to refuse); override."""

    # --- actions --------------------------------------------------------------------------------------------

    def validate(self) -> bool:
        ok = True
        first: FormField | None = None
        for f in self.form_fields():
            if not f.validate_now():
                ok = False
                first = first or f
        if first is not None:
            first.input.focus()
            self.query_one("#form-error", Static).update(t("form.fix_errors"))
        return ok

    def action_save(self) -> None:
        if not self.validate():
            return
        try:
            values = self.collect()
        except FieldError as exc:
            self.query_one("#form-error", Static).update(str(exc))
            return
        self.query_one("#form-save", Button).disabled = True
        self._write(values)

    @work(thread=True, exclusive=True, group="form-modal")
    def _write(self, values: dict[str, Any]) -> None:
        store = self.zs.wait_store()
        me = self.zs.me
        try:
            with store.write(me.id if me else None) as w:
                result = self.write(w, values)
        except DomainError as err:
            self.app.call_from_thread(self._refused, err)
            return
        self.app.call_from_thread(self._written, result)

    def _refused(self, err: DomainError) -> None:
        self.query_one("#form-save", Button).disabled = False
        self.query_one("#form-error", Static).update(err.message(current_language()))
        by_field = {f.id: f for f in self.form_fields() if f.id}
        for problem in err.problems:
            if problem.field and f"f-{problem.field}" in by_field:
                by_field[f"f-{problem.field}"].show_error(problem.message())

    def _written(self, result: Any) -> None:
        self.dismiss(True if result is None else result)

    def action_cancel(self) -> None:
        from zsfield.screens.confirm import confirm_leave

        confirm_leave(self.app, self.is_dirty(), lambda: self.dismiss(None))

    @on(Button.Pressed, "#form-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; on the last field it saves."""
        event.stop()
        inputs = [i for i in self.query(Input) if i.display and not i.disabled]
        if inputs and event.input is inputs[-1]:
            self.action_save()
        else:
            self.focus_next()


# --- status ---------------------------------------------------------------------------------------------------


class StatusModal(FormModal):
    """状态变更: the new status; delayed / lost / abandoned need a reason and a date (lost: to where)."""

    TITLE_KEY = "status_modal.title"
    BOX_ID = "status-box"

    def __init__(self, project_id: str, current: ProjectStatus, today: date) -> None:
        super().__init__()
        self.project_id = project_id
        self.current = ProjectStatus(current)
        self.today = today

    def compose_fields(self) -> ComposeResult:
        yield Static(t("status_modal.current", status=self.current.label()), classes="muted")
        choices = [(s.label(), s.value) for s in ProjectStatus if s != self.current]
        yield SelectField("status_modal.new", choices, value=choices[0][1], allow_blank=False, id="f-status")
        yield FormField("status_modal.reason", id="f-status_reason")
        yield FormField("status_modal.on", kind="date", value=self.today.isoformat(), id="f-status_on")
        yield FormField("status_modal.lost_to", id="f-lost_to")

    def on_mount(self) -> None:
        self._toggle_lost_to()
        self.query_one("#f-status", SelectField).focus()

    @on(Select.Changed)
    def _toggle_lost_to(self) -> None:
        value = self.query_one("#f-status", SelectField).value
        self.query_one("#f-lost_to").display = value == ProjectStatus.LOST.value

    def collect(self) -> dict[str, Any]:
        return {
            "status": ProjectStatus(self.query_one("#f-status", SelectField).value),
            "reason": self.query_one("#f-status_reason", FormField).text,
            "on": self.query_one("#f-status_on", FormField).value,
            "lost_to": self.query_one("#f-lost_to", FormField).text,
        }

    def write(self, w: Any, values: dict[str, Any]) -> Any:
        from zsfield.store.actions.projects import set_status

        status: ProjectStatus = values["status"]
        set_status(
            w,
            self.project_id,
            status,
            reason=values["reason"],
            on=values["on"],
            lost_to=values["lost_to"] if status == ProjectStatus.LOST else "",
        )


# --- move back --------------------------------------------------------------------------------------------------


class MoveBackModal(FormModal):
    """退回: to an earlier stage, with the reason (required by the flow rules)."""

    TITLE_KEY = "detail.back_title"
    BOX_ID = "back-box"

    def __init__(self, project_id: str, current: Stage) -> None:
        super().__init__()
        self.project_id = project_id
        self.current = Stage(current)

    def compose_fields(self) -> ComposeResult:
        earlier = [(f"{s.index} {s.label()}", s.value) for s in STAGES if s.index < self.current.index]
        earlier.reverse()
        yield Static(t("detail.back_from", stage=self.current.label()), classes="muted")
        yield SelectField("detail.back_to", earlier, value=earlier[0][1], allow_blank=False, id="f-stage")
        yield FormField("detail.back_reason", required=True, id="f-note")

    def on_mount(self) -> None:
        self.query_one("#f-note", FormField).input.focus()

    def collect(self) -> dict[str, Any]:
        return {
            "stage": Stage(self.query_one("#f-stage", SelectField).value),
            "note": self.query_one("#f-note", FormField).value,
        }

    def write(self, w: Any, values: dict[str, Any]) -> Any:
        from zsfield.store.actions.projects import move_stage

        move_stage(w, self.project_id, values["stage"], note=values["note"])


# --- service plan ---------------------------------------------------------------------------------------------


class ServiceItemModal(FormModal):
    """一套方案: add an item (kind, title, responsible person or department, due date)."""

    TITLE_KEY = "svc.add_title"
    BOX_ID = "svc-box"

    def __init__(self, project_id: str) -> None:
        super().__init__()
        self.project_id = project_id

    def compose_fields(self) -> ComposeResult:
        kinds = [(k.label(), k.value) for k in ServiceKind]
        yield SelectField("svc.kind", kinds, value=ServiceKind.LAND.value, allow_blank=False, id="f-kind")
        yield FormField("svc.title_field", required=True, id="f-title")
        yield FormField("svc.responsible", placeholder_key="svc.responsible_hint", id="f-responsible")
        yield FormField("svc.due", kind="date", placeholder_key="svc.due_hint", id="f-due_on")

    def on_mount(self) -> None:
        self.query_one("#f-kind", SelectField).focus()

    def collect(self) -> dict[str, Any]:
        return {
            "kind": ServiceKind(self.query_one("#f-kind", SelectField).value),
            "title": self.query_one("#f-title", FormField).value,
            "responsible": self.query_one("#f-responsible", FormField).text,
            "due_on": self.query_one("#f-due_on", FormField).value,
        }

    def write(self, w: Any, values: dict[str, Any]) -> Any:
        from zsfield.store.actions.service import add_service_item

        add_service_item(
            w,
            self.project_id,
            title=values["title"],
            kind=values["kind"],
            responsible=values["responsible"],
            due_on=values["due_on"],
        )


class AssignModal(FormModal):
    """Assign a service item to a person or department (and move its due date)."""

    TITLE_KEY = "svc.assign_title"
    BOX_ID = "assign-box"

    def __init__(self, item_id: str, title: str, responsible: str, due_on: date | None) -> None:
        super().__init__()
        self.item_id, self.item_title, self.responsible, self.due_on = item_id, title, responsible, due_on

    def compose_fields(self) -> ComposeResult:
        yield Static(self.item_title, classes="muted")
        yield FormField("svc.responsible", value=self.responsible, required=True, id="f-responsible")
        yield FormField(
            "svc.due", kind="date", value=self.due_on.isoformat() if self.due_on else "", id="f-due_on"
        )

    def on_mount(self) -> None:
        self.query_one("#f-responsible", FormField).input.focus()

    def collect(self) -> dict[str, Any]:
        return {
            "responsible": self.query_one("#f-responsible", FormField).value,
            "due_on": self.query_one("#f-due_on", FormField).value,
        }

    def write(self, w: Any, values: dict[str, Any]) -> Any:
        from zsfield.store.actions.service import assign_service_item

        assign_service_item(w, self.item_id, responsible=values["responsible"], due_on=values["due_on"])


# --- milestones -----------------------------------------------------------------------------------------------


class MilestoneModal(FormModal):
    """履约: the promised and the actual date of one milestone."""

    TITLE_KEY = "ms.edit_title"
    BOX_ID = "ms-box"

    def __init__(
        self, project_id: str, kind: MilestoneKind, promised: date | None, actual: date | None
    ) -> None:
        super().__init__()
        self.project_id, self.kind, self.promised, self.actual = (
            project_id,
            MilestoneKind(kind),
            promised,
            actual,
        )

    def title_text(self) -> str:
        return t("ms.edit_title", milestone=self.kind.label())

    def compose_fields(self) -> ComposeResult:
        yield FormField(
            "ms.promised",
            kind="date",
            value=self.promised.isoformat() if self.promised else "",
            id="f-promised_on",
        )
        yield FormField(
            "ms.actual",
            kind="date",
            value=self.actual.isoformat() if self.actual else "",
            placeholder_key="ms.actual_hint",
            id="f-actual_on",
        )

    def on_mount(self) -> None:
        self.query_one("#f-promised_on" if self.promised is None else "#f-actual_on", FormField).input.focus()

    def collect(self) -> dict[str, Any]:
        return {
            "promised_on": self.query_one("#f-promised_on", FormField).value,
            "actual_on": self.query_one("#f-actual_on", FormField).value,
        }

    def write(self, w: Any, values: dict[str, Any]) -> Any:
        from zsfield.store.actions.service import set_milestone

        set_milestone(
            w,
            self.project_id,
            self.kind,
            promised_on=values["promised_on"],
            actual_on=values["actual_on"],
        )


# --- foreign capital ------------------------------------------------------------------------------------------


class ReceiptModal(FormModal):
    """到位外资: one receipt (date, amount, currency, the rate to USD used)."""

    TITLE_KEY = "cap.add_title"
    BOX_ID = "receipt-box"

    def __init__(self, project_id: str, today: date, currency: str = "USD") -> None:
        super().__init__()
        self.project_id, self.today, self.currency = project_id, today, currency

    def compose_fields(self) -> ComposeResult:
        from zsfield.domain.money import CURRENCIES

        yield FormField("cap.received_on", kind="date", value=self.today.isoformat(), id="f-received_on")
        yield FormField("cap.amount", kind="amount", required=True, id="f-amount")
        yield SelectField(
            "cap.currency",
            [(c, c) for c in CURRENCIES if c != "CNY"] + [("CNY", "CNY")],
            value=self.currency,
            allow_blank=False,
            id="f-currency",
        )
        yield FormField("cap.rate", kind="decimal", placeholder_key="cap.rate_hint", id="f-rate_to_usd")

    def on_mount(self) -> None:
        self._rate_visible()
        self.query_one("#f-amount", FormField).input.focus()

    @on(Select.Changed)
    def _rate_visible(self) -> None:
        self.query_one("#f-rate_to_usd").display = self.query_one("#f-currency", SelectField).value != "USD"

    def collect(self) -> dict[str, Any]:
        currency = self.query_one("#f-currency", SelectField).value
        rate = Decimal(1)
        if currency != "USD":
            rate_field = self.query_one("#f-rate_to_usd", FormField)
            rate = rate_field.value
            if rate is None or rate <= 0:
                rate_field.show_error(t("cap.rate_needed"))
                raise FieldError(t("cap.rate_needed"))
        return {
            "received_on": self.query_one("#f-received_on", FormField).value or self.today,
            "amount": self.query_one("#f-amount", FormField).value,
            "currency": currency,
            "rate_to_usd": rate,
        }

    def write(self, w: Any, values: dict[str, Any]) -> Any:
        from zsfield.store.actions.service import add_capital_receipt

        add_capital_receipt(w, self.project_id, **values)


# --- contacts -------------------------------------------------------------------------------------------------


class ContactModal(FormModal):
    """联系人: name, title, phone, email, WeChat, note — tied to the project and its company."""

    TITLE_KEY = "contact.add_title"
    BOX_ID = "contact-box"

    def __init__(self, project_id: str, company_id: str | None, team_id: str | None) -> None:
        super().__init__()
        self.project_id, self.company_id, self.team_id = project_id, company_id, team_id

    def compose_fields(self) -> ComposeResult:
        yield FormField("contact.name", required=True, id="f-name")
        yield FormField("contact.title_field", id="f-title")
        yield FormField("contact.phone", id="f-phone")
        yield FormField("contact.email", id="f-email")
        yield FormField("contact.wechat", id="f-wechat")

    def on_mount(self) -> None:
        self.query_one("#f-name", FormField).input.focus()

    def collect(self) -> dict[str, Any]:
        return {
            name: self.query_one(f"#f-{name}", FormField).text.strip()
            for name in ("name", "title", "phone", "email", "wechat")
        }

    def write(self, w: Any, values: dict[str, Any]) -> Any:
        from zsfield.store.actions.companies import add_contact

        add_contact(w, project_id=self.project_id, company_id=self.company_id, team_id=self.team_id, **values)


def on_written(callback: Callable[[], None]) -> Callable[[Any], None]:
    """A push_screen callback that runs ``callback`` when the dialog wrote something."""

    def done(result: Any) -> None:
        if result:
            callback()

    return done
