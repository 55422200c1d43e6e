"""Benchmark the demo seed: 100,000 projects into a fresh temporary database.

Prints one JSON object: ``seed_100k_s`` (wall seconds of ``seed_database``, opening and migrating the file
included), ``rows`` written, rows per second, the database size, and whether the rows were built in a second
process (with a core to spare: see seed._spare_core). Target (issue 7): 30 s. On a shared machine wall time follows
the load: run it at least twice and report the best and the median, with ``load_1min_after`` and the CPU
seconds (``cpu_s``, this process and its children), which vary less.

    .venv/bin/python bench/bench_seed.py [--projects 100000] [--seed 7] [--parallel auto|yes|no]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from zsfield.seed import PARALLEL_FROM, _spare_core, seed_database  # noqa: E402


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children (the generator process)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--parallel", choices=("auto", "yes", "no"), default="auto")
    args = parser.parse_args()
    parallel = {"auto": None, "yes": True, "no": False}[args.parallel]
    chosen = parallel if parallel is not None else args.projects >= PARALLEL_FROM and _spare_core()
    with tempfile.TemporaryDirectory(prefix="zsfield-bench-") as tmp:
        path = Path(tmp) / "seed.db"
        started = time.perf_counter()
        cpu_started = _cpu_seconds()
        report = seed_database(path, projects=args.projects, seed=args.seed, parallel=parallel)
        elapsed = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_started
        size = path.stat().st_size
    key = "seed_100k_s" if args.projects == 100_000 else f"seed_{args.projects}_s"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(
        json.dumps(
            {
                key: round(elapsed, 2),
                "cpu_s": round(cpu, 2),
                "rows": report["rows"],
                "rows_per_s": round(report["rows"] / elapsed),
                "rows_per_project": round(report["rows"] / args.projects, 2),
                "db_mb": round(size / 2**20, 1),
                "second_process": chosen,
                "cpus": os.cpu_count(),
                "load_1min_after": None if load is None else round(load, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
