"""A server restore loses nothing and brings nothing back (issue 11, points 5 and 6, server side).

A real uvicorn server (SQLite and PostgreSQL), the real ``zsfield-server`` commands in subprocesses, laptops
that log in and sync. After ``zsfield-server restore`` (or a restore by other means and ``epoch --renew``):
* the accounts are as they were just before the restore, not as the backup had them: a token revoked after
  the backup stays revoked, a rotated token keeps working (and the old one does not), an officer added after
  the backup stays in, and the officer records the laptops pull agree with the accounts;
* ``/v1/whoami`` tells the laptops what the restore was (``WhoAmI.restore``) and the server keeps the list of
  its earlier epochs;
* the command says what it did and what the laptops will send again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sync_helpers import Laptop, Zone, backends, make_project, synced, zone_fixture

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


@pytest.fixture(params=backends())
def zone(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Zone]:
    yield from zone_fixture(request.param, tmp_path)


def get(zone: Zone, path: str, token: str) -> httpx.Response:
    return httpx.get(f"{zone.server.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def backup(zone: Zone, tmp_path: Path, fmt: str | None = None) -> Path:
    sqlite = zone.server.db.url.startswith("sqlite")
    out = tmp_path / ("server-backup.db" if sqlite and fmt != "json" else "server-backup.json")
    args = ["backup", "--db", zone.server.db.url, "--out", str(out)]
    if fmt:
        args += ["--format", fmt]
    done = server_cli(*args)
    assert done.returncode == 0, done.stderr
    return out


def epoch_and_head(zone: Zone) -> tuple[str, int]:
    from zsfield_sync.storage import get_epoch, get_head, read_tx

    with read_tx(zone.server.engine) as conn:
        return get_epoch(conn), get_head(conn)


def meta_of(zone: Zone) -> tuple[dict[str, Any] | None, list[str]]:
    from zsfield_sync.storage import get_restore, known_epochs, read_tx

    with read_tx(zone.server.engine) as conn:
        return get_restore(conn), known_epochs(conn)


@pytest.mark.parametrize("fmt", [None, "json"])
def test_restore_info_reaches_whoami_and_the_earlier_epochs_are_kept(
    zone: Zone, tmp_path: Path, fmt: str | None
) -> None:
    """Restored twice: whoami.restore names the new epoch, the backup's epoch and head; every earlier epoch
    is kept, oldest first; the command says what it did and what laptops re-send."""
    if fmt == "json" and not zone.server.db.url.startswith("sqlite"):
        pytest.skip("on PostgreSQL the default format is JSON already")
    a1 = zone.laptop("A1")
    make_project(a1, "长鑫存储")
    synced(a1)
    assert get(zone, "/v1/whoami", a1.token).json()["restore"] is None
    first_epoch, head = epoch_and_head(zone)
    out = backup(zone, tmp_path, fmt)
    make_project(a1, "备份之后的项目")
    synced(a1)

    done = server_cli("restore", str(out), "--db", zone.server.db.url, "--yes")
    assert done.returncode == 0, done.stderr
    second_epoch, _ = epoch_and_head(zone)
    assert second_epoch != first_epoch
    who = get(zone, "/v1/whoami", a1.token).json()
    assert who["epoch"] == second_epoch
    restore = who["restore"]
    assert restore["epoch"] == second_epoch and restore["previous_epoch"] == first_epoch
    assert restore["head"] == head and restore["restored_at"]
    info, earlier = meta_of(zone)
    assert info == restore and earlier == [first_epoch]
    for said in (second_epoch, first_epoch, f"head {head}", f"above server_seq {head}", "30 days"):
        assert said in done.stdout, (said, done.stdout)

    # a restore by other means, then `epoch --renew`: the contents as they are count as the backup
    now_head = epoch_and_head(zone)[1]
    renewed = server_cli("epoch", "--renew", "--db", zone.server.db.url)
    assert renewed.returncode == 0, renewed.stderr
    third_epoch, _ = epoch_and_head(zone)
    info, earlier = meta_of(zone)
    assert info is not None
    assert info["epoch"] == third_epoch and info["previous_epoch"] == second_epoch
    assert info["head"] == now_head and earlier == [first_epoch, second_epoch]
    assert third_epoch in renewed.stdout and f"head {now_head}" in renewed.stdout
    assert get(zone, "/v1/whoami", a1.token).json()["restore"] == info

    # the first backup again: its epoch stays known, and so do the ones the live database had
    done = server_cli("restore", str(out), "--db", zone.server.db.url, "--yes")
    assert done.returncode == 0, done.stderr
    info, earlier = meta_of(zone)
    assert info is not None and info["previous_epoch"] == first_epoch and info["head"] == head
    assert earlier == [first_epoch, second_epoch, third_epoch]
    assert json.loads(json.dumps(info)) == get(zone, "/v1/whoami", a1.token).json()["restore"]


# --- accounts are never rolled back ---------------------------------------------------------------------------


def officer_cli(zone: Zone, *args: str) -> dict[str, Any]:
    done = server_cli("officer", *args, "--db", zone.server.db.url, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def change_accounts_after_the_backup(zone: Zone) -> dict[str, str]:
    """Revoke A1 (a stolen laptop), rotate A2's token, add C1 in a new team and office (all after the
    backup, with the real commands). Returns the tokens: A1's, A2's old and new ones, C1's."""
    tokens = {"A1": zone.laptops["A1"].token, "A2 old": zone.laptops["A2"].token}
    done = server_cli("officer", "revoke", "A1", "--db", zone.server.db.url)
    assert done.returncode == 0, done.stderr
    tokens["A2 new"] = officer_cli(zone, "rotate", "A2")["token"]
    added = officer_cli(zone, "add", "C1", "--team", "三组", "--office", "北京", "--role", "officer")
    tokens["C1"] = added["token"]
    tokens["C1 id"] = added["officer"]["id"]
    for name, token in (("A1", tokens["A1"]), ("A2", tokens["A2 old"])):
        assert get(zone, "/v1/whoami", token).status_code == 401, name
    return tokens


