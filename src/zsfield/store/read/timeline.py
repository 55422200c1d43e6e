"""The timeline of a project or a lead: visits, follow-ups, stage and status events, service items and
notes in one ordered, paged view. No Textual here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.engine import Connection

from zsfield.store.db import Store
from zsfield.store.read.common import Page, as_dt, in_clause

TimelineKind = Literal["visit", "follow_up", "stage_event", "service_item", "note"]


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a project's or lead's history, whatever its kind."""

    kind: TimelineKind
    id: str
    at: datetime
    who: str
    title: str
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


_TIMELINE_SQL = """
SELECT * FROM (
  SELECT 'visit' AS kind, v.id, v.occurred_at AS at, COALESCE(o.name, '') AS who, v.kind AS sub, v.summary AS title,
         v.difficulties AS d1, v.next_step AS d2, v.place AS d3, v.next_on AS d4
  FROM visit v LEFT JOIN officer o ON o.id = v.officer_id WHERE v.{col} = :id AND v.deleted = 0
  UNION ALL
  SELECT 'follow_up', f.id, f.created_at, COALESCE(o.name, ''), CASE WHEN f.done THEN 'done' ELSE 'open' END, f.title,
         f.outcome, f.due_on, '', f.done_at
  FROM follow_up f LEFT JOIN officer o ON o.id = f.assignee_id WHERE f.{col} = :id AND f.deleted = 0
  UNION ALL
  SELECT 'stage_event', e.id, e.at, COALESCE(o.name, ''), e.kind, e.to_value, e.note, e.from_value,
         CASE WHEN e.backwards THEN 'back' ELSE '' END, ''
  FROM stage_event e LEFT JOIN officer o ON o.id = e.by WHERE e.{col} = :id AND e.deleted = 0
  UNION ALL
  SELECT 'service_item', si.id, si.created_at, si.responsible, si.state, si.title, si.note, si.due_on, si.kind,
         si.done_on
  FROM service_item si WHERE si.{col} = :id AND si.deleted = 0
  UNION ALL
  SELECT 'note', n.id, n.at, COALESCE(o.name, ''), n.kind, n.body, '', '', '', ''
  FROM note n LEFT JOIN officer o ON o.id = n.author_id WHERE n.{col} = :id AND n.deleted = 0
) ORDER BY at DESC, id LIMIT :limit OFFSET :offset
"""


def timeline(
    store: Store,
    *,
    project_id: str | None = None,
    lead_id: str | None = None,
    offset: int = 0,
    limit: int = 200,
) -> Page[TimelineEntry]:
    """The ordered history (newest first) of a project or a lead: visits, follow-ups, stage and status events,
    service items and notes. ``service_item`` has no lead, so a lead's timeline simply has none."""
    if bool(project_id) == bool(lead_id):
        raise ValueError("give exactly one of project_id, lead_id")
    col = "project_id" if project_id else "lead_id"
    rid = project_id or lead_id
    sql = _TIMELINE_SQL.replace("{col}", col)
    if lead_id:  # stage events and service items belong to projects only
        sql = sql.replace("WHERE si.lead_id = :id", "WHERE 0").replace("WHERE e.lead_id = :id", "WHERE 0")
    entries: list[TimelineEntry] = []
    with store.engine.connect() as conn:
        for r in conn.execute(text(sql), {"id": rid, "limit": limit, "offset": offset}):
            kind, eid, at, who, sub, title, d1, d2, d3, d4 = r
            entries.append(
                TimelineEntry(
                    kind=kind,
                    id=eid,
                    at=as_dt(at) or datetime.now(UTC),
                    who=who or "",
                    title=title or "",
                    detail=d1 or "",
                    extra={"sub": sub, "d2": d2, "d3": d3, "d4": d4},
                )
            )
        total = _timeline_total(conn, col, rid)  # type: ignore[arg-type]
    return Page(entries, total, offset, limit)


def _timeline_total(conn: Connection, col: str, rid: str) -> int:
    tables = ["visit", "follow_up", "note"] + (["stage_event", "service_item"] if col == "project_id" else [])
    return sum(
        int(
            conn.execute(
                text(f"SELECT count(*) FROM {t} WHERE {col} = :id AND deleted = 0"), {"id": rid}
            ).scalar()
            or 0
        )
        for t in tables
    )


def latest_entries(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[str, str, str, str]]:
    """project id → (kind, sub-kind, title, at) of its newest timeline entry, whatever its kind (the
    supervisor's notes included: this is what the timeline shows last, not the last touch)."""
    if not ids:
        return {}
    placeholders, params = in_clause(ids)
    sql = f"""
    SELECT project_id, kind, sub, title, at FROM (
      SELECT project_id, kind, sub, title, at,
             ROW_NUMBER() OVER (PARTITION BY project_id ORDER BY at DESC, id) AS n FROM (
        SELECT project_id, 'visit' AS kind, kind AS sub, summary AS title, occurred_at AS at, id FROM visit
          WHERE deleted = 0 AND project_id IN ({placeholders})
        UNION ALL SELECT project_id, 'follow_up', CASE WHEN done THEN 'done' ELSE 'open' END, title, created_at, id
          FROM follow_up WHERE deleted = 0 AND project_id IN ({placeholders})
        UNION ALL SELECT project_id, 'stage_event', kind, to_value, at, id FROM stage_event
          WHERE deleted = 0 AND project_id IN ({placeholders})
        UNION ALL SELECT project_id, 'service_item', state, title, created_at, id FROM service_item
          WHERE deleted = 0 AND project_id IN ({placeholders})
        UNION ALL SELECT project_id, 'note', kind, body, at, id FROM note
          WHERE deleted = 0 AND project_id IN ({placeholders})
      )
    ) WHERE n = 1
    """
    return {r[0]: (r[1], r[2] or "", r[3] or "", r[4]) for r in conn.execute(text(sql), params)}
