"""One settings object: where things live and what the officer chose.

Paths come from platformdirs; ``ZSFIELD_HOME`` moves every per-user path (config, data, credentials)
under one folder (tests and demos use it), and ``ZSFIELD_DB`` / ``--db`` point at another database.
The config file is TOML (``config.toml`` in the config dir)::

    language = "zh"            # zh | en; else from LANG
    server = "https://zs.example.gov.cn"
    allow_insecure_http = false
    stale_days = 30
    [bindings]                 # rebind any action by its id
    sync = "f5"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

APP_NAME = "zsfield"


class ConfigError(ValueError):
    """The config file cannot be used as it stands; the message says where and how to fix it (both languages;
    a ``config.*`` catalog key and its parameters, like :class:`~zsfield.store.errors.StoreError`). The CLI
    exits with 2."""

    exit_code = 2

    def __init__(self, key: str, /, **params: object) -> None:
        self.key = key
        self.params: dict[str, object] = params
        super().__init__(key)

    def message(self, lang: str | None = None) -> str:
        from zsfield.i18n import t

        return t(self.key, lang, **self._localised(lang))

    def __str__(self) -> str:
        from zsfield.i18n import t

        zh, en = t(self.key, "zh", **self._localised("zh")), t(self.key, "en", **self._localised("en"))
        return f"{zh} / {en}"

    def _localised(self, lang: str | None) -> dict[str, object]:
        """Parameters that are catalog keys themselves (what was expected, the did-you-mean hint) in ``lang``."""
        from zsfield.i18n import t

        out = dict(self.params)
        if "expected" in out:
            out["expected"] = t(str(out["expected"]), lang)
        if "close" in out:
            close = out.pop("close")
            out["hint"] = t("config.did_you_mean", lang, close=close) if close else ""
        return out


def home_dirs(env: dict[str, str] | None = None) -> tuple[Path, Path]:
    """(config dir, data dir): under ``ZSFIELD_HOME`` when set, else the platform's user dirs."""
    env = dict(os.environ) if env is None else env
    home = env.get("ZSFIELD_HOME")
    if home:
        base = Path(home).expanduser()
        return base / "config", base / "data"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME)), Path(platformdirs.user_data_dir(APP_NAME))


@dataclass
class Settings:
    """Everything configurable, with its default. Unknown keys in the file are refused by name."""

    language: str | None = None
    server: str | None = None
    allow_insecure_http: bool = False
    stale_days: int = 30
    negotiating_days: int = 180
    page_size: int = 200
    sync_retention_days: int = 30
    """How long acknowledged changes are kept on the laptop, to be sent again if the server is restored from a
    backup older than them."""
    bindings: dict[str, str] = field(default_factory=dict)
    ranking_rules: str | None = None  # a TOML file with the zone's 赛马 scoring rules (default: packaged)
    # resolved paths (not read from the file)
    config_dir: Path = field(default_factory=Path)
    data_dir: Path = field(default_factory=Path)
    db_path: Path = field(default_factory=Path)

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def credentials_file(self) -> Path:
        return self.config_dir / "credentials.json"


_FILE_KEYS = {
    "language",
    "server",
    "allow_insecure_http",
    "stale_days",
    "negotiating_days",
    "page_size",
    "sync_retention_days",
    "bindings",
    "ranking_rules",
}


def _suggest(key: str, options: set[str]) -> str | None:
    import difflib

    close = difflib.get_close_matches(key, sorted(options), n=1)
    return close[0] if close else None


_EXPECTED = {
    "language": "config.expect.text",
    "server": "config.expect.text",
    "allow_insecure_http": "config.expect.bool",
    "stale_days": "config.expect.days",
    "negotiating_days": "config.expect.days",
    "page_size": "config.expect.page_size",
    "sync_retention_days": "config.expect.days",
    "bindings": "config.expect.bindings",
    "ranking_rules": "config.expect.file",
}


def _toml_position(exc: tomllib.TOMLDecodeError) -> tuple[int, int, str]:
    """(line, column, what is wrong) of a TOML error (Python 3.11 puts the position in the text only)."""
    import re

    text = str(exc)
    found = re.search(r"\(at line (\d+), column (\d+)\)", text)
    if found is None:
        found = re.search(r"\(at end of document\)", text)
        return (0, 0, text) if found is None else (-1, -1, text[: found.start()].strip())
    return int(found.group(1)), int(found.group(2)), text[: found.start()].strip()


def load_settings(db: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read the config file (if any) and resolve paths. Raises :class:`ConfigError` on a bad file."""
    env = dict(os.environ) if env is None else env
    config_dir, data_dir = home_dirs(env)
    settings = Settings(config_dir=config_dir, data_dir=data_dir)
    path = settings.config_file
    if path.exists():
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError("config.unreadable", path=path, detail=str(exc)) from exc
        try:
            raw: dict[str, Any] = tomllib.loads(source)
        except tomllib.TOMLDecodeError as exc:
            line, column, detail = _toml_position(exc)
            if line < 0:  # at the end of the file
                line = source.count("\n") + 1
                column = len(source.rsplit("\n", 1)[-1]) + 1
            raise ConfigError("config.bad_toml", path=path, line=line, column=column, detail=detail) from exc
        for key, value in raw.items():
            if key not in _FILE_KEYS:
                raise ConfigError("config.unknown_key", path=path, key=key, close=_suggest(key, _FILE_KEYS))
            ok = {
                "language": isinstance(value, str),
                "server": isinstance(value, str),
                "allow_insecure_http": isinstance(value, bool),
                "stale_days": isinstance(value, int) and not isinstance(value, bool) and value > 0,
                "negotiating_days": isinstance(value, int) and not isinstance(value, bool) and value > 0,
                "page_size": isinstance(value, int) and not isinstance(value, bool) and 10 <= value <= 5000,
                "sync_retention_days": isinstance(value, int) and not isinstance(value, bool) and value > 0,
                "bindings": isinstance(value, dict) and all(isinstance(v, str) for v in value.values()),
                "ranking_rules": isinstance(value, str) and bool(value.strip()),
            }[key]
            if not ok:
                raise ConfigError(
                    "config.bad_value", path=path, key=key, value=repr(value), expected=_EXPECTED[key]
                )
            setattr(settings, key, value)
        if settings.language is not None:
            from zsfield.i18n import normalise_lang

            if normalise_lang(settings.language) is None:
                raise ConfigError("config.bad_language", path=path, value=repr(settings.language))
        if settings.ranking_rules is not None:  # a relative path is relative to the config file
            settings.ranking_rules = str(config_dir / Path(settings.ranking_rules).expanduser())
    db_value = db or env.get("ZSFIELD_DB")
    settings.db_path = Path(db_value).expanduser() if db_value else data_dir / "zsfield.db"
    return settings
