"""``ZsFooter``: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer rebuilds all its keys (a widget and two styled parts each) whenever the screen's bindings
are refreshed: each focus change, each widget mounted. Opening a project did that several times over,
about half of the cost of the screen's styles. Here the keys shown (key, action, label, enabled, tooltip,
group) are compared with those on screen, and the Footer is rebuilt only when they differ.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer


class ZsFooter(Footer):
    """A Footer that skips rebuilds which would show the same keys."""

    _shown: tuple[Any, ...] | None = None

    def _keys_signature(self) -> tuple[Any, ...]:
        palette = self.app.COMMAND_PALETTE_BINDING if self.show_command_palette else None
        return (
            self.compact,
            tuple(
                (key, b.key, b.action, b.description, enabled, tooltip, b.group, self.app.get_key_display(b))
                for key, (_node, b, enabled, tooltip) in self.screen.active_bindings.items()
                if b.show or key == palette
            ),
        )

    def compose(self) -> Any:
        if self._bindings_ready:
            self._shown = self._keys_signature()
        yield from super().compose()

    def bindings_changed(self, screen: Any) -> None:
        if (
            self._bindings_ready
            and self.is_attached
            and screen is self.screen
            and self._shown is not None
            and self._keys_signature() == self._shown
        ):
            return  # the same keys are on screen already
        super().bindings_changed(screen)
