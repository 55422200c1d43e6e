"""Companies: the one chosen from the duplicate candidates, or a new one (查重 before capture); contacts."""

from __future__ import annotations

from typing import Any

from zsfield.domain.fields import require
from zsfield.domain.models import (
    Company,
    Contact,
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


def add_contact(
    w: Writer, *, project_id: str | None, company_id: str | None, team_id: str | None, **values: Any
) -> Contact:
    """联系人: a person of a project and its company (name, title, phone, email, WeChat)."""
    return w.insert(  # type: ignore[return-value]
        Contact(project_id=project_id, company_id=company_id, team_id=team_id, **values)
    )
