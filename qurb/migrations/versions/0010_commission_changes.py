"""commission changes: a network's commission rule from a future business date

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

The rule a network was created with stays on its row; every rule the CNSS admin announces
since is a row here, one per network and first business day (the unique constraint is what
makes a repeated or concurrent announcement for the same day replace, not duplicate).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commission_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("fixed_centimes", sa.BigInteger(), nullable=False),
        sa.Column("basis_points", sa.Integer(), nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("announced_by", sa.String(length=40), nullable=False),
        sa.CheckConstraint(
            "basis_points BETWEEN 0 AND 10000",
            name=op.f("ck_commission_changes_basis_points_range"),
        ),
        sa.CheckConstraint(
            "fixed_centimes >= 0", name=op.f("ck_commission_changes_fixed_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["networks.id"],
            name=op.f("fk_commission_changes_network_id_networks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_changes")),
        sa.UniqueConstraint(
            "network_id",
            "effective_from",
            name=op.f("uq_commission_changes_network_id_effective_from"),
        ),
    )


def downgrade() -> None:
    op.drop_table("commission_changes")
