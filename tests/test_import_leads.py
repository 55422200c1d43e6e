"""Lead import: header mapping (Chinese / English, units), good / bad / duplicate rows, dry runs that write
nothing, one transaction for a real run, unreadable files, and the command line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reports_fixtures import open_yunhu
from zsfield.domain.enums import SourceChannel
from zsfield.reports.errors import ReportError
from zsfield.reports.importer import parse_channel, plan_import
from zsfield.store.actions.leads import import_leads

DATA = Path(__file__).parent / "data" / "reports"
TODAY = date(2026, 11, 23)


@pytest.fixture
def yunhu(tmp_path: Path) -> Iterator[Any]:
    store = open_yunhu(tmp_path)
    yield store
    store.close()


def counts(store: Any) -> dict[str, int]:
    tables = ("lead", "company", "contact", "note", "outbox")
    return {t: int(store.scalar(f"SELECT count(*) FROM {t}")) for t in tables}


def test_plan_sorts_good_bad_and_duplicate_rows(yunhu: Any) -> None:
    before = counts(yunhu)
    plan = plan_import(yunhu, DATA / "leads_mixed.csv", today=TODAY)
    assert counts(yunhu) == before  # planning writes nothing
    assert plan.columns["estimated_investment"] == "预计投资（万元）"
    good = {p.row: p for p in plan.to_create}
    assert sorted(good) == [2, 3, 5]
    # 30000 under a 万元 header is 3亿; a cell with its own unit keeps it (1.2亿)
    assert good[2].values["estimated_investment"] == Decimal("300000000")
    assert good[2].values["source_channel"] == SourceChannel.INVESTOR_REFERRAL
    assert good[2].values["land_need_mu"] == Decimal("80")
    assert good[2].values["received_on"] == date(2026, 11, 2)
    assert good[2].company_id is None  # a new company
    assert good[3].values["estimated_investment"] == Decimal("120000000")
    assert good[3].values["title"] == "星海半导体有限公司"  # no title: the company's name
    assert good[3].values["received_on"] == date(2026, 11, 5)
    assert good[3].values["source_channel"] == SourceChannel.FAIR
    # a certain match links the lead to the known company
    assert good[5].company_id == "company-1"
    assert "远景能源科技有限公司" in good[5].flags[0]
    assert good[5].values["received_on"] == date(2026, 11, 6)
    # duplicates: a company that already has a lead; a row repeating an earlier one
    dup = {p.row: p.flags for p in plan.skipped}
    assert sorted(dup) == [6, 8]
    assert any("光伏组件扩产" in f for f in dup[6])
    assert any("2" in f for f in dup[8])
    bad = {b.row: b.reasons for b in plan.bad}
    assert sorted(bad) == [4, 7, 9, 10]
    assert bad[4] == ["no company named"]
    assert "抖音" in bad[7][0]
    assert "abc" in bad[9][0]
    assert "2026-13-01" in bad[10][0]


def test_dry_run_on_the_command_line_writes_nothing(yunhu: Any, capsys: Any) -> None:
    from zsfield.cli import main

    path = yunhu.path
    before = counts(yunhu)
    yunhu.close()
    code = main(
        ["--db", str(path), "--lang", "en", "import", "leads", str(DATA / "leads_mixed.csv"), "--dry-run"]
    )
    out = capsys.readouterr()
    assert code == 1  # some rows were refused
    assert "Dry run: would import 3 leads" in out.out
    assert "Skipped 2 duplicate leads" in out.out
    assert "row 4  no company named" in out.err
    assert "row 7" in out.err and "row 9" in out.err and "row 10" in out.err
    from zsfield.store import Store

    with Store.open(path) as store:
        assert counts(store) == before


def test_real_run_writes_the_good_rows_in_one_transaction(yunhu: Any) -> None:
    before = counts(yunhu)
    plan = plan_import(yunhu, DATA / "leads_mixed.csv", today=TODAY)
    ids = import_leads(yunhu, plan, "officer-a1")
    after = counts(yunhu)
    assert len(ids) == 3
    assert after["lead"] == before["lead"] + 3
    assert after["company"] == before["company"] + 2  # 迅达 and 星海; 远景 is linked
    assert after["contact"] == before["contact"] + 1 and after["note"] == before["note"] + 1
    ops = yunhu.scalar("SELECT count(*) FROM outbox WHERE entity = 'lead' AND op = 'insert'")
    assert ops == 3  # every lead queued for sync
    assert (
        after["outbox"] - before["outbox"] == 3 + 2 + 1 + 1 + 1
    )  # leads, companies, contact, note, contact link
    linked = yunhu.scalar("SELECT company_id FROM lead WHERE title = '远景二期'")
    assert linked == "company-1"
    # importing the same file again: every good row is now a duplicate
    again = plan_import(yunhu, DATA / "leads_mixed.csv", today=TODAY)
    assert again.to_create == [] and len(again.skipped) == 5


def test_a_failure_half_way_writes_nothing(yunhu: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from zsfield.domain.problems import DomainError, Problem
    from zsfield.store.actions import leads

    real = leads.capture_lead
    calls = {"n": 0}

    def flaky(w: Any, **kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise DomainError(Problem("action.lead_needs_title"))
        return real(w, **kw)

    monkeypatch.setattr(leads, "capture_lead", flaky)
    before = counts(yunhu)
    plan = plan_import(yunhu, DATA / "leads_mixed.csv", today=TODAY)
    with pytest.raises(ReportError) as err:
        import_leads(yunhu, plan, "officer-a1")
    assert err.value.key == "imp.write_failed"
    assert counts(yunhu) == before


def test_xlsx_with_english_headers(yunhu: Any, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Imported from the Tokyo fair"])  # a title line above the header row
    ws.append(
        ["Company", "Title", "Source channel", "Investment", "Currency", "Industry", "Received", "Office"]
    )
    ws.append(
        [
            "Hoshino Robotics K.K.",
            "Robot arms",
            "fair",
            12.5,
            "USD",
            "高端装备",
            date(2026, 11, 3),
            "Tokyo Office",
        ]
    )
    ws.append(["Hoshino Robotics K.K.", "Again", "Fair / promotion", "US$3m", None, None, None, None])
    ws.append(
        ["Nordlicht GmbH", "Sensors", "Chamber / association", "EUR 2m", "EUR", None, "2026-11-04", "Paris"]
    )
    path = tmp_path / "fair.xlsx"
    wb.save(path)
    plan = plan_import(yunhu, path, today=TODAY)
    good = {p.row: p for p in plan.to_create}
    assert sorted(good) == [3]
    assert good[3].values["estimated_investment"] == Decimal("12.5")
    assert good[3].values["estimated_currency"] == "USD"
    assert good[3].values["office_id"] == "office-tyo"
    assert good[3].values["received_on"] == date(2026, 11, 3)
    assert [p.row for p in plan.skipped] == [4]
    assert {b.row: b.reasons for b in plan.bad} == {5: ["no office named “Paris”"]}


def test_gb18030_csv_and_header_synonyms(yunhu: Any) -> None:
    plan = plan_import(yunhu, DATA / "leads_gb18030.csv", today=TODAY)
    (item,) = plan.to_create
    assert item.values["company_name"] == "青禾食品有限公司"
    assert item.values["title"] == "青禾健康食品基地"
    assert item.values["source_channel"] == SourceChannel.SUPPLY_CHAIN
    assert item.values["estimated_investment"] == Decimal("300000000")
    assert item.values["received_on"] == TODAY  # no date column: received today


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("broken.xlsx", "imp.file_unreadable"),
        ("missing.csv", "imp.file_missing"),
        ("leads.pdf", "imp.file_kind"),
    ],
)
def test_unreadable_files_stop_everything(yunhu: Any, tmp_path: Path, name: str, key: str) -> None:
    path = DATA / name if name == "broken.xlsx" else tmp_path / name
    if name.endswith(".pdf"):
        path.write_bytes(b"%PDF-1.4")
    before = counts(yunhu)
    with pytest.raises(ReportError) as err:
        plan_import(yunhu, path, today=TODAY)
    assert err.value.key == key
    assert counts(yunhu) == before


def test_a_file_without_a_company_column(yunhu: Any, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("名称,金额\n某项目,100\n", encoding="utf-8")
    with pytest.raises(ReportError) as err:
        plan_import(yunhu, path, today=TODAY)
    assert err.value.key == "imp.no_company_column"


@pytest.mark.parametrize(
    ("text", "channel"),
    [
        ("以商招商", SourceChannel.INVESTOR_REFERRAL),
        ("中介/顾问", SourceChannel.ADVISER),
        ("展会/推介会", SourceChannel.FAIR),
        ("Supply chain", SourceChannel.SUPPLY_CHAIN),
        ("fund", SourceChannel.FUND),
        ("", SourceChannel.OTHER),
    ],
)
def test_source_channel_synonyms(text: str, channel: SourceChannel) -> None:
    assert parse_channel(text) == channel


def test_command_line_real_run_strict_and_unreadable(yunhu: Any, capsys: Any) -> None:
    from zsfield.cli import main

    path = yunhu.path
    before = counts(yunhu)
    yunhu.close()
    base = ["--db", str(path), "--lang", "en", "import", "leads"]
    assert main([*base, str(DATA / "leads_mixed.csv"), "--strict"]) == 1
    assert "nothing was written" in capsys.readouterr().err
    assert main([*base, str(DATA / "broken.xlsx")]) == 2
    assert "Cannot read" in capsys.readouterr().err
    assert main([*base, str(DATA / "leads_mixed.csv")]) == 1
    assert "Imported 3 leads" in capsys.readouterr().out
    from zsfield.store import Store

    with Store.open(path) as store:
        assert counts(store)["lead"] == before["lead"] + 3
