"""Faults during sync against a real uvicorn server (SQLite, and PostgreSQL where ZSFIELD_TEST_PG_URL is set):
a reply lost after the commit, a laptop killed before trimming its outbox, a pull cut mid-page, a revoked
token, a restored server, an op too large to send, a newer server schema, edits made while syncing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from sync_helpers import (
    SimulatedCrash,
    Zone,
    backends,
    edit_project,
    fetch_conflicts,
    make_project,
    project_row,
    same_project,
    synced,
    visit,
    zone_fixture,
)
from zsfield.store.read.sync_lists import open_conflicts


@pytest.fixture(params=backends())
def zone(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Zone]:
    yield from zone_fixture(request.param, tmp_path)


def test_reply_lost_after_the_server_committed(zone: Zone) -> None:
    a1 = zone.laptop("A1")
    pid = make_project(a1, "京东方显示")
    for n in range(5):
        visit(a1, pid, f"拜访 {n}", next_on=date(2026, 12, 1))
    ops = a1.outbox()
    a1.transport.lose_replies["/v1/push"] = 1  # the server commits, the reply never arrives
    result = a1.sync()
    assert result.ok, result.error
    assert result.replayed == ops and result.pushed == ops and a1.outbox() == 0
    assert a1.transport.requests.count("POST /v1/push") == 2
    assert len(zone.server.records("visit")) == 5 and len(zone.server.records("follow_up")) == 5
    assert len(zone.server.records("project")) == 1


def test_killed_between_reply_and_outbox_trim(zone: Zone) -> None:
    a1, a2 = zone.laptop("A1"), zone.laptop("A2")
    pid = make_project(a1, "中芯国际")
    synced(a1, a2)
    edit_project(a1, pid, park_area="A区")
    synced(a1)
    edit_project(a2, pid, park_area="B区")  # will conflict
    visit(a2, pid, "现场考察", next_on=date(2026, 12, 3))
    ops = a2.outbox()

    def crash(stage: str) -> None:
        if stage == "push:reply":
            raise SimulatedCrash(stage)

    with pytest.raises(SimulatedCrash):
        a2.sync(fault=crash)
    assert a2.outbox() == ops  # nothing trimmed: the reply was never stored
    assert not open_conflicts(a2.store)
    result = a2.sync()  # after the restart
    assert result.ok and result.replayed == ops and a2.outbox() == 0
    assert result.conflicts == 1 and len(open_conflicts(a2.store)) == 1  # the same conflict, once
    assert len(zone.server.records("visit")) == 1
    synced(a1)
    assert len(fetch_conflicts(a1.store, a1.settings)) == 1


TABLES = ("office", "team", "officer", "company", "lead", "contact", "note", "project", "service_plan",
          "stage_event", "visit")  # fmt: skip


def test_pull_interrupted_mid_page(zone: Zone) -> None:
    a1, a2 = zone.laptop("A1"), zone.laptop("A2")
    pid = make_project(a2, "宁德储能")
    for n in range(24):
        visit(a2, pid, f"拜访 {n}")
    synced(a2)
    calls = {"n": 0}

    def crash(stage: str) -> None:
        if stage == "pull:page":
            calls["n"] += 1
            if calls["n"] == 2:
                raise SimulatedCrash(stage)

    with pytest.raises(SimulatedCrash):
        a1.sync(fault=crash, page_size=10)
    first_cursor = int(a1.store.get_state("cursor") or 0)
    assert first_cursor > 0
    assert sum(len(a1.rows(t)) for t in TABLES) == 10  # the first page and its cursor, nothing of the second
    a1.transport.lose_replies["/v1/pull"] = 1  # and a page lost on the wire: retried
    result = a1.sync(page_size=10)
    assert result.ok, result.error
    assert int(a1.store.get_state("cursor") or 0) > first_cursor
    for table in TABLES:
        assert sorted(r["id"] for r in a1.rows(table)) == sorted(r["id"] for r in a2.rows(table)), table
    same_project(a1, a2, pid)


def test_revoked_token_stops_and_keeps_every_op(zone: Zone) -> None:
    a1 = zone.laptop("A1")
    pid = make_project(a1, "华为数据中心")
    visit(a1, pid, "洽谈")
    ops = a1.outbox()
    zone.server.revoke("A1")
    result = a1.sync()
    assert not result.ok and result.error_kind == "auth" and result.exit_code == 11
    assert "revoked" in (result.error or "")
    assert a1.outbox() == ops and zone.server.records("project") == []


def test_server_restored_from_an_older_backup(zone: Zone) -> None:
    from zsfield_sync.storage import dump_tables, restore_tables

    a1, a2 = zone.laptop("A1"), zone.laptop("A2")
    pid = make_project(a1, "长江存储")
    synced(a1, a2)
    backup = dump_tables(zone.server.engine)
    visit(a1, pid, "备份之后的拜访")  # acknowledged after the backup: the restore loses it on the server
    synced(a1)
    edit_project(a1, pid, park_area="光谷")  # still in the outbox when the server is restored
    pending = visit(a1, pid, "恢复前未上传的拜访")
    assert a1.outbox() > 0
    restore_tables(zone.server.engine, backup)
    result = a1.sync()
    assert result.ok, result.error
    assert result.epoch_reset and a1.outbox() == 0
    assert zone.server.record("visit", pending) is not None
    assert zone.server.record("project", pid)["data"]["park_area"] == "光谷"  # type: ignore[index]
    assert project_row(a1, pid)["park_area"] == "光谷"
    result = a2.sync()
    assert result.ok and result.epoch_reset
    assert project_row(a2, pid)["park_area"] == "光谷"
    assert any(v["id"] == pending for v in a2.rows("visit"))


def test_a_change_too_large_to_send_is_rejected_visibly_and_does_not_block(zone: Zone) -> None:
    from zsfield import protocol
    from zsfield.store.actions.timeline import add_note

    a1 = zone.laptop("A1")
    pid = make_project(a1, "超大备注项目")
    with a1.store.write(a1.officer_id) as w:
        # 3 bytes a character in JSON: more than a push may carry
        big = add_note(w, project_id=pid, body="长" * (protocol.MAX_BODY_BYTES // 2))
    after = visit(a1, pid, "之后的拜访")
    result = a1.sync()
    assert result.ok and result.rejections == 1 and a1.outbox() == 0
    (rejection,) = a1.rows("rejection")
    assert rejection["code"] == "too_large" and rejection["entity_id"] == big.id
    assert big.id in rejection["op"]  # the officer can still see (and copy) what was not sent
    assert zone.server.record("visit", after) is not None and zone.server.record("note", big.id) is None


def test_an_op_the_servers_checks_refuse_becomes_a_rejection_and_does_not_block(zone: Zone) -> None:
    """A laptop whose clock said 1970: the server refuses the batch (422 invalid_op, nothing applied); the
    laptop sends that op again as void, lists it as a rejection with the server's reason, and the rest of
    its queue goes through — before and after the bad op."""
    from datetime import UTC, datetime

    from zsfield.store.actions.timeline import log_visit

    a1 = zone.laptop("A1")
    pid = make_project(a1, "时钟错乱项目")
    with a1.store.write(a1.officer_id) as w:
        bad, _ = log_visit(
            w, project_id=pid, summary="时钟错误", occurred_at=datetime(1970, 1, 2, tzinfo=UTC)
        )
    after = visit(a1, pid, "之后的拜访")
    result = a1.sync()
    assert result.ok and result.rejections == 1 and a1.outbox() == 0
    (rejection,) = a1.rows("rejection")
    assert rejection["code"] == "invalid" and rejection["entity_id"] == bad.id
    assert "occurred_at" in rejection["message"]  # the server's reason, naming the field
    assert zone.server.record("visit", bad.id) is None
    assert zone.server.record("visit", after) is not None and zone.server.record("project", pid) is not None
    assert a1.sync().rejections == 0  # decided once: nothing is sent again


def test_a_newer_server_schema_stops_the_sync_and_keeps_every_op(
    zone: Zone, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zsfield import protocol

    a1 = zone.laptop("A1")
    make_project(a1, "舍弗勒")
    ops = a1.outbox()
    monkeypatch.setattr(protocol, "MIN_SCHEMA_VERSION", protocol.SCHEMA_VERSION + 1)  # the server moved on
    result = a1.sync()
    assert not result.ok and result.error_kind == "schema" and result.exit_code == 12
    assert "update zsfield" in (result.error or "").lower()
    assert a1.outbox() == ops and zone.server.records("project") == []


def test_edits_made_while_a_sync_is_in_flight_are_never_overwritten(zone: Zone) -> None:
    a1, a2 = zone.laptop("A1"), zone.laptop("A2")
    pid = make_project(a1, "蔚蓝锂芯")
    synced(a1, a2)
    edit_project(a2, pid, industry="锂电")
    synced(a2)
    edit_project(a1, pid, park_area="南区")
    done: set[str] = set()

    def officer_types_meanwhile(stage: str) -> None:  # the TUI keeps working while the sync runs
        if stage == "push:reply" and stage not in done:
            done.add(stage)
            edit_project(a1, pid, park_area="南区三期")
        if stage == "pull:page" and stage not in done:
            done.add(stage)
            edit_project(a1, pid, industry="锂电池")

    result = a1.sync(fault=officer_types_meanwhile)
    assert result.ok, result.error
    row = project_row(a1, pid)
    assert (row["park_area"], row["industry"]) == (
        "南区三期",
        "锂电池",
    )  # neither ack nor pull overwrote them
    assert (
        a1.outbox() == 1
    )  # the edit made during the push went in the next batch; the one during the pull waits
    synced(a1, a2)
    assert not open_conflicts(a1.store)  # the later edits are the same officer's: no conflict with themselves
    same_project(a1, a2, pid)
    assert (project_row(a2, pid)["park_area"], project_row(a2, pid)["industry"]) == ("南区三期", "锂电池")
