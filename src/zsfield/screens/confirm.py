"""A yes/no question (e.g. leaving a form with unsaved changes). Dismisses with True for yes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from zsfield.bindings import binding
from zsfield.i18n import t
from zsfield.screens.base import ZsModal


class ConfirmModal(ZsModal):
    BINDINGS = [
        binding("confirm_yes", "y", "answer(True)", "confirm.yes"),
        binding("confirm_no", "escape,n", "answer(False)", "confirm.no"),
    ]

    def __init__(
        self, title_key: str, body_key: str, yes_key: str = "confirm.yes", no_key: str = "confirm.no"
    ) -> None:
        super().__init__()
        self.title_key, self.body_key, self.yes_key, self.no_key = title_key, body_key, yes_key, no_key

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-box"):
            yield Static(t(self.title_key), classes="dialog-title")
            yield Static(t(self.body_key))
            with Horizontal(classes="dialog-buttons"):
                yield Button(t(self.no_key) + " (n)", id="no")
                yield Button(t(self.yes_key) + " (y)", id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


def confirm_leave(app: App[Any], dirty: bool, leave: Callable[[], Any]) -> None:
    """The one "leave with unsaved changes?" question: ``leave()`` at once when nothing is unsaved, else after
    the officer answers 离开 (stay keeps the form as it is)."""
    if not dirty:
        leave()
        return

    def answered(yes: bool | None) -> None:
        if yes:
            leave()

    app.push_screen(
        ConfirmModal("form.unsaved_title", "form.unsaved_body", "form.leave", "form.stay"), answered
    )
