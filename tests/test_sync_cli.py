"""The README's steps, as subprocesses: `zsfield-server officer add` → `zsfield-server serve` → `zsfield login`
with the token on stdin → `zsfield sync` → `zsfield status --json`; then a revoked token and `zsfield logout`."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from sync_helpers import backends, file_credentials, make_database, wait_for

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(
    env: dict[str, str], *args: str, stdin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(BIN / args[0]), *args[1:]], env=env, input=stdin, capture_output=True, text=True, timeout=60
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def add_lead(db: Path, title: str) -> None:
    from zsfield.store import Store
    from zsfield.store.actions.leads import capture_lead

    with Store.open(db, create=False) as store:
        officer = store.get_state("officer_id")
        with store.write(officer) as w:
            capture_lead(w, title=title, company_name=f"{title}株式会社", team_id=store.get_state("team_id"))


def in_process(capsys: pytest.CaptureFixture[str], main: Any, *args: str) -> tuple[int, str, str]:
    """Run a CLI entry point in this process (cheaper than a subprocess for the steps around the round trip)."""
    capsys.readouterr()
    with file_credentials():
        code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("backend", backends())
def test_cli_round_trip(
    backend: str,
    tmp_path: Path,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from zsfield.cli import main as zsfield_main
    from zsfield_sync.cli import main as server_main

    db = make_database(backend, tmp_path)
    env: dict[str, Any] = {
        **os.environ,
        "ZSFIELD_SERVER_HOME": str(tmp_path / "server-home"),
        "ZSFIELD_SERVER_DB": db.url,
        "ZSFIELD_HOME": str(isolated_home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "LANG": "en_US.UTF-8",
    }
    for key in ("ZSFIELD_TOKEN", "ZSFIELD_DB", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        env.pop(key, None)
    monkeypatch.setenv("ZSFIELD_SERVER_DB", db.url)
    monkeypatch.delenv("ZSFIELD_TOKEN", raising=False)
    from zsfield_sync.storage import open_storage

    open_storage(db.url).dispose()  # migrated once here, so the server and `officer add` start side by side
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(BIN / "zsfield-server"), "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def healthy() -> bool:
            if server.poll() is not None:
                raise AssertionError(f"the server exited: {server.stderr.read() if server.stderr else ''}")
            try:
                return httpx.get(f"{url}/v1/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        added = json.loads(
            run(
                env,
                "zsfield-server",
                "officer",
                "add",
                "佐藤",
                "--office",
                "东京",
                "--team",
                "东京组",
                "--json",
            ).stdout
        )
        token = added["token"]
        assert added["officer"]["team"] == "东京组" and token.startswith("zsf_")
        wait_for(healthy, timeout=60, interval=0.05)
        login = run(env, "zsfield", "login", "--server", url, stdin=token + "\n")
        assert "佐藤" in login.stdout and "No usable OS keyring" in login.stderr
        credentials = isolated_home / "config" / "credentials.json"
        assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
        assert token in credentials.read_text()

        officer_db = isolated_home / "data" / "zsfield.db"
        add_lead(officer_db, "丰田通商")
        synced = run(env, "zsfield", "sync")
        assert "Sent" in synced.stdout and "received" in synced.stdout
        assert "send" in synced.stderr and "receive" in synced.stderr  # the progress bar
        code, out, _ = in_process(capsys, zsfield_main, "status", "--json")
        status = json.loads(out)
        assert status["server"] == url and status["outbox_pending"] == 0 and status["cursor"] > 0
        assert status["last_result"]["ok"] is True and status["last_sync"]
        assert status["counts"]["lead"] == 1 and status["counts"]["officer"] == 1
        assert status["conflicts"] == [] and status["rejections"] == []

        code, out, _ = in_process(capsys, server_main, "officer", "list", "--json")
        assert [(o["name"], o["active"]) for o in json.loads(out)] == [("佐藤", True)]
        code, out, _ = in_process(capsys, server_main, "officer", "revoke", "佐藤")
        assert code == 0 and "Revoked" in out
        add_lead(officer_db, "三菱商事")
        code, _, err = in_process(capsys, zsfield_main, "sync")
        assert code == 11 and "revoked" in err
        code, out, _ = in_process(capsys, zsfield_main, "status", "--json")
        status = json.loads(out)
        assert status["outbox_pending"] > 0 and status["last_result"]["error_kind"] == "auth"

        code, out, _ = in_process(capsys, zsfield_main, "logout")
        assert "Removed" in out and token not in credentials.read_text()
        code, _, err = in_process(capsys, zsfield_main, "sync")
        assert code == 10 and "zsfield login" in err
    finally:
        server.terminate()
        server.wait(timeout=15)
        db.cleanup()


def test_login_refuses_plain_http_to_another_host(tmp_path: Path) -> None:
    env = {**os.environ, "ZSFIELD_HOME": str(tmp_path / "h"), "LANG": "en_US.UTF-8"}
    proc = run(env, "zsfield", "login", "--server", "http://zs.example.org", stdin="zsf_x\n", check=False)
    assert proc.returncode == 10 and "plain http://" in proc.stderr


# --- one sync per database, one true summary (issue 11, points 4 and 9) -------------------------------------


@pytest.fixture
def cli_laptop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A laptop logged in to a real server (in this process), its database the CLI's (ZSFIELD_HOME/ZSFIELD_DB)."""
    from sync_helpers import zone_fixture

    for zone in zone_fixture("sqlite", tmp_path):
        lap = zone.laptop("A1")
        monkeypatch.setenv("ZSFIELD_HOME", str(lap.home))
        monkeypatch.setenv("ZSFIELD_DB", str(lap.settings.db_path))
        yield lap


