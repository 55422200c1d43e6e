"""Helpers for the sync tests: a real uvicorn server on a free loopback port (SQLite or PostgreSQL) and
"laptops" (an officer's own ZSFIELD_HOME, database and credentials) that log in and sync against it.

PostgreSQL runs where ``ZSFIELD_TEST_PG_URL`` is set; each server gets its own schema, dropped afterwards,
so concurrent test processes never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from zsfield import protocol
from zsfield.config import Settings, load_settings
from zsfield.store import Store
from zsfield.sync.client import SyncOptions
from zsfield.sync.login import login
from zsfield.sync.results import SyncResult
from zsfield.sync.run import run_sync

PG_ENV = "ZSFIELD_TEST_PG_URL"


def backends() -> list[Any]:
    """The backends every server test runs on: SQLite always, PostgreSQL when ZSFIELD_TEST_PG_URL is set."""
    return [
        "sqlite",
        pytest.param(
            "postgresql",
            marks=[
                pytest.mark.pg,
                pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set (no PostgreSQL)"),
            ],
        ),
    ]


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.01) -> Any:
    """Poll ``predicate`` until it is truthy (no fixed sleeps in the tests)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        time.sleep(interval)


# --- databases --------------------------------------------------------------------------------------------

_TEMPLATES: dict[str, Path] = {}


def _template(kind: str) -> Path:
    """A migrated empty database file, made once per test process and copied for each laptop / server
    (migrating a fresh file costs far more than copying one)."""
    if kind not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="zsfield-sync-templates-"))
        path = folder / f"{kind}.db"
        if kind == "laptop":
            Store.open(path).close()
        else:
            from zsfield_sync.storage import open_storage

            open_storage(f"sqlite:///{path}").dispose()
        _TEMPLATES[kind] = path
    return _TEMPLATES[kind]


def copy_template(kind: str, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_template(kind), dest)
    return dest


@dataclass
class Database:
    url: str
    backend: str
    cleanup: Callable[[], None] = lambda: None


def make_database(backend: str, tmp_path: Path) -> Database:
    if backend == "sqlite":
        return Database(f"sqlite:///{copy_template('server', tmp_path / 'server.db')}", "sqlite")
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set (no PostgreSQL)")
    from sqlalchemy import create_engine

    schema = f"zs_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()

    return Database(f"{base}{sep}options=-csearch_path%3D{schema}", "postgresql", drop)


# --- the server ---------------------------------------------------------------------------------------------


