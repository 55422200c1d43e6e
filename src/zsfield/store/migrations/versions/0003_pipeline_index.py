"""index for the pipeline (管线): count and investment per stage read from the index alone

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 07:25:00

``store.read.projects.pipeline`` groups every live project by stage and sums its investment: with this index SQLite
reads 100,000 projects from the index (about 0.1 s) instead of the whole table (0.6 s).
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_project_pipeline", "project", ["stage", "deleted", "total_investment_cny"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_project_pipeline", table_name="project")
