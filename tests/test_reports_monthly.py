"""月度专报 on the hand-built zone (tests/reports_fixtures.py), checked number by number; the xlsx read back
with openpyxl; the same data gives the same bytes; csv; the weekly 项目信息采集表."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reports_fixtures import IDS, open_yunhu, pid
from zsfield.reports import periods
from zsfield.reports.export import Cell, csv_text, write_report, xlsx_bytes
from zsfield.reports.monthly import build_monthly, monthly_figures
from zsfield.reports.weekly import build_weekly

OCT = periods.parse_month("2026-10")


@pytest.fixture
def yunhu(tmp_path: Path) -> Iterator[Any]:
    store = open_yunhu(tmp_path)
    yield store
    store.close()


def _v(cell: Any) -> Any:
    return cell.value if isinstance(cell, Cell) else cell


def test_figures_of_october(yunhu: Any) -> None:
    f = monthly_figures(yunhu, OCT)
    names = lambda ps: sorted(p.name for p in ps)  # noqa: E731
    # 在谈 at the end of October: P6 and P7 (P2 signed on 10-20; P8 was lost on 09-15)
    assert names(f.negotiating) == ["光伏组件扩产项目", "物流园项目"]
    # signed in October, once, by the first signing date: P2 (intent), P3, P5 — not P1 (first signed 09-15)
    assert names(f.signed) == ["东京精密部件项目", "云湖商业综合体", "华芯封测项目"]
    assert names(f.intent) == ["华芯封测项目"]
    assert names(f.contract) == ["东京精密部件项目", "云湖商业综合体", "远景储能电池项目"]
    assert len(f.signed_ytd) == 5 and len(f.intent_ytd) == 3 and len(f.contract_ytd) == 4
    assert names(f.started) == ["东京精密部件项目"] and len(f.started_ytd) == 2
    assert names(f.producing) == ["生物医药研发中心"] and len(f.producing_ytd) == 1
    assert [r.id for r in f.receipts] == ["cr-2", "cr-3"]
    assert [r.id for r in f.receipts_ytd] == ["cr-1", "cr-2", "cr-3"]  # not the November one
    assert [lead.id for lead in f.leads] == ["lead-1", "lead-2", "lead-3"] and f.leads_ytd == 4
    # stale at the end of October: P6 only — the supervisor's reason request of 10-20 is not a touch
    assert [(p.id, days) for p, _touch, days in f.stale] == [(pid(6), 91)]
    # overdue as of 10-31: P1's registration (promised 10-01) and P2's 用地预审 (due 10-10); P3's construction
    # start was late but done by 10-28; P8 is lost
    assert [(o.kind, o.project_id, o.days_overdue) for o in f.overdue] == [
        ("milestone", pid(1), 30),
        ("service_item", pid(2), 21),
    ]


def test_summary_sheet_number_by_number(yunhu: Any) -> None:
    report = build_monthly(yunhu, OCT)
    rows = {r[0]: (_v(r[1]), _v(r[2]), r[3]) for r in report.table("summary").rows}
    D = Decimal
    assert rows == {
        "在谈项目（截至日）": (2, None, "个"),
        "在谈项目总投资": (D("1.1"), None, "亿元"),  # 0.8 + 0.3
        "签约项目（按首次签约计）": (3, 5, "个"),
        "签约项目总投资": (D("19.5"), D("47.7"), "亿元"),  # 6 + 1.5 + 12; YTD + 25 + 3.2
        "其中：意向签约": (1, 3, "个"),
        "其中：正式签约": (3, 4, "个"),
        "其中：房地产项目": (1, 1, "个"),
        "开工项目": (1, 2, "个"),
        "开工项目总投资": (D("1.5"), D("4.7"), "亿元"),
        "竣工投产项目": (1, 1, "个"),
        "投产项目总投资": (D("3.2"), D("3.2"), "亿元"),
        "合同外资": (D("778"), D("778"), "万美元"),  # JPY 1e9 × 0.0067 = 670万 + EUR 1e6 × 1.08 = 108万
        "到位外资": (D("436"), D("490"), "万美元"),  # 300 + 136; YTD + 54
        "新增线索": (3, 4, "条"),
        "久未跟进项目（截至日）": (1, None, "个"),
        "逾期履约节点（截至日）": (1, None, "项"),
        "逾期服务事项（截至日）": (1, None, "项"),
    }


def test_band_and_industry_tables(yunhu: Any) -> None:
    report = build_monthly(yunhu, OCT)
    by_band = {r[0]: [_v(c) for c in r[1:]] for r in report.table("by_band").rows}
    D = Decimal
    z = D(0)
    assert by_band == {
        "20亿以上": [0, z, 0, z, 0, z, 0, z],
        "10亿以上": [0, z, 1, D(12), 0, z, 0, z],
        "5亿以上": [0, z, 1, D(6), 0, z, 0, z],
        "3亿以上": [0, z, 0, z, 0, z, 1, D("3.2")],
        "1亿以上": [0, z, 1, D("1.5"), 1, D("1.5"), 0, z],
        "0.5亿以上": [1, D("0.8"), 0, z, 0, z, 0, z],
        "0.5亿以下或未定": [1, D("0.3"), 0, z, 0, z, 0, z],
        "合计": [2, D("1.1"), 3, D("19.5"), 1, D("1.5"), 1, D("3.2")],
    }
    by_industry = {r[0]: [_v(c) for c in r[1:]] for r in report.table("by_industry").rows}
    assert list(by_industry) == ["新能源", "集成电路", "生物医药", "高端装备", "现代物流", "商贸服务", "合计"]
    assert by_industry["高端装备"] == [0, z, 1, D("1.5"), 1, D("1.5"), 0, z]
    assert by_industry["合计"] == by_band["合计"]


def test_lists_foreign_capital_and_leads(yunhu: Any) -> None:
    report = build_monthly(yunhu, OCT)
    signed = report.table("signed")
    assert [r[1] for r in signed.rows[:-1]] == [
        "东京精密部件项目",
        "远景储能电池项目",
        "华芯封测项目",
        "云湖商业综合体",
    ]
    assert signed.rows[-1][0] == "合计"
    assert signed.rows[-1][7] == Decimal("44.5")
    assert signed.rows[3][10] == "是"
    fc = report.table("fc_contracted").rows
    assert [(r[0], r[1], r[5], r[6], r[7]) for r in fc] == [
        (1, "东京精密部件项目", "JPY", Decimal("0.0067"), Decimal("670")),
        (2, "远景储能电池项目", "EUR", Decimal("1.08"), Decimal("108")),
        ("合计", None, None, None, Decimal("778")),
    ]
    received = report.table("fc_received").rows
    assert [(r[0], r[3], r[5], r[6], r[7]) for r in received] == [
        (1, date(2026, 10, 12), "USD", Decimal(1), Decimal("300")),
        (2, date(2026, 10, 30), "JPY", Decimal("0.0068"), Decimal("136")),
        ("合计", None, None, None, Decimal("436")),
    ]
    leads = {r[0]: r[1:] for r in report.table("leads").rows}
    assert leads["展会推介"] == [2, Decimal("2"), 1, 1]  # the USD lead is left out of the CNY sum
    assert leads["网络招商"] == [1, Decimal("0.5"), 0, 0]
    assert leads["合计"] == [3, Decimal("2.5"), 1, 1]
    assert len(report.table("leads").rows) == 12  # every channel, then the total
    stale = report.table("stale").rows
    assert stale == [
        [1, "光伏组件扩产项目", "项目一部", "王立峰", "陈思远", "洽谈", date(2026, 8, 1), 91, "未说明原因"]
    ]
    overdue = report.table("overdue").rows
    assert [r[1:] for r in overdue] == [
        ["履约节点", "远景储能电池项目", "项目一部", "注册", date(2026, 10, 1), 30, "陈思远"],
        ["服务事项", "华芯封测项目", "新能源招商攻坚队", "用地预审", date(2026, 10, 10), 21, "自然资源局"],
    ]


def test_a_month_in_progress_counts_up_to_the_as_of_day(yunhu: Any) -> None:
    f = monthly_figures(yunhu, OCT, as_of=date(2026, 10, 15))
    assert sorted(p.name for p in f.signed) == ["东京精密部件项目"]  # P2 (10-20) and P5 (10-25) not yet
    assert f.month.end == date(2026, 10, 15)
    # on 10-15 P2 (signed 10-20) and P5 (signed 10-25) were still negotiating
    assert sorted(p.name for p in f.negotiating) == [
        "云湖商业综合体",
        "光伏组件扩产项目",
        "华芯封测项目",
        "物流园项目",
    ]
    with pytest.raises(Exception) as err:
        monthly_figures(yunhu, periods.parse_month("2026-12"), as_of=date(2026, 11, 23))
    assert getattr(err.value, "key", "") == "rep.period_in_future"


def test_xlsx_reads_back_with_sheets_headers_formats_and_totals(yunhu: Any, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = write_report(build_monthly(yunhu, OCT), tmp_path / "月报.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "说明", "汇总", "分档统计", "分产业统计", "签约项目", "开工投产项目", "合同外资", "到位外资", "新增线索",
        "久未跟进", "逾期事项",
    ]  # fmt: skip
    band = wb["分档统计"]
    assert [c.value for c in band[1]] == [
        "投资规模", "在谈项目（个）", "在谈总投资（亿元）", "签约项目（个）", "签约总投资（亿元）", "开工项目（个）",
        "开工总投资（亿元）", "投产项目（个）", "投产总投资（亿元）",
    ]  # fmt: skip
    assert band.freeze_panes == "A2"
    total = [c.value for c in band[band.max_row]]
    assert total[0] == "合计" and total[3] == 3 and total[4] == pytest.approx(19.5)
    assert band[band.max_row][0].font.b and band[1][0].font.b
    assert band["C2"].number_format == "#,##0.00" and band["B2"].number_format == "0"
    # the column sums equal the total row (exact values in the cells, two decimals shown)
    for col in range(2, 10):
        values = [band.cell(row=r, column=col).value for r in range(2, band.max_row)]
        assert sum(values) == pytest.approx(band.cell(row=band.max_row, column=col).value)
    fc = wb["合同外资"]
    assert [c.value for c in fc[1]][-2:] == ["折美元汇率", "合同外资（万美元）"]
    assert fc["G2"].value == pytest.approx(0.0067) and fc["G2"].number_format == "0.000000"
    assert fc["D2"].is_date and fc["D2"].number_format == "yyyy-mm-dd"
    assert fc.cell(row=fc.max_row, column=8).value == 778
    summary = wb["汇总"]
    assert summary["A13"].value == "合同外资"
    assert summary["B13"].value == 778 and summary["B13"].number_format == "#,##0.00"
    assert summary["B2"].number_format == "0"
    about = {r[0].value: r[1].value for r in wb["说明"].iter_rows(min_row=2)}
    assert about["统计月份"] == "2026-10" and "2026-10-31" in about["数据截至"]
    assert wb.properties.creator == "zsfield"
    assert wb.properties.modified.isoformat() == "2026-10-31T15:59:59"  # 23:59:59 China time


def test_same_data_same_bytes(yunhu: Any, tmp_path: Path) -> None:
    first = xlsx_bytes(build_monthly(yunhu, OCT))
    second = xlsx_bytes(build_monthly(yunhu, OCT))
    assert first == second
    a = write_report(build_monthly(yunhu, OCT), tmp_path / "a.xlsx").read_bytes()
    assert a == first
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 10, 31, 23, 59, 58)}  # DOS time: even seconds
    # another as-of day changes the timestamp (and what is counted), nothing random does
    other = xlsx_bytes(build_monthly(yunhu, OCT, as_of=date(2026, 10, 30)))
    assert other != first
    assert csv_text(build_monthly(yunhu, OCT)) == csv_text(build_monthly(yunhu, OCT))


def test_csv_has_one_section_per_table(yunhu: Any, tmp_path: Path) -> None:
    path = write_report(build_monthly(yunhu, OCT), tmp_path / "m.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads the Chinese
    text = raw.decode("utf-8-sig")
    assert text.startswith("【汇总】\r\n项目,本月,本年累计,单位\r\n")
    assert "合同外资,778.00,778.00,万美元" in text
    assert "\r\n\r\n【分档统计】\r\n" in text
    assert "2,东京精密部件项目,驻东京招商组,2026-10-30,200000000.00,JPY,0.006800,136.00" in text


def test_english_report_has_english_headers(yunhu: Any) -> None:
    report = build_monthly(yunhu, OCT, lang="en")
    assert report.table("summary").columns[1].header == "This month"
    assert report.table("by_band").rows[0][0] == "≥ CNY 2bn"


def test_weekly_collection_table(yunhu: Any, tmp_path: Path) -> None:
    report = build_weekly(yunhu, periods.parse_week("2026-W47"))
    table = report.tables[0]
    assert [c.header for c in table.columns] == [
        "序号", "项目名称", "投资方", "固定资产投资（亿元）", "需用土地（亩）", "联系人", "片区", "进度", "产业类型",
        "研判结果", "责任团队",
    ]  # fmt: skip
    assert table.rows == [
        [1, "华芯封测项目", "华芯微电子股份有限公司", Decimal("4.5"), Decimal("120.5"), "孙立诚 投资总监 13800000002",
         "北部片区", "意向签约：讨论投资协议条款（下一步：起草正式合同）", "集成电路", "真实", "新能源招商攻坚队"],
        [2, "医疗器械产业园", "恒康医疗器械有限公司", Decimal(3), None, "", "", "线索·待研判", "", "待研判", "项目一部"],
        ["合计", None, None, Decimal("7.5"), Decimal("120.5"), None, None, None, None, None, None],
    ]  # fmt: skip
    # the week of 10-26: P3's construction start (10-28) and receipt; the supervisor's note of 10-20 is in W43
    w44 = build_weekly(yunhu, periods.parse_week("2026-W44")).tables[0]
    assert [r[1] for r in w44.rows[:-1]] == ["东京精密部件项目", "德国汽车零部件"]
    assert w44.rows[0][4] == 0  # no new land needed
    w43 = build_weekly(yunhu, periods.parse_week("2026-W43")).tables[0]
    # 10-19 … 10-25: P5 signed (Sunday 10-25), P2 signed, P7 visited; not P6 (only the reason request)
    assert [r[1] for r in w43.rows[:-1]] == ["云湖商业综合体", "华芯封测项目", "物流园项目"]
    path = write_report(report, tmp_path / "w.xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(path)
    assert wb.sheetnames == ["说明", "项目信息采集表"]
    assert wb["项目信息采集表"]["D2"].value == pytest.approx(4.5)


@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_the_workbook(yunhu: Any, tmp_path: Path) -> None:
    path = write_report(build_monthly(yunhu, OCT), tmp_path / "m.xlsx")
    out = tmp_path / "lo"
    out.mkdir()
    result = subprocess.run(
        ["libreoffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1", "--outdir", str(out),
         str(path)],
        check=True, capture_output=True, timeout=120, env={**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
    )  # fmt: skip
    assert b"Writing sheet" in result.stdout
    sheets = {p.name.removeprefix("m-").removesuffix(".csv"): p.read_text("utf-8") for p in out.glob("*.csv")}
    assert len(sheets) == 11
    assert "合计,2,1.1,3,19.5,1,1.5,1,3.2" in sheets["分档统计"]
    assert "合计,,,,,,,778" in sheets["合同外资"]


def test_reports_never_import_textual_or_rich() -> None:
    import sys

    code = (
        "import sys, zsfield.reports.monthly, zsfield.reports.weekly, zsfield.reports.ranking, "
        "zsfield.reports.importer, zsfield.reports.supervision, zsfield.reports.targets, zsfield.reports.export;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert IDS.t1  # the fixtures module imports cleanly too
