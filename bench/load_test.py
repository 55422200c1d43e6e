"""Load test of the sync server: many laptops pushing and pulling at once against a real ``zsfield-server serve``.

For each backend (SQLite: one process; PostgreSQL: ``--workers 4``) it starts the server as a subprocess on a
free loopback port, adds ``clients`` officers in ten teams, then runs ``clients`` threads at once, each with
its own httpx client and client id, pushing ``batches`` batches of ``batch`` ops (a project, then visits on
it and edits of it) and pulling after each batch — while one supervisor pulls all the time, in small pages.

Afterwards it checks that nothing was lost or doubled:

* every push was acknowledged (a batch is retried after a lost reply or a 5xx; the server replays it);
* the server holds each pushed record once, its op log each op once, each client's ``last_seq`` = its ops;
* each client pulls its team's records from 0 and finds each of its own exactly once;
* the supervisor who pulled *during* the pushes saw every record at its final ``server_seq``: a pull never
  skipped a change that committed late ("commit order ≠ sequence order").

Prints one JSON object per backend (clients, ops, duration_s, ops_per_s, push/pull latency p50/p95/p99 in
ms, errors, lost, doubled, skipped_by_pull) — a list when both run.

    .venv/bin/python bench/load_test.py                     # SQLite, and PostgreSQL if ZSFIELD_TEST_PG_URL is set
    .venv/bin/python bench/load_test.py --backend postgresql --pg-url postgresql+psycopg://postgres@127.0.0.1/test
    make load

``run(backend, clients=100, …) -> dict`` is the same for a bench runner (``server_push_p95_ms``).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "sync"))

import httpx  # noqa: E402

from zsfield import protocol  # noqa: E402

BIN = Path(sys.executable).parent
PG_ENV = "ZSFIELD_TEST_PG_URL"
TEAMS = 10


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return round((ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)) * 1000, 2)


# --- the database and the server ---------------------------------------------------------------------------


class Database:
    def __init__(self, backend: str, pg_url: str | None, tmp: Path) -> None:
        self.backend = backend
        self._drop = None
        if backend == "sqlite":
            self.url = f"sqlite:///{tmp / 'server.db'}"
            return
        base = pg_url or os.environ.get(PG_ENV)
        if not base:
            raise SystemExit(f"PostgreSQL: give --pg-url or set {PG_ENV}")
        from sqlalchemy import create_engine

        schema = f"zs_load_{uuid.uuid4().hex[:12]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')

        def drop() -> None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            admin.dispose()

        self._drop = drop
        sep = "&" if "?" in base else "?"
        self.url = f"{base}{sep}options=-csearch_path%3D{schema}"

    def cleanup(self) -> None:
        if self._drop is not None:
            self._drop()


class Server:
    """``zsfield-server serve`` in a subprocess (the real entry point, its workers and all)."""

    def __init__(self, db_url: str, workers: int, tmp: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (tmp / "server.log").open("w")
        env = {**os.environ, "ZSFIELD_SERVER_HOME": str(tmp / "home")}
        self.proc = subprocess.Popen(
            [str(BIN / "zsfield-server"), "serve", "--db", db_url, "--port", str(self.port),
             "--workers", str(workers), "--log-level", "warning"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited: {(tmp / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start within 120 s")
            time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# --- the laptops ------------------------------------------------------------------------------------------


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.push_s: list[float] = []
        self.pull_s: list[float] = []
        self.errors: Counter[str] = Counter()

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] += 1


def request(
    http: httpx.Client, stats: Stats, method: str, path: str, timings: list[float], **kw: Any
) -> dict[str, Any]:
    """One call, retried (same body: a push is replayed by the server) on transport errors, 5xx and 429."""
    for attempt in range(8):
        start = time.perf_counter()
        try:
            response = http.request(method, path, **kw)
        except httpx.TransportError as exc:
            stats.error(f"transport:{type(exc).__name__}")
        else:
            elapsed = time.perf_counter() - start
            if response.status_code == 200:
                with stats.lock:
                    timings.append(elapsed)
                return response.json()
            stats.error(f"http:{response.status_code}")
            if response.status_code < 500 and response.status_code != 429:
                raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        time.sleep(min(2.0, 0.05 * 2**attempt))
    raise RuntimeError(f"{method} {path}: gave up after 8 attempts")


def wire(obj: Any) -> dict[str, Any]:
    from zsfield.domain.codec import encode_record

    data = encode_record(obj)
    data.pop("id")
    return data


class Laptop:
    """One officer's client, speaking the wire protocol directly (records made as the app makes them)."""

    def __init__(self, server: str, officer: dict[str, Any], token: str, stats: Stats) -> None:
        self.officer, self.stats = officer, stats
        self.client_id = str(uuid.uuid4())
        self.http = httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"}, timeout=120)
        self.seq = 0
        self.mine: dict[str, str] = {}  # record id -> entity: inserts of this laptop the server acknowledged
        self.ops = 0
        self.cursor = 0

    def _op(self, entity: str, entity_id: str, op: str, fields: dict[str, Any], base: int = 0) -> dict:
        self.seq += 1
        return {"client_seq": self.seq, "op_id": str(uuid.uuid4()), "entity": entity, "entity_id": entity_id,
                "op": op, "fields": fields, "base_version": base, "schema_version": protocol.SCHEMA_VERSION}  # fmt: skip

    def batch(self, n: int, k: int) -> list[dict[str, Any]]:
        """A new project with ``n - 1`` visits and edits on it (the edits of one client never conflict)."""
        from datetime import UTC, datetime

        from zsfield.domain.models import Project, Visit

        team, me = self.officer["team_id"], self.officer["id"]
        project = Project(name=f"{self.officer['name']} 项目 {k}", owner_team_id=team, leader_id=me,
                          service_officer_id=me, created_by=me)  # fmt: skip
        ops = [self._op("project", project.id, "insert", wire(project))]
        for i in range(n - 1):
            if i % 5 == 4:
                ops.append(self._op("project", project.id, "update", {"park_area": f"{i}号地块"}, 1))
            else:
                v = Visit(project_id=project.id, officer_id=me, summary=f"拜访 {k}-{i}",
                          occurred_at=datetime.now(UTC), created_by=me)  # fmt: skip
                ops.append(self._op("visit", v.id, "insert", wire(v)))
        return ops

    def push(self, ops: list[dict[str, Any]]) -> None:
        body = {"client_id": self.client_id, "schema_version": protocol.SCHEMA_VERSION, "ops": ops}
        reply = request(self.http, self.stats, "POST", "/v1/push", self.stats.push_s, json=body)
        got = {r["client_seq"]: r for r in reply["results"]}
        for op in ops:
            r = got.get(op["client_seq"])
            if r is None or r["status"] != "applied":
                self.stats.error(
                    f"op:{None if r is None else r['status']}:{None if r is None else r.get('code')}"
                )
        self.ops += len(ops)
        self.mine.update({op["entity_id"]: op["entity"] for op in ops if op["op"] == "insert"})

    def pull_all(self, since: int, page: int = 500) -> list[dict[str, Any]]:
        changes: list[dict[str, Any]] = []
        while True:
            reply = request(
                self.http,
                self.stats,
                "GET",
                "/v1/pull",
                self.stats.pull_s,
                params={"since": since, "limit": page},
            )
            changes.extend(reply["changes"])
            since = reply["cursor"]
            if not reply["has_more"]:
                return changes

    def close(self) -> None:
        self.http.close()


