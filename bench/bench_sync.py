"""Benchmark batch sync against a real ``zsfield-server serve`` on loopback (issue 7).

Starts the server as a subprocess on a free loopback port (SQLite by default, or ``--db
postgresql+psycopg://…``: a fresh schema, dropped afterwards), adds officers, and measures

* ``push_ops_per_s``: ``--ops`` outbox ops (leads : projects : visits = 2 : 2 : 6, written through the
  store's Writer, so each row has its outbox op) pushed end to end — the client reads the outbox, sends it,
  the server applies and commits, the client stores the reply and trims the outbox. Beside it,
  ``raw_insert_rows_per_s``: plain ``sqlite3`` ``executemany`` of the same outbox rows into one table in one
  transaction (WAL, ``synchronous=FULL``, as the laptop), and ``push_vs_raw``, their ratio, from the same run.
* ``pull_ops_per_s``: ``--pull-ops`` changes (the pushed ones plus more of the same mix) pulled into an
  empty laptop of the same team.
* ``noop_sync_ms_1k`` / ``noop_sync_ms_100k``: a whole ``run_sync`` with nothing to do, on laptops of 1,000
  and 100,000 demo projects (``zsfield.seed.seed_database``; the seeded files are cached in
  ``$ZSFIELD_BENCH_CACHE``, else the temp dir, since seeding 100,000 projects takes a minute or more). The
  median of several syncs; ``…_min`` is the best.

Prints one JSON object. ``run()`` returns the same dict (for ``bench/run.py``)::

    .venv/bin/python bench/bench_sync.py [--ops 10000] [--pull-ops 100000] [--db URL]
                                         [--noop-projects 1000,100000]

The machine matters: run it a few times and compare best and median.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "src", ROOT / "sync"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from zsfield import protocol  # noqa: E402
from zsfield.config import load_settings  # noqa: E402
from zsfield.store import Store  # noqa: E402
from zsfield.sync.client import SyncOptions  # noqa: E402
from zsfield.sync.login import login  # noqa: E402
from zsfield.sync.results import SyncProgress  # noqa: E402
from zsfield.sync.run import run_sync  # noqa: E402

BIN = Path(sys.executable).parent
NOOP_RUNS = 7
SEED_TODAY = date(2026, 11, 23)
DEFAULT_NOOP_PROJECTS = (1_000, 100_000)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def laptop(home: Path, db: Path | None = None) -> tuple[Store, Any]:
    settings = load_settings(db=db or home / "zsfield.db", env={"ZSFIELD_HOME": str(home)})
    return Store.open(settings.db_path), settings


def fill_outbox(
    store: Store, ops: int, *, officer: str | None = None, team: str | None = None
) -> dict[str, int]:
    """Leads : projects : visits = 2 : 2 : 6 (each an ``insert`` op), written like a seed with its outbox."""
    officer = officer or store.get_state("officer_id")
    team = team or store.get_state("team_id")
    n_projects = max(1, ops // 5)
    n_leads = max(1, ops // 5)
    n_visits = max(0, ops - n_projects - n_leads)
    now = "2026-11-23T08:00:00.000000"
    leads = [
        {"id": str(uuid.uuid4()), "title": f"线索 {i}", "team_id": team, "received_by": officer,
         "source_channel": "fair", "estimated_investment": str(100_000_000 + i), "received_on": "2026-11-01"}
        for i in range(n_leads)
    ]  # fmt: skip
    projects = [
        {"id": str(uuid.uuid4()), "name": f"项目 {i}", "lead_id": leads[i % n_leads]["id"], "owner_team_id": team,
         "leader_id": officer, "service_officer_id": officer, "stage": "negotiating",
         "planned_investment": str(500_000_000 + i), "stage_since": now, "industry": "新能源"}
        for i in range(n_projects)
    ]  # fmt: skip
    visits = [
        {"id": str(uuid.uuid4()), "project_id": projects[i % n_projects]["id"], "officer_id": officer,
         "kind": "visit", "occurred_at": now, "summary": f"第 {i} 次拜访:洽谈用地与产能规划,客户关注人才公寓与审批时限。",
         "next_step": "报送方案"}
        for i in range(n_visits)
    ]  # fmt: skip
    with store.write(officer) as w:
        w.insert_rows("lead", leads)
        w.insert_rows("project", projects)
        w.insert_rows("visit", visits)
    return {"lead": n_leads, "project": n_projects, "visit": n_visits}


def raw_insert_rate(store: Store, folder: Path) -> tuple[int, float]:
    """Plain sqlite3: the outbox's rows into one table of a new file, one ``executemany``, one transaction."""
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT op_id, entity, entity_id, op, fields, base_version, schema_version, created_at FROM outbox"
        ).all()
    path = folder / "raw.db"
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute(
            "CREATE TABLE outbox (client_seq INTEGER PRIMARY KEY, op_id TEXT NOT NULL, entity TEXT NOT NULL, "
            "entity_id TEXT NOT NULL, op TEXT NOT NULL, fields TEXT NOT NULL, base_version INTEGER NOT NULL, "
            "schema_version INTEGER NOT NULL, created_at TEXT NOT NULL)"
        )
        values = [tuple(r) for r in rows]
        started = time.perf_counter()
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO outbox (op_id, entity, entity_id, op, fields, base_version, schema_version, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
        db.execute("COMMIT")
        seconds = time.perf_counter() - started
    finally:
        db.close()
    return len(rows), seconds


def seeded_laptop(projects: int) -> Path:
    """A demo database of ``projects`` projects, seeded once and kept in the bench cache."""
    from zsfield.seed import seed_database

    cache = Path(os.environ.get("ZSFIELD_BENCH_CACHE") or Path(tempfile.gettempdir()) / "zsfield-bench-cache")
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"seed-{projects}-{SEED_TODAY.isoformat()}.db"
    if not path.exists():
        partial = path.with_suffix(".partial.db")
        for suffix in ("", "-wal", "-shm"):
            Path(str(partial) + suffix).unlink(missing_ok=True)
        seed_database(partial, projects=projects, today=SEED_TODAY)
        partial.rename(path)
    return path


@contextmanager
def server_database(db: str | None, folder: Path) -> Iterator[tuple[str, str]]:
    """(URL, backend) of a fresh server database: a SQLite file, or a new schema of ``db`` (dropped after)."""
    if not db or not db.startswith("postgres"):
        yield (db or f"sqlite:///{folder / 'server.db'}"), "sqlite"
        return
    from sqlalchemy import create_engine

    from zsfield_sync.storage import resolve_db_url

    base = resolve_db_url(db)
    schema = f"zs_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}", "postgresql"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@contextmanager
def running_server(url: str, folder: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "ZSFIELD_SERVER_HOME": str(folder / "server"), "ZSFIELD_SERVER_DB": url}
    server = subprocess.Popen(
        [str(BIN / "zsfield-server"), "serve", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.05)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


class Marks:
    """Progress callback noting when each sync phase started and last reported."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}

    def __call__(self, p: SyncProgress) -> None:
        now = time.perf_counter()
        self.at.setdefault(f"{p.phase}_start", now)
        self.at[f"{p.phase}_last"] = now


def run(
    ops: int = 10_000,
    pull_ops: int = 100_000,
    db: str | None = None,
    *,
    noop_projects: tuple[int, ...] = DEFAULT_NOOP_PROJECTS,
) -> dict[str, Any]:
    """Run the benchmark; returns the figures (see the module docstring)."""
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    tmp = Path(tempfile.mkdtemp(prefix="zsfield-bench-sync-"))
    report: dict[str, Any] = {}
    try:
        with server_database(db, tmp) as (url, backend):
            from zsfield_sync.admin import add_officer
            from zsfield_sync.storage import open_storage

            engine = open_storage(url)
            tokens = {
                role: add_officer(engine, f"bench-{role}-{uuid.uuid4().hex[:6]}", office="上海", team=team,
                                  role="officer")[1]
                for role, team in (("pusher", "基准组"), ("puller", "基准组"), ("idle", "空闲组"))
            }  # fmt: skip
            engine.dispose()
            with running_server(url, tmp) as base:
                report = {
                    "backend": backend,
                    "batch_ops": SyncOptions().batch_ops,
                    "batch_bytes": SyncOptions().batch_bytes,
                    "page_size": SyncOptions().page_size,
                    "server_limits": protocol.Limits().model_dump(),
                }
                report.update(_push_and_pull(base, tokens, tmp, ops, pull_ops))
                for n in noop_projects:
                    report.update(_noop(base, tokens["idle"], tmp, n))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report["python"] = sys.version.split()[0]
    report["cpus"] = os.cpu_count()
    report["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return report


def _push_and_pull(base: str, tokens: dict[str, str], tmp: Path, ops: int, pull_ops: int) -> dict[str, Any]:
    store_a, settings_a = laptop(tmp / "a")
    login(store_a, settings_a, base, tokens["pusher"])
    mix = fill_outbox(store_a, ops)
    queued = int(store_a.scalar("SELECT count(*) FROM outbox"))
    raw_rows, raw_seconds = raw_insert_rate(store_a, tmp)

    marks = Marks()
    pushed = run_sync(store_a, settings_a, progress=marks, options=SyncOptions())
    assert pushed.ok and pushed.pushed == queued and pushed.outbox_left == 0, pushed.error
    push_seconds = marks.at["pull_start"] - marks.at["push_start"]
    push_rate = queued / push_seconds
    raw_rate = raw_rows / raw_seconds
    out: dict[str, Any] = {
        "ops": queued,
        "mix": mix,
        "push_seconds": round(push_seconds, 3),
        "push_ops_per_s": round(push_rate),
        "push_batches": pushed.batches,
        "raw_insert_rows_per_s": round(raw_rate),
        "push_vs_raw": round(push_rate / raw_rate, 3),
        "pusher_pull_back_seconds": round(marks.at["done_start"] - marks.at["pull_start"], 3),
    }

    extra = max(0, pull_ops - queued)
    if extra:  # more of the same mix on the server (untimed setup; its rate is reported as bulk push)
        fill_outbox(store_a, extra)
        more = Marks()
        bulk = run_sync(store_a, settings_a, progress=more, options=SyncOptions())
        assert bulk.ok and bulk.outbox_left == 0, bulk.error
        out["bulk_push_ops_per_s"] = round(bulk.pushed / (more.at["pull_start"] - more.at["push_start"]))
    store_a.close()

    store_b, settings_b = laptop(tmp / "b")
    login(store_b, settings_b, base, tokens["puller"])
    marks = Marks()
    started = time.perf_counter()
    pulled = run_sync(store_b, settings_b, progress=marks, options=SyncOptions())
    total = time.perf_counter() - started
    assert pulled.ok, pulled.error
    pull_seconds = marks.at["done_start"] - marks.at["pull_start"]
    want = {k: v for k, v in mix.items()}
    if extra:
        extra_mix = {"lead": max(1, extra // 5), "project": max(1, extra // 5)}
        extra_mix["visit"] = max(0, extra - extra_mix["lead"] - extra_mix["project"])
        want = {k: want[k] + extra_mix[k] for k in want}
    got = {t: int(store_b.scalar(f"SELECT count(*) FROM {t}")) for t in want}
    assert got == want, (got, want)
    store_b.close()
    out.update(
        {
            "pull_ops": pulled.pulled,
            "pull_seconds": round(pull_seconds, 3),
            "pull_ops_per_s": round(pulled.pulled / pull_seconds),
            "pull_pages": pulled.pages,
            "pull_sync_total_seconds": round(total, 3),
        }
    )
    return out


def _noop(base: str, token: str, tmp: Path, projects: int) -> dict[str, Any]:
    """A sync with nothing to do on a laptop of ``projects`` demo projects (logged in, synced once)."""
    key = f"{projects // 1000}k" if projects % 1000 == 0 else str(projects)
    home = tmp / f"noop-{key}"
    home.mkdir(parents=True)
    path = home / "zsfield.db"
    shutil.copyfile(seeded_laptop(projects), path)
    store, settings = laptop(home, path)
    try:
        login(store, settings, base, token)
        first = run_sync(store, settings, options=SyncOptions())
        assert first.ok, first.error
        times = []
        for _ in range(NOOP_RUNS):
            started = time.perf_counter()
            result = run_sync(store, settings, options=SyncOptions())
            times.append((time.perf_counter() - started) * 1000)
            assert result.ok and result.pushed == 0 and result.pulled == 0, result.to_dict()
    finally:
        store.close()
    return {
        f"noop_sync_ms_{key}": round(statistics.median(times), 2),
        f"noop_sync_ms_{key}_min": round(min(times), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ops", type=int, default=10_000, help="outbox ops to push (default 10000)")
    parser.add_argument("--pull-ops", type=int, default=100_000, help="changes to pull (default 100000)")
    parser.add_argument("--db", help="server database URL (default: a SQLite file in a temporary folder)")
    parser.add_argument(
        "--noop-projects",
        default=",".join(str(n) for n in DEFAULT_NOOP_PROJECTS),
        help="laptop sizes (projects) for the no-op sync; empty: skip (default 1000,100000)",
    )
    args = parser.parse_args(argv)
    sizes = tuple(int(n) for n in args.noop_projects.split(",") if n.strip())
    print(json.dumps(run(args.ops, args.pull_ops, args.db, noop_projects=sizes), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
