"""The outbox of a laptop never loses, doubles or blocks an op (issue 11, points 4, 6 and 9).

* every op gets its wire number once, when it is written; a reply trims exactly the ops it names, so a stale
  reply (a second sync of the same database, before the lock) never deletes an op written since — SQLite
  reuses rowids once the table is empty, and the old trim went by a rowid range;
* one sync per database at a time, across processes (an OS file lock): two real sync processes on one
  database against a real uvicorn server, ops written between and during, every op on the server once;
* a laptop refused with ``seq_reused`` gets out by itself (and with ``zsfield sync --repair``): what the
  server holds is acknowledged by its replay, the rest sent under new numbers — nothing doubled or lost;
* migration 0005 keeps the numbers of the ops already in an outbox;
* acknowledged ops are kept for the retention window and sent again after a server restore lost them;
  a restored laptop backup sends nothing the server already has.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from sync_helpers import (
    Laptop,
    SimulatedCrash,
    Zone,
    backends,
    edit_project,
    make_project,
    project_row,
    synced,
    visit,
    zone_fixture,
)
from zsfield import protocol
from zsfield.domain.models import Company
from zsfield.store import Store, outbox, push, sync_state
from zsfield.store.read import sync_lists
from zsfield.store.sync_lock import SyncBusy, sync_lock

BIN = Path(sys.executable).parent


@pytest.fixture(params=backends())
def zone(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Zone]:
    yield from zone_fixture(request.param, tmp_path)


def _ack(batch: list[outbox.PendingOp]) -> protocol.PushResponse:
    return protocol.PushResponse(
        client_id="c",
        last_seq=batch[-1].client_seq,
        epoch="e",
        results=[
            protocol.OpResult(client_seq=op.client_seq, op_id=op.op_id, status="applied", version=1)
            for op in batch
        ],
    )


def _outbox(store: Store) -> list[tuple[int, str]]:
    with store.engine.connect() as conn:
        return [
            tuple(r) for r in conn.exec_driver_sql("SELECT wire_seq, op_id FROM outbox ORDER BY wire_seq")
        ]


# --- point 4: numbers given once, trims by what the server acknowledged -------------------------------------


def test_a_stale_reply_never_deletes_an_op_written_since(store: Store) -> None:
    """Two syncs read the same batch; the first stores its reply and empties the outbox; the officer writes a
    visit (SQLite gives it rowid 1 again); the second sync's reply for the old batch arrives. Before: the
    rowid-range trim deleted the unsent visit, and every later sync exited 0."""
    with store.write("me") as w:
        for n in range(3):
            w.insert(Company(name=f"公司{n}"))
    first = outbox.read_outbox(store)
    second = outbox.read_outbox(store)  # the other sync's read of the same ops
    push.apply_push_reply(store, first, _ack(first), "c")
    assert outbox.outbox_count(store) == 0
    with store.write("me") as w:
        w.insert(Company(name="备份之后的公司"))
    (unsent,) = outbox.read_outbox(store)
    assert unsent.rowid == 1  # the rowid was reused
    push.apply_push_reply(store, second, _ack(second), "c")  # the stale reply
    assert [op.op_id for op in outbox.read_outbox(store)] == [unsent.op_id]
    # and its number is still the next one: the stale reply moved nothing back
    assert unsent.client_seq == 4 and outbox.read_outbox(store)[0].client_seq == 4
    with store.write("me") as w:
        w.insert(Company(name="再一个"))
    assert [seq for seq, _ in _outbox(store)] == [4, 5]


def test_numbers_are_given_when_ops_are_written_from_one_counter(store: Store) -> None:
    with store.write("me") as w:
        for n in range(5):
            w.insert(Company(name=f"公司{n}"))
    assert [seq for seq, _ in _outbox(store)] == [1, 2, 3, 4, 5]
    assert store.get_state("wire_seq") == "5"
    batch = outbox.read_outbox(store, max_ops=2)
    push.apply_push_reply(store, batch, _ack(batch), "c")  # trims 1 and 2 only
    assert [seq for seq, _ in _outbox(store)] == [3, 4, 5]
    rest = outbox.read_outbox(store, after=batch[-1].client_seq)
    assert [op.client_seq for op in rest] == [3, 4, 5]
    # acknowledged ops are kept (for a server restore), with what the reply said
    assert store.scalar("SELECT count(*) FROM sent_op") == 2


def test_the_migration_keeps_the_numbers_of_the_ops_already_in_an_outbox(tmp_path: Path) -> None:
    """A laptop of revision 0004 whose outbox emptied once (offset 7) and then got three ops: after 0005 they
    travel under the numbers they had (an op sent before the upgrade whose reply was lost is replayed by
    the server, not applied twice), and the next op follows them."""
    from zsfield.store import migrate
    from zsfield.store.engine import make_engine

    path = tmp_path / "old.db"
    engine = make_engine(path)
    migrate.upgrade(engine, "0004")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO sync_state (key, value) VALUES ('seq_offset', '7')")
        conn.exec_driver_sql("INSERT INTO sync_state (key, value) VALUES ('client_id', 'old-client')")
        for n in range(3):
            conn.exec_driver_sql(
                "INSERT INTO outbox (op_id, entity, entity_id, op, fields, base_version, schema_version, "
                "created_at) VALUES (?, 'company', ?, 'insert', '{}', 0, 1, '2026-12-01T00:00:00.000000Z')",
                (f"00000000-0000-4000-8000-00000000000{n}", f"c{n}"),
            )
    engine.dispose()
    with Store.open(path) as store:
        assert [seq for seq, _ in _outbox(store)] == [8, 9, 10]
        assert store.get_state("wire_seq") == "10" and store.get_state("seq_offset") is None
        with store.write("me") as w:
            w.insert(Company(name="升级之后"))
        assert [seq for seq, _ in _outbox(store)] == [8, 9, 10, 11]
    # an empty outbox: the counter starts at the last acknowledged number (the offset)
    path2 = tmp_path / "empty.db"
    engine = make_engine(path2)
    migrate.upgrade(engine, "0004")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO sync_state (key, value) VALUES ('seq_offset', '42')")
    engine.dispose()
    with Store.open(path2) as store, store.write("me") as w:
        w.insert(Company(name="第一个"))
    with Store.open(path2) as store:
        assert [seq for seq, _ in _outbox(store)] == [43]


# --- point 4: one sync per database at a time ---------------------------------------------------------------


def test_a_second_sync_of_one_database_is_refused_at_once(zone: Zone) -> None:
    from zsfield.sync.results import EXIT_BUSY

    a1 = zone.laptop("A1")
    make_project(a1, "宁德时代")
    ops = a1.outbox()
    before = a1.store.get_state("last_result")
    with sync_lock(a1.settings.db_path):  # another sync (the app's, say) holds the database
        result = a1.sync()
        assert not result.ok and result.error_kind == "busy" and result.exit_code == EXIT_BUSY == 15
        assert "already running" in (result.error or "")
        assert a1.transport.requests == [] and a1.outbox() == ops  # nothing sent, nothing lost
        assert a1.store.get_state("last_result") == before  # the running sync's result is its own
        with pytest.raises(SyncBusy):  # a restore waits for no sync either
            from zsfield.store.backup import restore_database

            restore_database(a1.home / "a-backup.db", a1.settings.db_path, force=True)
    result = a1.sync()  # the lock went with the other sync
    assert result.ok and a1.outbox() == 0


_SYNC_LOOP = """
import json, sys
import keyring
from keyring.backends import fail
keyring.set_keyring(fail.Keyring())
from zsfield.config import load_settings
from zsfield.store import Store
from zsfield.sync.client import SyncOptions
from zsfield.sync.run import run_sync
settings = load_settings()
codes = []
with Store.open(settings.db_path) as store:
    for _ in range(int(sys.argv[1])):
        result = run_sync(store, settings, options=SyncOptions(batch_ops=int(sys.argv[2]), backoff=0.01))
        codes.append(result.error_kind or ("ok" if result.ok else "failed"))
