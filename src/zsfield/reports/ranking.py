"""赛马: teams ranked on what they brought in during a period, by a rules table that is data, not code.

**Figures** per team in the period (see :mod:`zsfield.reports.facts` for when each one counts):
projects signed by band, contracted and received foreign capital (USD), construction and production starts.

**Score** = Σ signed[band] × points[band] + 合同外资 万美元 × points + 到位外资 万美元 × points
+ 开工 × points + 投产 × points, all exact decimals. The points come from a TOML rules table: the default
ships in the package (``ranking_rules.toml``); a zone points at its own with ``--rules FILE``, the
``ZSFIELD_RANKING_RULES`` environment variable or ``ranking_rules`` in config.toml (in that order).

**Credit split**: a project whose ``co_introducer_id`` belongs to another team than the owning team earns
half of every figure for each of the two teams (rules ``options.credit_split``). A co-introducer in the
same team, or without a team, leaves the whole credit with the owning team. A project without an owning
team earns nothing.

**Ties** (deterministic): teams are ordered by score, then by the figures in ``ties.order`` (larger
first); teams equal on all of them share a rank (competition ranking: 1, 2, 2, 4) and are listed by team
name, then id.

**Awards**: 卓越 goes to every team ranked first, provided its score is above zero. 蜗牛 goes to the
lowest-ranked team(s) that are *behind* their pro-rata team target for the year as of the period's end
(:mod:`zsfield.reports.targets`); a team without a target is never behind, and a 卓越 team never gets 蜗牛.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from zsfield.reports.errors import ReportError
from zsfield.reports.facts import ProjectFacts, ReceiptFacts, TeamFacts
from zsfield.reports.periods import Period
from zsfield.reports.targets import BAND_CODES, TargetReport

RULES_ENV = "ZSFIELD_RANKING_RULES"
TIE_METRICS = ("signed", "signed_points", "contracted_usd", "received_usd", "construction", "production")
_WAN = Decimal(10_000)
_HALF = Decimal("0.5")


@dataclass(frozen=True)
class RankingRules:
    """The points of the 赛马, read from a rules table."""

    name: str
    signed: dict[str, Decimal]
    contracted_per_wan_usd: Decimal
    received_per_wan_usd: Decimal
    construction: Decimal
    production: Decimal
    exclude_real_estate: bool = True
    credit_split: bool = True
    tie_order: tuple[str, ...] = (
        "signed_points",
        "received_usd",
        "contracted_usd",
        "production",
        "construction",
    )
    source: str = "default"


def default_rules_text() -> str:
    return resources.files("zsfield.reports").joinpath("ranking_rules.toml").read_text(encoding="utf-8")


def rules_path(explicit: str | os.PathLike[str] | None = None, settings: Any = None) -> Path | None:
    """The rules file in force: ``explicit``, else ``$ZSFIELD_RANKING_RULES``, else the config's
    ``ranking_rules``, else None (the packaged default)."""
    for candidate in (explicit, os.environ.get(RULES_ENV), getattr(settings, "ranking_rules", None)):
        if candidate:
            return Path(candidate).expanduser()
    return None


def load_rules(path: str | os.PathLike[str] | None = None, settings: Any = None) -> RankingRules:
    """The rules from ``path`` (resolved as in :func:`rules_path`), else the packaged default.

    Raises :class:`ReportError` (``rank.rules_missing``, ``rank.bad_rules``) naming the file and the problem.
    """
    chosen = rules_path(path, settings)
    if chosen is None:
        return parse_rules(default_rules_text(), source="default")
    if not chosen.is_file():
        raise ReportError("rank.rules_missing", path=str(chosen))
    try:
        raw = chosen.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError("rank.bad_rules", path=str(chosen), reason=str(exc)) from exc
    return parse_rules(raw, source=str(chosen))


_SECTIONS: dict[str, frozenset[str]] = {
    "signed": frozenset(BAND_CODES),
    "foreign_capital": frozenset({"contracted_per_wan_usd", "received_per_wan_usd"}),
    "starts": frozenset({"construction", "production"}),
    "options": frozenset({"exclude_real_estate", "credit_split"}),
    "ties": frozenset({"order"}),
}


def parse_rules(raw: str, *, source: str = "default") -> RankingRules:
    """Rules from TOML text. Missing numbers count 0; unknown sections or keys are refused by name."""

    def bad(reason: str) -> ReportError:
        return ReportError("rank.bad_rules", path=source, reason=reason)

    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise bad(str(exc)) from exc
    for key, value in data.items():
        if key == "name":
            continue
        if key not in _SECTIONS:
            raise bad(f"unknown section [{key}]")
        if not isinstance(value, dict):
            raise bad(f"[{key}] must be a table")
        for sub in value:
            if sub not in _SECTIONS[key]:
                raise bad(f"unknown key '{sub}' in [{key}]")

    def number(section: str, key: str) -> Decimal:
        value = data.get(section, {}).get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise bad(f"[{section}] {key} must be a number")
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise bad(f"[{section}] {key} must be a number, not {value!r}") from None
        if not result.is_finite():
            raise bad(f"[{section}] {key} must be a finite number")
        return result

    def flag(key: str, default: bool) -> bool:
        value = data.get("options", {}).get(key, default)
        if not isinstance(value, bool):
            raise bad(f"[options] {key} must be true or false")
        return value

    order = data.get("ties", {}).get("order", list(RankingRules.__dataclass_fields__["tie_order"].default))
    if not isinstance(order, list) or any(o not in TIE_METRICS for o in order):
        raise bad(f"[ties] order may name only {', '.join(TIE_METRICS)}")
    return RankingRules(
        name=str(data.get("name", "")),
        signed={b: number("signed", b) for b in BAND_CODES},
        contracted_per_wan_usd=number("foreign_capital", "contracted_per_wan_usd"),
        received_per_wan_usd=number("foreign_capital", "received_per_wan_usd"),
        construction=number("starts", "construction"),
        production=number("starts", "production"),
        exclude_real_estate=flag("exclude_real_estate", True),
        credit_split=flag("credit_split", True),
        tie_order=tuple(order),
        source=source,
    )


# --- figures and score --------------------------------------------------------------------------------------


@dataclass
class TeamScore:
    """One team's figures in the period, its score, rank and award."""

    team_id: str
    team: str
    signed: dict[str, Decimal] = field(default_factory=lambda: {b: Decimal(0) for b in BAND_CODES})
    contracted_usd: Decimal = Decimal(0)
    received_usd: Decimal = Decimal(0)
    construction: Decimal = Decimal(0)
    production: Decimal = Decimal(0)
    signed_points: Decimal = Decimal(0)
    capital_points: Decimal = Decimal(0)
    start_points: Decimal = Decimal(0)
    score: Decimal = Decimal(0)
    rank: int = 0
    behind: bool | None = None  # None: the team has no target for the year
    award: str | None = None  # "excellent" (卓越) | "snail" (蜗牛)
    target_total: int = 0
    pro_rata_total: Decimal = Decimal(0)
    signed_ytd: int = 0

    @property
    def signed_total(self) -> Decimal:
        return sum(self.signed.values(), Decimal(0))

    def metric(self, name: str) -> Decimal:
        if name == "signed":
            return self.signed_total
        return getattr(self, name)