def test_a_second_sync_says_one_is_running_and_exits_15(
    cli_laptop: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from zsfield.cli import main as zsfield_main
    from zsfield.store.sync_lock import sync_lock

    add_lead(cli_laptop.settings.db_path, "日立制作所")
    ops = cli_laptop.outbox()
    with sync_lock(cli_laptop.settings.db_path):  # the app (or another terminal) is syncing this database
        code, out, err = in_process(capsys, zsfield_main, "sync")
    assert code == 15
    assert "A sync of this database is already running" in err and "Nothing was sent by this one" in err
    assert out == ""  # no summary line of a sync that did not run
    assert cli_laptop.outbox() == ops
    code, out, err = in_process(capsys, zsfield_main, "sync")
    assert code == 0 and out.startswith("Sent ") and cli_laptop.outbox() == 0


def test_one_true_summary_line(cli_laptop: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from zsfield.cli import main as zsfield_main
    from zsfield.sync.results import SyncResult, summary_lines

    add_lead(cli_laptop.settings.db_path, "住友商事")
    code, out, err = in_process(capsys, zsfield_main, "sync", "--repair")
    assert code == 0 and len(out.splitlines()) == 1 and out.startswith("Sent ")
    assert "went under new numbers" in err  # the op checked against the server's numbers, sent once
    # not logged in: the error, and no success line before it
    from zsfield.store import Store

    fresh = tmp_path / "fresh" / "zsfield.db"
    fresh.parent.mkdir()
    Store.open(fresh).close()
    code, out, err = in_process(capsys, zsfield_main, "sync", "--db", str(fresh))
    assert code == 10 and out == "" and "zsfield login" in err
    # a sync that stopped after sending 1,000 ops says so, and nothing claims that nothing was sent
    stopped = SyncResult(ok=False, pushed=1000, pulled=0, error="revoked", error_kind="auth")
    (line,) = summary_lines(stopped)
    assert "stopped after sending 1000" in line
    from zsfield_sync import auth

    assert "Nothing was sent" not in Path(auth.__file__).read_text()
