"""What ``zsfield status`` reports: counts per entity, the outbox, sync state, path and schema revision."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from zsfield.domain.models import ENTITIES
from zsfield.store.db import Store
from zsfield.store.migrate import current_revision, head_revision


def store_status(store: Store) -> dict[str, Any]:
    with store.engine.connect() as conn:
        counts = {
            entity: conn.execute(text(f"SELECT count(*) FROM {cls.__tablename__} WHERE deleted = 0")).scalar()  # type: ignore[attr-defined]
            for entity, cls in ENTITIES.items()
        }
        outbox = conn.execute(text("SELECT count(*) FROM outbox")).scalar()
        conflicts = conn.execute(text("SELECT count(*) FROM conflict WHERE resolved = 0")).scalar()
        rejections = conn.execute(text("SELECT count(*) FROM rejection WHERE dismissed = 0")).scalar()
        state = dict(conn.execute(text("SELECT key, value FROM sync_state")).all())
        conflict_rows = conn.execute(
            text(
                "SELECT id, entity, entity_id, field, mine, theirs, created_at FROM conflict "
                "WHERE resolved = 0 ORDER BY created_at LIMIT 50"
            )
        ).mappings()
        conflict_list = [
            {**dict(r), "mine": _json(r["mine"]), "theirs": _json(r["theirs"])} for r in conflict_rows
        ]
        rejection_list = [
            dict(r)
            for r in conn.execute(
                text(
                    "SELECT id, entity, entity_id, code, message, created_at FROM rejection "
                    "WHERE dismissed = 0 ORDER BY created_at LIMIT 50"
                )
            ).mappings()
        ]
    return {
        "database": str(store.path),
        "schema_revision": current_revision(store.engine),
        "schema_head": head_revision(),
        "counts": counts,
        "outbox_pending": outbox,
        "officer_id": state.get("officer_id"),
        "server": state.get("server"),
        "last_sync": state.get("last_sync_at"),
        "cursor": int(state.get("cursor", "0") or 0),
        "epoch": state.get("epoch"),
        "conflicts_open": conflicts,
        "rejections_open": rejections,
        # sync (issue 4): who this laptop syncs as, how the last sync went, what needs a decision
        "client_id": state.get("client_id"),
        "officer": {k: state.get(k) for k in ("officer_name", "role", "team_id", "team_name")},
        "last_result": _json(state.get("last_result")),
        "conflicts": conflict_list,
        "rejections": rejection_list,
    }


def _json(value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
