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

from sync_helpers import Zone, backends, make_project, synced, zone_fixture

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
