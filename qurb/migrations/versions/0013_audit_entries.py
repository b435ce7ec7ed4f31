"""audit entries: leaves written by their transaction, sequenced in batches (issue 18)

A write records its leaf as a pending entry, named by a random entry id, in its own
transaction; the sequencer gives pending entries their indexes in batches. Leaves written
before keep their index in their content and have no entry id.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("leaf_hash", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
        sa.UniqueConstraint("entry", name=op.f("uq_audit_entries_entry")),
    )
    with op.batch_alter_table("audit_leaves") as batch:
        batch.add_column(sa.Column("entry", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("sequenced_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_unique_constraint(op.f("uq_audit_leaves_entry"), ["entry"])


def downgrade() -> None:
    with op.batch_alter_table("audit_leaves") as batch:
        batch.drop_constraint(op.f("uq_audit_leaves_entry"), type_="unique")
        batch.drop_column("sequenced_at")
        batch.drop_column("entry")
    op.drop_table("audit_entries")
