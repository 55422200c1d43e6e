"""The TUI figures of ``bench/run.py``: time to first paint in a real terminal, search-as-you-type latency and
peak memory while paging through the project list, on a seeded database.

    .venv/bin/python bench/bench_tui.py ttfp --db PATH [--runs 5]
    .venv/bin/python bench/bench_tui.py filter --db PATH
    .venv/bin/python bench/bench_tui.py rss --db PATH        # run in its own process: its peak RSS is the figure

Each prints one JSON object.

* **ttfp**: the whole process, from ``fork`` to the dashboard painted, in a pseudo-terminal of 120×40
  (``pty.fork``; the output is read as the terminal would get it until the dashboard's hint line appears),
  against a bare Textual app (Header, a line of text, Footer: ``bench/bare_app.py``) in the same conditions,
  alternating the two, median of ``runs``. The same run also notes when the dashboard's data (the summary
  line: counts of due, overdue, leads) is on screen: ``dashboard_data_ms``.
* **filter**: inside the app (headless ``App.run_test`` at 120×40, the real database, the projects screen,
  its search index built), typing into the search box one key at a time: from the key press until the
  list's rows for the new text are in the table (``PagedTable.shown_generation``) and the screen refreshed
  after that (``wait_for_refresh``). Keys are sent as the driver would, 120 ms apart. Typing "新能源", deleting it, then "科技园", deleting it, then "ab".
* **rss**: the projects screen (headless), paging down the whole list with ``ctrl+end`` (the cursor on the last
  row asks for the next page) until every row was seen; the process's peak RSS (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import select
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SIZE = (120, 40)


# --- time to first paint ----------------------------------------------------------------------------------------


def _spawn_until(argv: list[str], markers: list[bytes], env: dict[str, str], timeout: float) -> list[float]:
    """Run ``argv`` in a pseudo-terminal; seconds from the fork until each marker appeared in its output."""
    import fcntl
    import pty
    import struct
    import termios

    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: a 120×40 terminal, then the program
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    seen: list[float] = []
    buf = b""
    try:
        while len(seen) < len(markers):
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"{argv[-1]}: no {markers[len(seen)]!r} after {timeout:.0f} s")
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                raise RuntimeError(f"{argv}: exited before painting ({buf[-400:]!r})") from None
            if not chunk:
                break
            buf = (buf + chunk)[-200_000:]
            while len(seen) < len(markers) and markers[len(seen)] in buf:
                seen.append(time.perf_counter() - started)
    finally:
        os.write(fd, b"\x11")  # ctrl+q
        deadline = time.perf_counter() + 3
        while time.perf_counter() < deadline:
            done, _status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if select.select([fd], [], [], 0.05)[0]:
                with contextlib.suppress(OSError):
                    os.read(fd, 65536)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    return seen


def ttfp(db: Path, runs: int = 5, timeout: float = 60.0) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "src"))
    from zsfield.i18n import t

    with tempfile.TemporaryDirectory(prefix="zsfield-ttfp-") as home:
        env = {
            **os.environ,
            "ZSFIELD_HOME": home,
            "TERM": "xterm-256color",
            "COLUMNS": str(SIZE[0]),
            "LINES": str(SIZE[1]),
        }
        env.pop("TEXTUAL", None)
        hint = t("dash.hint", "en").split(" · ")[0].encode()  # "enter open": the dashboard's own line
        summary = t("dash.summary", "en").split("{due}")[1].split("·")[0].strip().encode()  # "due today"
        app = [str(BIN / "zsfield"), "--db", str(db), "--lang", "en"]
        bare = [str(BIN / "python"), str(ROOT / "bench" / "bare_app.py")]
        app_ms: list[float] = []
        data_ms: list[float] = []
        bare_ms: list[float] = []
        _spawn_until(bare, [b"bench bare app ready"], env, timeout)  # warm the file cache
        _spawn_until(app, [hint], env, timeout)
        for _ in range(runs):
            bare_ms.append(_spawn_until(bare, [b"bench bare app ready"], env, timeout)[0] * 1000)
            first, data = _spawn_until(app, [hint, summary], env, timeout)
            app_ms.append(first * 1000)
            data_ms.append(data * 1000)
    app_med, bare_med = statistics.median(app_ms), statistics.median(bare_ms)
    return {
        "ttfp_ms": round(app_med, 1),
        "ttfp_bare_ms": round(bare_med, 1),
        "ttfp_ratio": round(app_med / bare_med, 3),
        "dashboard_data_ms": round(statistics.median(data_ms), 1),
        "ttfp_samples_ms": [round(x) for x in app_ms],
        "ttfp_bare_samples_ms": [round(x) for x in bare_ms],
    }


# --- search as you type --------------------------------------------------------------------------------------------


def _open_app(db: Path, start_mode: str) -> Any:
    sys.path.insert(0, str(ROOT / "src"))
    from zsfield import tui_env

    tui_env.prepare()  # as ``zsfield`` does before Textual is imported
    from zsfield.app import make_app
    from zsfield.config import load_settings

    return make_app(load_settings(db=db), lang="zh", start_mode=start_mode)


def _send_key(app: Any, key: str) -> None:
    """Send a key as the terminal would (``pilot.press`` would also wait until the whole process is idle,
    background workers included, which is not what a keystroke's latency is)."""
    from textual import events

    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)


