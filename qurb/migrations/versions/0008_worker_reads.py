"""worker reads: what the limit on reading many distinct workers counts (issue 16)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["terminal_id"], ["terminals.id"]),
        sa.ForeignKeyConstraint(["worker_id"], ["workers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_worker_reads_terminal_at", "worker_reads", ["terminal_id", "read_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_worker_reads_terminal_at", table_name="worker_reads")
    op.drop_table("worker_reads")