# --- the run ----------------------------------------------------------------------------------------------


def run(
    backend: str = "sqlite",
    clients: int = 100,
    batches: int = 5,
    batch: int = 20,
    workers: int | None = None,
    pg_url: str | None = None,
) -> dict[str, Any]:
    """Run the load test on ``backend`` and return its figures (see the module docstring)."""
    from zsfield_sync.admin import add_officer
    from zsfield_sync.storage import clients as clients_table
    from zsfield_sync.storage import op_log, open_storage, read_tx, records

    workers = workers or (4 if backend == "postgresql" else 1)
    tmp = Path(tempfile.mkdtemp(prefix="zsfield-load-"))
    db = Database(backend, pg_url, tmp)
    engine = open_storage(db.url)
    server: Server | None = None
    try:
        officers = []
        for i in range(clients):
            info, token = add_officer(
                engine, f"专员{i:03d}", office="上海", team=f"{i % TEAMS}组", role="officer"
            )
            officers.append((info, token))
        _, sup_token = add_officer(engine, "督查", office=None, team=None, role="supervisor")
        server = Server(db.url, workers, tmp)
        stats = Stats()
        laptops = [Laptop(server.url, info, token, stats) for info, token in officers]
        watcher = Laptop(server.url, {"id": "", "name": "督查", "team_id": None}, sup_token, Stats())
        seen: dict[tuple[str, str], int] = {}
        seen_seqs: set[int] = set()
        pushing = threading.Event()
        pushing.set()
        watcher_pulls = [0]

        def watch() -> None:  # the supervisor pulls all the time, in small pages, while everyone pushes
            since = 0
            while True:
                still_pushing = pushing.is_set()
                while True:
                    reply = request(watcher.http, watcher.stats, "GET", "/v1/pull", watcher.stats.pull_s,
                                    params={"since": since, "limit": 50})  # fmt: skip
                    watcher_pulls[0] += 1
                    for c in reply["changes"]:
                        seen[(c["entity"], c["id"])] = c["server_seq"]
                        seen_seqs.add(c["server_seq"])
                    since = reply["cursor"]
                    if not reply["has_more"]:
                        break
                if not still_pushing:
                    return

        failures: list[str] = []
        barrier = threading.Barrier(clients)

        def work(lap: Laptop) -> None:
            try:
                barrier.wait(timeout=300)
                for k in range(batches):
                    lap.push(lap.batch(batch, k))
                    changes = lap.pull_all(lap.cursor)
                    if changes:
                        lap.cursor = max(lap.cursor, max(c["server_seq"] for c in changes))
            except Exception as exc:  # noqa: BLE001 - reported in the figures
                failures.append(f"{lap.officer['name']}: {exc}")

        watcher_thread = threading.Thread(target=watch, daemon=True)
        threads = [threading.Thread(target=work, args=(lap,), daemon=True) for lap in laptops]
        watcher_thread.start()
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        duration = time.perf_counter() - start
        pushing.clear()
        watcher_thread.join()

        # --- nothing lost, nothing doubled -------------------------------------------------------------------
        pushed_ops = sum(lap.ops for lap in laptops)
        lost = doubled = 0
        with read_tx(engine) as conn:
            server_records = {(r.entity, r.id): r.server_seq for r in conn.execute(
                records.select().with_only_columns(records.c.entity, records.c.id, records.c.server_seq))}  # fmt: skip
            log = Counter(r.op_id for r in conn.execute(op_log.select().with_only_columns(op_log.c.op_id)))
            last_seq = {r.client_id: r.last_seq for r in conn.execute(clients_table.select())}
        doubled += sum(n - 1 for n in log.values() if n > 1)
        lost += max(0, pushed_ops - len(log))
        for lap in laptops:
            if last_seq.get(lap.client_id, 0) != lap.seq:
                failures.append(
                    f"{lap.officer['name']}: server last_seq {last_seq.get(lap.client_id)} ≠ {lap.seq}"
                )
            lost += sum(1 for rid, e in lap.mine.items() if (e, rid) not in server_records)
        # each client pulls its team's records from 0: its own are there exactly once
        for lap in laptops:
            changes = lap.pull_all(0)
            count = Counter(c["id"] for c in changes)
            lost += sum(1 for rid in lap.mine if count[rid] == 0)
            doubled += sum(count[rid] - 1 for rid in lap.mine if count[rid] > 1)
        # the supervisor pulled during the pushes: every record at its final server_seq, none skipped
        skipped = sum(
            1 for key, seq in server_records.items() if seen.get(key) != seq or seq not in seen_seqs
        )
        figures = {
            "backend": backend,
            "workers": workers,
            "clients": clients,
            "ops": pushed_ops,
            "duration_s": round(duration, 3),
            "ops_per_s": round(pushed_ops / duration, 1) if duration else 0.0,
            "push_requests": len(stats.push_s),
            "pull_requests": len(stats.pull_s),
            "push_p50_ms": percentile(stats.push_s, 50),
            "push_p95_ms": percentile(stats.push_s, 95),
            "push_p99_ms": percentile(stats.push_s, 99),
            "pull_p50_ms": percentile(stats.pull_s, 50),
            "pull_p95_ms": percentile(stats.pull_s, 95),
            "pull_p99_ms": percentile(stats.pull_s, 99),
            "push_mean_ms": round(statistics.fmean(stats.push_s) * 1000, 2) if stats.push_s else 0.0,
            "server_push_p95_ms": percentile(stats.push_s, 95),
            "errors": sum(stats.errors.values()) + len(failures),
            "error_kinds": dict(stats.errors),
            "failures": failures[:10],
            "lost": lost,
            "doubled": doubled,
            "skipped_by_pull": skipped,
            "watcher_pulls": watcher_pulls[0],
            "records_on_server": len(server_records),
        }
        for lap in laptops:
            lap.close()
        watcher.close()
        return figures
    finally:
        if server is not None:
            server.stop()
        engine.dispose()
        db.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--batches", type=int, default=5, help="push batches per client")
    parser.add_argument("--batch", type=int, default=20, help="ops per batch")
    parser.add_argument(
        "--workers", type=int, default=None, help="server workers (default: 1 SQLite, 4 PostgreSQL)"
    )
    parser.add_argument("--pg-url", default=os.environ.get(PG_ENV))
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if args.backend == "both" and not args.pg_url:
        print(f"load_test: {PG_ENV} is not set: SQLite only", file=sys.stderr)
        backends = ["sqlite"]
    out = [
        run(
            b,
            clients=args.clients,
            batches=args.batches,
            batch=args.batch,
            workers=args.workers,
            pg_url=args.pg_url,
        )
        for b in backends
    ]
    print(json.dumps(out[0] if len(out) == 1 else out, ensure_ascii=False, indent=2))
    bad = any(r["failures"] or r["lost"] or r["doubled"] or r["skipped_by_pull"] for r in out)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
