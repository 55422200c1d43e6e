"""The footer of every main screen: Textual's Footer, rebuilt only when what it shows changes.

Textual's Footer rebuilds all its keys whenever the screen's bindings may have changed, which is every focus
change: opening a screen moves the focus a few times, and each rebuild restyles a dozen widgets. This one
rebuilds at most once per refresh, and only when the keys it would show (key, label, enabled) differ from
those it shows.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class AppFooter(Footer):
    """A Footer that skips rebuilds that would show the same keys."""

    _rebuild_pending = False
    _shown: tuple[Any, ...] | None = None

    def _signature(self) -> tuple[Any, ...]:
        return tuple(
            (key, binding.action, binding.description, binding.show, binding.group, enabled, tooltip)
            for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
        )

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        if not self.is_attached:
            return
        signature = self._signature()
        if signature == self._shown:
            return
        self._shown = signature
        await self.recompose()
