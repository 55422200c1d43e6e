"""Backups and restores: an officer's own database (``zsfield backup`` / ``zsfield restore``) and the central
server's (``zsfield-server backup`` / ``restore``, while a real uvicorn server runs and laptops hold pending
ops). The real commands in subprocesses."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli_helpers import digest, zsfield
from sync_helpers import Zone, backends, edit_project, make_project, project_row, synced, visit, zone_fixture
from zsfield.domain.enums import SourceChannel
from zsfield.i18n import t
from zsfield.store import Store
from zsfield.store.actions.leads import capture_lead
from zsfield.store.backup import WouldOverwrite, backup_database, restore_database

ACTOR = "00000000-0000-4000-8000-000000000001"
BIN = Path(sys.executable).parent


def server_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "zsfield-server"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        encoding="utf-8",
        env=dict(os.environ),
    )


def count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def add_lead(store: Store, title: str) -> None:
    with store.write(ACTOR) as w:
        capture_lead(w, title=title, source_channel=SourceChannel.STATIONED)


@pytest.fixture
def officer_db(isolated_home: Path) -> Path:
    """The officer's database where the CLI looks by default (the data dir of ZSFIELD_HOME)."""
    path = isolated_home / "data" / "zsfield.db"
    with Store.open(path) as store:
        add_lead(store, "备份前的线索")
        store.set_state("server", "https://zs.example.gov.cn")
        store.set_state("client_id", "laptop-before")
        store.set_state("cursor", "42")
    return path


# --- an officer's own database -------------------------------------------------------------------------------


def test_backup_goes_to_a_timestamped_file_under_backups_and_never_overwrites(
    officer_db: Path, isolated_home: Path
) -> None:
    first = zsfield("backup")
    assert first.returncode == 0, first.stderr
    second = zsfield("backup")  # the same second, perhaps: a new name all the same
    assert second.returncode == 0, second.stderr
    files = sorted((isolated_home / "data" / "backups").glob("*.db"))
    assert len(files) == 2
    for f in files:
        assert re.fullmatch(r"zsfield-\d{8}-\d{6}(-\d+)?\.db", f.name), f.name
        assert str(f) in first.stdout + second.stdout
        assert count(f, "lead") == 1 and count(f, "outbox") == count(officer_db, "outbox")
    assert "integrity ok" in first.stdout
    before = digest(files[0])
    again = zsfield("backup", "--out", str(files[0]))
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert t("backup.exists", "en", path=files[0]) in again.stderr
    assert t("backup.exists", "zh", path=files[0]) in again.stderr
    assert digest(files[0]) == before
    assert not list((isolated_home / "data" / "backups").glob("*.partial"))


