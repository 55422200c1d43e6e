"""index on the outbox's entity_id: storing a reply or a pulled page looks up the fields still waiting

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 01:30:00

``outbox.pending_fields`` asks the outbox which of a page's records still have ops waiting (a pulled
value never overwrites them). Without an index each lookup scans the whole outbox: cheap for the few
hundred ops of a day, quadratic for a week offline (100,000 ops: every reply of 500 scanned them all).
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_entity_id", "outbox", ["entity_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_entity_id", table_name="outbox")
