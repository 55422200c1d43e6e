"""The server's answers and logs at the edges (issue 11, point 9, server side), against a real uvicorn server:
* JSON nested too deep is a 422 ``invalid_request`` that says so, never a 500;
* a full disk is a 507 ``storage_full``, and the laptop says the server's disk is full (not "unreachable"),
  asks once and keeps every change;
* a client that disconnects mid-request or before its reply is one INFO line in the server's log, never an
  ERROR traceback (``zsfield-server serve`` in a subprocess, raw sockets, its stderr read afterwards).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from sync_helpers import (
    ThreadedServer,
    Zone,
    backends,
    make_database,
    make_project,
    running_server,
    wait_for,
    zone_fixture,
)
from zsfield import protocol
from zsfield.i18n import t

BIN = Path(sys.executable).parent


@pytest.fixture(params=backends())
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ThreadedServer]:
    yield from running_server(request.param, tmp_path)


@pytest.fixture
def sqlite_zone(tmp_path: Path) -> Iterator[Zone]:
    yield from zone_fixture("sqlite", tmp_path)


def company_op(seq: int, **fields: Any) -> dict[str, Any]:
    return {
        "client_seq": seq,
        "op_id": str(uuid.uuid4()),
        "entity": "company",
        "entity_id": str(uuid.uuid4()),
        "op": "insert",
        "fields": {"name": f"公司{seq}", "aliases": [], "country": "CN", **fields},
        "base_version": 0,
        "schema_version": protocol.SCHEMA_VERSION,
    }


def push_body(ops: list[dict[str, Any]]) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "schema_version": protocol.SCHEMA_VERSION, "ops": ops}


def head(server: ThreadedServer) -> int:
    from zsfield_sync.storage import get_head, read_tx

    with read_tx(server.engine) as conn:
        return get_head(conn)


# --- nesting --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["a field value", "an unknown key of the body", "the aliases list"])
def test_json_nested_300_deep_is_a_clear_422(server: ThreadedServer, where: str) -> None:
    """orjson reads 1024 levels and writes 254: a value nested 300 deep was accepted, then failed as JSON was
    written (a 500). Now the body is refused before anything, at MAX_JSON_DEPTH levels."""
    token = server.add_officer("刘洋")
    before = head(server)
    deep = "[" * 300 + "]" * 300
    op = company_op(1)
    body = push_body([op])
    if where == "a field value":
        op["fields"]["name"] = "DEEP"
    elif where == "the aliases list":
        op["fields"]["aliases"] = "DEEP"
    else:
        body["extra"] = "DEEP"
    raw = json.dumps(body).replace('"DEEP"', deep)
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        r = c.post("/v1/push", content=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == 422, r.text[:300]
        assert r.json()["code"] == protocol.ERR_INVALID
        assert f"nested deeper than {protocol.MAX_JSON_DEPTH} levels" in r.json()["message"]
        assert head(server) == before  # nothing was applied
        # at the limit it is judged as usual (a field of the wrong type is a per-op rejection, not a 500)
        op = company_op(1)
        op["fields"]["aliases"] = "DEEP"
        fits = json.dumps(push_body([op])).replace('"DEEP"', "[" * 58 + "]" * 58)
        r = c.post("/v1/push", content=fits, headers={"Content-Type": "application/json"})
        assert r.status_code in (200, 422) and r.json().get("code") != protocol.ERR_INVALID, r.text[:300]


# --- a full disk ----------------------------------------------------------------------------------------------


def fill_the_disk(server: ThreadedServer) -> Any:
    """SQLite's own "database or disk is full" (SQLITE_FULL): every new connection may grow the file by two
    pages only. Returns the listener (for :func:`free_the_disk`)."""
    with server.engine.connect() as conn:
        pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar() or 0)

    def cap(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 2}")

    event.listen(server.engine, "connect", cap)
    server.engine.dispose()
    return cap


def free_the_disk(server: ThreadedServer, cap: Any) -> None:
    event.remove(server.engine, "connect", cap)
    server.engine.dispose()


def test_a_full_disk_is_507_storage_full_and_the_laptop_says_so(sqlite_zone: Zone) -> None:
    zone = sqlite_zone
    a1 = zone.laptop("A1")
    for i in range(40):
        make_project(a1, f"项目{i}" * 10)
    waiting = a1.outbox()
    cap = fill_the_disk(zone.server)
    before = len(a1.transport.requests)
    result = a1.sync()
    assert not result.ok
    assert result.error == t("sync.storage_full", server=zone.server.url), result.error
    assert "reach" not in (result.error or "")
    pushes = [r for r in a1.transport.requests[before:] if r.endswith("/v1/push")]
    assert len(pushes) == 1  # asked once: no quick retry frees a disk
    assert a1.outbox() == waiting and zone.server.records("project") == []

    token = a1.token
    with httpx.Client(base_url=zone.server.url, headers={"Authorization": f"Bearer {token}"}) as c:
        r = c.post("/v1/push", json=push_body([company_op(i, name="满" * 150) for i in range(1, 101)]))
    assert r.status_code == 507 and r.json()["code"] == protocol.ERR_STORAGE_FULL, r.text

    free_the_disk(zone.server, cap)
    result = a1.sync()
    assert result.ok, result.error
    assert a1.outbox() == 0 and len(zone.server.records("project")) == 40


def test_postgresql_disk_full_is_recognised() -> None:
    """PostgreSQL's disk_full (SQLSTATE 53100) as the driver raises it: a full PostgreSQL disk cannot be made
    on this machine, so the classification is checked on the exception itself."""
    psycopg = pytest.importorskip("psycopg")
    from sqlalchemy.exc import OperationalError

    from zsfield_sync.storage import is_storage_full

    full = OperationalError("INSERT …", {}, psycopg.errors.DiskFull("could not extend file: No space left"))
    assert is_storage_full(full)
    busy = OperationalError("INSERT …", {}, psycopg.errors.LockNotAvailable("lock timeout"))
    assert not is_storage_full(busy)
    assert is_storage_full(OSError(28, "No space left on device"))


# --- disconnects ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "zsfield-server"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )


def raw_request(port: int, data: bytes, *, reset: bool) -> None:
    """Send ``data`` and close at once: ``reset`` sends a TCP RST (SO_LINGER 0), else a FIN."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(data)
        if reset:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    finally:
        s.close()


