"""Shared fixtures: every test runs with its own ZSFIELD_HOME, no user config, a fixed language."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from zsfield.i18n import set_language


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every per-user path (config, data, credentials) moves under a fresh folder."""
    home = tmp_path / "zshome"
    monkeypatch.setenv("ZSFIELD_HOME", str(home))
    monkeypatch.delenv("ZSFIELD_DB", raising=False)
    monkeypatch.setenv("ZSFIELD_SERVER_HOME", str(tmp_path / "zsserver"))  # the server's accounts file
    monkeypatch.delenv("ZSFIELD_SERVER_ACCOUNTS", raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    set_language("en")
    yield home
    set_language("en")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "officer.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[object]:
    from zsfield.store import Store

    s = Store.open(db_path)
    yield s
    s.close()


def pg_url() -> str | None:
    return os.environ.get("ZSFIELD_TEST_PG_URL") or None
