"""Look-ups for forms and pickers: select options, project leaders, the convert-to-project choices, the
companies for the duplicate check (names, index, fingerprint) and who holds a company's leads and projects
(首谈负责). No Textual here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import text

from zsfield.domain.company_match import CompanyIndex, stored_names
from zsfield.store.db import Store
from zsfield.store.read.common import as_date, as_dt, like_pattern


@dataclass(frozen=True)
class Option:
    id: str
    name: str
    extra: str = ""


def options(
    store: Store, entity: Literal["team", "officer", "office", "company"], *, role: str | None = None
) -> list[Option]:
    """(id, name) pairs for select widgets, sorted by name."""
    extra = {"team": "office_id", "officer": "team_id", "office": "tz", "company": "industry"}[entity]
    sql = f"SELECT id, name, COALESCE({extra}, '') FROM {entity} WHERE deleted = 0"
    params: dict[str, Any] = {}
    if role and entity == "officer":
        sql += " AND role = :role"
        params["role"] = role
    sql += " ORDER BY name"
    with store.engine.connect() as conn:
        return [Option(*r) for r in conn.execute(text(sql), params)]


@dataclass(frozen=True)
class HeldRecord:
    """A lead or project on a company, and the team that holds it (首谈负责: first contact holds the lead)."""

    kind: Literal["lead", "project"]
    id: str
    title: str
    company_id: str
    company: str
    team_id: str | None
    team: str
    officer: str  # who received the lead / the project's service officer
    since: date | None  # received on / the project's creation day
    status: str  # LeadStatus or ProjectStatus value
    stage: str | None  # the project's stage (None for a lead)


def leads_for_companies(
    store: Store,
    company_ids: list[str] | tuple[str, ...],
    *,
    exclude_lead_id: str | None = None,
    limit: int = 50,
) -> list[HeldRecord]:
    """Live leads on any of ``company_ids``, earliest received first (the first holds it), with their teams."""
    ids = [c for c in dict.fromkeys(company_ids) if c]
    if not ids:
        return []

    sql = """
    SELECT l.id, l.title, l.company_id, COALESCE(c.name, l.company_name), l.team_id, COALESCE(t.name, ''),
           COALESCE(r.name, ''), l.received_on, l.status
    FROM lead l
    LEFT JOIN company c ON c.id = l.company_id
    LEFT JOIN team t ON t.id = l.team_id
    LEFT JOIN officer r ON r.id = l.received_by
    WHERE l.deleted = 0 AND l.company_id IN (SELECT value FROM json_each(:ids)) AND l.id != :exclude
    ORDER BY l.received_on, l.id LIMIT :limit"""
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(sql), {"ids": json.dumps(ids), "exclude": exclude_lead_id or "", "limit": limit}
        ).all()
    return [
        HeldRecord("lead", r[0], r[1], r[2], r[3], r[4], r[5], r[6], as_date(r[7]), r[8], None) for r in rows
    ]


def projects_for_companies(
    store: Store, company_ids: list[str] | tuple[str, ...], *, limit: int = 50
) -> list[HeldRecord]:
    """Live projects on any of ``company_ids``, oldest first, with their owner teams."""
    ids = [c for c in dict.fromkeys(company_ids) if c]
    if not ids:
        return []

    sql = """
    SELECT p.id, p.name, p.company_id, COALESCE(c.name, ''), p.owner_team_id, COALESCE(t.name, ''),
           COALESCE(s.name, ''), p.created_at, p.status, p.stage
    FROM project p
    LEFT JOIN company c ON c.id = p.company_id
    LEFT JOIN team t ON t.id = p.owner_team_id
    LEFT JOIN officer s ON s.id = p.service_officer_id
    WHERE p.deleted = 0 AND p.company_id IN (SELECT value FROM json_each(:ids))
    ORDER BY p.created_at, p.id LIMIT :limit"""
    with store.engine.connect() as conn:
        rows = conn.execute(text(sql), {"ids": json.dumps(ids), "limit": limit}).all()
    out = []
    for r in rows:
        created = as_dt(r[7])
        out.append(
            HeldRecord(
                "project",
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                created.date() if created else None,
                r[8],
                r[9],
            )
        )
    return out


def company_index_key(store: Store) -> tuple[int, str]:
    """A cheap fingerprint of the company table (count, latest change), to know when a cached
    :class:`~zsfield.domain.company_match.CompanyIndex` must be rebuilt."""
    with store.engine.connect() as conn:
        n, latest = conn.execute(text("SELECT count(*), max(updated_at) FROM company")).one()
    return int(n or 0), latest or ""


def find_company_by_name(store: Store, name: str) -> str | None:
    """The id of the company whose legal name is exactly ``name`` (None when there is none)."""
    with store.engine.connect() as conn:
        r = conn.execute(
            text("SELECT id FROM company WHERE name = :n AND deleted = 0 ORDER BY id LIMIT 1"),
            {"n": name.strip()},
        ).first()
    return r[0] if r else None


def project_leaders(store: Store) -> list[Option]:
    """Officers who lead at least one project (包保领导), for the project list's leader filter."""
    sql = (
        "SELECT id, name, COALESCE(team_id, '') FROM officer WHERE deleted = 0 AND id IN "
        "(SELECT DISTINCT leader_id FROM project WHERE deleted = 0 AND leader_id IS NOT NULL) ORDER BY name, id"
    )
    with store.engine.connect() as conn:
        return [Option(*r) for r in conn.execute(text(sql))]


