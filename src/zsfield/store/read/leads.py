"""The lead inbox (线索): filter as you type, newest received first. No Textual here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from zsfield.domain.enums import LeadStatus
from zsfield.store.db import Store
from zsfield.store.read.common import Page, as_date, as_dec, like_pattern


@dataclass(frozen=True)
class LeadRow:
    id: str
    title: str
    company: str
    source_channel: str
    industry: str
    office: str
    team: str
    team_id: str | None
    received_by: str
    received_on: date | None
    status: LeadStatus
    verdict: str | None
    estimated_investment: Decimal | None
    estimated_currency: str


def list_leads(
    store: Store,
    *,
    text_filter: str = "",
    status: LeadStatus | None = None,
    team_id: str | None = None,
    offset: int = 0,
    limit: int = 200,
) -> Page[LeadRow]:
    """The lead inbox: filter as you type by title, company, source, industry or office."""
    clauses = ["l.deleted = 0"]
    params: dict[str, Any] = {}
    if text_filter.strip():
        clauses.append(
            "(l.title LIKE :q ESCAPE '\\' OR l.company_name LIKE :q ESCAPE '\\' OR l.industry LIKE :q ESCAPE '\\' "
            "OR l.source_channel IN (SELECT value FROM json_each(:channels)) OR o.name LIKE :q ESCAPE '\\' "
            "OR o.name_en LIKE :q ESCAPE '\\')"
        )
        params["q"] = like_pattern(text_filter.strip())
        params["channels"] = _matching_channels(text_filter.strip())
    if status is not None:
        clauses.append("l.status = :status")
        params["status"] = LeadStatus(status).value
    if team_id:
        clauses.append("l.team_id = :team_id")
        params["team_id"] = team_id
    where = " AND ".join(clauses)
    base = "FROM lead l LEFT JOIN office o ON o.id = l.office_id LEFT JOIN team t ON t.id = l.team_id LEFT JOIN officer r ON r.id = l.received_by"
    sql = (
        "SELECT l.id, l.title, l.company_name, l.source_channel, l.industry, COALESCE(o.name, ''), COALESCE(t.name, ''), "
        "l.team_id, COALESCE(r.name, ''), l.received_on, l.status, l.verdict, l.estimated_investment, l.estimated_currency "
        f"{base} WHERE {where} ORDER BY l.received_on DESC, l.id LIMIT :limit OFFSET :offset"
    )
    with store.engine.connect() as conn:
        rows = [
            LeadRow(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                as_date(r[9]),
                LeadStatus(r[10]),
                r[11],
                as_dec(r[12]),
                r[13],
            )
            for r in conn.execute(text(sql), {**params, "limit": limit, "offset": offset})
        ]
        total = conn.execute(text(f"SELECT count(*) {base} WHERE {where}"), params).scalar()
    return Page(rows, int(total or 0), offset, limit)


def _matching_channels(term: str) -> str:
    """Source channels whose code or label (either language) contains ``term``, as a JSON list."""
    import json

    from zsfield.domain.enums import SourceChannel

    t = term.casefold()
    hits = [
        c.value
        for c in SourceChannel
        if t in c.value or t in c.label("zh").casefold() or t in c.label("en").casefold()
    ]
    return json.dumps(hits)
