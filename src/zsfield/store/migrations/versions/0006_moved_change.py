"""moved_change: unsent changes about records that moved to another team (kept listed, sent as ever)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 18:50:00

When a pull says a project left this laptop's team (a supervisor moved it), the laptop drops the project and
its children; the ops still in its outbox about them stay there and are sent, and this table lists them for
the officer, with what the laptop had pulled when they were written (``pulled_to``: the server accepts the
officer's visits and follow-ups written before they learned of the move).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "moved_change",
        sa.Column("op_id", sa.String(length=36), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("pulled_to", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("op_id"),
    )


def downgrade() -> None:
    op.drop_table("moved_change")