print(json.dumps(codes))
"""


def _sync_process(lap: Laptop, rounds: int, batch_ops: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "ZSFIELD_HOME": str(lap.home),
        "ZSFIELD_DB": str(lap.settings.db_path),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    return subprocess.Popen(
        [sys.executable, "-c", _SYNC_LOOP, str(rounds), str(batch_ops)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _server_ops(zone: Zone) -> Counter[str]:
    from zsfield_sync.storage import op_log, read_tx

    with read_tx(zone.server.engine) as conn:
        return Counter(r.op_id for r in conn.execute(select(op_log.c.op_id)))


def _write_ops(lap: Laptop, written: list[str], stop: threading.Event, leads: list[str]) -> None:
    from zsfield.store.actions.leads import capture_lead

    n = 0
    while not stop.is_set() or n < 5:
        with lap.store.write(lap.officer_id) as w:
            lead = capture_lead(w, title=f"线索{n}", company_name=f"公司{n}", team_id=lap.team_id)
            w._flush_ops()  # noqa: SLF001  (the ops of this write, numbered now: their ids are known)
            written.extend(
                r[0]
                for r in w.session.connection().exec_driver_sql(
                    "SELECT op_id FROM outbox WHERE entity_id IN (SELECT id FROM lead WHERE id = ?) OR "
                    "entity_id IN (SELECT company_id FROM lead WHERE id = ?)",
                    (lead.id, lead.id),
                )
            )
            leads.append(lead.id)
        n += 1
        stop.wait(0.01)


def test_two_sync_processes_on_one_database_lose_and_double_nothing(zone: Zone) -> None:
    """Two processes sync one database again and again (small batches, so the outbox empties and fills)
    while the officer keeps writing; then a last sync. Every op is on the server exactly once, every lead is
    there, the outbox is empty; the process that found the other one syncing was told so."""
    a1 = zone.laptop("A1")
    written: list[str] = []
    leads: list[str] = []
    stop = threading.Event()
    writer = threading.Thread(target=_write_ops, args=(a1, written, stop, leads))
    writer.start()
    try:
        procs = [_sync_process(a1, 12, 2) for _ in range(2)]
        outputs = [p.communicate(timeout=240) for p in procs]
    finally:
        stop.set()
        writer.join(timeout=60)
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert set(json.loads(out)) <= {"ok", "busy"}, out
    synced(a1)
    assert a1.outbox() == 0
    on_server = _server_ops(zone)
    assert set(written) <= set(on_server)
    assert [op for op, n in on_server.items() if n > 1] == []
    assert sorted(r["id"] for r in zone.server.records("lead")) == sorted(leads)


# --- point 4: a laptop refused with seq_reused gets out, losing and doubling nothing ------------------------


def test_a_laptop_refused_with_seq_reused_is_realigned(zone: Zone) -> None:
    """The state the old numbering left behind: ops the server applied whose reply was never stored (still in
    the outbox under their numbers), then ops written under numbers the server already holds for other ops.
    The next sync asks the server about each number it holds, acknowledges what it replays and sends the
    rest under new numbers."""
    a1 = zone.laptop("A1")
    pid = make_project(a1, "比亚迪")
    synced(a1)
    held = int(a1.store.get_state("wire_seq") or 0)
    visit(a1, pid, "回复丢失的拜访")

    def crash(stage: str) -> None:
        if stage == "push:reply":
            raise SimulatedCrash(stage)

    with pytest.raises(SimulatedCrash):
        a1.sync(fault=crash)  # applied on the server; the reply never stored
    applied_unacked = a1.outbox()
    assert applied_unacked > 0
    with a1.store.engine.begin() as conn:  # the counter set back (what the old offset could do)
        conn.exec_driver_sql("UPDATE sync_state SET value = ? WHERE key = 'wire_seq'", (str(held - 2),))
    reused = visit(a1, pid, "序号被占用的拜访")
    assert [seq for seq, _ in _outbox(a1.store)][applied_unacked:] != []
    result = a1.sync()
    assert result.ok, result.error
    assert result.realigned > 0 and a1.outbox() == 0
    assert zone.server.record("visit", reused) is not None
    visits = zone.server.records("visit")
    assert sorted(v["data"]["summary"] for v in visits) == ["回复丢失的拜访", "序号被占用的拜访"]
    assert [op for op, n in _server_ops(zone).items() if n > 1] == []
    assert a1.sync().ok  # and it stays unstuck


def test_sync_repair_checks_the_numbers_first(zone: Zone) -> None:
    a1 = zone.laptop("A1")
    pid = make_project(a1, "小米汽车")
    synced(a1)
    visit(a1, pid, "待上传")
    sync_state.mark_realign(a1.store)  # what `zsfield sync --repair` does before its sync
    result = a1.sync()
    assert result.ok and result.realigned == 1 and a1.outbox() == 0
    assert a1.store.get_state("realign") == "0"
    assert [op for op, n in _server_ops(zone).items() if n > 1] == []
    assert len(zone.server.records("visit")) == 1


# --- point 6: acknowledged ops kept, sent again after a server restore lost them ----------------------------


def test_a_server_restore_loses_no_acknowledged_change(zone: Zone) -> None:
    """The server is restored from a backup older than changes it had acknowledged (a visit, a field edit),
    with the laptop that made them online and an op still pending. The next sync sends the lost ones again,
    ahead of the pending one, and says how many; the laptop's acknowledged edit is not reverted; the other
    laptop gets everything; the officer's next edit is based on a version the restored server knows."""
    from zsfield_sync.storage import dump_tables, restore_tables

    a1, a2 = zone.laptop("A1"), zone.laptop("A2")
    pid = make_project(a1, "长江存储")
    synced(a1, a2)
    backup = dump_tables(zone.server.engine)
    lost_visit = visit(a1, pid, "备份之后的拜访")
    edit_project(a1, pid, park_area="光谷")
    after_backup = a1.sync()
    assert after_backup.ok and after_backup.pushed > 0
    pending = visit(a1, pid, "恢复前未上传的拜访")
    info = restore_tables(zone.server.engine, backup)
    assert zone.server.record("visit", lost_visit) is None  # the restore lost them

    result = a1.sync()
    assert result.ok, result.error
    assert result.epoch_reset and result.resent == after_backup.pushed and a1.outbox() == 0
    assert result.conflicts == 0 and result.rejections == 0
    from zsfield.sync.results import notes

    assert f"{after_backup.pushed} acknowledged changes it had lost were sent again" in "\n".join(
        notes(result)
    )
    assert zone.server.record("visit", lost_visit) is not None
    assert zone.server.record("visit", pending) is not None
    assert zone.server.record("project", pid)["data"]["park_area"] == "光谷"  # type: ignore[index]
    assert project_row(a1, pid)["park_area"] == "光谷"  # not reverted by the full re-pull
    # the re-sent ops are the restored server's now, numbered under the new epoch
    with a1.store.engine.connect() as conn:
        epochs = {
            r[0]
            for r in conn.exec_driver_sql("SELECT epoch FROM sent_op WHERE server_seq > ?", (info["head"],))
        }
    assert epochs == {info["epoch"]}
    server_version = zone.server.record("project", pid)["version"]  # type: ignore[index]
    assert project_row(a1, pid)["version"] == server_version
    edit_project(a1, pid, park_area="东湖")  # based on a version the restored server handed out
    result = a1.sync()
    assert result.ok and result.conflicts == 0 and result.rejections == 0
    assert zone.server.record("project", pid)["data"]["park_area"] == "东湖"  # type: ignore[index]
    result = a2.sync()
    assert result.ok and result.epoch_reset and result.resent == 0
    assert project_row(a2, pid)["park_area"] == "东湖"
    assert {lost_visit, pending} <= {v["id"] for v in a2.rows("visit")}
    assert [op for op, n in _server_ops(zone).items() if n > 1] == []


