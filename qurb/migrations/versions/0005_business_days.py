"""business days: open and closed days per network, late collections

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "business_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=40), nullable=True),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_at IS NOT NULL)",
            name=op.f("ck_business_days_closed_has_time"),
        ),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_business_days_status")),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_business_days_network_id_networks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_days")),
        sa.UniqueConstraint(
            "network_id", "business_date", name=op.f("uq_business_days_network_id_business_date")
        ),
    )
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        # Collections recorded before this revision were all on time.
        batch_op.add_column(
            sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("signed_business_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.drop_column("signed_business_date")
        batch_op.drop_column("late")

    op.drop_table("business_days")
