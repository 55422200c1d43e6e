"""The zone-wide company index for the duplicate check (查重), built from the local store."""

from __future__ import annotations

from sqlalchemy import text

from zsfield.domain.company_match import CompanyIndex, stored_names
from zsfield.store.db import Store


def company_index(store: Store) -> tuple[CompanyIndex, dict[str, str]]:
    """A :class:`CompanyIndex` of every live company, and id → legal name for display."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, name, aliases, credit_code FROM company WHERE deleted = 0")
        ).all()
    names = {r[0]: r[1] for r in rows}
    index = CompanyIndex((r[0], stored_names(r[1], r[2]), r[3]) for r in rows)
    return index, names
