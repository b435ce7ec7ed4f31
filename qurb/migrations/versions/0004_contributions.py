"""contributions: collections, reversals, allocations, declarations, amnesties

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "surcharge_waivers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_surcharge_waivers_dates_ordered")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surcharge_waivers")),
    )
    op.create_table(
        "daily_declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("earnings_centimes", sa.BigInteger(), nullable=False),
        sa.Column("contribution_centimes", sa.BigInteger(), nullable=False),
        sa.Column("declared_by", sa.String(length=120), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "contribution_centimes > 0", name=op.f("ck_daily_declarations_contribution_positive")
        ),
        sa.CheckConstraint(
            "earnings_centimes >= 0", name=op.f("ck_daily_declarations_earnings_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_daily_declarations_office_id_offices")
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["terminals.id"],
            name=op.f("fk_daily_declarations_terminal_id_terminals"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_daily_declarations_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_daily_declarations_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_declarations")),
        sa.UniqueConstraint("worker_id", "day", name=op.f("uq_daily_declarations_worker_id_day")),
    )
    op.create_table(
        "contributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("amount_centimes", sa.BigInteger(), nullable=False),
        sa.Column("payer_phone", sa.String(length=13), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_centimes > 0", name=op.f("ck_contributions_amount_positive")),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_contributions_network_id_networks")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_contributions_office_id_offices")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["users.id"], name=op.f("fk_contributions_operator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipts.id"], name=op.f("fk_contributions_receipt_id_receipts")
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminals.id"], name=op.f("fk_contributions_terminal_id_terminals")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_contributions_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contributions")),
        sa.UniqueConstraint("receipt_id", name=op.f("uq_contributions_receipt_id")),
    )
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contributions_network_day", ["network_id", "business_date"], unique=False
        )
        batch_op.create_index(
            "ix_contributions_office_day", ["office_id", "business_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contributions_worker_id"), ["worker_id"], unique=False)

    op.create_table(
        "reversals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("amount_centimes", sa.BigInteger(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_centimes > 0", name=op.f("ck_reversals_amount_positive")),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name=op.f("fk_reversals_contribution_id_contributions"),
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_reversals_network_id_networks")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_reversals_office_id_offices")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["users.id"], name=op.f("fk_reversals_operator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipts.id"], name=op.f("fk_reversals_receipt_id_receipts")
        ),
        sa.ForeignKeyConstraint(
            ["supervisor_id"], ["users.id"], name=op.f("fk_reversals_supervisor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminals.id"], name=op.f("fk_reversals_terminal_id_terminals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reversals")),
        sa.UniqueConstraint("contribution_id", name=op.f("uq_reversals_contribution_id")),
        sa.UniqueConstraint("receipt_id", name=op.f("uq_reversals_receipt_id")),
    )
    with op.batch_alter_table("reversals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reversals_office_id"), ["office_id"], unique=False)

    op.create_table(
        "allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount_centimes", sa.BigInteger(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=True),
        sa.Column("reversal_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('due', 'surcharge')", name=op.f("ck_allocations_kind")),
        sa.CheckConstraint(
            "(contribution_id IS NULL) <> (reversal_id IS NULL)",
            name=op.f("ck_allocations_one_source"),
        ),
        sa.CheckConstraint("amount_centimes <> 0", name=op.f("ck_allocations_amount_non_zero")),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name=op.f("fk_allocations_contribution_id_contributions"),
        ),
        sa.ForeignKeyConstraint(
            ["reversal_id"], ["reversals.id"], name=op.f("fk_allocations_reversal_id_reversals")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_allocations_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocations")),
    )
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_allocations_contribution_id"), ["contribution_id"], unique=False
        )
        batch_op.create_index("ix_allocations_worker_month", ["worker_id", "month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index("ix_allocations_worker_month")
        batch_op.drop_index(batch_op.f("ix_allocations_contribution_id"))

    op.drop_table("allocations")
    with op.batch_alter_table("reversals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reversals_office_id"))

    op.drop_table("reversals")
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contributions_worker_id"))
        batch_op.drop_index("ix_contributions_office_day")
        batch_op.drop_index("ix_contributions_network_day")

    op.drop_table("contributions")
    op.drop_table("daily_declarations")
    op.drop_table("surcharge_waivers")
