"""exits: records that left a scope (a project moved to another team), for the old team's pull

Revision ID: 0002_exits
Revises: 0001
Create Date: 2026-12-02 18:45:00

When a supervisor moves a project (or a lead or contact) to another team, the old team's laptops must hear
that it left their scope: the move records one exit per record that changed scope (the project and each of
its children), each with its own ``server_seq`` taken in the move's transaction, just below the record's new
number. The old team's pull reads them with its records (``ix_exits_scope_seq``: one index range per scope).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_exits"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exits",
        sa.Column(
            "scope",
            sa.String(length=36),
            nullable=False,
            comment="the scope the record left ('*' or a team id)",
        ),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "server_seq",
            sa.BigInteger(),
            nullable=False,
            comment="when it left: below the record's new number",
        ),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("scope", "entity", "id"),
    )
    with op.batch_alter_table("exits", schema=None) as batch_op:
        batch_op.create_index("ix_exits_scope_seq", ["scope", "server_seq"], unique=False)
        batch_op.create_index("ix_exits_server_seq", ["server_seq"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("exits", schema=None) as batch_op:
        batch_op.drop_index("ix_exits_server_seq")
        batch_op.drop_index("ix_exits_scope_seq")
    op.drop_table("exits")
