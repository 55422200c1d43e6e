"""A refusal that names what is wrong, in either language (中文 / English)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zsfield.i18n import current_language, normalise_lang, t


@dataclass(frozen=True)
class Label:
    """A reference to a catalog entry used as a message parameter (translated with the message)."""

    key: str

    def label(self, lang: str | None = None) -> str:
        return t(self.key, lang)


@dataclass(frozen=True)
class Problem:
    """One thing wrong or missing: a catalog key, its parameters and the field it is about."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    field: str | None = None

    def message(self, lang: str | None = None) -> str:
        params = {k: (v.label(lang) if hasattr(v, "label") else v) for k, v in self.params.items()}
        return t(self.key, lang, **params)


class DomainError(ValueError):
    """A refused action with the problems that refused it. ``str()`` is bilingual."""

    def __init__(self, problems: list[Problem] | Problem, headline: Problem | None = None) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        self.headline = headline
        super().__init__(self.message("zh") + " / " + self.message("en"))

    def message(self, lang: str | None = None) -> str:
        lang = (normalise_lang(lang) if lang else None) or current_language()
        parts = [p.message(lang) for p in self.problems]
        sep = "；" if lang == "zh" else "; "
        body = sep.join(parts)
        if self.headline is None:
            return body
        return self.headline.message(lang) + ("：" if lang == "zh" else ": ") + body

    @property
    def fields(self) -> list[str]:
        return [p.field for p in self.problems if p.field]