# --- TUI part A (continued): the convert-to-project form (转为项目) ---------------------------------------


@dataclass(frozen=True)
class ConvertChoices:
    """Who can own a converted lead: teams (with their leader), leaders (包保领导) and service officers."""

    teams: list[Option]  # extra: the team's leader id ('' if none)
    leaders: list[Option]  # extra: the leader's team name
    officers: list[Option]  # extra: the officer's team name


def convert_choices(store: Store) -> ConvertChoices:
    """The choices of the convert-to-project form (转为项目), sorted by name; inactive officers left out."""
    with store.engine.connect() as conn:
        teams = [
            Option(*r)
            for r in conn.execute(
                text("SELECT id, name, COALESCE(leader_id, '') FROM team WHERE deleted = 0 ORDER BY name, id")
            )
        ]
        people = conn.execute(
            text(
                "SELECT o.id, o.name, COALESCE(t.name, ''), o.role FROM officer o "
                "LEFT JOIN team t ON t.id = o.team_id WHERE o.deleted = 0 AND o.active = 1 ORDER BY o.name, o.id"
            )
        ).all()
    leaders = [Option(r[0], r[1], r[2]) for r in people if r[3] == "leader"]
    officers = [Option(r[0], r[1], r[2]) for r in people if r[3] in ("officer", "leader")]
    return ConvertChoices(teams, leaders, officers)


def companies_named_like(store: Store, term: str, *, limit: int = 6) -> list[Option]:
    """Companies whose legal name or an alias contains ``term`` (shortest names first): the duplicate
    check's answer while the in-memory company index is still being built. ``extra`` is the legal name."""
    term = term.strip()
    if len(term) < 2:
        return []
    sql = (
        "SELECT id, name, name FROM company WHERE deleted = 0 AND (name LIKE :q ESCAPE '\\' "
        "OR aliases LIKE :q ESCAPE '\\') ORDER BY length(name), name, id LIMIT :limit"
    )
    with store.engine.connect() as conn:
        return [Option(*r) for r in conn.execute(text(sql), {"q": like_pattern(term), "limit": limit})]


def company_names(store: Store) -> list[tuple[str, list[str], str | None]]:
    """(id, [legal name, *aliases], credit code) of every live company: the rows a
    :class:`~zsfield.domain.company_match.CompanyIndex` is built from (by a caller that paces the build)."""
    return [(r[0], stored_names(r[1], r[2]), r[3]) for r in _company_rows(store)]


def company_index(store: Store) -> tuple[CompanyIndex, dict[str, str]]:
    """A :class:`CompanyIndex` of every live company (built at once), and id → legal name for display."""
    rows = _company_rows(store)
    names = {r[0]: r[1] for r in rows}
    index = CompanyIndex((r[0], stored_names(r[1], r[2]), r[3]) for r in rows)
    return index, names


def _company_rows(store: Store) -> list[Any]:
    with store.engine.connect() as conn:
        return list(
            conn.execute(text("SELECT id, name, aliases, credit_code FROM company WHERE deleted = 0"))
        )
