"""督查 lists on the hand-built zone: review, stale with reasons, overdue, 两未 / 三未, reason requests and
督办意见 as synced notes; the report commands on the command line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from reports_fixtures import IDS, NOW, TODAY, open_yunhu, pid
from zsfield.reports import periods
from zsfield.reports.facts import load_projects
from zsfield.reports.supervision import (
    LIANG_WEI,
    SAN_WEI,
    ReviewFilter,
    gap_lists,
    overdue_items,
    review_page,
    stale_page,
)
from zsfield.store.actions.supervision import add_supervision_note, request_reason


@pytest.fixture
def yunhu(tmp_path: Path) -> Iterator[Any]:
    store = open_yunhu(tmp_path)
    yield store
    store.close()


def test_review_lists_open_projects_least_recently_touched_first(yunhu: Any) -> None:
    page = review_page(yunhu, ReviewFilter(), now=NOW)
    assert page.total == 7  # P8 is lost
    assert [r.name for r in page.rows] == [
        "光伏组件扩产项目", "远景储能电池项目", "生物医药研发中心", "物流园项目", "云湖商业综合体", "东京精密部件项目",
        "华芯封测项目",
    ]  # fmt: skip
    p6 = page.rows[0]
    # last touch is the visit of 08-01 (the supervisor's request of 10-20 is not a touch) …
    assert p6.days_since == 114
    # … but the last entry shown is that request
    assert (p6.last_kind, p6.last_sub) == ("note", "reason_request")
    p2 = page.rows[-1]
    assert (p2.days_since, p2.next_due_on, p2.next_due_title) == (5, date(2026, 11, 28), "起草正式合同")


@pytest.mark.parametrize(
    ("f", "names"),
    [
        (ReviewFilter(team_id=IDS.t2), ["物流园项目", "东京精密部件项目"]),
        (ReviewFilter(leader_id=IDS.l2), ["生物医药研发中心", "华芯封测项目"]),
        (ReviewFilter(office_id=IDS.o2), ["物流园项目", "东京精密部件项目"]),
        (ReviewFilter(stage="negotiating"), ["光伏组件扩产项目", "物流园项目"]),
        (ReviewFilter(band="b20yi"), ["远景储能电池项目"]),
        (ReviewFilter(industry="新能源"), ["光伏组件扩产项目", "远景储能电池项目"]),
        (ReviewFilter(status="lost"), ["新材料项目"]),
        (ReviewFilter(text="精工"), ["东京精密部件项目"]),
        (ReviewFilter(period=periods.week_of(TODAY).clipped(TODAY)), []),
        (ReviewFilter(period=periods.parse_week("2026-W47")), ["华芯封测项目"]),
        (ReviewFilter(period=periods.parse_month("2026-10")), [
            "远景储能电池项目", "生物医药研发中心", "物流园项目", "云湖商业综合体", "东京精密部件项目"]),
    ],
)  # fmt: skip
def test_review_filters(yunhu: Any, f: ReviewFilter, names: list[str]) -> None:
    assert [r.name for r in review_page(yunhu, f, now=NOW).rows] == names


def test_stale_projects_with_their_reasons(yunhu: Any) -> None:
    page = stale_page(yunhu, now=NOW)
    rows = {r.id: r for r in page.rows}
    assert [r.name for r in page.rows] == [
        "光伏组件扩产项目",
        "远景储能电池项目",
        "生物医药研发中心",
        "物流园项目",
    ]
    assert rows[pid(6)].reason == "" and rows[pid(6)].requested_at is not None
    # the owner answers with a reason (久未跟进原因): the project stays on the list, now with its reason
    from zsfield.domain.enums import NoteKind
    from zsfield.store.actions.timeline import add_note

    with yunhu.write(IDS.a2) as w:
        add_note(w, project_id=pid(7), kind=NoteKind.STALE_REASON, body="企业内部决策延后")
    rows = {r.id: r for r in stale_page(yunhu, now=NOW).rows}
    assert rows[pid(7)].reason == "企业内部决策延后" and rows[pid(7)].reason_at is not None
    # a visit is a touch: the project leaves the list
    from datetime import timedelta

    from zsfield.domain.models import Visit

    with yunhu.write(IDS.a2) as w:
        w.insert(
            Visit(
                project_id=pid(7),
                officer_id=IDS.a2,
                summary="电话沟通用地",
                occurred_at=NOW - timedelta(days=1),
            )
        )
    assert pid(7) not in {r.id for r in stale_page(yunhu, now=NOW).rows}
    assert stale_page(yunhu, now=NOW, stale_days=120).total == 0


def test_asking_for_a_reason_and_supervising_are_synced_notes(yunhu: Any) -> None:
    before = int(yunhu.scalar("SELECT count(*) FROM outbox"))
    last_entry = "SELECT last_entry_at FROM project WHERE id = :p"
    touched_before = yunhu.scalar(last_entry, p=pid(1))
    with yunhu.write(IDS.sup) as w:
        request_reason(w, pid(1), "请说明原因")
        add_supervision_note(w, pid(1), "请于月底前完成注册")
    kinds = yunhu.scalar(
        "SELECT group_concat(kind) FROM (SELECT kind FROM note WHERE project_id = :p ORDER BY kind)", p=pid(1)
    )
    assert kinds == "reason_request,supervision"
    assert int(yunhu.scalar("SELECT count(*) FROM outbox WHERE entity = 'note'")) == 2
    assert int(yunhu.scalar("SELECT count(*) FROM outbox")) == before + 2
    # neither counts as a touch by the team: P1 stays as stale as it was, here and in the project list
    assert pid(1) in {r.id for r in stale_page(yunhu, now=NOW).rows}
    assert yunhu.scalar(last_entry, p=pid(1)) == touched_before
    # an ordinary note is a touch
    from zsfield.store.actions.timeline import add_note

    with yunhu.write(IDS.sup) as w:
        add_note(w, body="电话沟通了注册进度", project_id=pid(1))
    assert yunhu.scalar(last_entry, p=pid(1)) != touched_before


def test_overdue_items_as_of_a_day(yunhu: Any) -> None:
    rows = overdue_items(yunhu, as_of=TODAY)
    assert [(o.kind, o.project, o.item, o.days_overdue, o.owner) for o in rows] == [
        ("milestone", "远景储能电池项目", "registration", 53, "陈思远"),
        ("service_item", "华芯封测项目", "用地预审", 44, "自然资源局"),
    ]
    # on 10-16 the construction start of P3 (promised 10-15, done 10-28) was one day late
    early = overdue_items(yunhu, as_of=date(2026, 10, 16))
    assert [(o.project, o.days_overdue) for o in early] == [
        ("远景储能电池项目", 15),
        ("华芯封测项目", 6),
        ("东京精密部件项目", 1),
    ]
    assert [o.project for o in overdue_items(yunhu, as_of=TODAY, team_id=IDS.t3)] == ["华芯封测项目"]


def test_liang_wei_and_san_wei(yunhu: Any) -> None:
    lists = gap_lists(yunhu, load_projects(yunhu), today=TODAY, negotiating_days=180)
    names = {k: [(g.project, g.since, g.promised_on, g.days_overdue) for g in v] for k, v in lists.items()}
    assert names["negotiating_unsigned"] == [
        ("光伏组件扩产项目", date(2026, 2, 1), None, 115)
    ]  # 295 days − 180
    assert names["signed_not_started"] == [
        ("远景储能电池项目", date(2026, 9, 15), date(2026, 12, 1), 0),  # promised start not reached yet
        ("华芯封测项目", date(2026, 10, 20), None, 0),
        ("云湖商业综合体", date(2026, 10, 25), None, 0),
    ]
    assert names["started_not_completed"] == [("东京精密部件项目", date(2026, 10, 28), date(2027, 6, 30), 0)]
    assert names["completed_not_producing"] == []
    assert sum(len(lists[k]) for k in LIANG_WEI) == 4 and sum(len(lists[k]) for k in SAN_WEI) == 4
    # the threshold of 洽谈未签约 is a setting
    assert (
        gap_lists(yunhu, load_projects(yunhu), today=TODAY, negotiating_days=300)["negotiating_unsigned"]
        == []
    )


def test_report_commands(yunhu: Any, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from openpyxl import load_workbook

    from zsfield.cli import main

    db = str(yunhu.path)
    yunhu.close()
    monkeypatch.chdir(tmp_path)
    assert main(["--db", db, "report", "monthly", "--month", "2026-10", "--out", "m.xlsx"]) == 0
    assert load_workbook(tmp_path / "m.xlsx").sheetnames[1] == "汇总"
    assert main(["--db", db, "report", "monthly", "--month", "2026-10", "--format", "csv"]) == 0
    assert (tmp_path / "zsfield-monthly-2026-10.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["--db", db, "report", "weekly", "--week", "2026-W47", "--out", "w.xlsx"]) == 0
    assert (
        main(["--db", db, "report", "weekly", "--date", "2026-11-18", "--format", "csv", "--out", "w.csv"])
        == 0
    )
    assert "华芯封测项目" in (tmp_path / "w.csv").read_text("utf-8-sig")
    capsys.readouterr()
    for argv, message in (
        (["report", "monthly", "--month", "2026-13"], "not a month"),
        (["report", "monthly", "--month", "2026-10", "--format", "pdf"], "Unknown format"),
        (
            ["report", "monthly", "--month", "2026-10", "--format", "csv", "--out", "x.xlsx"],
            "does not end in .csv",
        ),
        (["report", "monthly", "--month", "2026-10", "--out", "nowhere/x.xlsx"], "Cannot write"),
        (["report", "monthly", "--month", "2026-10", "--as-of", "yesterday"], "not a date"),
        (["report", "weekly", "--week", "2026-W60"], "not a week"),
        (["report", "ranking", "--rules", "nope.toml"], "does not exist"),
    ):
        assert main(["--db", db, "--lang", "en", *argv]) == 2, argv
        assert message in capsys.readouterr().err, argv
    assert main(["--db", str(tmp_path / "none.db"), "report", "monthly", "--month", "2026-10"]) != 0
    assert (
        main(["--db", db, "--lang", "en", "report", "ranking", "--year", "2026", "--as-of", "2026-11-23"])
        == 0
    )
    out = capsys.readouterr().out
    assert "1. 新能源招商攻坚队" in out and "Excellence" in out and "Snail" in out
    assert main(["report", "ranking", "--show-rules"]) == 0
    assert "[signed]" in capsys.readouterr().out
