"""The demo dataset behind ``zsfield seed`` and ``zsfield --demo``: realistic, deterministic, and fast.

``seed_database(path, projects=N, seed=S, today=D)`` writes the same rows for the same ``S`` and ``D``:
eight stationed offices, fourteen teams with their leaders and officers, companies in five scripts (some
near-duplicates for the duplicate check to find), leads from every channel in every state, and ``N`` projects
spread over every stage and status. Each project carries what its stage requires (``flow.missing_for`` finds
nothing), the stage events of its path, two years of visits and follow-ups (some due today, some overdue),
its service plan, contract milestones (some overdue), foreign capital receipts, notes and 督办意见; about one
open project in five is stale (no timeline entry for more than 30 days). This year's targets (任务分解表)
close the set.

Everything goes through :meth:`Writer.insert_rows` as wire dicts, the way a sync pull writes, so the outbox,
the derived project columns (CNY total, band) and ``last_entry_at`` are kept by the same code the app uses.
By default the rows are written as already synced (``version`` 1, no outbox ops); ``outbox=True`` queues
every row for upload instead. The local identity (``sync_state.officer_id``) becomes a demo officer of the
Shanghai stationed team whose dashboard has follow-ups due today and stale projects.

Rows are built as plain wire strings, batch by batch (bounded memory), about 11 per project: 100,000 projects
are some 1.1 million rows. Ids are time-ordered UUIDv7, so every index fills in order. From
:data:`PARALLEL_FROM` projects on, with a core to spare (:func:`_spare_core`), the rows are built in a second process
while this one writes. All of it is one transaction; in a database without projects the plain (non-unique)
indexes of the seeded tables are dropped at its start and created again, from the SQL the migrations stored,
before it commits (building an index once from sorted rows is far cheaper than keeping it up to date row by
row), and the seeding connection runs with ``synchronous=NORMAL`` under WAL. No Textual here.
"""

from __future__ import annotations

import marshal
import multiprocessing
import os
import queue
import random
import time
import traceback
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from pathlib import Path
from typing import Any

from zsfield import seed_data as D
from zsfield.domain.credit_code import CHARSET, compute_check_char, compute_org_check_char
from zsfield.domain.enums import (
    PARK_AREAS,
    STAGES,
    Grade,
    LeadStatus,
    ProjectStatus,
    Role,
    ServiceKind,
    Stage,
    TargetOwnerKind,
    Verdict,
    VisitKind,
)
from zsfield.domain.money import BANDS_DESC, band_for
from zsfield.store.errors import StoreError

__all__ = ["CHUNK_PROJECTS", "PARALLEL_FROM", "DatabaseNotEmpty", "SeedReport", "seed_database"]

CHUNK_PROJECTS = 2000
"""Projects generated and written per batch (bounds memory)."""
_EXTRA_LEAD_SHARE = 0.12
"""Leads that are not (yet) projects, per project: new, screened, rejected, duplicates."""
PARALLEL_FROM = 5000
"""From this many projects on (and with cores to spare, see :func:`_spare_core`), the rows are built in a
second process while this one writes."""
_SEED_CACHE_KIB = 262_144
"""SQLite page cache of the seeding connection (256 MiB)."""

SeedReport = dict[str, Any]


_DAY_RANGE = 1200  # day strings are precomputed for today ± this many days

# Stage funnel: many projects in talks, fewer signed, fewer still in production (weights in %).
_STAGE_WEIGHTS: tuple[tuple[Stage, int], ...] = (
    (Stage.SCREENING, 22),
    (Stage.NEGOTIATING, 30),
    (Stage.INTENT_SIGNED, 14),
    (Stage.CONTRACT_SIGNED, 8),
    (Stage.REGISTERED, 6),
    (Stage.LAND_APPROVED, 4),
    (Stage.PERMITS, 4),
    (Stage.CONSTRUCTION, 4),
    (Stage.COMMISSIONING, 2),
    (Stage.PRODUCTION, 3),
    (Stage.EFFECTIVE, 3),
)
_STATUS_WEIGHTS: tuple[tuple[ProjectStatus, int], ...] = (
    (ProjectStatus.ACTIVE, 70),
    (ProjectStatus.DELAYED, 10),
    (ProjectStatus.DORMANT, 8),
    (ProjectStatus.LOST, 6),
    (ProjectStatus.ABANDONED, 6),
)
# Share of stale projects (no timeline entry for > 30 days) by status.
_STALE_SHARE = {
    ProjectStatus.ACTIVE: 0.12,
    ProjectStatus.DELAYED: 0.30,
    ProjectStatus.DORMANT: 0.80,
    ProjectStatus.LOST: 1.0,
    ProjectStatus.ABANDONED: 1.0,
}
# Total investment tiers in 万元 (lo, hi, weight): ≥20亿 … below 0.5亿.
_INVESTMENT_TIERS: tuple[tuple[int, int, int], ...] = (
    (200_000, 800_000, 3),
    (100_000, 199_900, 5),
    (50_000, 99_900, 9),
    (30_000, 49_900, 11),
    (10_000, 29_900, 30),
    (5_000, 9_900, 20),
    (800, 4_900, 22),
)
_VISIT_KINDS: tuple[tuple[str, int], ...] = (
    (VisitKind.VISIT.value, 30),
    (VisitKind.RECEPTION.value, 18),
    (VisitKind.INSPECTION.value, 12),
    (VisitKind.MEETING.value, 14),
    (VisitKind.CALL.value, 14),
    (VisitKind.VIDEO.value, 8),
    (VisitKind.EVENT.value, 4),
)
_STAGE_CODES: tuple[str, ...] = tuple(s.value for s in STAGES)
_PARK_AREAS = PARK_AREAS
_PLAN_FOCUS = ("供地、审批", "审批、融资", "用工、人才公寓", "供地、水电气", "政策兑现、融资")
_OFFICE_CITY: dict[str, str] = {o[0]: o[1] for o in D.OFFICES}
_MILESTONE_NOTES: dict[str, str] = {k.value: v for k, v in D.MILESTONE_NOTES.items()}
_FOREIGN_ORIGINS: tuple[tuple[str, int], ...] = (
    ("JP", 4),
    ("KR", 3),
    ("DE", 3),
    ("US", 3),
    ("HK", 2),
    ("SG", 1),
    ("GB", 1),
)
_EXTRA_LEAD_KINDS: tuple[tuple[str, int], ...] = (
    ("new", 35),
    ("screened", 25),
    ("rejected", 20),
    ("duplicate", 20),
)
_I_INTENT = Stage.INTENT_SIGNED.index
_I_CONTRACT = Stage.CONTRACT_SIGNED.index
_I_REGISTERED = Stage.REGISTERED.index
_I_LAND = Stage.LAND_APPROVED.index
_I_PERMITS = Stage.PERMITS.index
_I_CONSTRUCTION = Stage.CONSTRUCTION.index
_I_COMMISSIONING = Stage.COMMISSIONING.index
_I_PRODUCTION = Stage.PRODUCTION.index
_I_EFFECTIVE = Stage.EFFECTIVE.index

# Order of insertion within a batch (parents before what hangs off them).
_ENTITY_ORDER = (
    "office",
    "team",
    "officer",
    "company",
    "contact",
    "lead",
    "project",
    "service_plan",
    "stage_event",
    "service_item",
    "visit",
    "follow_up",
    "milestone",
    "capital_receipt",
    "note",
    "target",
)


def _id_parts(seed: int, today: date, salt: int) -> tuple[str, int]:
    """The fixed part of a dataset's ids: ``(text of the first 19 characters, variant bits | random bits)``.

    Ids are UUIDv7 (RFC 9562): a 48-bit millisecond time — midnight UTC of ``today`` plus an offset drawn from
    the seed — then version 7 and 12 random bits, then the variant and a 42-bit counter over 20 random bits.
    They are deterministic for the same seed and day (``salt``, the number of projects already in the file,
    keeps a forced second dataset apart), unique within a dataset, and increasing, so every id index and
    every child's parent index is filled in order instead of at random — most of what makes 100,000 projects
    fast.
    """
    rng = random.Random(f"zsfield-seed-ids:{seed}:{salt}")
    midnight = datetime(today.year, today.month, today.day, tzinfo=UTC)
    ms = int(midnight.timestamp()) * 1000 + rng.randrange(86_400_000)
    head = f"{ms:012x}"
    prefix = f"{head[:8]}-{head[8:12]}-7{rng.getrandbits(12):03x}-"
    return prefix, (0b10 << 62) | rng.getrandbits(20)


