"""audit cosignatures: what the witnesses answered for each checkpoint (issue 18)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_cosignatures",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("witness", sa.String(length=400), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("cosigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["size"], ["audit_checkpoints.size"]),
        sa.PrimaryKeyConstraint("size", "witness"),
    )
    op.create_index(
        "ix_audit_cosignatures_witness_size",
        "audit_cosignatures",
        ["witness", "size"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_audit_cosignatures_witness_size", table_name="audit_cosignatures")
    op.drop_table("audit_cosignatures")
