"""Time from push_screen to the project detail and its timeline painted, for a project with 2,000 entries.

    .venv/bin/python bench/bench_project_detail.py [entries]

Builds a throwaway database (one project, ``entries`` timeline entries: visits, follow-ups, notes), opens the
app headless at 120×40 and measures, five times, from ``app.open_project`` until the detail has applied its
data and the first page of the timeline is in the widget and painted. Prints the figures.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path


def build(path: Path, entries: int) -> tuple[object, str]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from tui_b_data import build_org, new_project
    from zsfield.domain.models import FollowUp, Note, Visit
    from zsfield.store import Store

    store = Store.open(path)
    org = build_org(store)
    pid = new_project(store, org, "远景储能电池基地", "远景能源（江苏）有限公司")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows: dict[str, list[object]] = {"visit": [], "follow_up": [], "note": []}
    for i in range(entries - 1):  # the project already has one entry: its first stage event
        at = start + timedelta(hours=7 * i)
        if i % 3 == 0:
            rows["visit"].append(
                Visit(
                    project_id=pid,
                    officer_id=org.me,
                    occurred_at=at,
                    place="江阴",
                    summary=f"第 {i} 次拜访",
                    difficulties="用地指标",
                    next_step="继续跟进",
                    next_on=date(2026, 12, 1),
                )
            )
        elif i % 3 == 1:
            rows["follow_up"].append(
                FollowUp(
                    project_id=pid, assignee_id=org.me, title=f"跟进 {i}", due_on=at.date(), created_at=at
                )
            )
        else:
            rows["note"].append(Note(project_id=pid, author_id=org.me, body=f"备注 {i}", at=at))
    from zsfield.store.writer import wire_rows

    with store.write(org.me, outbox=False) as w:
        for entity, objs in rows.items():
            w.insert_rows(entity, wire_rows(objs))  # type: ignore[arg-type]
    return store, pid


async def measure(store: object, pid: str, runs: int = 5) -> list[float]:
    from zsfield.app import make_app
    from zsfield.clock import FrozenClock
    from zsfield.config import load_settings

    app = make_app(load_settings(), store=store, clock=FrozenClock(datetime(2026, 11, 23, 2, tzinfo=UTC)),
                   lang="zh", start_mode="none")  # fmt: skip
    out: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        for _ in range(runs):
            t0 = time.perf_counter()
            app.open_project(pid)
            while True:
                await asyncio.sleep(0.001)
                screen = app.screen
                detail = getattr(screen, "detail", None)
                timeline = screen.query("#detail-timeline")
                if detail is not None and timeline and timeline.first().option_list.option_count > 0:
                    break
            await pilot.pause()  # one more frame: painted
            out.append(time.perf_counter() - t0)
            app.pop_screen()
            await pilot.pause()
        total = timeline.first().total
    print(f"timeline entries: {total}")
    return out


def main() -> None:
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    import os

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ZSFIELD_HOME"] = tmp
        store, pid = build(Path(tmp) / "bench.db", entries)
        times = asyncio.run(measure(store, pid))
    print("push_screen → detail + timeline painted (s): " + ", ".join(f"{t:.3f}" for t in times))
    print(f"median {statistics.median(times):.3f} s, first (cold) {times[0]:.3f} s")


if __name__ == "__main__":
    main()
