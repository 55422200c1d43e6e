"""What every TUI test needs: waiting for the app to be quiet, and steady cursors for snapshots."""

from __future__ import annotations

import contextlib
from typing import Any


async def settle(pilot: Any, rounds: int = 40) -> None:
    """Wait until no worker is pending or running, the messages they posted are handled and animations
    have finished.

    A worker may start another (a list loads, then its counts); an exclusive worker superseded by a newer
    one is cancelled, which is fine: we then wait for the newer one.
    """
    from textual.worker import WorkerCancelled, WorkerFailed, WorkerState

    app = pilot.app
    for _ in range(rounds):
        # a failed worker is the app's to handle (a store failure becomes a notification; anything else
        # ends the app, and run_test raises it at the end of the test)
        with contextlib.suppress(WorkerCancelled, WorkerFailed):
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            break
    # a changed tab label slides its underline into place after a short timer: let it land (a loaded CI
    # machine was caught with the bar half-way)
    for _ in range(100):
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        if not getattr(app.screen, "realign_pending", False) and not _underlines_moving(app):
            return
        await pilot.pause(0.05)


async def until(pilot: Any, shown: Any, seconds: float = 10.0) -> bool:
    """Settle, then wait (up to ``seconds``) for ``shown()`` to be true: for what a screen draws after a reload
    that a posted message starts once the write's worker has ended. Returns the last ``shown()``."""
    import time

    end = time.monotonic() + seconds
    await settle(pilot)
    while not shown() and time.monotonic() < end:
        await pilot.pause(0.05)
        await settle(pilot)
    return bool(shown())


def _underlines_moving(app: Any) -> bool:
    """True while a Tabs' underline is not (yet) under its active tab."""
    from textual.css.query import NoMatches
    from textual.widgets import Tabs
    from textual.widgets._tabs import Underline

    for tabs in app.screen.query(Tabs):
        try:
            active = tabs.query_one("#tabs-list > Tab.-active")
            underline = tabs.query_one(Underline)
        except NoMatches:
            continue
        start, end = active.virtual_region.shrink(active.styles.gutter).column_span
        if (underline.highlight_start, underline.highlight_end) != (start, end):
            return True
    return False


def freeze_cursors(app: Any) -> None:
    """No blinking cursor in snapshots: every Input and TextArea on the stack shows a steady cursor."""
    from textual.widgets import Input, TextArea

    for screen in app.screen_stack:
        for widget in screen.query(Input):
            widget.cursor_blink = False
        for widget in screen.query(TextArea):
            widget.cursor_blink = False
