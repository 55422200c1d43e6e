"""The sync screen (F5) against a real server: sync in a worker, see the conflict, decide it, sync the decision."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, TabbedContent

from sync_helpers import (
    Zone,
    backends,
    edit_project,
    file_credentials,
    make_project,
    project_row,
    running_server,
)
from zsfield.store.read.sync_lists import open_conflicts


@pytest.fixture(params=backends())
def zone(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Zone]:
    for server in running_server(request.param, tmp_path):
        z = Zone(server, tmp_path)
        try:
            yield z
        finally:
            z.close()


async def settle(pilot) -> None:  # noqa: ANN001
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def test_sync_screen_runs_a_sync_and_decides_a_conflict(zone: Zone) -> None:
    from zsfield.app import make_app

    a1, a2 = zone.laptop("A1"), zone.laptop("A2")
    pid = make_project(a1, "华虹半导体")
    assert a1.sync().ok and a2.sync().ok
    edit_project(a1, pid, park_area="一期")
    assert a1.sync().ok
    edit_project(a2, pid, park_area="二期")

    app = make_app(a2.settings, store=a2.store, lang="en", start_mode="sync")
    with file_credentials():
        await _drive(app, pid)
    assert not open_conflicts(a2.store)
    assert zone.server.record("project", pid)["data"]["park_area"] == "二期"  # type: ignore[index]
    assert a1.sync().ok and project_row(a1, pid)["park_area"] == "二期"


async def _drive(app, pid: str) -> None:  # noqa: ANN001
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "SyncScreen"
        assert screen.query_one("#sync-outbox", DataTable).row_count == 1
        await pilot.press("s")
        await settle(pilot)
        assert app.online is True and app.outbox_count == 0
        conflicts = screen.query_one("#sync-conflicts", DataTable)
        assert conflicts.row_count == 1
        assert screen.query_one("#sync-tabs", TabbedContent).active == "tab-conflicts"
        assert "二期" in str(screen.query_one("#sync-mine").render())
        assert "一期" in str(screen.query_one("#sync-theirs").render())
        await pilot.press("m")  # keep mine: an op that syncs
        await settle(pilot)
        assert conflicts.row_count == 0 and app.outbox_count == 2
        await pilot.press("s")
        await settle(pilot)
        assert app.outbox_count == 0


async def test_sync_screen_says_a_sync_of_this_database_is_running(zone: Zone) -> None:
    """Another sync (`zsfield sync` in a terminal) holds the database: the screen's sync says so, plainly, and
    sends nothing; once the other one is done, the screen's sync goes through."""
    from zsfield.app import make_app
    from zsfield.store.sync_lock import sync_lock

    a1 = zone.laptop("A1")
    make_project(a1, "长鑫存储")
    ops = a1.outbox()
    app = make_app(a1.settings, store=a1.store, lang="en", start_mode="sync")
    with file_credentials():
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            with sync_lock(a1.settings.db_path):
                await pilot.press("s")
                await settle(pilot)
                phase = str(screen.query_one("#sync-phase").render())
                assert "A sync of this database is already running" in phase
                assert app.outbox_count == ops and a1.outbox() == ops
                assert app.online is not False  # not a failure of the server or the network
            await pilot.press("s")
            await settle(pilot)
            assert a1.outbox() == 0 and app.outbox_count == 0
            assert str(screen.query_one("#sync-phase").render()).startswith("Sent ")
