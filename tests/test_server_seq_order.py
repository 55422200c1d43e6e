"""server_seq order is commit order on PostgreSQL (DESIGN: server sequence): a writer that starts while another
holds its numbers waits for it to commit, so a pull can never see a later number before an earlier one
commits and skip the earlier change for good ("commit order ≠ sequence order"). ``bench/load_test.py`` checks
the same under 100 laptops and 4 workers; this pins the mechanism (the counter row lock), which a faster
allocation (a database sequence, a counter outside the transaction) would silently break."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from sync_helpers import PG_ENV, make_database, wait_for

pytestmark = [
    pytest.mark.pg,
    pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set (no PostgreSQL)"),
]


def _row(record_id: str, seq: int) -> dict[str, object]:
    return {"entity": "company", "id": record_id, "version": 1, "scope": "*", "parent_id": None,
            "deleted": False, "data": "{}", "field_versions": "{}", "server_seq": seq, "created_by": None,
            "updated_at": "2026-12-01T00:00:00"}  # fmt: skip


def test_a_later_writer_waits_and_a_pull_meanwhile_skips_nothing(tmp_path: Path) -> None:
    from zsfield_sync.storage import open_storage, read_tx, records, write_tx

    db = make_database("postgresql", tmp_path)
    engine = open_storage(db.url)
    try:
        first_holds = threading.Event()
        release = threading.Event()
        seqs: dict[str, int] = {}
        errors: list[BaseException] = []

        def writer(name: str) -> None:
            try:
                with write_tx(engine) as tx:
                    seqs[name] = tx.next_seq()
                    tx.conn.execute(records.insert().values(**_row(name, seqs[name])))
                    if name == "first":
                        first_holds.set()
                        release.wait(60)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        first = threading.Thread(target=writer, args=("first",))
        first.start()
        assert first_holds.wait(60)
        second = threading.Thread(target=writer, args=("second",))
        second.start()

        def second_waits_on_a_lock() -> bool:
            with engine.connect() as conn:
                return bool(
                    conn.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND wait_event_type = 'Lock' AND query ILIKE '%counter%'"
                        )
                    ).scalar()
                )

        wait_for(second_waits_on_a_lock, timeout=60)
        assert "second" not in seqs  # it has no number while the first holds the counter
        with read_tx(engine) as conn:  # a pull now sees neither change (nothing committed)
            assert conn.execute(select(func.count()).select_from(records)).scalar() == 0
        release.set()
        first.join(60)
        second.join(60)
        assert not errors, errors
        assert seqs["second"] == seqs["first"] + 1  # numbered after the first committed
        with read_tx(engine) as conn:
            got = conn.execute(select(records.c.id).order_by(records.c.server_seq)).scalars().all()
        assert got == ["first", "second"]
    finally:
        engine.dispose()
        db.cleanup()
