"""线索 inbox and quick capture: snapshots in both languages; keyboard-only capture, duplicate candidates
while typing, a refused amount that keeps what was typed, and escape with unsaved changes."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tui_a_support import C_CATL, L_CONV, ME, OFF_SH, T_SH, build_store, make_test_app, ready, settle


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tui_leads") / "template.db"
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


def _lead_rows(store: Any, where: str = "1", **params: Any) -> list[Any]:
    from sqlalchemy import text

    with store.engine.connect() as conn:
        return conn.execute(text(f"SELECT * FROM lead WHERE {where}"), params).mappings().all()


async def _type(pilot: Any, text: str) -> None:
    """Type ``text`` key by key (one press call: the app handles each key before the next)."""
    await pilot.press(*text)


# --- snapshots -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_leads_snapshot(snap_compare: Any, tui_store: Any, lang: str) -> None:
    app = make_test_app(tui_store, lang=lang, start_mode="leads")
    assert snap_compare(app, terminal_size=(120, 40), run_before=ready)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_capture_modal_snapshot(snap_compare: Any, tui_store: Any, lang: str) -> None:
    app = make_test_app(tui_store, lang=lang, start_mode="leads")

    async def open_capture(pilot: Any) -> None:
        await ready(pilot)
        await pilot.press("n")
        await ready(pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=open_capture)


def test_capture_candidates_snapshot(snap_compare: Any, tui_store: Any) -> None:
    """Typing 宁德时代 shows the known company and that the Tokyo team already holds a lead on it; an
    amount of "abc" is refused under its field with how to write one."""
    app = make_test_app(tui_store, lang="zh", start_mode="leads")

    async def type_company(pilot: Any) -> None:
        await ready(pilot)
        await pilot.press("n")
        await ready(pilot)
        await _type(pilot, "宁德时代")
        await pilot.press("tab", "tab", "tab")
        await _type(pilot, "abc")  # refused as it is typed, with how to write it
        await ready(pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=type_company)


# --- the inbox -----------------------------------------------------------------------------------------------


async def test_filter_as_you_type_and_status_cycle(tui_store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from zsfield.widgets.paged_table import PagedTable

    app = make_test_app(tui_store, lang="zh", start_mode="leads")
    opened: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        monkeypatch.setattr(app, "open_lead", opened.append)
        table = app.screen.query_one(PagedTable)
        assert table.row_count == 6
        await pilot.press("slash", "东", "京")  # by office
        await pilot.pause(0.2)
        await settle(pilot)
        assert [table.get_row_at(i)[1] for i in range(table.row_count)] == ["宁德时代储能基地"]
        await pilot.press("ctrl+u", "商", "会")  # by source channel label
        await pilot.pause(0.2)
        await settle(pilot)
        assert [table.get_row_at(i)[1] for i in range(table.row_count)] == ["西门子智能工厂"]
        await pilot.press("ctrl+u", "enter")  # enter goes back to the list
        await pilot.pause(0.2)
        await settle(pilot)
        assert app.focused is table and table.row_count == 6
        await pilot.press("s")  # awaiting screening
        await settle(pilot)
        assert table.row_count == 3
        await pilot.press("s", "s")  # screened → converted
        await settle(pilot)
        assert [table.get_row_at(i)[1] for i in range(table.row_count)] == ["华虹宏力十二英寸产线"]
        await pilot.press("enter")  # enter opens the lead's screening
        assert opened == [L_CONV]


# --- quick capture -------------------------------------------------------------------------------------------


async def test_capture_a_lead_keyboard_only_and_see_it_in_the_inbox(tui_store: Any) -> None:
    from textual.widgets import Select

    from zsfield.widgets.paged_table import PagedTable

    app = make_test_app(tui_store, lang="zh", start_mode="leads")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("n")
        await ready(pilot)
        await _type(pilot, "新奥能源")  # no such company: a new one will be created
        await pilot.press("tab", "tab")  # title: left empty (defaults to the company)
        assert isinstance(app.focused, Select) and app.focused.id == "capture-source"
        await pilot.press("enter", "down", "down", "enter")  # 驻点招商 → 委托招商
        await pilot.press("tab")
        await _type(pilot, "1.5亿")
        await pilot.press("tab", "tab")  # currency stays CNY
        await _type(pilot, "新能")
        await pilot.press("right")  # accept the suggestion 新能源
        await pilot.press("tab")
        await _type(pilot, "周强")
        await pilot.press("tab")
        await _type(pilot, "021-5555")
        await pilot.press("tab")
        await _type(pilot, "展会上结识")
        await pilot.press("enter")  # enter in the last field saves
        await settle(pilot)
        assert type(app.screen).__name__ == "LeadsScreen"
        rows = _lead_rows(tui_store, "title = :t", t="新奥能源")
        assert len(rows) == 1
        lead = rows[0]
        assert lead["company_name"] == "新奥能源" and lead["company_id"]
        assert lead["source_channel"] == "agent"
        assert Decimal(lead["estimated_investment"]) == Decimal("150000000")
        assert lead["estimated_currency"] == "CNY"
        assert lead["industry"] == "新能源"
        assert (lead["received_by"], lead["team_id"], lead["office_id"]) == (ME, T_SH, OFF_SH)
        assert lead["received_on"] == "2026-11-23"  # the officer's day (frozen clock, Shanghai)
        assert lead["status"] == "new"
        table = app.screen.query_one(PagedTable)
        titles = [table.get_row_at(i)[1] for i in range(table.row_count)]
        assert "新奥能源" in titles
        assert titles[table.cursor_row] == "新奥能源"  # the new lead is under the cursor
        assert app.outbox_count > 1  # the lead, its company, contact and note wait for upload


async def test_duplicate_candidates_appear_while_typing_and_link_the_company(tui_store: Any) -> None:
    from textual.widgets import OptionList

    app = make_test_app(tui_store, lang="zh", start_mode="leads")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("n")
        await ready(pilot)
        picker = app.screen.query_one("#capture-company")
        options = picker.query_one(OptionList)
        await _type(pilot, "宁德")
        await _type(pilot, "时代")
        await pilot.pause(0.3)  # names containing the text are asked for once typing pauses
        await settle(pilot)
        assert [c.company_id for c in picker.candidates][:1] == [C_CATL]
        first = str(options.get_option_at_index(0).prompt)
        assert "宁德时代新能源科技股份有限公司" in first
        assert "东京驻点招商组" in first  # the Tokyo team already holds a lead on it
        await pilot.press("down", "enter")  # link it
        assert picker.company_id == C_CATL
        await pilot.press("f10")
        await settle(pilot)
        lead = _lead_rows(tui_store, "title = :t", t="宁德时代")[0]
        assert lead["company_id"] == C_CATL
        with tui_store.engine.connect() as conn:
            from sqlalchemy import text

            n = conn.execute(text("SELECT count(*) FROM company WHERE name LIKE '%宁德%'")).scalar()
        assert n == 1  # no second 宁德时代 was created


async def test_capture_refuses_bad_input_keeps_what_was_typed_and_says_how_to_fix_it(tui_store: Any) -> None:
    from zsfield.widgets.fields import FormField

    app = make_test_app(tui_store, lang="en", start_mode="leads")
    before = len(_lead_rows(tui_store))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("n")
        await ready(pilot)
        modal = app.screen
        await pilot.press("f10")  # nothing typed: the company (or a title) is needed
        await settle(pilot)
        assert "give the lead a title or a company name" in str(
            modal.picker.query_one(".field-error").render()
        )
        await _type(pilot, "Acme Robotics")
        await pilot.press("tab", "tab", "tab")
        await _type(pilot, "abc")
        await pilot.press("f10")
        await settle(pilot)
        assert app.screen is modal
        amount = modal.query_one("#capture-amount", FormField)
        message = str(amount.query_one(".field-error").render())
        assert "abc" in message and "1.5亿" in message  # what is wrong and how to write it
        assert amount.text == "abc" and modal.picker.text == "Acme Robotics"
        assert app.focused is amount.input
        assert len(_lead_rows(tui_store)) == before
        await pilot.press("ctrl+u")
        await _type(pilot, "3000万")
        await pilot.press("f10")
        await settle(pilot)
        assert type(app.screen).__name__ == "LeadsScreen"
        lead = _lead_rows(tui_store, "title = :t", t="Acme Robotics")[0]
        assert Decimal(lead["estimated_investment"]) == Decimal("30000000")


async def test_escape_with_unsaved_changes_asks_first(tui_store: Any) -> None:
    app = make_test_app(tui_store, lang="zh", start_mode="leads")
    before = len(_lead_rows(tui_store))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("escape")  # nothing to lose: the inbox has no form
        await pilot.press("n")
        await ready(pilot)
        await pilot.press("escape")  # untouched form: closes at once
        await pilot.pause()
        assert type(app.screen).__name__ == "LeadsScreen"
        await pilot.press("n")
        await ready(pilot)
        await _type(pilot, "远景")
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmModal"
        await pilot.press("n")  # keep editing
        await pilot.pause()
        assert type(app.screen).__name__ == "LeadCaptureModal"
        assert app.screen.picker.text == "远景"
        await pilot.press("ctrl+q")  # quitting asks too
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmModal"
        await pilot.press("n")
        await pilot.pause()
        assert app.screen.picker.text == "远景"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")  # discard
        await pilot.pause()
        assert type(app.screen).__name__ == "LeadsScreen"
        assert len(_lead_rows(tui_store)) == before
