"""Time from push_screen to the project detail and its timeline painted, for a project with 2,000 entries.

    .venv/bin/python bench/bench_project_detail.py [entries]

Builds a throwaway database (one project, ``entries`` timeline entries: visits, follow-ups, notes), opens the
app headless at 120×40 and measures, five times, from ``app.open_project`` until the detail has applied its
data and is painted (the stage pane's widgets all mounted, then the end of the next frame drawn), and until (the
timeline tab chosen as soon as the screen is up: tabs are built when first shown) the first page of the
timeline is in the widget and painted: ``open_project_ms``. ``open_project_settled_ms``: until the app is
idle again after that (the other tabs are built just after the paint; ``pilot.pause`` waits for the CPU to
go quiet). Prints the medians (ms).
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


async def measure(store: object, pid: str, runs: int = 5) -> dict[str, list[float]]:
    """Per run: seconds from ``app.open_project`` until the detail is applied and painted (``detail``), and
    until, the timeline tab being chosen as soon as the screen is up, its first page is painted too
    (``timeline``: the whole way to "detail and timeline painted")."""
    from zsfield.app import make_app
    from zsfield.clock import FrozenClock
    from zsfield.config import load_settings

    _note_frames()
    app = make_app(load_settings(), store=store, clock=FrozenClock(datetime(2026, 11, 23, 2, tzinfo=UTC)),
                   lang="zh", start_mode="none")  # fmt: skip
    out: dict[str, list[float]] = {
        f"{what}{part}": [] for what in ("detail", "timeline") for part in ("", "_cpu", "_settled")
    }
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        for _ in range(runs):
            for what in ("detail", "timeline"):
                t0, c0 = time.perf_counter(), time.process_time()
                app.open_project(pid)
                chose = False
                while True:
                    await asyncio.sleep(0.001)
                    screen = app.screen
                    if (
                        what == "timeline"
                        and not chose
                        and screen.is_mounted
                        and hasattr(screen, "action_tab")
                    ):
                        screen.action_tab("tab-timeline")
                        chose = True
                    if getattr(screen, "detail", None) is None or not screen.query(".stage-pane"):
                        continue
                    if what == "detail":
                        break
                    lists = screen.query("#detail-timeline TimelineList")
                    if lists and lists.first().option_count > 0:
                        break
                # painted: every widget of the stage pane (and the timeline) mounted, then the next frame drawn
                while not _all_mounted(screen, what):
                    await asyncio.sleep(0.001)
                mounted, waited = len(FRAMES), time.perf_counter()
                while len(FRAMES) == mounted and time.perf_counter() - waited < 0.5:
                    await asyncio.sleep(0.001)
                # no frame since: the last one drawn (after the mounting, which asks for one) showed it all
                out[what].append((FRAMES[mounted] if len(FRAMES) > mounted else FRAMES[-1]) - t0)
                out[what + "_cpu"].append(time.process_time() - c0)
                await pilot.pause()  # settled: the other tabs built behind it, the workers done, the CPU idle
                out[what + "_settled"].append(time.perf_counter() - t0)
                await pilot.app.workers.wait_for_complete()
                if what == "timeline":
                    total = screen.query_one("#detail-timeline").total
                app.pop_screen()
                await pilot.pause()
    print(f"timeline entries: {total}", file=sys.stderr)
    return out


FRAMES: list[float] = []
"""When each frame was drawn (the end of each compositor refresh), filled by :func:`_note_frames`."""


def _note_frames() -> None:
    """Note the time each frame is drawn: a screen's refresh can wait behind its own queued messages, the
    frame does not."""
    from textual.screen import Screen

    draw = Screen._compositor_refresh

    def noted(self: Screen[object]) -> None:
        draw(self)
        FRAMES.append(time.perf_counter())

    Screen._compositor_refresh = noted  # type: ignore[method-assign]


def _all_mounted(screen: object, what: str) -> bool:
    """The stage pane's widgets (and for ``timeline`` the timeline's list) are all mounted."""
    panes = screen.query(".stage-pane")  # type: ignore[attr-defined]
    if not panes or not all(w.is_mounted for w in panes.first().walk_children(with_self=True)):
        return False
    if what == "timeline":
        lists = screen.query("#detail-timeline TimelineList")  # type: ignore[attr-defined]
        return bool(lists) and lists.first().is_mounted
    return True


def run(entries: int = 2000, runs: int = 5) -> dict[str, float]:
    """The figures for bench/run.py: medians in milliseconds."""
    import os

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from zsfield import tui_env

    tui_env.prepare()  # as ``zsfield`` does before Textual is imported

    with tempfile.TemporaryDirectory() as tmp:
        old = os.environ.get("ZSFIELD_HOME")
        os.environ["ZSFIELD_HOME"] = tmp
        try:
            store, pid = build(Path(tmp) / "bench.db", entries)
            times = asyncio.run(measure(store, pid, runs))
            store.close()  # type: ignore[attr-defined]
        finally:
            if old is None:
                os.environ.pop("ZSFIELD_HOME", None)
            else:
                os.environ["ZSFIELD_HOME"] = old
    return {
        "open_project_ms": round(statistics.median(times["timeline"]) * 1000, 1),
        "open_project_detail_ms": round(statistics.median(times["detail"]) * 1000, 1),
        "open_project_first_ms": round(times["timeline"][0] * 1000, 1),
        # until the app is idle again: the other tabs are built right after the paint, workers finish
        "open_project_settled_ms": round(statistics.median(times["timeline_settled"]) * 1000, 1),
        # CPU seconds of the process over the same span: what a loaded, shared machine inflates least
        "open_project_cpu_ms": round(statistics.median(times["timeline_cpu"]) * 1000, 1),
    }


def main() -> None:
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(run(entries))


if __name__ == "__main__":
    main()