def assert_accounts_kept(zone: Zone, tokens: dict[str, str]) -> None:
    """After the restore: the revoked token stays refused, the rotated one works and the old one does not,
    the new officer works in their team; what a laptop pulls agrees with the accounts."""
    refused = get(zone, "/v1/whoami", tokens["A1"])
    assert refused.status_code == 401 and refused.json()["code"] == "token_revoked"
    assert get(zone, "/v1/whoami", tokens["A2 old"]).status_code == 401
    assert get(zone, "/v1/whoami", tokens["A2 new"]).status_code == 200
    who = get(zone, "/v1/whoami", tokens["C1"])
    assert who.status_code == 200, who.text
    assert who.json()["officer"]["team_name"] == "三组" and who.json()["officer"]["office_name"] == "北京"
    assert who.json()["restore"] is not None

    s1 = zone.laptops["S1"]
    result = s1.sync()
    assert result.ok and result.epoch_reset, result.error
    officers = {r["name"]: r for r in s1.rows("officer")}
    assert not officers["A1"]["active"] and officers["A2"]["active"] and officers["C1"]["active"]
    teams = {r["id"]: r["name"] for r in s1.rows("team")}
    offices = {r["id"]: r["name"] for r in s1.rows("office")}
    assert teams[officers["C1"]["team_id"]] == "三组" and offices[officers["C1"]["office_id"]] == "北京"
    # and the server's own records agree with its accounts
    from zsfield_sync.admin import list_officers

    accounts = {r["name"]: r for r in list_officers(zone.server.engine)}
    for name, row in officers.items():
        assert bool(row["active"]) == accounts[name]["active"], name
    # the new officer logs in and syncs
    c1 = Laptop("C1", zone.tmp_path / "home-c1", zone.server, tokens["C1"])
    zone.laptops["C1"] = c1
    c1.login()
    synced(c1)
    assert c1.officer_id == tokens["C1 id"]


