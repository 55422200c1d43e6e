"""赛马: scores from the rules table, ties, credit split, 卓越 and 蜗牛, rules from a file / config / env."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from zsfield.domain.enums import ProjectStatus, Stage
from zsfield.reports import periods
from zsfield.reports.errors import ReportError
from zsfield.reports.facts import ProjectFacts, ReceiptFacts, TeamFacts
from zsfield.reports.ranking import RULES_ENV, load_rules, parse_rules, rank_teams, ranking_from_store
from zsfield.reports.targets import TargetLine, progress


def facts(pid: str, team: str | None, **kw: Any) -> ProjectFacts:
    """A project as the reports see it, with only what a test sets."""
    base: dict[str, Any] = dict(
        id=pid, name=pid, company="", company_id=None, lead_id=None, team_id=team, team=team or "",
        department="", leader_id=None, leader="", service_officer_id=None, service_officer="",
        co_introducer_id=None, co_team_id=None, office_id=None, office="", stage=Stage.NEGOTIATING,
        status=ProjectStatus.ACTIVE, status_on=None, industry="", park_area="", is_real_estate=False,
        investment_cny=Decimal("150000000"), band="b1yi", fixed_asset_investment=None, land_need_mu=None,
        land_area_mu=None, no_new_land=False, intent_signed_on=kw.pop("intent", None),
        contract_signed_on=kw.pop("contract", None), construction_start_on=kw.pop("construction", None),
        completion_on=None, production_start_on=kw.pop("production", None), fc_contracted=None,
        fc_currency="USD", fc_rate_usd=None, stale_reason="", created_at=datetime(2026, 1, 1, tzinfo=UTC),
        stage_since=None, last_entry_at=None,
    )  # fmt: skip
    base.update(kw)
    return ProjectFacts(**base)


TEAMS = [TeamFacts("A", "甲队", "", ""), TeamFacts("B", "乙队", "", ""), TeamFacts("C", "丙队", "", "")]
YEAR = periods.year(2026)
RULES = parse_rules(
    """
    [signed]
    b1yi = 5
    b5yi = 12
    [foreign_capital]
    contracted_per_wan_usd = 0.05
    received_per_wan_usd = 0.1
    [starts]
    construction = 6
    production = 8
    """
)


def test_default_rules_are_shipped_in_the_package() -> None:
    rules = load_rules()
    assert rules.source == "default"
    assert rules.signed["b20yi"] == 30 and rules.signed["b05yi"] == 2
    assert rules.received_per_wan_usd == Decimal("0.01")
    assert rules.exclude_real_estate and rules.credit_split


def test_scores_follow_the_rules_exactly() -> None:
    projects = [
        facts("p1", "A", intent=date(2026, 3, 1), band="b5yi"),  # 12
        facts("p2", "A", contract=date(2026, 4, 1), fc_contracted=Decimal("1000000"), fc_currency="EUR",
              fc_rate_usd=Decimal("1.08")),  # signed b1yi 5; 108万美元 × 0.05 = 5.4
        facts("p3", "B", construction=date(2026, 5, 1), production=date(2026, 9, 1)),  # 6 + 8
        facts("p4", "B", intent=date(2025, 12, 31)),  # signed last year: nothing
    ]  # fmt: skip
    receipts = [
        ReceiptFacts("r1", "p3", date(2026, 6, 1), Decimal("250000"), "USD", Decimal(1), Decimal("250000")),
        ReceiptFacts("r2", "p3", date(2027, 1, 2), Decimal("999999"), "USD", Decimal(1), Decimal("999999")),
    ]
    ranking = rank_teams(TEAMS, projects, receipts, YEAR, RULES)
    a, b, c = (next(s for s in ranking.teams if s.team_id == x) for x in "ABC")
    assert a.signed == {"b20yi": 0, "b10yi": 0, "b5yi": 1, "b3yi": 0, "b1yi": 1, "b05yi": 0}
    assert a.contracted_usd == Decimal("1080000.00")
    assert a.score == Decimal("22.4")  # 12 + 5 + 5.4
    assert b.received_usd == Decimal("250000")  # the 2027 receipt is outside the period
    assert b.score == Decimal("16.5")  # 6 + 8 + 25万美元 × 0.1
    assert c.score == 0
    assert [s.team_id for s in ranking.teams] == ["A", "B", "C"]
    assert [s.rank for s in ranking.teams] == [1, 2, 3]
    assert [s.award for s in ranking.teams] == ["excellent", None, None]  # nobody has a target: no 蜗牛


def test_credit_split_gives_half_to_the_co_introducers_team() -> None:
    p = facts(
        "p", "A", contract=date(2026, 2, 1), construction=date(2026, 3, 1), co_introducer_id="o9", co_team_id="B",
        fc_contracted=Decimal("2000000"),
    )  # fmt: skip
    same_team = facts("q", "A", intent=date(2026, 2, 1), co_introducer_id="o8", co_team_id="A")
    receipts = [
        ReceiptFacts("r", "p", date(2026, 5, 1), Decimal("100000"), "USD", Decimal(1), Decimal("100000"))
    ]
    ranking = rank_teams(TEAMS, [p, same_team], receipts, YEAR, RULES)
    a, b = (next(s for s in ranking.teams if s.team_id == x) for x in "AB")
    assert a.signed["b1yi"] == Decimal("1.5") and b.signed["b1yi"] == Decimal("0.5")
    assert a.contracted_usd == b.contracted_usd == Decimal("1000000")
    assert a.received_usd == b.received_usd == Decimal("50000")
    assert a.construction == b.construction == Decimal("0.5")
    no_split = parse_rules("[options]\ncredit_split = false\n[signed]\nb1yi = 5")
    ranking = rank_teams(TEAMS, [p], receipts, YEAR, no_split)
    assert next(s for s in ranking.teams if s.team_id == "B").signed["b1yi"] == 0


def test_real_estate_earns_nothing_by_default() -> None:
    p = facts("p", "A", contract=date(2026, 2, 1), is_real_estate=True)
    assert rank_teams(TEAMS, [p], [], YEAR, RULES).teams[0].score == 0
    counted = parse_rules("[options]\nexclude_real_estate = false\n[signed]\nb1yi = 5")
    assert next(s for s in rank_teams(TEAMS, [p], [], YEAR, counted).teams if s.team_id == "A").score == 5


def test_ties_are_broken_by_the_rules_then_shared_and_listed_by_name() -> None:
    # A and B score the same (5 each): B has the received capital, which the tie order looks at first…
    rules = parse_rules(
        """
        [signed]
        b1yi = 5
        [foreign_capital]
        received_per_wan_usd = 0
        [ties]
        order = ["received_usd", "signed"]
        """
    )
    projects = [facts("a", "A", intent=date(2026, 2, 1)), facts("b", "B", intent=date(2026, 2, 1))]
    receipts = [ReceiptFacts("r", "b", date(2026, 3, 1), Decimal("1"), "USD", Decimal(1), Decimal("1"))]
    ranking = rank_teams(TEAMS, projects, receipts, YEAR, rules)
    assert [(s.team_id, s.rank) for s in ranking.teams] == [("B", 1), ("A", 2), ("C", 3)]
    # …without it they are equal on everything: they share first place, listed by name (乙队 < 甲队 by code
    # point order is 丙 < 乙 < 甲), and both get 卓越; the next team is third.
    ranking = rank_teams(TEAMS, projects, [], YEAR, rules)
    assert [(s.team, s.rank) for s in ranking.teams] == [("乙队", 1), ("甲队", 1), ("丙队", 3)]
    assert [s.award for s in ranking.teams] == ["excellent", "excellent", None]
    # the same input always gives the same order
    again = rank_teams(list(reversed(TEAMS)), list(reversed(projects)), [], YEAR, rules)
    assert [s.team_id for s in again.teams] == [s.team_id for s in ranking.teams]


def test_snail_is_the_last_team_behind_its_pro_rata_target() -> None:
    projects = [
        facts("a1", "A", intent=date(2026, 2, 1)),
        facts("a2", "A", intent=date(2026, 3, 1)),
        facts("b1", "B", intent=date(2026, 2, 1)),
        facts("c1", "C", intent=date(2026, 2, 1)),
    ]
    as_of = date(2026, 6, 30)  # 181/365 of the year
    targets = [
        TargetLine(2026, "team", "A", "甲队", {"b1yi": 10}),  # pro-rata 4.96 → behind (2), but 卓越
        TargetLine(2026, "team", "B", "乙队", {"b1yi": 4}),  # pro-rata 1.98 → behind (1)
        TargetLine(2026, "team", "C", "丙队", {"b1yi": 2}),  # pro-rata 0.99 → ahead (1)
    ]
    report = progress(targets, projects, 2026, as_of)
    ranking = rank_teams(TEAMS, projects, [], YEAR.clipped(as_of), RULES, as_of=as_of, targets=report)
    # B and C tie on everything (5 points each); B is behind, C is not: 蜗牛 goes to B only
    by_id = {s.team_id: s for s in ranking.teams}
    assert by_id["A"].award == "excellent" and by_id["A"].behind
    assert by_id["B"].award == "snail" and by_id["B"].rank == 2
    assert by_id["C"].award is None and by_id["C"].behind is False
    # no target at all: never behind, never 蜗牛
    ranking = rank_teams(TEAMS, projects, [], YEAR, RULES, targets=progress([], projects, 2026, as_of))
    assert all(s.behind is None and s.award != "snail" for s in ranking.teams)


def test_rules_from_a_file_the_environment_or_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules_file = tmp_path / "zone.toml"
    rules_file.write_text(
        'name = "云湖规则"\n[signed]\nb1yi = "7.5"\n[starts]\nproduction = 1\n', encoding="utf-8"
    )
    explicit = load_rules(rules_file)
    assert (explicit.name, explicit.signed["b1yi"], explicit.signed["b20yi"]) == (
        "云湖规则",
        Decimal("7.5"),
        0,
    )
    assert explicit.source == str(rules_file)
    monkeypatch.setenv(RULES_ENV, str(rules_file))
    assert load_rules().name == "云湖规则"
    monkeypatch.delenv(RULES_ENV)
    assert load_rules(settings=SimpleNamespace(ranking_rules=str(rules_file))).name == "云湖规则"
    assert load_rules(settings=SimpleNamespace(ranking_rules=None)).source == "default"


def test_rules_named_in_config_toml_resolve_next_to_the_config_file(tmp_path: Path) -> None:
    from zsfield.config import load_settings

    config_dir = tmp_path / "home" / "config"
    config_dir.mkdir(parents=True)
    (config_dir / "zone_rules.toml").write_text('name = "配置规则"\n[signed]\nb1yi = 2\n', encoding="utf-8")
    (config_dir / "config.toml").write_text('ranking_rules = "zone_rules.toml"\n', encoding="utf-8")
    settings = load_settings(env={"ZSFIELD_HOME": str(tmp_path / "home")})
    assert settings.ranking_rules == str(config_dir / "zone_rules.toml")
    assert load_rules(settings=settings).name == "配置规则"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[signed]\nb2yi = 3", "b2yi"),
        ("[bonus]\nx = 1", "[bonus]"),
        ("[signed]\nb1yi = true", "number"),
        ("[signed]\nb1yi = 'many'", "number"),
        ("[ties]\norder = ['luck']", "order"),
        ("[options]\ncredit_split = 'yes'", "true or false"),
        ("[signed\n", "rules"),
    ],
)
def test_bad_rules_are_refused_by_name(text: str, needle: str) -> None:
    with pytest.raises(ReportError) as err:
        parse_rules(text, source="zone.toml")
    assert err.value.key == "rank.bad_rules"
    assert needle in err.value.message("en")


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(ReportError) as err:
        load_rules(tmp_path / "nope.toml")
    assert err.value.key == "rank.rules_missing"


def test_yunhu_ranking_year_to_date(store: Any) -> None:
    """The hand-built zone (tests/reports_fixtures.py), 1 Jan – 23 Nov 2026, default rules:

    新能源攻坚队 (T3): P2 5亿 12 + P4 3亿 8 + P4 开工 6 + 投产 8 + half of P3 (1亿 2.5, 开工 3,
        合同外资 335万美元 × 0.005 = 1.675, 到位 268万美元 × 0.01 = 2.68) = 43.855
    项目一部 (T1): P1 20亿 30 + 合同外资 108万美元 × 0.005 = 0.54 + 到位 54万美元 × 0.01 = 0.54 = 31.08
        (P5 is real estate: nothing)
    驻东京招商组 (T2): the other half of P3 = 9.855
    Every team is behind its pro-rata target; T3 is first (卓越), T2 the last behind (蜗牛).
    """
    from reports_fixtures import IDS, build_yunhu

    build_yunhu(store)
    ranking = ranking_from_store(store, periods.year(2026), load_rules(), as_of=date(2026, 11, 23))
    got = [(s.team_id, s.rank, s.score, s.award, s.behind) for s in ranking.teams]
    assert got == [
        (IDS.t3, 1, Decimal("43.855"), "excellent", True),
        (IDS.t1, 2, Decimal("31.08"), None, True),
        (IDS.t2, 3, Decimal("9.855"), "snail", True),
    ]
    t2 = ranking.teams[2]
    assert t2.received_usd == Decimal("2680000")  # (3,000,000 + 1,360,000 + 1,000,000) / 2
    assert t2.contracted_usd == Decimal("3350000")
    assert t2.signed_total == Decimal("0.5") and t2.construction == Decimal("0.5")
    assert ranking.period.end == date(2026, 11, 23)
