"""Every app-wide key in one table: id, default key, action, description (catalog key).

Bindings have ids so the config file can rebind them (``[bindings] sync = "f9"``); the help screen (F1)
lists them all. Function keys for navigation work even while typing in a field; no action relies only on
ctrl+enter, ctrl+s or ctrl+j (terminals and tmux eat them).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from zsfield.i18n import t


@dataclass(frozen=True)
class KeySpec:
    id: str
    key: str
    action: str
    description: str  # catalog key
    show: bool = True
    priority: bool = False


GLOBAL_KEYS: tuple[KeySpec, ...] = (
    KeySpec("help", "f1", "help", "key.help"),
    KeySpec("dashboard", "f2", "go('dashboard')", "key.dashboard"),
    KeySpec("leads", "f3", "go('leads')", "key.leads"),
    KeySpec("projects", "f4", "go('projects')", "key.projects"),
    KeySpec("sync", "f5", "go('sync')", "key.sync"),
    KeySpec("supervision", "f6", "go('supervision')", "key.supervision"),
    KeySpec("log_visit", "f8", "log_visit", "key.log_visit"),
    KeySpec("quit", "ctrl+q", "quit", "key.quit", priority=True),
)


def make_bindings(specs: tuple[KeySpec, ...] | list[KeySpec]) -> list[Binding]:
    """Textual bindings (with ids) for ``specs``; descriptions stay catalog keys until :func:`localize`."""
    return [Binding(s.key, s.action, s.description, show=s.show, id=s.id, priority=s.priority) for s in specs]


def binding(id: str, key: str, action: str, description: str, *, show: bool = True) -> Binding:
    """A screen-local binding with an id (rebindable) and a catalog key as its description."""
    return Binding(key, action, description, show=show, id=id)


def localize(node: object) -> None:
    """Translate the descriptions of ``node``'s bindings (catalog keys) into the current language.

    Called from ``__init__`` of the app and every screen, because class-level ``BINDINGS`` are built at
    import time, before the language is known.
    """
    from dataclasses import replace

    from zsfield.i18n import CATALOG

    bindings_map = node._bindings  # type: ignore[attr-defined]
    for key, items in bindings_map.key_to_bindings.items():
        bindings_map.key_to_bindings[key] = [
            replace(b, description=t(b.description)) if b.description in CATALOG else b for b in items
        ]


def describe(node: object) -> list[tuple[str, str, str]]:
    """(key, id, description) of every binding of ``node``, for the help screen."""
    out = []
    for key, items in node._bindings.key_to_bindings.items():  # type: ignore[attr-defined]
        for b in items:
            if b.description:
                out.append((key, b.id or "", b.description))
    return out