@dataclass(frozen=True)
class Ranking:
    period: Period
    as_of: date
    rules: RankingRules
    teams: list[TeamScore]

    @property
    def excellent(self) -> list[TeamScore]:
        return [s for s in self.teams if s.award == "excellent"]

    @property
    def snail(self) -> list[TeamScore]:
        return [s for s in self.teams if s.award == "snail"]


def credit_shares(p: ProjectFacts, rules: RankingRules) -> list[tuple[str, Decimal]]:
    """(team id, share) pairs a project's figures are credited to."""
    if not p.team_id:
        return []
    if rules.credit_split and p.co_introducer_id and p.co_team_id and p.co_team_id != p.team_id:
        return [(p.team_id, _HALF), (p.co_team_id, _HALF)]
    return [(p.team_id, Decimal(1))]


def rank_teams(
    teams: Sequence[TeamFacts],
    projects: Sequence[ProjectFacts],
    receipts: Sequence[ReceiptFacts],
    period: Period,
    rules: RankingRules,
    *,
    as_of: date | None = None,
    targets: TargetReport | None = None,
) -> Ranking:
    """Rank every team on the period's figures (``receipts`` may be wider than the period: filtered here).

    ``targets`` (team progress for the year, as of the period's end) decides who is behind for 蜗牛.
    """
    as_of = as_of or period.end
    scores: dict[str, TeamScore] = {tm.id: TeamScore(tm.id, tm.name) for tm in teams}
    by_id = {p.id: p for p in projects}

    def credited(p: ProjectFacts) -> list[tuple[TeamScore, Decimal]]:
        if rules.exclude_real_estate and p.is_real_estate:
            return []
        return [(scores[tid], share) for tid, share in credit_shares(p, rules) if tid in scores]

    for p in projects:
        first = p.first_signed_on
        if first in period and p.band in BAND_CODES:
            for s, share in credited(p):
                s.signed[p.band] += share  # type: ignore[index]
        if p.contract_signed_on in period:
            usd = p.fc_contracted_usd
            if usd:
                for s, share in credited(p):
                    s.contracted_usd += usd * share
        if p.construction_start_on in period:
            for s, share in credited(p):
                s.construction += share
        if p.production_start_on in period:
            for s, share in credited(p):
                s.production += share
    for r in receipts:
        p = by_id.get(r.project_id)
        if p is None or r.received_on not in period:
            continue
        for s, share in credited(p):
            s.received_usd += r.amount_usd * share

    for s in scores.values():
        s.signed_points = sum((s.signed[b] * rules.signed[b] for b in BAND_CODES), Decimal(0))
        s.capital_points = (
            s.contracted_usd / _WAN * rules.contracted_per_wan_usd
            + s.received_usd / _WAN * rules.received_per_wan_usd
        )
        s.start_points = s.construction * rules.construction + s.production * rules.production
        s.score = s.signed_points + s.capital_points + s.start_points
        if targets is not None:
            progress = targets.owner("team", s.team_id)
            if progress is not None and progress.target_total > 0:
                s.behind = progress.behind
                s.target_total = progress.target_total
                s.pro_rata_total = progress.pro_rata_total
                s.signed_ytd = progress.actual_total

    def key(s: TeamScore) -> tuple[Decimal, ...]:
        return (s.score, *(s.metric(m) for m in rules.tie_order))

    ordered = sorted(scores.values(), key=lambda s: (tuple(-v for v in key(s)), s.team, s.team_id))
    previous: tuple[Decimal, ...] | None = None
    for position, s in enumerate(ordered, start=1):
        k = key(s)
        s.rank = ordered[position - 2].rank if previous is not None and k == previous else position
        previous = k
    for s in ordered:
        if s.rank == 1 and s.score > 0:
            s.award = "excellent"
    behind = [s for s in ordered if s.behind and s.award is None]
    if behind:
        worst = max(s.rank for s in behind)
        for s in behind:
            if s.rank == worst:
                s.award = "snail"
    return Ranking(period, as_of, rules, ordered)


def ranking_from_store(
    store: Any, period: Period, rules: RankingRules, *, as_of: date | None = None
) -> Ranking:
    """Load what the ranking needs and rank (targets of the period's year, as of the period's end)."""
    from zsfield.reports.facts import load_projects, load_receipts, load_teams
    from zsfield.reports.targets import load_targets, progress

    as_of = min(as_of or period.end, period.end)
    period = period.clipped(as_of)
    projects = load_projects(store)
    report = progress(load_targets(store, as_of.year), projects, as_of.year, as_of)
    return rank_teams(
        load_teams(store),
        projects,
        load_receipts(store, period.start, period.end),
        period,
        rules,
        as_of=as_of,
        targets=report,
    )