def test_backup_is_one_consistent_snapshot_while_a_write_is_open(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    store = Store.open(path)
    add_lead(store, "已提交")
    committed_ops = store.scalar("SELECT count(*) FROM outbox")
    started, release = threading.Event(), threading.Event()

    def writer() -> None:
        with store.write(ACTOR) as w:
            capture_lead(w, title="未提交", source_channel=SourceChannel.STATIONED)
            w.session.flush()
            started.set()
            release.wait(30)

    thread = threading.Thread(target=writer)
    thread.start()
    assert started.wait(30)
    try:
        out = tmp_path / "snapshot.db"
        size = backup_database(store, out)  # the app goes on; the backup does not wait for it
    finally:
        release.set()
        thread.join()
    assert size == out.stat().st_size
    conn = sqlite3.connect(out)
    try:
        assert [r[0] for r in conn.execute("SELECT title FROM lead")] == ["已提交"]
        # the committed lead's ops and nothing of the open transaction
        assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == committed_ops
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    assert store.scalar("SELECT count(*) FROM lead") == 2
    store.close()


def test_restore_refuses_an_existing_database_unless_forced_and_keeps_it_aside(
    officer_db: Path, tmp_path: Path
) -> None:
    backup = tmp_path / "saved.db"
    assert zsfield("backup", "--out", str(backup)).returncode == 0
    with Store.open(officer_db) as store:
        add_lead(store, "备份后的线索")  # a change the backup does not have
    current = digest(officer_db)
    refused = zsfield("restore", str(backup))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "--force" in refused.stderr and "已存在" in refused.stderr
    assert digest(officer_db) == current and count(officer_db, "lead") == 2
    backup_bytes = digest(backup)

    done = zsfield("restore", str(backup), "--force")
    assert done.returncode == 0, done.stderr
    assert digest(backup) == backup_bytes  # the backup is only read
    (aside,) = officer_db.parent.glob("zsfield.db.before-restore-*[0-9]")
    assert str(aside) in done.stdout
    assert count(aside, "lead") == 2  # nothing of the replaced file is lost
    assert count(officer_db, "lead") == 1
    with Store.open(officer_db) as store:
        # the restored laptop pulls again from 0 and keeps its outbox and client id: before sending it checks
        # its numbers against the server's, which replays what the live database sent after the backup
        assert store.get_state("client_id") == "laptop-before" and store.get_state("realign") == "1"
        assert store.get_state("cursor") == "0" and store.get_state("full_repull") == "1"
        assert store.get_state("server") == "https://zs.example.gov.cn"
        assert store.scalar("SELECT count(*) FROM outbox") == count(backup, "outbox") > 0
        assert store.scalar("PRAGMA integrity_check") == "ok"


def test_restore_into_a_new_place_and_the_library_refusals(officer_db: Path, tmp_path: Path) -> None:
    backup = tmp_path / "saved.db"
    backup_database(officer_db, backup)
    fresh = tmp_path / "new-laptop" / "zsfield.db"
    assert restore_database(backup, fresh) is None
    assert count(fresh, "lead") == 1
    with pytest.raises(WouldOverwrite):
        restore_database(backup, fresh)
    with pytest.raises(WouldOverwrite):
        backup_database(officer_db, backup)


@pytest.mark.parametrize(("damage", "code"), [("random", 6), ("cut", 6), ("newer", 4)])
def test_a_bad_backup_is_refused_and_the_database_is_left_alone(
    officer_db: Path, tmp_path: Path, damage: str, code: int
) -> None:
    backup = tmp_path / "bad.db"
    backup_database(officer_db, backup)
    if damage == "random":
        backup.write_bytes(os.urandom(20_000))
    elif damage == "cut":
        backup.write_bytes(backup.read_bytes()[:8192])
    else:
        conn = sqlite3.connect(backup)
        conn.execute("UPDATE alembic_version SET version_num = 'f00d_from_2031'")
        conn.commit()
        conn.close()
    before, saved = digest(officer_db), digest(backup)
    result = zsfield("restore", str(backup), "--force")
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert digest(officer_db) == before and digest(backup) == saved
    assert not list(officer_db.parent.glob("*.restoring*")) and not list(
        officer_db.parent.glob("*before-restore*")
    )


# --- the central server, while it runs ----------------------------------------------------------------------


@pytest.fixture(params=backends())
def zone(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Zone]:
    yield from zone_fixture(request.param, tmp_path)


def test_server_backup_and_restore_while_it_runs_keeps_every_pending_op(zone: Zone, tmp_path: Path) -> None:
    """The admin backs up the running server, laptops go on syncing, the server is restored to the backup
    (new epoch): the laptops notice, pull everything again and send what they still had; nothing is lost
    that a laptop still holds."""
    a1, a2 = zone.laptop("A1"), zone.laptop("A2")
    pid = make_project(a1, "长鑫存储")
    synced(a1, a2)
    db = zone.server.db.url
    sqlite = db.startswith("sqlite")
    out = tmp_path / ("server-backup.db" if sqlite else "server-backup.json")
    backed = server_cli("backup", "--db", db, "--out", str(out))
    assert backed.returncode == 0, backed.stderr
    if sqlite:
        assert out.read_bytes()[:16] == b"SQLite format 3\x00" and "online backup" in backed.stdout
    else:
        assert "pg_dump" in backed.stderr  # the recommended path on PostgreSQL is said
    epoch_before = server_cli("epoch", "--db", db).stdout.strip()

    visit(
        a1, pid, "备份之后、已上传的拜访"
    )  # acknowledged after the backup: the restore loses it on the server
    synced(a1)
    edit_project(a1, pid, park_area="临港")  # still pending on the laptop when the server is restored
    pending = visit(a1, pid, "恢复前尚未上传的拜访")
    waiting = a1.outbox()
    assert waiting > 0

    saved = digest(out)
    refused = server_cli("restore", str(out), "--db", db)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    restored = server_cli("restore", str(out), "--db", db, "--yes")  # the server keeps running meanwhile
    assert restored.returncode == 0, restored.stderr
    epoch_after = server_cli("epoch", "--db", db).stdout.strip()
    assert epoch_after and epoch_after != epoch_before and epoch_after in restored.stdout
    assert zone.server.record("visit", pending) is None  # the restored server has not seen it

    result = a1.sync()
    assert result.ok, result.error
    assert result.epoch_reset and a1.outbox() == 0
    assert zone.server.record("visit", pending) is not None
    assert zone.server.record("project", pid)["data"]["park_area"] == "临港"  # type: ignore[index]
    assert project_row(a1, pid)["park_area"] == "临港"
    result = a2.sync()
    assert result.ok and result.epoch_reset
    assert project_row(a2, pid)["park_area"] == "临港"
    assert any(v["id"] == pending for v in a2.rows("visit"))
    assert digest(out) == saved  # the backup is only read


def test_server_refuses_an_existing_backup_file_and_a_file_that_is_not_a_backup(
    zone: Zone, tmp_path: Path
) -> None:
    db = zone.server.db.url
    taken = tmp_path / "taken.db"
    taken.write_bytes(b"keep me")
    result = server_cli("backup", "--db", db, "--out", str(taken))
    assert result.returncode == 2 and "already exists" in result.stderr
    assert taken.read_bytes() == b"keep me"
    result = server_cli("restore", str(taken), "--db", db, "--yes")
    assert result.returncode == 2 and "cannot read the backup" in result.stderr
    assert "Traceback" not in result.stderr
    if db.startswith("sqlite"):
        json_out = tmp_path / "logical.json"
        assert server_cli("backup", "--db", db, "--out", str(json_out), "--format", "json").returncode == 0
        assert server_cli("restore", str(json_out), "--db", db, "--yes").returncode == 0