async def _wait(predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not get there")
        await asyncio.sleep(0.002)


async def _filter(db: Path) -> dict[str, Any]:
    app = _open_app(db, "projects")
    samples: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await _wait(lambda: screen.table.shown_generation > 0 and screen._text_index is not None)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        screen.action_focus_search()
        await pilot.pause()
        keys = [*"新能源", *["backspace"] * 3, *"科技园", *["backspace"] * 3, *"ab", *["backspace"] * 2]
        for key in keys:
            table = screen.table
            before = table.generation
            t0 = time.perf_counter()
            _send_key(app, key)
            await _wait(lambda t=table, b=before: t.generation > b and t.shown_generation == t.generation)
            await table.wait_for_refresh()  # the screen refreshed with the new rows
            samples.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(0.12)  # a typist: the next key comes soon after
        total = screen.table.total
    ordered = sorted(samples)
    return {
        "filter_ms_p50": round(statistics.median(samples), 1),
        "filter_ms_p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1),
        "filter_ms_max": round(ordered[-1], 1),
        "filter_keys": len(samples),
        "filter_rows_after": total,
    }


def filter_latency(db: Path) -> dict[str, Any]:
    return asyncio.run(_filter(db))


# --- memory while paging -------------------------------------------------------------------------------------------


async def _browse(db: Path, limit_s: float) -> dict[str, Any]:
    import resource

    app = _open_app(db, "projects")
    started = time.perf_counter()
    async with app.run_test(size=SIZE):
        screen = app.screen
        table = screen.table
        await _wait(lambda: table.shown_generation > 0 and table.total > 0)
        table.focus()
        pages = 0
        while table.rows_through < table.total and time.perf_counter() - started < limit_s:
            seen = table.rows_through
            _send_key(app, "ctrl+end")
            try:
                await _wait(lambda seen=seen: table.rows_through > seen and table._inflight is None, 30)
            except TimeoutError:
                break
            pages += 1
        rows_seen, total, held = table.rows_through, table.total, table.row_count
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "rss_mb_100k": round(peak_kb / 1024, 1),
        "rss_rows_seen": rows_seen,
        "rss_rows_total": total,
        "rss_rows_held": held,
        "rss_pages": pages,
        "rss_browse_s": round(time.perf_counter() - started, 1),
    }


def rss(db: Path, limit_s: float = 240.0) -> dict[str, Any]:
    """Run the browse in a child process (its peak RSS is the app's, not the runner's)."""
    import subprocess

    out = subprocess.run(
        [sys.executable, __file__, "rss-child", "--db", str(db), "--limit-s", str(limit_s)],
        capture_output=True,
        text=True,
        timeout=limit_s + 120,
        env={**os.environ, "ZSFIELD_HOME": tempfile.mkdtemp(prefix="zsfield-rss-")},
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["ttfp", "filter", "rss", "rss-child"])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--limit-s", type=float, default=240.0)
    args = parser.parse_args()
    if args.what == "ttfp":
        result = ttfp(args.db, args.runs)
    elif args.what == "filter":
        os.environ.setdefault("ZSFIELD_HOME", tempfile.mkdtemp(prefix="zsfield-filter-"))
        result = filter_latency(args.db)
    elif args.what == "rss":
        result = rss(args.db, args.limit_s)
    else:
        result = asyncio.run(_browse(args.db, args.limit_s))
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
