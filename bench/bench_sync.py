"""Benchmark batch sync: push N outbox ops from one laptop, then pull them into an empty laptop.

Starts a real ``zsfield-server serve`` (a subprocess on a free loopback port; SQLite by default, or
``--db postgresql+psycopg://…``), adds two officers of one team, fills the first laptop's outbox with a mix
of leads, projects and visits (written through the store's Writer, so each row has its outbox op), then times

* ``push``: ``run_sync`` on the first laptop until its outbox is empty (batches of 500 ops), and
* ``pull``: ``run_sync`` on a second, empty laptop until it holds everything.

Prints one JSON object.

    .venv/bin/python bench/bench_sync.py [--ops 10000] [--db URL]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "sync"))

from zsfield.config import load_settings  # noqa: E402
from zsfield.store import Store  # noqa: E402
from zsfield.sync_client import SyncOptions, SyncProgress, login, run_sync  # noqa: E402

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def laptop(home: Path) -> tuple[Store, Any]:
    settings = load_settings(db=home / "zsfield.db", env={"ZSFIELD_HOME": str(home)})
    return Store.open(settings.db_path), settings


def fill_outbox(store: Store, ops: int) -> dict[str, int]:
    """Leads : projects : visits = 2 : 2 : 6 (each an ``insert`` op), written like a seed with its outbox."""
    officer, team = store.get_state("officer_id"), store.get_state("team_id")
    n_projects = ops // 5
    n_leads = ops // 5
    n_visits = ops - n_projects - n_leads
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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ops", type=int, default=10_000)
    parser.add_argument("--db", help="server database URL (default: a SQLite file in a temporary folder)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="zsfield-bench-sync-"))
    env = {
        **os.environ,
        "ZSFIELD_SERVER_HOME": str(tmp / "server"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    if args.db:
        env["ZSFIELD_SERVER_DB"] = args.db
    os.environ["PYTHON_KEYRING_BACKEND"] = env["PYTHON_KEYRING_BACKEND"]

    def officer(name: str) -> str:
        out = subprocess.run(
            [str(BIN / "zsfield-server"), "officer", "add", name, "--team", "基准组", "--office", "上海", "--json"],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return json.loads(out.stdout)["token"]

    tokens = [officer(f"bench-{uuid.uuid4().hex[:6]}"), officer(f"bench-{uuid.uuid4().hex[:6]}")]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(BIN / "zsfield-server"), "serve", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.05)

        store_a, settings_a = laptop(tmp / "a")
        login(store_a, settings_a, url, tokens[0])
        mix = fill_outbox(store_a, args.ops)
        ops = int(store_a.scalar("SELECT count(*) FROM outbox"))

        marks: dict[str, float] = {}

        def progress(p: SyncProgress) -> None:
            marks.setdefault(f"{p.phase}_start", time.perf_counter())
            marks[f"{p.phase}_last"] = time.perf_counter()

        t0 = time.perf_counter()
        pushed = run_sync(store_a, settings_a, progress=progress, options=SyncOptions())
        push_seconds = marks["pull_start"] - marks["push_start"]
        assert pushed.ok and pushed.pushed == ops, pushed.error
        own_pull_seconds = marks["done_start"] - marks["pull_start"]
        total_a = time.perf_counter() - t0

        store_b, settings_b = laptop(tmp / "b")
        login(store_b, settings_b, url, tokens[1])
        t1 = time.perf_counter()
        pulled = run_sync(store_b, settings_b, options=SyncOptions())
        pull_seconds = time.perf_counter() - t1
        assert pulled.ok, pulled.error
        got = {t: int(store_b.scalar(f"SELECT count(*) FROM {t}")) for t in mix}
        assert got == mix, (got, mix)
        report = {
            "backend": "postgresql" if args.db and args.db.startswith("postgres") else "sqlite",
            "ops": ops,
            "mix": mix,
            "push_seconds": round(push_seconds, 3),
            "push_ops_per_second": round(ops / push_seconds),
            "push_batches": pushed.batches,
            "pusher_total_seconds_incl_pulling_back_own_changes": round(total_a, 3),
            "pusher_pull_back_seconds": round(own_pull_seconds, 3),
            "pull_into_empty_client_seconds": round(pull_seconds, 3),
            "pulled_records": pulled.pulled,
            "pull_records_per_second": round(pulled.pulled / pull_seconds),
            "pull_pages": pulled.pages,
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
        }
        print(json.dumps(report, ensure_ascii=False))
        store_a.close()
        store_b.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
