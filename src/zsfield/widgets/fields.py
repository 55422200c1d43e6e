"""Form fields that validate as you type and say what is wrong and how to fix it.

``FormField`` = label + input + a one-line message. ``kind`` picks the parser: text, amount (万/亿 allowed),
date (YYYY-MM-DD, also 2026/11/23, today, +7), int, credit code (check digit). ``value`` is the parsed value;
``error`` the current message (None when valid). Typed text is never thrown away by validation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, Static

from zsfield.i18n import t

FieldKind = Literal["text", "amount", "date", "int", "credit_code", "decimal"]


class FieldError(ValueError):
    """A value that does not parse; ``str()`` is the message for the officer."""


def parse_date(text: str, today: date) -> date:
    s = text.strip().replace("/", "-").replace(".", "-")
    if s.lower() in ("today", "今天", "t"):
        return today
    if s.startswith("+") and s[1:].isdigit():
        return today + timedelta(days=int(s[1:]))
    try:
        parts = [int(p) for p in s.split("-")]
        if len(parts) == 3:
            return date(parts[0], parts[1], parts[2])
    except ValueError:
        pass
    raise FieldError(t("form.bad_date", text=text))


def parse_field(kind: FieldKind, text: str, *, today: date, required: bool = False) -> Any:
    """The value of ``text`` for a field of ``kind`` (None when empty and not required)."""
    s = text.strip()
    if not s:
        if required:
            raise FieldError(t("form.required"))
        return None
    if kind == "text":
        return s
    if kind == "date":
        return parse_date(s, today)
    if kind == "int":
        try:
            value = int(s.replace(",", ""))
        except ValueError:
            raise FieldError(t("form.bad_int", text=s)) from None
        if value < 0:
            raise FieldError(t("action.negative_amount"))
        return value
    if kind in ("amount", "decimal"):
        from zsfield.domain.money import AmountError, parse_amount

        try:
            return parse_amount(s, currency=None) if kind == "amount" else _plain_decimal(s)
        except AmountError as exc:
            raise FieldError(exc.message()) from None
    if kind == "credit_code":
        from zsfield.domain.credit_code import credit_code_message, normalise_credit_code

        code = normalise_credit_code(s)
        message = credit_code_message(code)
        if message:
            raise FieldError(message)
        return code
    raise ValueError(kind)


def _plain_decimal(s: str) -> Decimal:
    from zsfield.domain.money import AmountError

    try:
        value = Decimal(s.replace(",", ""))
    except ArithmeticError:
        raise AmountError("money.not_a_number", text=s) from None
    if not value.is_finite():
        raise AmountError("money.not_a_number", text=s)
    if value < 0:
        raise AmountError("money.negative", text=s)
    return value


class FormField(Vertical):
    """A labelled input that validates itself (see module doc)."""

    DEFAULT_CSS = """
    FormField { height: auto; margin: 0 0 0 0; }
    FormField > Label { color: $text-muted; }
    FormField > .field-error { color: $error; height: auto; }
    FormField.-invalid > Input { border: tall $error; }
    """

    @dataclass
    class Changed(Message):
        field: FormField

    def __init__(
        self,
        label_key: str,
        *,
        kind: FieldKind = "text",
        value: str = "",
        required: bool = False,
        placeholder_key: str | None = None,
        id: str | None = None,
        today: date | None = None,
    ) -> None:
        super().__init__(id=id)
        self.label_key = label_key
        self.kind = kind
        self.required = required
        self.initial = value
        self.placeholder_key = placeholder_key
        self._today = today

    def compose(self) -> ComposeResult:
        label = t(self.label_key) + (" *" if self.required else "")
        yield Label(label)
        yield Input(value=self.initial, placeholder=t(self.placeholder_key) if self.placeholder_key else "")
        yield Static("", classes="field-error")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def text(self) -> str:
        return self.input.value

    @text.setter
    def text(self, value: str) -> None:
        self.input.value = value

    @property
    def today(self) -> date:
        if self._today is not None:
            return self._today
        clock = getattr(self.app, "clock", None)
        return clock.today() if clock else date.today()

    @property
    def dirty(self) -> bool:
        return self.text != self.initial

    @property
    def error(self) -> str | None:
        try:
            parse_field(self.kind, self.text, today=self.today, required=self.required)
        except FieldError as exc:
            return str(exc)
        return None

    @property
    def value(self) -> Any:
        """The parsed value (raises :class:`FieldError` when invalid)."""
        return parse_field(self.kind, self.text, today=self.today, required=self.required)

    def validate_now(self, *, show_required: bool = True) -> bool:
        """Show the message for the current text; returns whether it is valid."""
        message = self.error
        if message and not show_required and not self.text.strip():
            message = None
        self.query_one(".field-error", Static).update(message or "")
        self.set_class(bool(message), "-invalid")
        return message is None

    def show_error(self, message: str) -> None:
        """Show a message from elsewhere (e.g. a refusal of the store) under this field."""
        self.query_one(".field-error", Static).update(message)
        self.set_class(True, "-invalid")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.validate_now(show_required=False)
        self.post_message(self.Changed(self))
