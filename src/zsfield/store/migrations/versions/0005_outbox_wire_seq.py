"""outbox ops keep their wire number (wire_seq) and base epoch; acknowledged ops kept in sent_op

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 19:00:00

Before: an op's wire number was its rowid plus ``sync_state.seq_offset``, and the outbox was trimmed by a rowid
range. SQLite reuses rowids once the table is empty, so a stale reply could delete an op written since, and
the offset could move back (issue 11, point 4). Now every op gets its wire number once, when it is written,
from the counter ``sync_state.wire_seq`` (never lower than any number used), and a reply trims exactly the
ops it acknowledges (``wire_seq`` and ``op_id``).

Existing ops keep the number they travelled under (``client_seq + seq_offset``): an op sent before the
upgrade whose reply was lost is replayed by the server, not applied twice. The counter starts at the
highest number in use (the offset itself for an empty outbox: the last acknowledged number).

``sent_op`` keeps acknowledged ops with their ``server_seq`` for a retention window, to send again what a
restored server lost.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wire_seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("base_epoch", sa.String(length=64), nullable=True))
    row = conn.exec_driver_sql("SELECT value FROM sync_state WHERE key = 'seq_offset'").first()
    offset = int(row[0] or 0) if row else 0
    conn.exec_driver_sql("UPDATE outbox SET wire_seq = client_seq + ?", (offset,))
    top = conn.exec_driver_sql("SELECT max(wire_seq) FROM outbox").scalar()
    counter = max(offset, int(top or 0))
    if counter:  # a laptop that never numbered an op has no counter yet (append_ops starts it at 1)
        conn.exec_driver_sql(
            "INSERT INTO sync_state (key, value) VALUES ('wire_seq', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (str(counter),),
        )
    conn.exec_driver_sql("DELETE FROM sync_state WHERE key = 'seq_offset'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("wire_seq", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index("ix_outbox_wire_seq", ["wire_seq"], unique=True)
    op.create_table(
        "sent_op",
        sa.Column("op_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("wire_seq", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("base_epoch", sa.String(length=64), nullable=True),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("server_seq", sa.Integer(), nullable=True),
        sa.Column("epoch", sa.String(length=64), nullable=False),
        sa.Column("acked_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("op_id"),
    )
    with op.batch_alter_table("sent_op", schema=None) as batch_op:
        batch_op.create_index("ix_sent_op_acked_at", ["acked_at"], unique=False)


def downgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table("sent_op", schema=None) as batch_op:
        batch_op.drop_index("ix_sent_op_acked_at")
    op.drop_table("sent_op")
    # the old scheme numbers an op rowid + offset: give the rows the numbers they have now, where they are
    # consecutive from the first (renumbered rows otherwise: the old code's own behaviour after a restore)
    first = conn.exec_driver_sql("SELECT min(wire_seq), min(client_seq) FROM outbox").first()
    counter = conn.exec_driver_sql("SELECT value FROM sync_state WHERE key = 'wire_seq'").first()
    if first is not None and first[0] is not None:
        offset = int(first[0]) - int(first[1])
    else:
        offset = int(counter[0] or 0) if counter else 0
    conn.exec_driver_sql(
        "INSERT INTO sync_state (key, value) VALUES ('seq_offset', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (str(offset),),
    )
    conn.exec_driver_sql("DELETE FROM sync_state WHERE key = 'wire_seq'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_wire_seq")
        batch_op.drop_column("base_epoch")
        batch_op.drop_column("wire_seq")
