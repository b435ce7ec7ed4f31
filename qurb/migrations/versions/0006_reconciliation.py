"""reconciliation: settlements, files, runs, exceptions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bank_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("statement_key", sa.String(length=200), nullable=False),
        sa.Column("first_booking", sa.Date(), nullable=False),
        sa.Column("last_booking", sa.Date(), nullable=False),
        sa.Column("transactions", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=40), nullable=False),
        sa.CheckConstraint("kind IN ('camt053', 'csv')", name=op.f("ck_bank_statements_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_statements")),
        sa.UniqueConstraint("digest", name=op.f("uq_bank_statements_digest")),
    )
    with op.batch_alter_table("bank_statements", schema=None) as batch_op:
        batch_op.create_index("ix_bank_statements_key", ["statement_key"], unique=False)

    op.create_table(
        "ledger_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("total_centimes", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_files")),
        sa.UniqueConstraint("digest", name=op.f("uq_ledger_files_digest")),
    )
    with op.batch_alter_table("ledger_files", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_files_scope_day", ["scope", "value_date"], unique=False)

    op.create_table(
        "reconciliation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("inputs_digest", sa.String(length=64), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("exceptions", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_reconciliation_runs_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_runs")),
        sa.UniqueConstraint(
            "business_date",
            "inputs_digest",
            name=op.f("uq_reconciliation_runs_business_date_inputs_digest"),
        ),
        sa.UniqueConstraint(
            "business_date", "version", name=op.f("uq_reconciliation_runs_business_date_version")
        ),
    )
    op.create_table(
        "reconciliation_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("finding_key", sa.String(length=400), nullable=False),
        sa.Column("hub_references", sa.Text(), nullable=False),
        sa.Column("entry_ids", sa.Text(), nullable=False),
        sa.Column("registration_number", sa.String(length=10), nullable=True),
        sa.Column("hub_centimes", sa.BigInteger(), nullable=False),
        sa.Column("other_centimes", sa.BigInteger(), nullable=False),
        sa.Column("difference_centimes", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("worked_by", sa.String(length=40), nullable=True),
        sa.Column("worked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("carried_from_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(status = 'open') = (reason_code IS NULL AND worked_at IS NULL)",
            name=op.f("ck_reconciliation_exceptions_worked_has_reason"),
        ),
        sa.CheckConstraint(
            "source IN ('ledger', 'bank')", name=op.f("ck_reconciliation_exceptions_source")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'resolved', 'written_off')",
            name=op.f("ck_reconciliation_exceptions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["carried_from_id"],
            ["reconciliation_exceptions.id"],
            name=op.f("fk_reconciliation_exceptions_carried_from_id_reconciliation_exceptions"),
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["networks.id"],
            name=op.f("fk_reconciliation_exceptions_network_id_networks"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["reconciliation_runs.id"],
            name=op.f("fk_reconciliation_exceptions_run_id_reconciliation_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_exceptions")),
        sa.UniqueConstraint(
            "run_id", "finding_key", name=op.f("uq_reconciliation_exceptions_run_id_finding_key")
        ),
    )
    with op.batch_alter_table("reconciliation_exceptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reconciliation_exceptions_day", ["business_date", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reconciliation_exceptions_run_id"), ["run_id"], unique=False
        )

    op.create_table(
        "settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=35), nullable=False),
        sa.Column("collections", sa.Integer(), nullable=False),
        sa.Column("gross_centimes", sa.BigInteger(), nullable=False),
        sa.Column("reversals", sa.Integer(), nullable=False),
        sa.Column("reversed_centimes", sa.BigInteger(), nullable=False),
        sa.Column("late_collections", sa.Integer(), nullable=False),
        sa.Column("commission_centimes", sa.BigInteger(), nullable=False),
        sa.Column("net_centimes", sa.BigInteger(), nullable=False),
        sa.Column("commission_fixed_centimes", sa.BigInteger(), nullable=False),
        sa.Column("commission_bps", sa.Integer(), nullable=False),
        sa.Column("collections_digest", sa.String(length=64), nullable=False),
        sa.Column("statement_jws", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.CheckConstraint(
            "gross_centimes >= 0 AND reversed_centimes >= 0",
            name=op.f("ck_settlements_non_negative"),
        ),
        sa.CheckConstraint(
            "net_centimes = gross_centimes - reversed_centimes - commission_centimes",
            name=op.f("ck_settlements_net_adds_up"),
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_settlements_network_id_networks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
        sa.UniqueConstraint(
            "network_id", "business_date", name=op.f("uq_settlements_network_id_business_date")
        ),
        sa.UniqueConstraint("reference", name=op.f("uq_settlements_reference")),
    )
    op.create_table(
        "exception_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exception_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=False),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["exception_id"],
            ["reconciliation_exceptions.id"],
            name=op.f("fk_exception_actions_exception_id_reconciliation_exceptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exception_actions")),
    )
    with op.batch_alter_table("exception_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exception_actions_exception_id"), ["exception_id"], unique=False
        )

    op.create_table(
        "settlement_offices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("collections", sa.Integer(), nullable=False),
        sa.Column("gross_centimes", sa.BigInteger(), nullable=False),
        sa.Column("reversals", sa.Integer(), nullable=False),
        sa.Column("reversed_centimes", sa.BigInteger(), nullable=False),
        sa.Column("commission_centimes", sa.BigInteger(), nullable=False),
        sa.Column("net_centimes", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_settlement_offices_office_id_offices")
        ),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["settlements.id"],
            name=op.f("fk_settlement_offices_settlement_id_settlements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_offices")),
        sa.UniqueConstraint(
            "settlement_id", "office_id", name=op.f("uq_settlement_offices_settlement_id_office_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("settlement_offices")
    with op.batch_alter_table("exception_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exception_actions_exception_id"))

    op.drop_table("exception_actions")
    op.drop_table("settlements")
    with op.batch_alter_table("reconciliation_exceptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reconciliation_exceptions_run_id"))
        batch_op.drop_index("ix_reconciliation_exceptions_day")

    op.drop_table("reconciliation_exceptions")
    op.drop_table("reconciliation_runs")
    with op.batch_alter_table("ledger_files", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_files_scope_day")

    op.drop_table("ledger_files")
    with op.batch_alter_table("bank_statements", schema=None) as batch_op:
        batch_op.drop_index("ix_bank_statements_key")

    op.drop_table("bank_statements")
