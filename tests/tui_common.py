"""What every TUI test needs: waiting for the app to be quiet, and steady cursors for snapshots."""

from __future__ import annotations

import contextlib
from typing import Any


async def settle(pilot: Any, rounds: int = 40) -> None:
    """Wait until no worker is pending or running and the messages they posted are handled.

    A worker may start another (a list loads, then its counts); an exclusive worker superseded by a newer
    one is cancelled, which is fine: we then wait for the newer one.
    """
    from textual.worker import WorkerCancelled, WorkerState

    app = pilot.app
    for _ in range(rounds):
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            await pilot.pause()
            return


def freeze_cursors(app: Any) -> None:
    """No blinking cursor in snapshots: every Input and TextArea on the stack shows a steady cursor."""
    from textual.widgets import Input, TextArea

    for screen in app.screen_stack:
        for widget in screen.query(Input):
            widget.cursor_blink = False
        for widget in screen.query(TextArea):
            widget.cursor_blink = False
