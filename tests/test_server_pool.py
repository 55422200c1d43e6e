"""The server's PostgreSQL pool stays small per process: ``serve --workers 4`` under a hundred laptops used to
open more connections than PostgreSQL allows (``too many clients already``: pushes failed with 503 until a
laptop gave up; found by ``bench/load_test.py``)."""

from __future__ import annotations

import pytest

from zsfield_sync.storage import PG_POOL_SIZE, make_engine

URL = "postgresql+psycopg://zs@127.0.0.1:1/zsfield"  # never connected: an engine connects on first use


def test_four_workers_stay_under_postgresql_default_max_connections() -> None:
    engine = make_engine(URL)
    try:
        per_process = engine.pool.size() + engine.pool._max_overflow  # type: ignore[attr-defined]
        assert per_process == PG_POOL_SIZE
        assert 4 * per_process <= 50  # half of PostgreSQL's default max_connections (100) for 4 workers
    finally:
        engine.dispose()


def test_pool_size_can_be_set_for_the_site(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZSFIELD_SERVER_DB_POOL", "3")
    engine = make_engine(URL)
    try:
        assert engine.pool.size() == 3 and engine.pool._max_overflow == 0  # type: ignore[attr-defined]
    finally:
        engine.dispose()