class DatabaseNotEmpty(StoreError):
    """The database already holds projects: seeding would mix demo data into it (use --force)."""

    exit_code = 8


class _Weighted:
    """A weighted choice driven by one ``random()`` call."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs: Sequence[tuple[Any, int]]) -> None:
        self.items = [p[0] for p in pairs]
        self.cum = list(accumulate(p[1] for p in pairs))
        self.total = self.cum[-1]

    def pick(self, r: float) -> Any:
        return self.items[bisect(self.cum, r * self.total)]


def _fullwidth(text: str) -> str:
    """ASCII → full-width forms (what a Chinese input method sometimes produces)."""
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _after(at: str, previous: str) -> str:
    """``at``, or one microsecond after ``previous`` when ``at`` is not later (same-day entries keep order)."""
    if at > previous:
        return at
    return previous[:-6] + f"{int(previous[-6:]) + 1:06d}"


def _wan(amount_wan: int) -> str:
    """万元 → the plain decimal text of yuan (wire form)."""
    return f"{amount_wan}0000" if amount_wan else "0"


def _centi(value: int) -> str:
    """Hundredths → decimal text with two places (``12345`` → ``123.45``)."""
    return f"{value // 100}.{value % 100:02d}"


class _Seeder:
    """Builds the rows; one instance per :func:`seed_database` call."""

    def __init__(self, *, seed: int, today: date, id_salt: int, synced: bool) -> None:
        self.rng = random.Random(seed)
        self.r = self.rng.random
        self._id_prefix, self._id_tail = _id_parts(seed, today, id_salt)
        self._id_n = 0
        self.today = today
        self.version = 1 if synced else 0
        base = today - timedelta(days=_DAY_RANGE)
        self._days = [(base + timedelta(days=i)).isoformat() for i in range(2 * _DAY_RANGE + 1)]
        # office hours (09:00-17:30 local) as UTC time-of-day text, per office
        self._times: dict[str, list[str]] = {}
        for key, offset in D.OFFICE_UTC_OFFSET.items():
            self._times[key] = [
                f"T{(h - offset) % 24:02d}:{m:02d}:{s:02d}.000000"
                for h in range(9, 18)
                for m in (0, 10, 20, 30, 40, 50)
                for s in (0, 17, 42)
                if not (h == 17 and m > 30)
            ]
        self.rows: dict[str, list[dict[str, Any]]] = {e: [] for e in _ENTITY_ORDER}
        self.counts: dict[str, int] = dict.fromkeys(_ENTITY_ORDER, 0)
        self.stage_pick = _Weighted(_STAGE_WEIGHTS)
        self.status_pick = _Weighted(_STATUS_WEIGHTS)
        self.tier_pick = _Weighted([((lo, hi), w) for lo, hi, w in _INVESTMENT_TIERS])
        self.visit_kind_pick = _Weighted(_VISIT_KINDS)
        self.source_pick = _Weighted(D.SOURCE_WEIGHTS)
        self.industry_pick = _Weighted(D.INDUSTRY_WEIGHTS)
        self.foreign_pick = _Weighted(_FOREIGN_ORIGINS)
        self.form_pick = _Weighted(D.CN_LEGAL_FORMS)
        self.de_form_pick = _Weighted(D.DE_FORMS)
        self.extra_lead_pick = _Weighted(_EXTRA_LEAD_KINDS)
        self.codes: set[str] = set()
        self.companies: dict[str, list[dict[str, Any]]] = {}
        self.project_leads: list[tuple[str, str, dict[str, Any]]] = []  # (lead id, team key, company)
        self._brands = self._brand_stream()
        self._foreign_pools = self._foreign_name_pools()
        # 任务分解表 inputs: contracts signed in the last 365 days per (owner, band)
        self.signed_last_year: dict[tuple[str, str], int] = {}
        self.demo_officer: dict[str, Any] = {}

    # --- small helpers ---------------------------------------------------------------------------------

    def nid(self) -> str:
        """The next id: a UUIDv7 of this dataset with a dedicated counter (RFC 9562, method 1)."""
        self._id_n += 1
        tail = "%016x" % (self._id_tail | (self._id_n << 20))
        return self._id_prefix + tail[:4] + "-" + tail[4:]

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.r() * len(seq))]

    def randint(self, lo: int, hi: int) -> int:
        """lo ≤ n ≤ hi (cheaper than Random.randint, deterministic all the same)."""
        return lo + int(self.r() * (hi - lo + 1))

    def ds(self, day: int) -> str:
        """The date ``day`` days from today (negative: past) as ``YYYY-MM-DD``."""
        return self._days[day + _DAY_RANGE]

    def ts(self, day: int, office: str) -> str:
        """A UTC timestamp in office hours of ``office`` on that day (wire form)."""
        times = self._times[office]
        return self._days[day + _DAY_RANGE] + times[int(self.r() * len(times))]

    def add(self, entity: str, row: dict[str, Any]) -> dict[str, Any]:
        row["version"] = self.version
        self.rows[entity].append(row)
        return row

    def credit_code(self, division: str) -> str:
        r = self.r
        while True:
            body = "".join([CHARSET[int(r() * 31)] for _ in range(8)])
            first17 = "91" + division + body + compute_org_check_char(body)
            code = first17 + compute_check_char(first17)
            if code not in self.codes:
                self.codes.add(code)
                return code

    # --- organisation ----------------------------------------------------------------------------------------

    def organisation(self) -> None:
        day0 = -(_DAY_RANGE - 360)
        self.offices: dict[str, dict[str, Any]] = {}
        for key, name, name_en, city, country, tz in D.OFFICES:
            ts = self.ts(day0, key)
            row = {
                "id": self.nid(),
                "name": name,
                "name_en": name_en,
                "city": city,
                "country": country,
                "tz": tz,
                "created_at": ts,
                "updated_at": ts,
                "created_by": None,
            }
            self.offices[key] = self.add("office", row)
        used: set[str] = set()
        self.teams: dict[str, dict[str, Any]] = {}
        self.officers: list[dict[str, Any]] = []

        def person(office: str, team: str | None, role: Role, grade: Grade | None) -> dict[str, Any]:
            while True:
                sur, sur_py = self.pick(D.SURNAMES)
                n = 1 if self.r() < 0.3 else 2
                parts = [self.pick(D.GIVEN) for _ in range(n)]
                name = sur + "".join(p[0] for p in parts)
                if name not in used:
                    used.add(name)
                    break
            given_py = "".join(p[1] for p in parts)
            if D.OFFICES[[o[0] for o in D.OFFICES].index(office)][4] != "CN":
                name_en = f"{self.pick(D.ENGLISH_GIVEN)} {sur_py}"
            else:
                name_en = f"{given_py.capitalize()} {sur_py}"
            ts = self.ts(day0 + 30, office)
            row = {
                "id": self.nid(),
                "name": name,
                "name_en": name_en,
                "role": role.value,
                "grade": grade.value if grade else None,
                "team_id": team,
                "office_id": self.offices[office]["id"] if office else None,
                "email": f"{given_py}.{sur_py.lower()}{len(self.officers) + 1}@yunhu-invest.example.cn",
                "phone": f"+86 139 {self.randint(1000, 9999)} {self.randint(1000, 9999)}",
                "active": True,
                "created_at": ts,
                "updated_at": ts,
                "created_by": None,
            }
            row["_office"] = office
            self.officers.append(row)
            return row

        grade_pick = _Weighted([(Grade.SENIOR, 25), (Grade.GRADE1, 40), (Grade.GRADE2, 35)])
        for key, name, kind, office, dept, size, industry, origin in D.TEAMS:
            team_id = self.nid()
            leader = person(office, team_id, Role.LEADER, Grade.SENIOR)
            members = [person(office, team_id, Role.OFFICER, grade_pick.pick(self.r())) for _ in range(size)]
            if key == "s_sh":
                members[0]["grade"] = Grade.GRADE1.value
                self.demo_officer = members[0]
            ts = self.ts(day0 + 20, office)
            row = {
                "id": team_id,
                "name": name,
                "kind": kind,
                "office_id": self.offices[office]["id"],
                "leader_id": leader["id"],
                "department": dept,
                "created_at": ts,
                "updated_at": ts,
                "created_by": None,
            }
            self.add("team", row)
            self.teams[key] = {
                "key": key,
                "id": team_id,
                "name": name,
                "office": office,
                "dept": dept,
                "leader": leader,
                "members": members,
                "industry": industry,
                "origin": origin,
                "size": size,
                "kind": kind,
            }
        # zone level: 分管领导 (leaders of projects across teams), 招商局 supervisors, one admin
        self.zone_leaders = [person("sh", None, Role.LEADER, None) for _ in range(3)]
        self.supervisors = [person("sh", None, Role.SUPERVISOR, None) for _ in range(3)]
        self.admin = person("sh", None, Role.ADMIN, None)
        for o in self.officers:
            o["created_by"] = self.admin["id"]
            self.add("officer", {k: v for k, v in o.items() if not k.startswith("_")})
        for rows in (self.rows["office"], self.rows["team"]):
            for row in rows:
                row["created_by"] = self.admin["id"]
        self.team_pick = _Weighted([(t, t["size"]) for t in self.teams.values()])
        self.team_list = list(self.teams.values())

    # --- companies --------------------------------------------------------------------------------------------

    def _brand_stream(self) -> Any:
        pairs = [
            a + b for a in D.BRAND_FIRST for b in D.BRAND_SECOND if a != b and a + b not in D.BRAND_BLOCKLIST
        ]
        self.rng.shuffle(pairs)
        yield from pairs
        seen: set[str] = set(pairs)
        while True:
            brand = self.pick(D.BRAND_FIRST) + self.pick(D.BRAND_SECOND) + self.pick(D.BRAND_SECOND)
            if brand not in seen and len(set(brand)) == 3:
                seen.add(brand)
                yield brand

    def _foreign_name_pools(self) -> dict[str, list[tuple[Any, ...]]]:
        pools: dict[str, list[tuple[Any, ...]]] = {
            "JP": [(a, b, c) for a in D.JP_FIRST for b in D.JP_SECOND for c in D.JP_BUSINESS],
            "KR": [(a, b, c) for a in D.KR_FIRST for b in D.KR_SECOND for c in D.KR_BUSINESS],
            "DE": [(a, b, c) for a in D.DE_FIRST for b in D.DE_SECOND for c in D.DE_BUSINESS],
            "EN": [(a, b, c) for a in D.EN_FIRST for b in D.EN_SECOND for c in D.EN_BUSINESS],
        }
        for pool in pools.values():
            self.rng.shuffle(pool)
        return pools

    def company_for(self, origin: str, industry: str, team: dict[str, Any], day: int) -> dict[str, Any]:
        """An existing company (re-investment) or a new one; returns its meta dict."""
        known = self.companies.get(origin)
        if known and self.r() < 0.15:
            company = self.pick(known)
            company["_repeat"] = company.get("_repeat", 0) + 1
            return company
        company = self.new_company(origin, industry, team, day)
        if company is None:  # the pool of invented foreign names is used up: an existing investor again
            company = self.pick(self.companies[origin])
            company["_repeat"] = company.get("_repeat", 0) + 1
        return company

    def new_company(
        self, origin: str, industry: str, team: dict[str, Any], day: int
    ) -> dict[str, Any] | None:
        r = self.r
        code = None
        website = ""
        if origin == "CN":
            region, division = self.pick(D.CN_REGIONS)
            brand = next(self._brands)
            if industry == D.REAL_ESTATE:
                iw, iw_en = self.pick(D.REAL_ESTATE_WORDS)
            else:
                iw = self.pick(D.INDUSTRY_WORDS[industry][0])
                iw_en = D.INDUSTRY_WORD_EN[iw]
            form = self.form_pick.pick(r())
            name = region + brand + iw + form
            aliases = [brand + iw]
            if r() < 0.5:
                aliases.append(brand)
            py = "".join(D.BRAND_PINYIN[c] for c in brand).capitalize()
            if r() < 0.4:
                aliases.append(f"{py} {iw_en} Co., Ltd.")
            code = self.credit_code(division)
            short = brand
            variants = [brand + iw, self.pick(D.CN_REGIONS)[0] + brand + iw + form]
            website = f"www.{py.lower()}.example.cn"
        else:
            pool = self._foreign_pools["EN" if origin in ("US", "GB", "SG", "HK") else origin]
            if not pool:
                return None
            a, b, biz = pool.pop()
            if origin == "JP":
                stem, stem_rom, stem_cn = a[0] + b[0], a[1] + b[1], a[2] + b[2]
                industry = biz[3]
                core = stem + biz[0]
                name = core + "株式会社" if r() < 0.7 else "株式会社" + core
                aliases = [f"{stem_rom} {biz[1]} Co., Ltd.", stem_cn + biz[2]]
                short = stem_cn + biz[2]
                variants = [core, core + "(株)", f"{stem_rom.upper()} {biz[1].upper()}"]
            elif origin == "KR":
                stem, stem_rom, stem_cn = a[0] + b[0], a[1] + b[1], a[2] + b[2]
                industry = biz[3]
                core = stem + biz[0]
                name = self.pick(("주식회사 " + core, core + " 주식회사", "(주)" + core))
                aliases = [f"{stem_rom} {biz[1]} Co., Ltd.", stem_cn + biz[2]]
                short = stem_cn + biz[2]
                variants = ["㈜" + core, f"{stem_rom} {biz[1]}", core]
            elif origin == "DE":
                stem, stem_cn = a[0] + b[0], a[1] + b[1]
                industry = biz[2]
                form = self.de_form_pick.pick(r())
                name = f"{stem} {biz[0]} {form}"
                aliases = [stem_cn + biz[1]]
                if r() < 0.5:
                    aliases.append(stem.upper())
                short = stem_cn + biz[1]
                variants = [
                    _fullwidth(name),
                    f"{stem.upper()} {biz[0].upper()}",
                    f"{stem} {biz[0]} (China) Co., Ltd.",
                ]
            else:
                stem, stem_cn = a[0] + b[0], a[1] + b[1]
                industry = biz[2]
                form = self.pick(D.EN_FORMS[origin])
                name = f"{stem} {biz[0]} {form}"
                cn = stem_cn + biz[1]
                aliases = [cn.translate(D.TRADITIONAL) + "有限公司" if origin == "HK" else cn]
                short = cn
                variants = [
                    _fullwidth(name),
                    f"{stem.upper()} {biz[0].upper()}",
                    f"{stem} {biz[0]} (China) Co., Ltd.",
                ]
            website = f"www.{_latin_stem(a, b).lower()}.example.com"
        ts = self.ts(day, team["office"])
        creator = self.pick(team["members"])
        row = {
            "id": self.nid(),
            "name": name,
            "aliases": aliases,
            "credit_code": code,
            "country": origin,
            "industry": industry,
            "existing_investor": r() < 0.15,
            "website": website,
            "created_at": ts,
            "updated_at": ts,
            "created_by": creator["id"],
        }
        self.add("company", row)
        meta = {
            "id": row["id"],
            "name": name,
            "short": short,
            "origin": origin,
            "industry": industry,
            "iw": iw if origin == "CN" else "",
        }
        self.companies.setdefault(origin, []).append(meta)
        if r() < 0.05:  # a second record of the same company, typed in by another team (for 查重 to find)
            other = self.team_pick.pick(r())
            vts = self.ts(day + self.randint(1, 20), other["office"])
            self.add(
                "company",
                {
                    "id": self.nid(),
                    "name": self.pick(variants),
                    "aliases": [],
                    "credit_code": code if code and r() < 0.35 else None,
                    "country": origin,
                    "industry": industry,
                    "note": f"{other['name']}录入，待与已有客商核实合并",
                    "created_at": vts,
                    "updated_at": vts,
                    "created_by": self.pick(other["members"])["id"],
                },
            )
        return meta

    def contact(
        self, company: dict[str, Any], team: dict[str, Any], ts: str, **links: str | None
    ) -> tuple[str, str]:
        """A contact person at ``company`` (id, name)."""
        origin = company["origin"]
        if origin == "CN":
            name = self.pick(D.SURNAMES)[0] + "".join(
                self.pick(D.GIVEN)[0] for _ in range(self.randint(1, 2))
            )
            title = self.pick(D.CONTACT_TITLES_CN)
            phone = f"+86 13{self.randint(0, 9)} {self.randint(1000, 9999)} {self.randint(1000, 9999)}"
        else:
            if origin == "JP":
                name = self.pick(D.JP_SURNAMES) + self.pick(D.JP_GIVEN)
            elif origin == "KR":
                name = self.pick(D.KR_SURNAMES) + self.pick(D.KR_GIVEN)
            elif origin == "DE":
                name = f"{self.pick(D.DE_GIVEN)} {self.pick(D.DE_SURNAMES)}"
            else:
                name = f"{self.pick(D.EN_GIVEN)} {self.pick(D.EN_SURNAMES)}"
            title = self.pick(D.CONTACT_TITLES_EN)
            phone = f"+{self.randint(10, 99)} {self.randint(100, 999)} {self.randint(1000, 9999)}"
        cid = self.nid()
        self.add(
            "contact",
            {
                "id": cid,
                "company_id": company["id"],
                "team_id": team["id"],
                "name": name,
                "title": title,
                "phone": phone,
                "created_at": ts,
                "updated_at": ts,
                "created_by": self.pick(team["members"])["id"],
                **links,
            },
        )
        return cid, name

    # --- projects ----------------------------------------------------------------------------------------------

    def origin_for(self, team: dict[str, Any]) -> str:
        r = self.r()
        origin = team["origin"]
        if origin and origin != "CN":
            return origin if r < 0.8 else "CN"
        if origin == "CN":
            return "CN" if r < 0.85 else self.foreign_pick.pick(self.r())
        return "CN" if r < 0.7 else self.foreign_pick.pick(self.r())

    def project(self, override: dict[str, Any] | None = None) -> None:  # noqa: C901 - one project's story
        """One project and everything that hangs off it.

        Days are counted from today (negative: past). ``last`` is the day of the project's last timeline
        entry: within the past 30 days, or 31-240 days ago for a stale one; ``start`` (first contact, 研判) lies
        up to two years back, further for projects that came further. Every timeline entry lies between them.
        """
        o = override or {}
        r = self.r
        randint = self.randint
        pick = self.pick
        ts = self.ts
        ds = self.ds
        add = self.add
        nid = self.nid
        team = self.teams[o["team"]] if "team" in o else self.team_pick.pick(r())
        office = team["office"]
        officer = o.get("officer") or pick(team["members"])
        leader = team["leader"] if r() < 0.8 else pick(self.zone_leaders)
        stage: Stage = o.get("stage") or self.stage_pick.pick(r())
        k = stage.index
        status: ProjectStatus = o.get("status") or self.status_pick.pick(r())
        if k >= _I_CONSTRUCTION and status in (ProjectStatus.LOST, ProjectStatus.ABANDONED):
            status = ProjectStatus.DELAYED if status == ProjectStatus.LOST else ProjectStatus.DORMANT
        status_code = status.value
        closed = status in (ProjectStatus.LOST, ProjectStatus.ABANDONED)
        stale = o["stale"] if "stale" in o else r() < _STALE_SHARE[status]
        last = -randint(31, 240) if stale else -randint(1, 29)
        if "due" in o:
            last = min(last, o["due"] - 1)
        hi_cap = 730 + last
        lo = min(8 * k + 5, hi_cap)
        start = last - randint(lo, max(lo, min(hi_cap, 60 + 65 * (k - 1))))
        if "start" in o:
            start = min(start, o["start"])
        ev_max = min(last, o.get("events_before", last))

        # industry and company
        real_estate = o.get("real_estate") or (team["kind"] == "project_dept" and r() < 0.08)
        origin = "CN" if real_estate else self.origin_for(team)
        if real_estate:
            industry = D.REAL_ESTATE
        elif team["industry"] and r() < 0.85:
            industry = team["industry"]
        else:
            industry = self.industry_pick.pick(r())
        company = self.company_for(origin, industry, team, start - randint(0, 20))
        foreign = origin != "CN"
        if foreign:
            industry = company["industry"]
        product = pick(D.REAL_ESTATE_PRODUCTS if real_estate else D.INDUSTRY_WORDS[industry][1])
        phase = "二期" if company.get("_repeat") else ""
        title = f"{company['short']}{product}{phase}项目"

        # the stage path, on distinct days (some skip intent signing or commissioning)
        path = list(_STAGE_CODES[:k])
        if k >= _I_CONTRACT and r() < 0.10:
            path.remove("intent_signed")
        if k >= _I_PRODUCTION and r() < 0.25:
            path.remove("commissioning")
        m = len(path)
        # one day in each of m-1 equal slots after the start: distinct, increasing, spread out
        span = ev_max - start
        days = [start]
        for j in range(m - 1):
            lo_d = start + 1 + span * j // (m - 1)
            days.append(lo_d + int(r() * (start + span * (j + 1) // (m - 1) - lo_d + 1)))
        sday: dict[str, int] = dict(zip(path, days, strict=True))
        if k >= _I_CONTRACT:
            sday.setdefault("intent_signed", sday["contract_signed"])  # intent and contract signed at once
        if k >= _I_PRODUCTION:
            sday.setdefault("commissioning", sday["production"])
        pid = nid()
        leader_id = leader["id"]
        oid = officer["id"]
        latest = ""  # the latest timeline entry, kept as the project's last_entry_at

        # stage events; a few projects moved back once (with a reason) and forward again
        events: list[tuple[int, str | None, str, bool, str]] = []
        prev: str | None = None
        back_at = randint(4, m - 1) if m >= 6 and r() < 0.03 else -1
        for i in range(m):
            code, d = path[i], days[i]
            events.append((d, prev, code, False, ""))
            nxt = days[i + 1] if i + 1 < m else ev_max + 1
            if i == back_at and nxt - d >= 3:
                b1 = randint(d + 1, nxt - 2)
                events.append((b1, code, path[i - 1], True, pick(D.BACK_MOVE_REASONS)))
                events.append((randint(b1 + 1, nxt - 1), path[i - 1], code, False, ""))
            prev = code
        at = ""
        for d, frm, to, back, note in events:
            at = ts(d, office)
            add(
                "stage_event",
                {
                    "id": nid(),
                    "project_id": pid,
                    "kind": "stage",
                    "from_value": frm,
                    "to_value": to,
                    "at": at,
                    "by": oid if r() < 0.8 else leader_id,
                    "note": note,
                    "backwards": back,
                    "created_at": at,
                    "updated_at": at,
                    "created_by": oid,
                },
            )
        stage_since = latest = at
        status_reason = ""
        status_on = None
        lost_to = ""
        if not o.get("no_status_event") and status_code != "active":
            sd = randint(days[-1], ev_max)
            status_on = ds(sd)
            status_reason = pick(D.STATUS_REASONS[status_code])
            if status_code == "lost":
                lost_to = pick(D.LOST_TO)
            at = _after(ts(sd, office), stage_since)
            latest = max(latest, at)
            add(
                "stage_event",
                {
                    "id": nid(),
                    "project_id": pid,
                    "kind": "status",
                    "from_value": "active",
                    "to_value": status_code,
                    "at": at,
                    "by": oid,
                    "note": status_reason,
                    "created_at": at,
                    "updated_at": at,
                    "created_by": oid,
                },
            )

        # money, in 万元
        lo_w, hi_w = self.tier_pick.pick(r())
        total_w = randint(lo_w // 100, hi_w // 100) * 100 if lo_w >= 10_000 else randint(lo_w, hi_w)
        planned_w = max(500, int(total_w * (0.8 + 0.5 * r())) // 100 * 100)
        received_day = start - randint(0, 14)
        created = ts(start, office)
        p: dict[str, Any] = {
            "id": pid,
            "name": title,
            "company_id": company["id"],
            "owner_team_id": team["id"],
            "leader_id": leader_id,
            "service_officer_id": oid,
            "office_id": self.offices[office]["id"],
            "stage": stage.value,
            "stage_since": stage_since,
            "status": status_code,
            "status_reason": status_reason,
            "status_on": status_on,
            "lost_to": lost_to,
            "park_area": pick(_PARK_AREAS),
            "industry": industry,
            "is_real_estate": real_estate,
            "created_at": created,
            "updated_at": stage_since,
            "created_by": oid,
        }
        if r() < 0.05:
            p["co_introducer_id"] = pick(pick(self.team_list)["members"])["id"]
        if k >= 2:
            p["policy_asks"] = pick(D.POLICY_ASKS)
        if k >= _I_INTENT or r() < 0.85:
            p["planned_investment"] = _wan(planned_w)
        if k >= _I_INTENT:
            p["intent_signed_on"] = ds(sday["intent_signed"])
        land_need = None
        no_new_land = industry in ("融资租赁", "商贸服务") or r() < 0.22
        if not no_new_land:
            land_need = max(500, total_w * 100 // randint(200, 700))  # 亩 × 100, at 200-700万/亩
            p["land_need_mu"] = _centi(land_need)
        if k >= _I_CONTRACT:
            c_day = sday["contract_signed"]
            p["contract_signed_on"] = ds(c_day)
            if foreign and r() < 0.4:  # stated in the investor's currency, with the rate to CNY used
                currency = D.CAPITAL_CURRENCIES[origin][0]
                rate = D.RATE_TO_CNY[currency]
                step = Decimal(1_000_000) if currency in ("JPY", "KRW") else Decimal(10_000)
                amount = (Decimal(total_w * 10_000) / Decimal(rate) / step).to_integral_value() * step
                p["total_investment"] = format(amount, "f")
                p["total_investment_currency"] = currency
                p["total_investment_rate"] = rate
            else:
                p["total_investment"] = _wan(total_w)
                p["total_investment_rate"] = "1"
            p["fixed_asset_investment"] = _wan(int(total_w * (0.55 + 0.35 * r())))
            p["registered_capital"] = _wan(max(100, int(total_w * (0.2 + 0.3 * r())) // 100 * 100))
            output_w = int(total_w * (1.0 + 2.0 * r()))
            p["committed_output"] = _wan(output_w)
            p["committed_tax"] = _wan(max(10, int(output_w * (0.03 + 0.05 * r()))))
            p["committed_jobs"] = max(20, int(total_w / 100 * (0.5 + r())))
            if foreign:
                p["foreign_capital_contracted"] = _wan(max(100, int(total_w / 7.1 * (0.3 + 0.7 * r()))))
                p["foreign_capital_currency"] = "USD"
                p["foreign_capital_rate_usd"] = "1"
            if c_day >= -365 and not real_estate:
                band = band_for(Decimal(total_w * 10_000))
                if band is not None:
                    tally = self.signed_last_year
                    for owner in (team["id"], leader_id, team["dept"]):
                        tally[owner, band.value] = tally.get((owner, band.value), 0) + 1
        if k >= _I_REGISTERED:
            entity = company.get("_entity")
            if entity is None or not phase:
                if foreign:
                    name = f"{company['short']}（{D.ZONE_SHORT}）有限公司"
                else:
                    name = f"{D.ZONE_SHORT}{company['short']}{company['iw']}有限公司"
                entity = (name, self.credit_code(D.ZONE_DIVISION))
                company["_entity"] = entity  # a second phase invests through the same local entity
            p["registered_entity"], p["credit_code"] = entity
            p["registered_on"] = ds(sday["registered"])
        if k >= _I_LAND:
            land_day = sday["land_approved"]
            if land_need is None:
                p["no_new_land"] = True
            else:
                p["land_area_mu"] = _centi(max(300, land_need * randint(85, 110) // 100))
                year = ds(land_day)[:4]
                p["land_parcel"] = f"YH{year}-{randint(1, 199):03d}地块"
                p["land_approval_doc"] = f"云自然资批〔{year}〕{randint(1, 300)}号"
            p["land_approved_on"] = ds(land_day)
        if k >= _I_CONSTRUCTION:
            p["construction_start_on"] = ds(sday["construction"])
            p["construction_progress"] = (
                "已竣工" if k >= _I_PRODUCTION else f"主体结构完成{randint(2, 9) * 10}%"
            )
        if k >= _I_COMMISSIONING:
            p["equipment_readiness"] = "设备已全部调试完成" if k >= _I_PRODUCTION else "主要设备已进场调试"
        completion_day = None
        if k >= _I_PRODUCTION:
            prod = sday["production"]
            completion_day = max(sday["construction"], prod - randint(10, 60))
            p["production_start_on"] = ds(prod)
            p["completion_on"] = ds(completion_day)
            p["capacity"] = f"年产{product}{randint(2, 50) * 10}万件（套）"
        if k >= _I_EFFECTIVE:
            actual_w = int(output_w * (0.8 + 0.5 * r()))
            p["actual_output"] = _wan(actual_w)
            p["actual_tax"] = _wan(max(10, int(actual_w * (0.03 + 0.05 * r()))))
            p["actual_jobs"] = int(p["committed_jobs"] * (0.7 + 0.6 * r()))

        # the lead it came from (研判 → 转为项目: 首次接待即服务专员)
        channel = "stationed" if team["kind"] == "stationed" and r() < 0.5 else self.source_pick.pick(r())
        p["source_channel"] = channel
        lead_id = nid()
        p["lead_id"] = lead_id
        lead = {
            "id": lead_id,
            "title": title,
            "company_id": company["id"],
            "company_name": company["name"] if r() < 0.6 else company["short"],
            "source_channel": channel,
            "source_detail": pick(D.SOURCE_DETAILS[channel]),
            "estimated_investment": p.get("planned_investment"),
            "land_need_mu": p.get("land_need_mu"),
            "industry": industry,
            "office_id": p["office_id"],
            "team_id": team["id"],
            "received_by": oid,
            "received_on": ds(received_day),
            "status": "converted",
            "verdict": "real",
            "verdict_reason": pick(D.VERDICT_REAL),
            "verdict_by": team["leader"]["id"],
            "verdict_at": created,
            "project_id": pid,
            "created_at": ts(received_day, office),
            "updated_at": created,
            "created_by": oid,
        }
        contact_name = ""
        if r() < 0.1:
            lead["contact_id"], contact_name = self.contact(
                company, team, lead["created_at"], project_id=pid, lead_id=lead_id
            )
        add("lead", lead)
        self.project_leads.append((lead_id, team["key"], company))
        add("project", p)
        plan_id = nid()
        add(
            "service_plan",
            {
                "id": plan_id,
                "project_id": pid,
                "summary": f"专班推进，{pick(_PLAN_FOCUS)}等事项全程代办",
                "created_at": created,
                "updated_at": created,
                "created_by": oid,
            },
        )

        # visits and their follow-ups: the last visit is on the day of the last entry
        n_visits = 1 + (r() < 0.15) + (k >= 4 and r() < 0.1)
        vdays = sorted(randint(start, last) for _ in range(n_visits - 1))
        vdays.append(last)
        contact_label = contact_name or "企业" + pick(D.CONTACT_TITLES_CN)
        city = _OFFICE_CITY[office]
        for i, vd in enumerate(vdays):
            kind = self.visit_kind_pick.pick(r())
            who = officer if r() < 0.85 else team["leader"]
            at = ts(vd, office)
            latest = max(latest, at)
            vid = nid()
            next_step = pick(D.NEXT_STEPS)
            last_visit = i == n_visits - 1
            visit = {
                "id": vid,
                "project_id": pid,
                "officer_id": who["id"],
                "kind": kind,
                "occurred_at": at,
                "place": self._place(kind, city),
                "people": f"{who['name']}、{contact_label}",
                "summary": pick(D.VISIT_SUMMARIES[kind]).format(
                    title=pick(D.CONTACT_TITLES_CN), product=product, topic=pick(D.VISIT_TOPICS)
                ),
                "difficulties": pick(D.DIFFICULTIES),
                "policy_asks": pick(D.POLICY_ASKS),
                "next_step": next_step,
                "created_at": at,
                "updated_at": at,
                "created_by": who["id"],
            }
            add("visit", visit)
            if last_visit and "due" in o:
                due = o["due"]
            elif r() < 0.65 and not (last_visit and closed):
                due = vd + (randint(3, 30) if last_visit else randint(2, 21))
            else:
                continue
            visit["next_on"] = ds(due)
            fu = {
                "id": nid(),
                "project_id": pid,
                "visit_id": vid,
                "assignee_id": oid,
                "title": next_step,
                "due_on": ds(due),
                "created_at": at,
                "updated_at": at,
                "created_by": who["id"],
            }
            if not last_visit:  # done by the next visit (or on its due day), with what came of it
                done_at = max(at, ts(min(due, vdays[i + 1]), office))
                fu["done"] = True
                fu["done_at"] = done_at
                fu["outcome"] = pick(D.OUTCOMES)
                fu["updated_at"] = done_at
            add("follow_up", fu)

        # the service plan's items: a service once signed; the permit list from 证件办理 on
        if k >= _I_CONTRACT and r() < 0.3:
            c_day = sday["contract_signed"]
            kind_, title_, dept = pick(D.SERVICE_OTHER)
            at = self._service_item(
                pid, plan_id, kind_, None, title_, dept, oid, c_day, c_day + randint(30, 180), last, office
            )
            latest = max(latest, at)
        if k >= _I_PERMITS:
            p_day = sday["permits"]
            created_day = max(days[0], p_day - randint(0, 3))
            for permit, title_, dept in (D.PERMITS[0], *self.rng.sample(D.PERMITS[1:], 1 + (r() < 0.3))):
                at = self._service_item(
                    pid,
                    plan_id,
                    ServiceKind.PERMIT,
                    permit.value,
                    title_,
                    dept,
                    oid,
                    created_day,
                    p_day + randint(20, 120),
                    last,
                    office,
                    done_by=sday["construction"] if k > _I_PERMITS else None,
                )
                latest = max(latest, at)

        # contract milestones (履约): promised at signing, actual when reached
        if k >= _I_CONTRACT:
            c_day = sday["contract_signed"]
            created_at = ts(c_day, office)
            con_p = c_day + randint(120, 300)
            prod_p = con_p + randint(240, 420)
            plan = [
                ("registration", c_day + randint(30, 90), sday.get("registered")),
                ("construction_start", con_p, sday.get("construction")),
                ("production_start", prod_p, sday.get("production")),
            ]
            if land_need is not None and r() < 0.1:
                plan.append(("land_delivery", c_day + randint(60, 200), sday.get("land_approved")))
            if r() < 0.03:
                plan.append(("completion", prod_p - randint(30, 90), completion_day))
            if r() < 0.05:
                plan.append(("output_reached", prod_p + randint(365, 730), sday.get("effective")))
            for mk, promised, actual in plan:
                add(
                    "milestone",
                    {
                        "id": nid(),
                        "project_id": pid,
                        "kind": mk,
                        "promised_on": ds(min(promised, _DAY_RANGE)),
                        "actual_on": None if actual is None else ds(actual),
                        "note": _MILESTONE_NOTES[mk],
                        "created_at": created_at,
                        "updated_at": created_at,
                        "created_by": oid,
                    },
                )

        # foreign capital received (到位外资), each receipt at its recorded rate
        if foreign and k >= _I_REGISTERED:
            currency, rate = D.CAPITAL_CURRENCIES[origin]
            contracted_usd = int(p["foreign_capital_contracted"])
            reg_day = sday["registered"]
            for _ in range(1 + (r() < 0.4)):
                rd = randint(reg_day, last)
                usd = Decimal(contracted_usd) * Decimal(randint(10, 45)) / 100
                if currency == "USD":
                    amount = amount_usd = usd.quantize(Decimal(1))
                else:
                    rate_d = Decimal(rate)
                    step = Decimal(10_000) if currency in ("JPY", "KRW") else Decimal(100)
                    amount = (usd / rate_d / step).to_integral_value() * step
                    amount_usd = (amount * rate_d).quantize(Decimal("0.01"))
                at = ts(rd, office)
                add(
                    "capital_receipt",
                    {
                        "id": nid(),
                        "project_id": pid,
                        "received_on": ds(rd),
                        "amount": format(amount, "f"),
                        "currency": currency,
                        "rate_to_usd": rate,
                        "amount_usd": format(amount_usd, "f"),
                        "note": "外汇局资本金入账",
                        "created_at": at,
                        "updated_at": at,
                        "created_by": oid,
                    },
                )

        # notes: 督办意见 on late or delayed projects, the owner's reason on some stale ones, remarks
        late = k == _I_CONTRACT and sday["contract_signed"] + 90 < 0
        if o.get("supervise") or ((status_code == "delayed" or late) and r() < 0.35):
            at = self._note(
                pid,
                "supervision",
                pick(D.SUPERVISION_NOTES),
                pick(self.supervisors),
                randint(max(start, last - 20), last),
                office,
            )
            latest = max(latest, at)
        if stale and not closed and r() < 0.15:
            p["stale_reason"] = reason = pick(D.STALE_REASONS)
            latest = max(latest, self._note(pid, "stale_reason", reason, officer, last, office))
        if r() < 0.05:
            at = self._note(pid, "note", pick(D.GENERAL_NOTES), officer, randint(start, last), office)
            latest = max(latest, at)
        p["last_entry_at"] = latest

    def _place(self, kind: str, city: str) -> str:
        if kind == "visit":
            return f"{city} · {self.pick(('企业总部', '企业研发中心', '企业生产基地'))}"
        if kind == "reception":
            return f"{D.ZONE_NAME}管委会"
        if kind == "inspection":
            return self.pick(("项目现场", "园区标准厂房", "拟选址地块"))
        if kind == "meeting":
            return self.pick(("园区管委会会议室", f"{city}驻点办公室"))
        if kind == "event":
            return f"{D.ZONE_NAME}投资推介会（{city}）"
        return ""

    def _service_item(
        self,
        pid: str,
        plan_id: str,
        kind: ServiceKind,
        permit: str | None,
        title: str,
        dept: str,
        oid: str,
        created_day: int,
        due_day: int,
        last: int,
        office: str,
        *,
        done_by: int | None = None,
    ) -> str:
        """One item of the service plan; returns its creation time. ``done_by``: done by then for sure."""
        r = self.r()
        at = self.ts(created_day, office)
        row: dict[str, Any] = {
            "id": self.nid(),
            "plan_id": plan_id,
            "project_id": pid,
            "kind": kind.value,
            "permit_type": permit,
            "title": title,
            "responsible": dept,
            "responsible_officer_id": oid,
            "due_on": self.ds(min(due_day, _DAY_RANGE)),
            "created_at": at,
            "updated_at": at,
            "created_by": oid,
        }
        if done_by is not None or (due_day < last and r < 0.6):
            hi = min(due_day, last if done_by is None else done_by)
            row["state"] = "done"
            row["done_on"] = self.ds(self.randint(created_day, max(created_day, hi)))
        else:
            row["state"] = "in_progress" if r < 0.75 else "open" if r < 0.92 else "blocked"
        self.add("service_item", row)
        return at

    def _note(
        self, pid: str | None, kind: str, body: str, author: dict[str, Any], day: int, office: str
    ) -> str:
        """A note on the project's timeline; returns its time."""
        at = self.ts(day, office)
        self.add(
            "note",
            {
                "id": self.nid(),
                "project_id": pid,
                "kind": kind,
                "body": body,
                "author_id": author["id"],
                "at": at,
                "created_at": at,
                "updated_at": at,
                "created_by": author["id"],
            },
        )
        return at

    # --- leads that are not projects (yet) -----------------------------------------------------------------------

    def extra_lead(self) -> None:
        """A lead waiting for screening, screened, rejected, or a duplicate of another team's lead."""
        r = self.r
        pick = self.pick
        kind = self.extra_lead_pick.pick(r())
        team = self.team_pick.pick(r())
        office = team["office"]
        officer = pick(team["members"])
        held = None
        if kind == "duplicate" or (kind == "new" and r() < 0.3):
            # the same investor already followed by another team (首谈负责): 查重 must find it
            for _ in range(5):
                cand = pick(self.project_leads)
                if cand[1] != team["key"]:
                    held = cand
                    break
            if held is None:
                kind = "screened"
        if kind == "new":
            received = -self.randint(1, 20)
        else:
            received = -self.randint(10, 200)
        if held is not None:
            company = held[2]
            industry = company["industry"]
        else:
            origin = self.origin_for(team)
            industry = team["industry"] or self.industry_pick.pick(r())
            company = self.new_company(origin, industry, team, received) or pick(self.companies[origin])
            industry = company["industry"]
        product = pick(D.INDUSTRY_WORDS.get(industry, D.INDUSTRY_WORDS["商贸服务"])[1])
        lid = self.nid()
        at = self.ts(received, office)
        channel = self.source_pick.pick(r())
        est = self.tier_pick.pick(r())
        lead: dict[str, Any] = {
            "id": lid,
            "title": f"{company['short']}{product}项目",
            "company_id": company["id"] if held is None or r() < 0.5 else None,
            "company_name": company["short"] if held is not None else company["name"],
            "source_channel": channel,
            "source_detail": pick(D.SOURCE_DETAILS[channel]),
            "estimated_investment": _wan(self.randint(est[0], est[1])) if r() < 0.8 else None,
            "industry": industry,
            "office_id": self.offices[office]["id"],
            "team_id": team["id"],
            "received_by": officer["id"],
            "received_on": self.ds(received),
            "status": LeadStatus.NEW.value,
            "created_at": at,
            "updated_at": at,
            "created_by": officer["id"],
        }
        if kind != "new":
            vday = received + self.randint(1, 9)
            lead["verdict_by"] = team["leader"]["id"]
            lead["verdict_at"] = self.ts(vday, office)
            lead["updated_at"] = lead["verdict_at"]
            if kind == "screened":
                real = r() < 0.6
                lead["verdict"] = (Verdict.REAL if real else Verdict.DOUBTFUL).value
                lead["verdict_reason"] = pick(D.VERDICT_REAL if real else D.VERDICT_DOUBTFUL)
                lead["status"] = LeadStatus.SCREENED.value
            elif kind == "rejected":
                lead["verdict"] = Verdict.REJECTED.value
                lead["verdict_reason"] = pick(D.VERDICT_REJECTED)
                lead["status"] = LeadStatus.REJECTED.value
            else:
                assert held is not None
                lead["verdict"] = Verdict.REAL.value
                lead["verdict_reason"] = D.DUPLICATE_REASON.format(team=self.teams[held[1]]["name"])
                lead["status"] = LeadStatus.DUPLICATE.value
                lead["duplicate_of"] = held[0]
        if r() < 0.4:
            lead["contact_id"] = self.contact(company, team, at, lead_id=lid)[0]
        self.add("lead", lead)
        if kind in ("new", "screened") and r() < 0.4:
            vd = min(-1, received + self.randint(0, 10))
            vat = self.ts(vd, office)
            self.add(
                "visit",
                {
                    "id": self.nid(),
                    "lead_id": lid,
                    "officer_id": officer["id"],
                    "kind": self.pick(("call", "video", "visit")),
                    "occurred_at": vat,
                    "summary": f"初步了解{product}项目投资意向",
                    "next_step": "提交研判材料",
                    "created_at": vat,
                    "updated_at": vat,
                    "created_by": officer["id"],
                },
            )
        if kind == "screened" and r() < 0.5:
            due = received + self.randint(10, 60)
            fts = self.ts(received + 1, office)
            self.add(
                "follow_up",
                {
                    "id": self.nid(),
                    "lead_id": lid,
                    "assignee_id": officer["id"],
                    "title": "补充企业投资主体和资金来源材料",
                    "due_on": self.ds(due),
                    "created_at": fts,
                    "updated_at": fts,
                    "created_by": officer["id"],
                },
            )

    # --- targets -------------------------------------------------------------------------------------------------

    def targets(self) -> None:
        """This year's 任务分解表 per team, leader and department: about last year's pace, a little more."""
        year = self.today.year
        ts = self.ts(-min(self.today.timetuple().tm_yday, 300), "sh")
        author = self.supervisors[0]["id"]
        owners: list[tuple[TargetOwnerKind, str, str]] = []
        for team in self.team_list:
            owners.append((TargetOwnerKind.TEAM, team["id"], team["name"]))
        for leader in [t["leader"] for t in self.team_list] + self.zone_leaders:
            owners.append((TargetOwnerKind.LEADER, leader["id"], leader["name"]))
        for dept in sorted({t["dept"] for t in self.team_list}):
            owners.append((TargetOwnerKind.DEPARTMENT, dept, dept))
        for kind, owner_id, owner_name in owners:
            for band in BANDS_DESC:
                pace = self.signed_last_year.get((owner_id, band.value), 0)
                count = max(1 if band not in (BANDS_DESC[0],) else 0, round(pace * (0.9 + 0.5 * self.r())))
                self.add(
                    "target",
                    {
                        "id": self.nid(),
                        "year": year,
                        "owner_kind": kind.value,
                        "owner_id": owner_id,
                        "owner_name": owner_name,
                        "band": band.value,
                        "count": count,
                        "created_at": ts,
                        "updated_at": ts,
                        "created_by": author,
                    },
                )

    # --- batches -------------------------------------------------------------------------------------------------

    def take(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """The rows built since the last call, parents first; clears them."""
        out = []
        for entity in _ENTITY_ORDER:
            rows = self.rows[entity]
            if rows:
                out.append((entity, rows))
                self.counts[entity] += len(rows)
                self.rows[entity] = []
        return out


def _latin_stem(a: tuple[str, ...], b: tuple[str, ...]) -> str:
    """A Latin stem for a website from the halves of an invented foreign name."""
    first = a[1] if len(a) > 2 else a[0]
    second = b[1] if len(b) > 2 else b[0]
    return "".join(ch for ch in first + second if ch.isascii() and ch.isalnum())


def _showcase(seeder: _Seeder) -> list[dict[str, Any]]:
    """Projects of the demo officer that make the dashboard worth opening."""
    me = seeder.demo_officer
    return [
        {
            "team": "s_sh",
            "officer": me,
            "stage": Stage.NEGOTIATING,
            "status": ProjectStatus.ACTIVE,
            "stale": False,
            "due": 0,
        },
        {
            "team": "s_sh",
            "officer": me,
            "stage": Stage.CONTRACT_SIGNED,
            "status": ProjectStatus.ACTIVE,
            "stale": False,
            "due": 0,
            "start": -420,
            "events_before": -120,
            "supervise": True,
        },
        {
            "team": "s_sh",
            "officer": me,
            "stage": Stage.PERMITS,
            "status": ProjectStatus.ACTIVE,
            "stale": False,
            "due": 0,
        },
        {
            "team": "s_sh",
            "officer": me,
            "stage": Stage.INTENT_SIGNED,
            "status": ProjectStatus.ACTIVE,
            "stale": False,
            "due": -4,
        },
        {
            "team": "s_sh",
            "officer": me,
            "stage": Stage.NEGOTIATING,
            "status": ProjectStatus.ACTIVE,
            "stale": True,
        },
        {
            "team": "s_sh",
            "officer": me,
            "stage": Stage.CONSTRUCTION,
            "status": ProjectStatus.DELAYED,
            "stale": True,
        },
        {
            "team": "s_sh",
            "officer": me,
            "stage": Stage.SCREENING,
            "status": ProjectStatus.ACTIVE,
            "stale": False,
            "due": 3,
        },
        {
            "team": "s_sh",
            "officer": me,
            "stage": Stage.EFFECTIVE,
            "status": ProjectStatus.ACTIVE,
            "stale": False,
        },
    ]


def _batches(seed: int, today: date, id_salt: int, synced: bool, projects: int) -> Iterator[tuple[Any, ...]]:
    """The dataset as messages: ``("header", info)``, ``("rows", n_projects, [(entity, rows), …])``…,
    ``("end", counts)``. The same arguments give the same messages, in this process or another."""
    seeder = _Seeder(seed=seed, today=today, id_salt=id_salt, synced=synced)
    seeder.organisation()
    me = seeder.demo_officer
    team = seeder.teams["s_sh"]
    office = seeder.offices[team["office"]]
    identity = {  # who this laptop is, under the keys the sync keeps it (store.sync_state.IDENTITY_KEYS)
        "officer_id": me["id"],
        "officer_name": me["name"],
        "role": me["role"],
        "team_id": team["id"],
        "team_name": team["name"],
        "office_id": office["id"],
        "office_name": office["name"],
    }
    yield ("header", {"actor": seeder.admin["id"], "identity": identity})
    showcase = _showcase(seeder)
    # then one project in each stage, the first five also in each status: every stage and status appears
    statuses = list(ProjectStatus)
    for i, stage in enumerate(STAGES):
        status = statuses[i] if i < len(statuses) else ProjectStatus.ACTIVE
        showcase.append({"stage": stage, "status": status})
    showcase.append(
        {"team": "p1", "stage": Stage.CONSTRUCTION, "real_estate": True}
    )  # 房地产: not in targets
    showcase.append({"team": "p2", "stage": Stage.CONTRACT_SIGNED, "real_estate": True})
    done = 0
    while done < projects:
        n = min(CHUNK_PROJECTS, projects - done)
        for i in range(done, done + n):
            seeder.project(showcase[i] if i < len(showcase) else None)
            if seeder.r() < _EXTRA_LEAD_SHARE:
                seeder.extra_lead()
        done += n
        if done >= projects:
            seeder.targets()
        yield ("rows", n, seeder.take())
    yield ("end", dict(seeder.counts))


def _produce(out: Any, seed: int, today: str, id_salt: int, synced: bool, projects: int) -> None:
    """Entry point of the generator process: every message of :func:`_batches` into ``out``."""
    try:
        for message in _batches(seed, date.fromisoformat(today), id_salt, synced, projects):
            out.put(marshal.dumps(message))  # plain dicts, lists and text: marshal is the cheapest to read
    except BaseException:
        out.put(marshal.dumps(("error", traceback.format_exc())))


def _spare_core() -> bool:
    """Whether building the rows in a second process pays: two cores or more, not already saturated.

    Handing rows between processes costs about an eighth more CPU in all (measured: 46 CPU-s against 41 for
    100,000 projects). Since the indexes are built after the rows, writing is light enough that on two cores
    the overlap wins: on a shared two-core machine, 40-51 s with the second process against 55-81 s without
    (the same hour, loads 3-6). Only when the load already exceeds the cores is one process kinder.
    """
    cores = os.cpu_count() or 1
    if cores < 2:
        return False
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows: no load average
        return True
    return load < cores


@contextmanager
def _messages(
    seed: int, today: date, id_salt: int, synced: bool, projects: int, parallel: bool
) -> Iterator[Iterator[tuple[Any, ...]]]:
    """The messages of :func:`_batches`, built here or — for a large dataset — in a second process.

    SQLite inserts take one core; building the rows takes about half as long again. In a second process the
    next batch is built while this one is written. The generator process is stopped (by its handle) if the
    writing fails.
    """
    if not parallel:
        yield _batches(seed, today, id_salt, synced, projects)
        return
    ctx = multiprocessing.get_context("spawn")  # the same on Linux, macOS and Windows
    out = ctx.Queue(maxsize=3)
    proc = ctx.Process(
        target=_produce,
        args=(out, seed, today.isoformat(), id_salt, synced, projects),
        name="zsfield-seed-generator",
        daemon=True,
    )
    proc.start()

    def receive() -> Iterator[tuple[Any, ...]]:
        while True:
            try:
                message = marshal.loads(out.get(timeout=1.0))
            except queue.Empty:
                if not proc.is_alive():
                    raise RuntimeError(
                        f"the demo data generator stopped unexpectedly (exit code {proc.exitcode})"
                    ) from None
                continue
            if message[0] == "error":
                raise RuntimeError("the demo data generator failed:\n" + message[1])
            yield message
            if message[0] == "end":
                return

    try:
        yield receive()
    except BaseException:
        proc.terminate()  # the writing failed: the rest of the dataset is not wanted
        raise
    finally:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
            proc.join()
        out.close()


def _seed_pragmas(store: Any) -> None:
    """The seeding store's own connections: ``synchronous=NORMAL`` (WAL stays; the seed is one transaction, so
    it saves the fsync of a WAL the size of the whole dataset at commit, and a crash loses at most that
    transaction, never consistency — the file a failed seed created is removed anyway)."""
    from sqlalchemy import event

    @event.listens_for(store.engine, "connect")
    def _normal(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")


def seed_database(
    path: str | Path,
    *,
    projects: int,
    seed: int = 7,
    outbox: bool = False,
    force: bool = False,
    today: date | None = None,
    parallel: bool | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SeedReport:
    """Write the demo dataset into the database at ``path`` (created and migrated if missing).

    Same ``seed`` and ``today`` → the same rows. Refuses (:class:`DatabaseNotEmpty`) a database that already
    has projects unless ``force``. One transaction: the dataset is there entirely or not at all (a file this
    call created is removed again on failure). ``parallel`` builds the rows in a second process (default:
    from :data:`PARALLEL_FROM` projects with a core to spare); the rows are the same either way.
    Returns counts per entity, the seconds taken and the path.
    """
    from zsfield.store import indexes
    from zsfield.store.db import Store, set_state

    if projects < 1:
        raise ValueError("projects must be at least 1")
    started = time.perf_counter()
    path = Path(path)
    today = today or date.today()
    if parallel is None:
        parallel = projects >= PARALLEL_FROM and _spare_core()
    created_here = not path.exists()
    store = Store.open(path)
    _seed_pragmas(store)
    try:
        existing = int(store.scalar("SELECT count(*) FROM project") or 0)
        if existing and not force:
            raise DatabaseNotEmpty("seed.not_empty", path=path, count=f"{existing:,}")
        with _messages(seed, today, existing, not outbox, projects, parallel) as messages:
            _, header = next(messages)
            counts: dict[str, int] = {}
            with store.write(header["actor"], outbox=outbox) as w:
                # a larger page cache for this one connection: a big dataset's indexes stay in memory
                w.session.connection().exec_driver_sql(f"PRAGMA cache_size=-{_SEED_CACHE_KIB}")
                # into a database without projects: the plain indexes are built once the rows are in, inside
                # this one transaction (the file never has another schema than the migrated one)
                deferred = indexes.drop(w.session.connection(), _ENTITY_ORDER) if not existing else []
                done = 0
                for message in messages:
                    if message[0] == "end":
                        counts = message[1]
                        break
                    _, n, batch = message
                    for entity, rows in batch:
                        w.insert_rows(entity, rows)
                    w.finish()  # this batch's outbox ops and last-entry times (bounds memory)
                    done += n
                    if progress is not None:
                        progress(done, projects)
                indexes.create(w.session.connection(), deferred)
                for key, value in header["identity"].items():
                    set_state(w.session, key, value)
                set_state(w.session, "demo", "1")
        outbox_ops = store.scalar("SELECT count(*) FROM outbox")
    except BaseException:
        store.close()
        if created_here:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        raise
    store.close()
    counts = {e: counts.get(e, 0) for e in _ENTITY_ORDER}
    return {
        "database": str(path),
        "projects": projects,
        "seed": seed,
        "today": today.isoformat(),
        "counts": counts,
        "rows": sum(counts.values()),
        "outbox_ops": outbox_ops,
        "officer_id": header["identity"]["officer_id"],
        "officer": header["identity"]["officer_name"],
        "seconds": round(time.perf_counter() - started, 3),
    }
