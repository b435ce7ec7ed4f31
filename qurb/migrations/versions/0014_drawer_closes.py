"""drawer closes: an operator's end-of-day cash count and the hub's signed report (issue 19)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

One close per terminal and business day (the unique constraint is what makes a retried or
concurrent close find the first instead of writing a second); the difference and the
expected cash are held to their definitions by check constraints.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drawer_closes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("counted_centimes", sa.BigInteger(), nullable=False),
        sa.Column("collections", sa.Integer(), nullable=False),
        sa.Column("collected_centimes", sa.BigInteger(), nullable=False),
        sa.Column("reversals", sa.Integer(), nullable=False),
        sa.Column("reversed_centimes", sa.BigInteger(), nullable=False),
        sa.Column("expected_centimes", sa.BigInteger(), nullable=False),
        sa.Column("difference_centimes", sa.BigInteger(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("jws", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "collections >= 0 AND reversals >= 0 AND collected_centimes >= 0 "
            "AND reversed_centimes >= 0",
            name=op.f("ck_drawer_closes_totals_non_negative"),
        ),
        sa.CheckConstraint(
            "counted_centimes >= 0", name=op.f("ck_drawer_closes_counted_non_negative")
        ),
        sa.CheckConstraint(
            "difference_centimes = counted_centimes - expected_centimes",
            name=op.f("ck_drawer_closes_difference"),
        ),
        sa.CheckConstraint(
            "expected_centimes = collected_centimes - reversed_centimes",
            name=op.f("ck_drawer_closes_expected"),
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_drawer_closes_network_id_networks")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_drawer_closes_office_id_offices")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["users.id"], name=op.f("fk_drawer_closes_operator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminals.id"], name=op.f("fk_drawer_closes_terminal_id_terminals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drawer_closes")),
        sa.UniqueConstraint("number", name=op.f("uq_drawer_closes_number")),
        sa.UniqueConstraint(
            "terminal_id",
            "business_date",
            name=op.f("uq_drawer_closes_terminal_id_business_date"),
        ),
    )
    op.create_index(
        "ix_drawer_closes_network_day", "drawer_closes", ["network_id", "business_date"]
    )
    op.create_index("ix_drawer_closes_office_day", "drawer_closes", ["office_id", "business_date"])


def downgrade() -> None:
    op.drop_index("ix_drawer_closes_office_day", table_name="drawer_closes")
    op.drop_index("ix_drawer_closes_network_day", table_name="drawer_closes")
    op.drop_table("drawer_closes")
