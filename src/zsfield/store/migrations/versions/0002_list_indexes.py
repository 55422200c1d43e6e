"""indexes for the screens' orders: project list by last change, by investment, by stage in flow order

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 07:10:00

The project list pages through 100,000 rows with ``ORDER BY … LIMIT``: each order needs an index that
SQLite can walk, or every page sorts the whole table. The two expression indexes must repeat the exact
expressions of ``zsfield.store.read.projects`` (``_PROJECT_SORT``); they are not in the models (SQLAlchemy does
not reflect expression indexes, so they never show up in the models/migrations comparison).
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STAGE_ORDER = (
    "CASE stage WHEN 'screening' THEN 1 WHEN 'negotiating' THEN 2 WHEN 'intent_signed' THEN 3 "
    "WHEN 'contract_signed' THEN 4 WHEN 'registered' THEN 5 WHEN 'land_approved' THEN 6 "
    "WHEN 'permits' THEN 7 WHEN 'construction' THEN 8 WHEN 'commissioning' THEN 9 "
    "WHEN 'production' THEN 10 WHEN 'effective' THEN 11 ELSE 12 END"
)


def upgrade() -> None:
    op.create_index("ix_project_updated", "project", ["updated_at", "id"], unique=False)
    op.execute("CREATE INDEX ix_project_investment ON project (CAST(total_investment_cny AS REAL), id)")
    op.execute(f"CREATE INDEX ix_project_stage_order ON project (({STAGE_ORDER}), id)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_project_stage_order")
    op.execute("DROP INDEX IF EXISTS ix_project_investment")
    op.drop_index("ix_project_updated", table_name="project")