@pytest.mark.parametrize("backend", backends())
def test_a_client_disconnect_is_one_info_line_not_a_traceback(backend: str, tmp_path: Path) -> None:
    db = make_database(backend, tmp_path)
    try:
        added = cli("officer", "add", "A1", "--team", "一组", "--office", "上海", "--json", "--db", db.url)
        assert added.returncode == 0, added.stderr
        token = json.loads(added.stdout)["token"]
        port = free_port()
        log = tmp_path / "server.log"
        with log.open("w") as err:
            proc = subprocess.Popen(
                [str(BIN / "zsfield-server"), "serve", "--db", db.url, "--port", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=dict(os.environ),
            )
        try:
            wait_for(lambda: _healthy(port), timeout=60, interval=0.1)
            auth = f"Authorization: Bearer {token}\r\n".encode()
            push_head = (
                b"POST /v1/push HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Type: application/json\r\n"
            )
            cases = [
                # mid-request: the body is cut
                push_head + b'Content-Length: 5000\r\n\r\n{"client_id": ',
                # before the reply: the whole request, then gone
                b"GET /v1/pull?since=0 HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n",
                # mid-headers
                b"GET /v1/pull HTTP/1.1\r\nHost: x\r\n",
            ]
            for data in cases:
                for reset in (False, True):
                    raw_request(port, data, reset=reset)
            # the server still answers, and both cut pushes were said in the log, once each
            wait_for(lambda: log.read_text().count("disconnected during POST /v1/push") >= 2, timeout=30)
            assert _healthy(port)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        text = log.read_text()
        assert "Traceback" not in text and "ERROR" not in text, text
        lines = [line for line in text.splitlines() if "disconnected during" in line]
        assert len(lines) == 2 and all(line.startswith("INFO:") for line in lines), text
        assert "nothing was applied" in lines[0]
    finally:
        db.cleanup()


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
