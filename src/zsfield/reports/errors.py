"""The one error the reports raise for bad input (a month that is not a month, a file that cannot be read).

It carries a catalog key and its parameters, so the CLI and the TUI can say what is wrong in either language.
"""

from __future__ import annotations

from zsfield.i18n import both, t


class ReportError(ValueError):
    """Input the reports cannot use; ``key`` is a ``rep.*`` / ``imp.*`` / ``tgt.*`` / ``rank.*`` catalog key."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params: dict[str, object] = params
        super().__init__(key)

    def message(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: the current language)."""
        return t(self.key, lang, **self.params)

    def __str__(self) -> str:
        return both(self.key, **self.params)