def test_ops_written_before_a_restore_carry_the_epoch_of_their_base(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO sync_state (key, value) VALUES ('epoch', 'old-epoch')")
    with store.write("me") as w:
        w.insert(Company(name="恢复前"))
    restore = protocol.RestoreInfo(epoch="new-epoch", previous_epoch="old-epoch", head=0, restored_at="x")
    sync_state.reset_for_epoch(store, "new-epoch", restore)
    (op,) = outbox.read_outbox(store)
    assert op.base_epoch == "old-epoch" and op.to_wire().base_epoch == "old-epoch"
    with store.write("me") as w:
        w.insert(Company(name="恢复后"))
    later = outbox.read_outbox(store)[-1]
    assert later.base_epoch is None and "base_epoch" not in later.wire_dict()  # omitted when not set


def test_acknowledged_ops_are_kept_for_the_retention_window(store: Store) -> None:
    with store.write("me") as w:
        for n in range(3):
            w.insert(Company(name=f"公司{n}"))
    batch = outbox.read_outbox(store)
    push.apply_push_reply(store, batch, _ack(batch), "c")
    assert store.scalar("SELECT count(*) FROM sent_op") == 3
    with store.engine.begin() as conn:  # one of them acknowledged 31 days ago
        conn.exec_driver_sql(
            "UPDATE sent_op SET acked_at = '2020-01-01T00:00:00.000000' WHERE op_id = ?", (batch[0].op_id,)
        )
    assert outbox.prune_sent(store, 30) == 1
    assert store.scalar("SELECT count(*) FROM sent_op") == 2
    assert outbox.prune_sent(store, 30) == 0


def test_the_retention_window_is_a_setting(tmp_path: Path) -> None:
    from zsfield.config import ConfigError, load_settings

    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    env = {"ZSFIELD_HOME": str(home)}
    assert load_settings(env=env).sync_retention_days == 30
    (home / "config" / "config.toml").write_text("sync_retention_days = 90\n", encoding="utf-8")
    assert load_settings(env=env).sync_retention_days == 90
    (home / "config" / "config.toml").write_text("sync_retention_days = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_settings(env=env)


# --- point 9: a restored laptop backup sends nothing the server already has --------------------------------


def test_a_restored_laptop_backup_sends_nothing_twice(zone: Zone, tmp_path: Path) -> None:
    """The backup's outbox holds an edit the live database sent after the backup; the officer edited the same
    field again since. Restored, the laptop replays that edit (the server holds it under its number and op
    id): no conflict with the officer's own later edit, nothing applied twice, the later value stays."""
    from zsfield.store.backup import backup_database, restore_database

    a1 = zone.laptop("A1")
    pid = make_project(a1, "京东方")
    synced(a1)
    edit_project(a1, pid, park_area="一区")
    saved = tmp_path / "a1-backup.db"
    backup_database(a1.store, saved)
    synced(a1)  # the edit in the backup's outbox is acknowledged after the backup
    edit_project(a1, pid, park_area="二区")  # the officer's own later edit
    synced(a1)
    a1.store.close()
    restore_database(saved, a1.settings.db_path, force=True)
    a1.store = Store.open(a1.settings.db_path)
    assert a1.outbox() == 1
    result = a1.sync()
    assert result.ok, result.error
    assert result.conflicts == 0 and result.rejections == 0 and result.replayed == 1
    assert a1.outbox() == 0 and not sync_lists.open_conflicts(a1.store)
    assert zone.server.record("project", pid)["data"]["park_area"] == "二区"  # type: ignore[index]
    assert project_row(a1, pid)["park_area"] == "二区"
    assert [op for op, n in _server_ops(zone).items() if n > 1] == []
    edit_project(a1, pid, park_area="三区")  # and the restored laptop goes on
    result = a1.sync()
    assert result.ok and result.conflicts == 0
    assert zone.server.record("project", pid)["data"]["park_area"] == "三区"  # type: ignore[index]


def test_a_server_restored_during_the_pull_gets_what_it_lost_in_the_same_sync(zone: Zone) -> None:
    """The server is restored while the laptop is pulling (after its push went through): the pull starts
    over, the acknowledged ops the restore lost go back into the outbox and are sent again in that sync."""
    from zsfield_sync.storage import dump_tables, restore_tables

    a1 = zone.laptop("A1")
    pid = make_project(a1, "中微半导体")
    synced(a1)
    backup = dump_tables(zone.server.engine)
    lost = visit(a1, pid, "备份之后的拜访")
    edit_project(a1, pid, park_area="张江")
    restored: list[bool] = []

    def restore_once(stage: str) -> None:
        if stage == "pull:page" and not restored:
            restore_tables(zone.server.engine, backup)
            restored.append(True)

    result = a1.sync(fault=restore_once, page_size=1)
    assert result.ok, result.error
    assert restored and result.epoch_reset and result.resent > 0 and a1.outbox() == 0
    assert zone.server.record("visit", lost) is not None
    assert zone.server.record("project", pid)["data"]["park_area"] == "张江"  # type: ignore[index]
    assert project_row(a1, pid)["park_area"] == "张江"
    assert [op for op, n in _server_ops(zone).items() if n > 1] == []