def zone_with_officers(zone: Zone) -> None:
    a1, a2 = zone.laptop("A1"), zone.laptop("A2")
    s1 = zone.laptop("S1", team=None, role="supervisor")
    make_project(a1, "长鑫存储")
    synced(a1, a2, s1)


def test_restore_keeps_the_accounts_of_the_live_database(zone: Zone, tmp_path: Path) -> None:
    """`zsfield-server restore`: revocations, rotations and officers made after the backup survive it."""
    zone_with_officers(zone)
    out = backup(zone, tmp_path)
    tokens = change_accounts_after_the_backup(zone)
    done = server_cli("restore", str(out), "--db", zone.server.db.url, "--yes")
    assert done.returncode == 0, done.stderr
    assert_accounts_kept(zone, tokens)
    assert "accounts kept" in done.stdout and "4 officers (1 revoked)" in done.stdout, done.stdout


def restore_by_other_means(zone: Zone, out: Path) -> None:
    """What pg_restore or copying the SQLite file back does: the backup's tables as they are, accounts too."""
    if zone.server.db.url.startswith("sqlite"):
        import sqlite3

        live = zone.server.db.url.removeprefix("sqlite:///")
        src, dst = sqlite3.connect(out), sqlite3.connect(live, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return
    from zsfield_sync.storage import DATA_TABLES

    tables = json.loads(out.read_text(encoding="utf-8"))["tables"]
    with zone.server.engine.begin() as conn:
        for table in reversed(DATA_TABLES):
            conn.execute(table.delete())
        for table in DATA_TABLES:
            if tables.get(table.name):
                conn.execute(table.insert(), tables[table.name])


def test_epoch_renew_after_a_restore_by_other_means_puts_the_accounts_back(
    zone: Zone, tmp_path: Path
) -> None:
    """pg_restore / a copied SQLite file, then `zsfield-server epoch --renew`: the accounts file that every
    account change wrote puts the accounts back; a stale or missing file is said."""
    zone_with_officers(zone)
    out = backup(zone, tmp_path)
    tokens = change_accounts_after_the_backup(zone)
    restore_by_other_means(zone, out)
    assert get(zone, "/v1/whoami", tokens["A1"]).status_code == 200  # what the copy alone brings back
    done = server_cli("epoch", "--renew", "--db", zone.server.db.url)
    assert done.returncode == 0, done.stderr
    assert_accounts_kept(zone, tokens)
    assert "accounts kept" in done.stdout and "4 officers (1 revoked)" in done.stdout, done.stdout


def test_epoch_renew_refuses_a_stale_accounts_file_and_says_when_there_is_none(
    zone: Zone, tmp_path: Path
) -> None:
    zone_with_officers(zone)
    stale = tmp_path / "stale-accounts.json"
    done = server_cli("accounts", "export", "--out", str(stale), "--db", zone.server.db.url)
    assert done.returncode == 0 and str(stale) in done.stdout, done.stderr
    assert oct(stale.stat().st_mode & 0o777) == "0o600"
    assert server_cli("officer", "revoke", "A1", "--db", zone.server.db.url).returncode == 0
    epoch = epoch_and_head(zone)[0]
    done = server_cli("epoch", "--renew", "--accounts", str(stale), "--db", zone.server.db.url)
    assert done.returncode == 2 and "older than the accounts in the database" in done.stderr
    assert epoch_and_head(zone)[0] == epoch  # nothing was changed
    nowhere = {**os.environ, "ZSFIELD_SERVER_ACCOUNTS": str(tmp_path / "none.json")}
    done = subprocess.run(
        [str(BIN / "zsfield-server"), "epoch", "--renew", "--db", zone.server.db.url],
        capture_output=True,
        text=True,
        timeout=120,
        env=nowhere,
    )
    assert done.returncode == 0 and "No accounts file" in done.stdout, done.stdout + done.stderr
