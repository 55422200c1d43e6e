"""项目详情: snapshots of the screen, its tabs and its dialogs (zh / en), and pilot tests of the service plan,
milestones, foreign capital, contacts, status and moving back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from textual.widgets import Input

from tui_b_data import build_template, dataset_copy, make_test_app, no_blink, settle
from zsfield.domain.enums import ProjectStatus, ServiceState, Stage
from zsfield.domain.models import CapitalReceipt, Contact, Project, ServiceItem


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("tui_b") / "template.db")


@pytest.fixture
def data(template: Path, tmp_path: Path) -> Any:
    store, ids = dataset_copy(template, tmp_path / "officer.db")
    yield store, ids
    store.close()


def _opener(project_id: str, keys: tuple[str, ...] = ()) -> Any:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        pilot.app.open_project(project_id)
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        no_blink(pilot.app)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_detail_snapshot(snap_compare: Any, data: Any, lang: str, size: tuple[int, int]) -> None:
    store, ids = data
    app = make_test_app(store, lang=lang, start_mode="none")  # no list underneath: the detail alone
    assert snap_compare(app, terminal_size=size, run_before=_opener(ids["main"]))


# Tabs and panes once each (alternating languages); every dialog in both languages.
VIEWS: list[tuple[str, tuple[str, ...], str]] = [
    ("contract_pane", ("]",), "zh"),
    ("service_tab", ("2",), "en"),
    ("milestones_tab", ("3",), "zh"),
    ("capital_tab", ("4",), "en"),
    ("contacts_tab", ("5",), "zh"),
    ("timeline_tab", ("6",), "en"),
    *(
        (name, keys, lang)
        for name, keys in (
            ("status_modal", ("s",)),
            ("move_back_modal", ("b",)),
            ("service_item_modal", ("2", "n")),
            ("assign_modal", ("2", "r")),
            ("milestone_modal", ("3", "enter")),
            ("receipt_modal", ("4", "n")),
            ("contact_modal", ("5", "n")),
        )
        for lang in ("zh", "en")
    ),
]


@pytest.mark.parametrize(("view", "keys", "lang"), VIEWS, ids=[f"{v}-{lang}" for v, _, lang in VIEWS])
def test_detail_views_snapshot(
    snap_compare: Any, data: Any, view: str, keys: tuple[str, ...], lang: str
) -> None:
    store, ids = data
    app = make_test_app(store, lang=lang, start_mode="none")
    assert snap_compare(app, terminal_size=(120, 40), run_before=_opener(ids["main"], keys))


async def _open(pilot: Any, project_id: str) -> Any:
    await settle(pilot)
    pilot.app.open_project(project_id)
    await settle(pilot)
    return pilot.app.screen


async def test_service_plan_add_assign_tick(data: Any) -> None:
    store, ids = data
    pid = ids["main"]
    app = make_test_app(store, lang="zh", start_mode="projects")
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(pilot, pid)
        await pilot.press("2", "n")
        await settle(pilot)
        modal = app.screen
        modal.query_one("#f-title Input", Input).value = "供地协调"
        modal.query_one("#f-responsible Input", Input).value = "自然资源分局"
        modal.query_one("#f-due_on Input", Input).value = "2026-12-15"
        await pilot.press("f10")
        await settle(pilot)
        with store.read() as s:
            items = {
                i.title: i for i in s.exec(select(ServiceItem).where(ServiceItem.project_id == pid)).all()
            }
            assert items["供地协调"].responsible == "自然资源分局"
        # the overdue item (环评手续预审, due 11-10) is first; tick it off with enter, then reopen with d
        table = app.screen.query_one("#svc-table")
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("enter")
        await settle(pilot)
        with store.read() as s:
            item = s.exec(select(ServiceItem).where(ServiceItem.title == "环评手续预审")).one()
            assert item.state == ServiceState.DONE and item.done_on is not None
        await pilot.press("d")
        await settle(pilot)
        with store.read() as s:
            assert (
                s.exec(select(ServiceItem).where(ServiceItem.title == "环评手续预审")).one().state == "open"
            )
        # assign
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one("#f-responsible Input", Input).value = "生态环境分局 刘科长"
        await pilot.press("f10")
        await settle(pilot)
        with store.read() as s:
            assert s.exec(
                select(ServiceItem).where(ServiceItem.title == "环评手续预审")
            ).one().responsible == ("生态环境分局 刘科长")


async def test_receipt_refuses_bad_amount_and_keeps_it(data: Any) -> None:
    store, ids = data
    pid = ids["main"]
    app = make_test_app(store, lang="en", start_mode="projects")
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(pilot, pid)
        await pilot.press("4", "n")
        await settle(pilot)
        modal = app.screen
        for ch in "abc":
            await pilot.press(ch)
        await pilot.press("f10")
        await settle(pilot)
        amount = modal.query_one("#f-amount")
        assert app.screen is modal and amount.text == "abc" and amount.has_class("-invalid")
        amount.text = "2m"
        await pilot.press("f10")
        await settle(pilot)
        assert app.screen is not modal
        with store.read() as s:
            amounts = sorted(r.amount_usd for r in s.exec(select(CapitalReceipt)).all())
            assert amounts == [2_000_000, 5_000_000]


async def test_status_needs_reason_then_move_back_and_contact(data: Any) -> None:
    store, ids = data
    pid = ids["main"]
    app = make_test_app(store, lang="zh", start_mode="projects")
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await _open(pilot, pid)
        detail.query_one("#btn-status").focus()
        await pilot.press("s")
        await settle(pilot)
        modal = app.screen
        modal.query_one("#f-status_reason Input", Input).value = ""
        await pilot.press("f10")  # 延期 without a reason: refused inside the dialog
        await settle(pilot)
        assert app.screen is modal and "原因" in str(modal.query_one("#form-error").render())
        modal.query_one("#f-status_reason Input", Input).value = "企业资金链调整"
        await pilot.press("f10")
        await settle(pilot)
        with store.read() as s:
            p = s.get(Project, pid)
            assert p.status == ProjectStatus.DELAYED and p.status_reason == "企业资金链调整"
        # back to active, then move back one stage with a reason
        await pilot.press("s")
        await settle(pilot)
        app.screen.query_one("#f-status").value = "active"
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("f10")  # the reason is required
        await settle(pilot)
        assert type(app.screen).__name__ == "MoveBackModal"
        for ch in "重新洽谈":
            await pilot.press(ch)
        await pilot.press("enter")
        await settle(pilot)
        with store.read() as s:
            assert s.get(Project, pid).stage == Stage.NEGOTIATING
        # contacts
        await pilot.press("5", "n")
        await settle(pilot)
        app.screen.query_one("#f-name Input", Input).value = "李秘书"
        await pilot.press("f10")
        await settle(pilot)
        with store.read() as s:
            assert {c.name for c in s.exec(select(Contact).where(Contact.project_id == pid)).all()} >= {
                "李秘书"
            }


def _shown_titles(app: Any) -> list[str]:
    from zsfield.screens.project import ProjectDetailScreen

    return [
        str(s.query_one("#detail-title").render())
        for s in app.screen_stack
        if isinstance(s, ProjectDetailScreen)
    ]


async def test_open_reads_first_then_builds_the_screen_once(data: Any) -> None:
    """open_project reads the project before the screen: the first frame already has the stage pane and its
    values; the timeline tab shows the page read with it, without a query of its own."""
    from zsfield.widgets.timeline import Timeline

    store, ids = data
    app = make_test_app(store, lang="zh", start_mode="none")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        loads: list[int] = []
        real_load = Timeline._load
        Timeline._load = lambda self, *a: (loads.append(1), real_load(self, *a))  # type: ignore[method-assign]
        try:
            app.open_project(ids["main"])
            await settle(pilot)
            screen = app.screen
            assert screen.project_id == ids["main"] and screen.detail is not None
            values = [i.value for i in screen.query(".stage-pane FormField Input").results(Input)]
            assert values and any(values)  # the pane built with the screen, its fields filled
            await pilot.press("6")
            await settle(pilot)
            timeline = screen.query_one("#detail-timeline", Timeline)
            assert timeline.entries and loads == []  # the page read with the project
        finally:
            Timeline._load = real_load  # type: ignore[method-assign]


async def test_a_slow_read_shows_the_screen_which_loads_itself(data: Any, monkeypatch: Any) -> None:
    """A read slower than PREFETCH_WAIT: the screen comes at once and loads the project itself; the late
    read is dropped (one screen, not two). Two projects asked for in a row: only the second opens."""
    import time

    import zsfield.screens.project as detail_module

    store, ids = data
    app = make_test_app(store, lang="zh", start_mode="none")
    real_read = detail_module.read_project

    def slow_read(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("with_timeline"):  # the read ahead of the screen, not the screen's own
            time.sleep(0.6)
        return real_read(*args, **kwargs)

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        monkeypatch.setattr(detail_module, "read_project", slow_read)
        app.open_project(ids["main"])
        await pilot.pause(0.3)  # past PREFETCH_WAIT, the read still running
        assert len(_shown_titles(app)) == 1
        await settle(pilot)
        await pilot.pause(0.5)
        titles = _shown_titles(app)
        assert len(titles) == 1 and "远景储能电池基地" in titles[0], titles
        assert app.screen.detail is not None
        app.pop_screen()
        await settle(pilot)
        monkeypatch.setattr(detail_module, "read_project", real_read)
        app.open_project(ids["main"])
        app.open_project(ids["fresh"])
        await settle(pilot)
        await pilot.pause(0.3)
        shown = [s.project_id for s in app.screen_stack if hasattr(s, "project_id")]
        assert shown == [ids["fresh"]]


async def test_timeline_fills_a_tall_terminal_then_pages_as_it_scrolls(tmp_path: Path) -> None:
    """Pages of 15 entries: a terminal taller than one page loads the next at once (nothing to scroll
    otherwise); moving down the list loads the rest page by page."""
    from datetime import UTC, datetime, timedelta

    from tui_b_data import build_org, new_project
    from zsfield.domain.models import Note
    from zsfield.store import Store
    from zsfield.store.writer import wire_rows
    from zsfield.widgets.timeline import Timeline

    store = Store.open(tmp_path / "tall.db")
    org = build_org(store)
    pid = new_project(store, org, "远景储能电池基地", "远景能源（江苏）有限公司")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    notes = [
        Note(project_id=pid, author_id=org.me, body=f"备注 {i}", at=start + timedelta(hours=i))
        for i in range(80)
    ]
    with store.write(org.me, outbox=False) as w:
        w.insert_rows("note", wire_rows(notes))  # type: ignore[arg-type]
    try:
        app = make_test_app(store, lang="zh", start_mode="none")
        async with app.run_test(size=(120, 100)) as pilot:
            await settle(pilot)
            app.open_project(pid)
            await settle(pilot)
            await pilot.press("6")
            await settle(pilot)
            timeline = app.screen.query_one("#detail-timeline", Timeline)
            assert timeline.total == 81 and len(timeline.entries) == 30  # one page did not fill 100 rows
            loaded = len(timeline.entries)
            timeline.option_list.focus()
            for _ in range(loaded):
                await pilot.press("down")
            await settle(pilot)
            assert len(timeline.entries) > loaded
    finally:
        store.close()