class ThreadedServer:
    """The real app under uvicorn, in a thread, on a free loopback port."""

    def __init__(self, db: Database) -> None:
        from zsfield_sync.storage import open_storage

        self.db = db
        self.engine = open_storage(db.url)
        self.sock = socket.socket(
            socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP
        )  # TCP: asyncio sets NODELAY
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> ThreadedServer:
        import uvicorn

        from zsfield_sync.api import create_app

        config = uvicorn.Config(
            create_app(self.engine),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self._thread.start()
        wait_for(lambda: self._server.started, timeout=15)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        self.engine.dispose()
        self.sock.close()

    # --- admin shortcuts (what `zsfield-server officer add` does) ---------------------------------------------

    def add_officer(
        self, name: str, *, team: str | None = "一组", office: str = "上海", role: str = "officer"
    ) -> str:
        from zsfield_sync.admin import add_officer

        _, token = add_officer(self.engine, name, office=office, team=team, role=role)
        return token

    def revoke(self, name: str) -> None:
        from zsfield_sync.admin import revoke_officer

        revoke_officer(self.engine, name)

    def records(self, entity: str | None = None) -> list[dict[str, Any]]:
        import orjson
        from sqlalchemy import select

        from zsfield_sync.storage import read_tx, records

        query = select(records)
        if entity:
            query = query.where(records.c.entity == entity)
        with read_tx(self.engine) as conn:
            return [
                {
                    **dict(r._mapping),
                    "data": orjson.loads(r.data),
                    "field_versions": orjson.loads(r.field_versions),
                }
                for r in conn.execute(query)
            ]

    def record(self, entity: str, record_id: str) -> dict[str, Any] | None:
        found = [r for r in self.records(entity) if r["id"] == record_id]
        return found[0] if found else None


def running_server(backend: str, tmp_path: Path) -> Iterator[ThreadedServer]:
    db = make_database(backend, tmp_path)
    server = ThreadedServer(db)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        db.cleanup()


# --- laptops --------------------------------------------------------------------------------------------------


class FaultTransport(httpx.BaseTransport):
    """The real HTTP transport, with faults injected by the test: ``lose_replies`` paths whose next reply is
    dropped after the server has handled the request (the client sees a read error)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lose_replies: dict[str, int] = {}
        self.requests: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        response = self.inner.handle_request(request)
        if self.lose_replies.get(request.url.path, 0) > 0:
            response.read()
            response.close()
            self.lose_replies[request.url.path] -= 1
            raise httpx.ReadError("connection reset (simulated: reply lost)", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


@contextmanager
def file_credentials() -> Iterator[None]:
    """Keep tokens in each laptop's own credentials file, never in this machine's real keyring (which is
    keyed by server URL: laptops of one test share a server, and a developer's keyring must stay clean)."""
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


class SimulatedCrash(BaseException):
    """The laptop 'dies' at a fault point (a BaseException, like a kill: nothing catches it)."""


@dataclass
class Laptop:
    """One officer's machine: own ZSFIELD_HOME, own database, own stored token."""

    name: str
    home: Path
    server: ThreadedServer
    token: str
    settings: Settings = field(init=False)
    store: Store = field(init=False)
    transport: FaultTransport = field(default_factory=FaultTransport)

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.settings = load_settings(db=self.home / "zsfield.db", env={"ZSFIELD_HOME": str(self.home)})
        copy_template("laptop", self.settings.db_path)
        self.store = Store.open(self.settings.db_path)

    def login(self) -> None:
        with file_credentials():
            login(self.store, self.settings, self.server.url, self.token)

    def options(self, **kw: Any) -> SyncOptions:
        base: dict[str, Any] = {
            "backoff": 0.01,
            "max_backoff": 0.05,
            "max_attempts": 4,
            "transport": self.transport,
        }
        base.update(kw)
        return SyncOptions(**base)

    def sync(self, **kw: Any) -> SyncResult:
        with file_credentials():
            return run_sync(self.store, self.settings, options=self.options(**kw))

    @property
    def officer_id(self) -> str:
        return self.store.get_state("officer_id") or ""

    @property
    def team_id(self) -> str:
        return self.store.get_state("team_id") or ""

    def outbox(self) -> int:
        return int(self.store.scalar("SELECT count(*) FROM outbox"))

    def rows(self, table: str, where: str = "1=1", **params: Any) -> list[dict[str, Any]]:
        from sqlalchemy import text

        with self.store.engine.connect() as conn:
            return [
                dict(r) for r in conn.execute(text(f"SELECT * FROM {table} WHERE {where}"), params).mappings()
            ]

    def close(self) -> None:
        self.store.close()
        self.transport.close()


@dataclass
class Zone:
    """A server with two officers of team 一组 (A1, A2), one of team 二组 (B1) and a supervisor (S)."""

    server: ThreadedServer
    tmp_path: Path
    laptops: dict[str, Laptop] = field(default_factory=dict)

    def laptop(
        self, name: str, *, team: str | None = "一组", role: str = "officer", office: str = "上海"
    ) -> Laptop:
        token = self.server.add_officer(name, team=team, role=role, office=office)
        lap = Laptop(name, self.tmp_path / f"home-{len(self.laptops)}", self.server, token)
        lap.login()
        self.laptops[name] = lap
        return lap

    def close(self) -> None:
        for lap in self.laptops.values():
            lap.close()


def make_project(lap: Laptop, name: str, **extra: Any) -> str:
    """A lead screened real and converted into a project of the laptop's team (as the officer would)."""
    from zsfield.store.actions.leads import capture_lead, convert_lead, screen_lead

    with lap.store.write(lap.officer_id) as w:
        lead = capture_lead(
            w, title=name, company_name=f"{name}有限公司", team_id=lap.team_id, received_by=lap.officer_id
        )
        screen_lead(w, lead, verdict="real", reason="核实真实")
        project = convert_lead(w, lead, owner_team_id=lap.team_id, leader_id=lap.officer_id, **extra)
        return project.id


def edit_project(lap: Laptop, project_id: str, **changes: Any) -> None:
    from zsfield.domain.models import Project
    from zsfield.store.actions.projects import update_project

    with lap.store.write(lap.officer_id) as w:
        project = w.session.get(Project, project_id)
        assert project is not None, f"{lap.name} has no project {project_id}"
        update_project(w, project, **changes)


def project_row(lap: Laptop, project_id: str) -> dict[str, Any]:
    rows = lap.rows("project", "id = :id", id=project_id)
    assert rows, f"{lap.name} has no project {project_id}"
    return rows[0]


# --- shortcuts of the scenario tests ------------------------------------------------------------------------


def zone_fixture(backend: str, tmp_path: Path) -> Iterator[Zone]:
    for server in running_server(backend, tmp_path):
        zone = Zone(server, tmp_path)
        try:
            yield zone
        finally:
            zone.close()


def fetch_conflicts(store: Store, settings: Settings) -> list[Any]:
    """The server's conflict log as the laptop's officer sees it."""
    from zsfield.sync.login import fetch_conflicts as fetch

    with file_credentials():
        return fetch(store, settings)


def synced(*laptops: Laptop) -> None:
    for lap in laptops:
        result = lap.sync()
        assert result.ok, f"{lap.name}: {result.error}"


LOCAL_ONLY = {"version", "last_entry_at"}


def same_project(a: Laptop, b: Laptop, project_id: str) -> None:
    ra, rb = project_row(a, project_id), project_row(b, project_id)
    assert {k: v for k, v in ra.items() if k not in LOCAL_ONLY} == {
        k: v for k, v in rb.items() if k not in LOCAL_ONLY
    }


def visit(lap: Laptop, project_id: str, summary: str, next_on: date | None = None) -> str:
    from zsfield.store.actions.timeline import log_visit

    with lap.store.write(lap.officer_id) as w:
        v, _ = log_visit(w, project_id=project_id, summary=summary, next_on=next_on)
        return v.id


def wire_op(
    seq: int,
    entity: str,
    entity_id: str,
    fields: dict[str, Any],
    kind: str = "insert",
    base: int = 0,
    op_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An op as a crafted client sends it (any values: the server is the one to judge them)."""
    return {
        "client_seq": seq,
        "op_id": op_id or str(uuid.uuid4()),
        "entity": entity,
        "entity_id": entity_id,
        "op": kind,
        "fields": fields,
        "base_version": base,
        "schema_version": protocol.SCHEMA_VERSION,
        **extra,
    }


def raw_push(c: httpx.Client, ops: list[dict[str, Any]], client_id: str | None = None) -> httpx.Response:
    """POST ``ops`` as one push, from ``client_id`` (a fresh one by default), with ``c``'s token."""
    body = {
        "client_id": client_id or str(uuid.uuid4()),
        "schema_version": protocol.SCHEMA_VERSION,
        "ops": ops,
    }
    return c.post("/v1/push", json=body)
