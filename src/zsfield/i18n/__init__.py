"""The one message catalog (中文 / English) for every user-facing string.

Every part of zsfield — domain refusals, CLI messages, TUI labels, report headers — asks for text through
:func:`t`. The catalog is split into files by area (``catalog_core``, ``catalog_tui``, …) only so that it
stays readable; :data:`CATALOG` is their union and a key may be defined once.

No Textual or Rich here: the domain and the server use this module too.
"""

from __future__ import annotations

import importlib
import locale
import os
import pkgutil
from collections.abc import Mapping
from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


def _load_catalog() -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    package = importlib.import_module(__name__)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if not info.name.startswith("catalog_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        messages: Mapping[str, tuple[str, str]] = module.MESSAGES
        for key, value in messages.items():
            if key in merged:
                raise RuntimeError(f"message key {key!r} is defined twice (again in {info.name})")
            if not (isinstance(value, tuple) and len(value) == 2):
                raise RuntimeError(f"message {key!r} in {info.name} must be a (zh, en) pair")
            merged[key] = value
    return merged


CATALOG: dict[str, tuple[str, str]] = _load_catalog()

_current: Lang | None = None


def detect_language(env: Mapping[str, str] | None = None) -> Lang:
    """The language from ``LANGUAGE`` / ``LC_ALL`` / ``LC_MESSAGES`` / ``LANG``: Chinese for ``zh*``, else English."""
    env = os.environ if env is None else env
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:  # pragma: no cover - exotic locale settings
        loc = ""
    return "zh" if loc.lower().startswith("zh") else "en"


def normalise_lang(value: str | None) -> Lang | None:
    """``"zh"``, ``"zh_CN.UTF-8"``, ``"中文"`` → ``"zh"``; ``"en*"`` → ``"en"``; anything else → None."""
    if not value:
        return None
    v = value.strip().lower()
    if v.startswith("zh") or v in {"中文", "cn", "chinese"}:
        return "zh"
    if v.startswith("en") or v == "english":
        return "en"
    return None


def set_language(lang: str | None) -> Lang:
    """Set the process-wide language (None: detect from the environment). Returns the language in force."""
    global _current
    _current = normalise_lang(lang) or detect_language()
    return _current


def current_language() -> Lang:
    global _current
    if _current is None:
        _current = detect_language()
    return _current


def t(key: str, lang: str | None = None, /, **params: object) -> str:
    """The message ``key`` in ``lang`` (default: the current language), formatted with ``params``.

    An unknown key is a programming error and raises ``KeyError`` so tests catch it.
    """
    zh, en = CATALOG[key]
    chosen = (normalise_lang(lang) if lang else None) or current_language()
    text = zh if chosen == "zh" else en
    return text.format(**params) if params else text


def both(key: str, /, **params: object) -> str:
    """``中文 / English`` in one string: for messages read by people of either language (CLI errors, server)."""
    zh, en = t(key, "zh", **params), t(key, "en", **params)
    return zh if zh == en else f"{zh} / {en}"
