"""研判 and 转为项目: snapshots in both languages; a verdict needs its reason; a lead another team holds is
shown as held by that team (首谈负责); converting names owner team, leader and service officer (by default
the officer who first received the lead) and opens the new project."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tui_a_support import CHEN, L_MINE, L_REAL, L_TK, ME, T_SH, build_store, make_test_app, ready, settle


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tui_screening") / "template.db"
    build_store(path).close()
    return path


@pytest.fixture
def tui_store(template_db: Path, tmp_path: Path) -> Any:
    from zsfield.store import Store

    path = tmp_path / "officer.db"
    shutil.copy(template_db, path)
    store = Store.open(path)
    yield store
    store.close()


def _row(store: Any, table: str, record_id: str) -> Any:
    from sqlalchemy import text

    with store.engine.connect() as conn:
        return conn.execute(text(f"SELECT * FROM {table} WHERE id = :i"), {"i": record_id}).mappings().first()


def _open_lead(lead_id: str, *keys: str) -> Any:
    async def run_before(pilot: Any) -> None:
        await ready(pilot)
        pilot.app.open_lead(lead_id)
        await ready(pilot)
        if keys:
            await pilot.press(*keys)
            await ready(pilot)

    return run_before


# --- snapshots -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_screening_snapshot(snap_compare: Any, tui_store: Any, lang: str) -> None:
    """The lead on 宁德时代 that the Tokyo team already holds."""
    app = make_test_app(tui_store, lang=lang, start_mode="leads")
    assert snap_compare(app, terminal_size=(120, 40), run_before=_open_lead(L_MINE))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_convert_modal_snapshot(snap_compare: Any, tui_store: Any, lang: str) -> None:
    app = make_test_app(tui_store, lang=lang, start_mode="leads")
    assert snap_compare(app, terminal_size=(120, 40), run_before=_open_lead(L_REAL, "f9"))


# --- behaviour -----------------------------------------------------------------------------------------------


async def test_lead_held_by_another_team_is_shown_and_a_verdict_needs_a_reason(tui_store: Any) -> None:
    from textual.widgets import DataTable, Select

    from zsfield.widgets.fields import FormField

    app = make_test_app(tui_store, lang="zh", start_mode="leads")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.open_lead(L_MINE)
        await ready(pilot)
        screen = app.screen
        # 首谈负责: the Tokyo team received a lead on the same company first
        row = screen.query_one("#scr-dupes", DataTable).get_row(f"lead:{L_TK}")
        assert row[1] == "宁德时代储能基地"
        assert "东京驻点招商组" in row[4]
        assert str(row[6]) == "⚑ 东京驻点招商组首谈负责"
        banner = str(screen.query_one("#scr-banner").render())
        assert "东京驻点招商组" in banner and "首谈负责" in banner
        # the verdict
        assert app.focused is screen.query_one("#scr-verdict", Select)
        await pilot.press("enter", "down", "enter")  # open the list, 真实, choose it
        assert screen.query_one("#scr-verdict", Select).value == "real"
        await pilot.press("f10")  # no reason
        await settle(pilot)
        reason = screen.query_one("#scr-reason", FormField)
        assert "研判结论需要说明理由" in str(reason.query_one(".field-error").render())
        assert _row(tui_store, "lead", L_MINE)["verdict"] is None
        assert app.focused is reason.input
        await pilot.press("面", "谈", "enter")  # enter in the reason records
        await settle(pilot)
        lead = _row(tui_store, "lead", L_MINE)
        assert (lead["verdict"], lead["verdict_reason"], lead["status"], lead["verdict_by"]) == (
            "real",
            "面谈",
            "screened",
            ME,
        )


async def test_mark_as_duplicate_of_the_lead_another_team_holds(tui_store: Any) -> None:
    from textual.widgets import DataTable

    app = make_test_app(tui_store, lang="zh", start_mode="leads")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.open_lead(L_MINE)
        await ready(pilot)
        app.screen.query_one("#scr-dupes", DataTable).focus()
        await pilot.press("d")  # the highlighted lead: 东京's 宁德时代储能基地
        await pilot.press("f10")
        await settle(pilot)
        lead = _row(tui_store, "lead", L_MINE)
        assert (lead["status"], lead["duplicate_of"], lead["verdict"]) == ("duplicate", L_TK, "rejected")
        assert "东京驻点招商组" in lead["verdict_reason"]


async def test_convert_names_team_leader_and_the_receiver_as_service_officer(
    tui_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Select

    app = make_test_app(tui_store, lang="en", start_mode="leads")
    opened: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        monkeypatch.setattr(app, "open_project", opened.append)
        app.open_lead(L_MINE)  # not screened yet: no conversion
        await ready(pilot)
        await pilot.press("f9")
        await pilot.pause()
        assert type(app.screen).__name__ == "ScreeningScreen"
        app.pop_screen()
        app.open_lead(L_REAL)  # screened as real
        await ready(pilot)
        await pilot.press("f9")
        await ready(pilot)
        modal = app.screen
        assert type(modal).__name__ == "ConvertModal"
        # defaults: the lead's team, that team's leader, and the officer who first received the lead
        assert modal.query_one("#convert-team", Select).value == T_SH
        assert modal.query_one("#convert-leader", Select).value == CHEN
        assert modal.query_one("#convert-officer", Select).value == ME
        modal.query_one("#convert-leader", Select).clear()
        await pilot.press("f10")  # one leader per project: refused without one
        await settle(pilot)
        assert app.screen is modal
        assert "name the leader" in str(modal.query_one("#convert-leader-error").render())
        assert _row(tui_store, "lead", L_REAL)["status"] == "screened"
        modal.query_one("#convert-leader", Select).value = CHEN
        await pilot.press("f10")
        await settle(pilot)
        assert (
            type(app.screen).__name__ == "LeadsScreen"
        )  # screening closed, the project opened over the list
        lead = _row(tui_store, "lead", L_REAL)
        assert lead["status"] == "converted" and lead["project_id"]
        assert opened == [lead["project_id"]]
        project = _row(tui_store, "project", lead["project_id"])
        assert (project["owner_team_id"], project["leader_id"], project["service_officer_id"]) == (
            T_SH,
            CHEN,
            ME,
        )
        assert (project["name"], project["stage"], project["lead_id"]) == (
            "远景零碳产业园二期",
            "screening",
            L_REAL,
        )
