"""任务分解表: progress and 序时进度 on the hand-built zone, entering targets, importing a targets file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reports_fixtures import IDS, open_yunhu
from zsfield.domain.problems import DomainError
from zsfield.reports.facts import load_projects
from zsfield.reports.targets import (
    load_targets,
    monthly_curve,
    progress_from_store,
    read_targets_file,
)
from zsfield.store.actions.targets import save_targets, set_targets

DATA = Path(__file__).parent / "data" / "reports"


@pytest.fixture
def yunhu(tmp_path: Path) -> Iterator[Any]:
    store = open_yunhu(tmp_path)
    yield store
    store.close()


def test_progress_per_owner_and_band(yunhu: Any) -> None:
    """As of 2026-11-23 (327/365 of the year elapsed):

    项目一部 target 4 (20亿 1, 10亿 1, 1亿 2): signed P1 (20亿) — P5 is real estate, P6 not signed → 1/4
    驻东京招商组 target 2 (1亿): P3 → 1/2 (the co-introducer does not split targets)
    新能源攻坚队 target 3 (5亿, 3亿, 1亿): P2 (5亿), P4 (3亿) → 2/3; P8 (lost, never signed) nothing
    项目服务局 (department of 项目一部) target 3 (1亿): P1 is in 20亿 → 1 in total, 0 in its band
    王立峰 (leader of P1, P3, P5, P6, P7) target 4: P1 (20亿) and P3 (1亿) → 2/4
    """
    report = progress_from_store(yunhu, 2026, date(2026, 11, 23))
    assert (report.elapsed_days, report.days_in_year) == (327, 365)
    got = {(o.owner_kind, o.owner_name): (o.actual_total, o.target_total) for o in report.owners}
    assert got == {
        ("team", "项目一部"): (1, 4),
        ("team", "驻东京招商组"): (1, 2),
        ("team", "新能源招商攻坚队"): (2, 3),
        ("department", "项目服务局"): (1, 3),
        ("leader", "王立峰"): (2, 4),
    }
    t1 = report.owner("team", IDS.t1)
    assert t1 is not None
    assert t1.band("b20yi").actual == 1 and t1.band("b1yi").actual == 0
    assert t1.pro_rata_total == Decimal(4) * Decimal(327) / Decimal(365)
    assert t1.completion_pct == 25
    assert t1.gap_pp is not None and t1.gap_pp.quantize(Decimal("0.01")) == Decimal("-64.59")
    assert t1.behind
    # the zone: every team target (9) against every project that counts (P1, P2, P3, P4)
    assert report.zone is not None and (report.zone.actual_total, report.zone.target_total) == (4, 9)
    # on 31 December the whole target is due; on 1 January almost nothing
    end = progress_from_store(yunhu, 2026, date(2026, 12, 31)).owner("team", IDS.t1)
    assert end is not None and end.pro_rata_total == 4
    jan = progress_from_store(yunhu, 2026, date(2026, 1, 1)).owner("team", IDS.t1)
    assert jan is not None and jan.actual_total == 0 and jan.behind is not False


def test_monthly_curve_for_the_chart(yunhu: Any) -> None:
    projects = load_projects(yunhu)
    points = monthly_curve(projects, 2026, date(2026, 11, 23), target_total=9)
    # P4 signed 03-01, P1 09-15, P3 10-05, P2 10-20 (P5 real estate)
    assert [p.cumulative for p in points] == [0, 0, 1, 1, 1, 1, 1, 1, 2, 4, 4, None]
    assert points[11].pro_rata == 9  # 31 December
    assert points[5].pro_rata == Decimal(9) * Decimal(181) / Decimal(365)
    mine = monthly_curve(
        projects, 2026, date(2026, 11, 23), target_total=4, owner_kind="team", owner_id=IDS.t1
    )
    assert [p.cumulative for p in mine][8:11] == [1, 1, 1]


def test_entering_targets_upserts_with_outbox_ops(yunhu: Any) -> None:
    before = int(yunhu.scalar("SELECT count(*) FROM outbox"))
    with yunhu.write(IDS.sup) as w:
        n = set_targets(
            w,
            year=2026,
            owner_kind="team",
            owner_id=IDS.t2,
            owner_name="驻东京招商组",
            counts={"b1yi": 3, "b5yi": 1},
        )
    assert n == 2  # one row changed (b1yi 2 → 3), one inserted (b5yi)
    lines = {(line.owner_kind, line.owner_id): line for line in load_targets(yunhu, 2026)}
    assert lines[("team", IDS.t2)].counts["b1yi"] == 3 and lines[("team", IDS.t2)].counts["b5yi"] == 1
    ops = yunhu.scalar("SELECT group_concat(op) FROM outbox WHERE entity = 'target'")
    assert sorted(ops.split(",")) == ["insert", "update"]
    assert int(yunhu.scalar("SELECT count(*) FROM outbox")) == before + 2
    with yunhu.write(IDS.sup) as w:
        assert set_targets(w, year=2026, owner_kind="team", owner_id=IDS.t2, owner_name="驻东京招商组",
                           counts={"b1yi": 3}) == 0  # fmt: skip
        with pytest.raises(
            DomainError
        ):  # an action: refused like every other one (the forms show DomainError)
            set_targets(w, year=2026, owner_kind="team", owner_id=IDS.t2, owner_name="x", counts={"b1yi": -1})


def test_importing_a_targets_file(yunhu: Any) -> None:
    result = read_targets_file(DATA / "targets_2027.csv", yunhu)
    got = {(line.owner_kind, line.owner_id): line.counts for line in result.lines}
    assert got[("team", IDS.t1)] == {"b20yi": 1, "b10yi": 1, "b5yi": 0, "b3yi": 0, "b1yi": 3, "b05yi": 2}
    assert got[("department", "项目服务局")]["b1yi"] == 4
    assert got[("leader", IDS.l1)]["b20yi"] == 1
    problems = {p.row: p.reason for p in result.problems}
    assert sorted(problems) == [5, 6]
    assert "不存在的团队" in problems[5]
    assert "1.5" in problems[6]
    changed = save_targets(yunhu, IDS.sup, result.lines)
    assert changed == 7
    assert len(load_targets(yunhu, 2027)) == 3
    assert progress_from_store(yunhu, 2027, date(2027, 6, 30)).owners[0].target_total == 7


def test_targets_commands(yunhu: Any, capsys: Any, tmp_path: Path) -> None:
    from zsfield.cli import main

    path = str(yunhu.path)
    yunhu.close()
    assert (
        main(["--db", path, "--lang", "zh", "targets", "show", "--year", "2026", "--as-of", "2026-06-30"])
        == 0
    )
    out = capsys.readouterr().out
    assert "已过 181/365 天，序时进度 49.6%" in out
    assert "团队·项目一部" in out and "0/4" in out
    assert main(["--db", path, "targets", "import", str(DATA / "targets_2027.csv"), "--dry-run"]) == 1
    assert main(["--db", path, "targets", "import", str(DATA / "targets_2027.csv")]) == 1  # refused: bad rows
    good = tmp_path / "good.csv"
    good.write_text("类型,责任主体,1亿以上\n团队,项目一部,5\n", encoding="utf-8")
    assert main(["--db", path, "--lang", "en", "targets", "import", str(good), "--year", "2027"]) == 0
    assert "Saved the targets of 1 owners" in capsys.readouterr().out
    assert main(["--db", path, "targets", "show", "--year", "20x6"]) == 2
