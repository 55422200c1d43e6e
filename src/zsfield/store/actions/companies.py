"""Companies: the one chosen from the duplicate candidates, or a new one (查重 before capture)."""

from __future__ import annotations

from typing import Any

from zsfield.domain.fields import require
from zsfield.domain.models import (
    Company,
)
from zsfield.store.writer import Writer


def ensure_company(w: Writer, *, company_id: str | None, name: str, **extra: Any) -> Company | None:
    """The company chosen from the duplicate candidates, or a new one named ``name`` (None if neither)."""
    if company_id:
        company = w.session.get(Company, company_id)
        require(company is not None and not company.deleted, "action.unknown_company", "company_id")
        return company
    name = name.strip()
    if not name:
        return None
    return w.insert(Company(name=name, **extra))  # type: ignore[return-value]
