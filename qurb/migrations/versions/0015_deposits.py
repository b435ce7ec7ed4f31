"""deposits: AMO reimbursement files deposited at the counter, their cancellations, the
transmittal slips that send them to CNSS, and the two receipt kinds that sign them (issue 20)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

A deposit's number is its slip's receipt id, unique; a terminal's signed write makes at most
one deposit (unique terminal and sequence) and a deposit is cancelled at most once (unique
deposit_id); a deposit is in at most one transmittal slip (unique deposit_id), and a slip
holds exactly the deposits it was closed with: its items name its size in their foreign key
and take the positions 1..size. The receipts' kind check widens to the slip (``deposit``)
and the cancellation (``deposit_cancel``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_KINDS_BEFORE = "kind IN ('enrollment', 'collection', 'reversal', 'certificate')"
_KINDS_AFTER = (
    "kind IN ('enrollment', 'collection', 'reversal', 'certificate', 'deposit', 'deposit_cancel')"
)
_CARE_KINDS = (
    "care_kind IN ('consultation', 'pharmacy', 'laboratory', 'imaging', 'hospitalisation', "
    "'dental', 'optical', 'other')"
)


def _receipt_kinds(check: str) -> None:
    # SQLite rebuilds the table (batch mode); PostgreSQL swaps the constraint in place.
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_receipts_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_receipts_kind"), check)


def _fk(column: str, table: str, owner: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{table}.id"], name=op.f(f"fk_{owner}_{column}_{table}")
    )


def upgrade() -> None:
    _receipt_kinds(_KINDS_AFTER)
    op.create_table(
        "deposits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("slip_receipt_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("dependent_id", sa.Integer(), nullable=True),
        sa.Column("care_kind", sa.String(length=16), nullable=False),
        sa.Column("care_from", sa.Date(), nullable=False),
        sa.Column("care_to", sa.Date(), nullable=False),
        sa.Column("amount_spent_centimes", sa.BigInteger(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.String(length=100), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(_CARE_KINDS, name=op.f("ck_deposits_care_kind")),
        sa.CheckConstraint("amount_spent_centimes > 0", name=op.f("ck_deposits_amount_positive")),
        sa.CheckConstraint("care_to >= care_from", name=op.f("ck_deposits_care_dates_ordered")),
        sa.CheckConstraint("documents > 0", name=op.f("ck_deposits_documents_positive")),
        _fk("dependent_id", "worker_dependents", "deposits"),
        _fk("network_id", "networks", "deposits"),
        _fk("office_id", "offices", "deposits"),
        _fk("operator_id", "users", "deposits"),
        _fk("slip_receipt_id", "receipts", "deposits"),
        _fk("terminal_id", "terminals", "deposits"),
        _fk("worker_id", "workers", "deposits"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposits")),
        sa.UniqueConstraint("number", name=op.f("uq_deposits_number")),
        sa.UniqueConstraint("slip_receipt_id", name=op.f("uq_deposits_slip_receipt_id")),
        sa.UniqueConstraint(
            "terminal_id", "sequence", name=op.f("uq_deposits_terminal_id_sequence")
        ),
    )
    op.create_index("ix_deposits_office_day", "deposits", ["office_id", "business_date"])
    op.create_index(op.f("ix_deposits_worker_id"), "deposits", ["worker_id"])
    op.create_table(
        "deposit_cancellations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deposit_id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        _fk("deposit_id", "deposits", "deposit_cancellations"),
        _fk("network_id", "networks", "deposit_cancellations"),
        _fk("office_id", "offices", "deposit_cancellations"),
        _fk("operator_id", "users", "deposit_cancellations"),
        _fk("receipt_id", "receipts", "deposit_cancellations"),
        _fk("supervisor_id", "users", "deposit_cancellations"),
        _fk("terminal_id", "terminals", "deposit_cancellations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposit_cancellations")),
        sa.UniqueConstraint("deposit_id", name=op.f("uq_deposit_cancellations_deposit_id")),
        sa.UniqueConstraint("receipt_id", name=op.f("uq_deposit_cancellations_receipt_id")),
    )
    op.create_index(
        op.f("ix_deposit_cancellations_office_id"), "deposit_cancellations", ["office_id"]
    )
    op.create_table(
        "transmittals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("deposit_count", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.CheckConstraint("deposit_count > 0", name=op.f("ck_transmittals_not_empty")),
        _fk("network_id", "networks", "transmittals"),
        _fk("office_id", "offices", "transmittals"),
        _fk("closed_by", "users", "transmittals"),
        _fk("terminal_id", "terminals", "transmittals"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transmittals")),
        sa.UniqueConstraint("number", name=op.f("uq_transmittals_number")),
        sa.UniqueConstraint("id", "deposit_count", name=op.f("uq_transmittals_id_deposit_count")),
        sa.UniqueConstraint(
            "terminal_id", "sequence", name=op.f("uq_transmittals_terminal_id_sequence")
        ),
    )
    op.create_index("ix_transmittals_office_day", "transmittals", ["office_id", "business_date"])
    op.create_table(
        "transmittal_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transmittal_id", sa.Integer(), nullable=False),
        sa.Column("slip_size", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("deposit_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "position BETWEEN 1 AND slip_size",
            name=op.f("ck_transmittal_items_position_within_size"),
        ),
        sa.ForeignKeyConstraint(
            ["transmittal_id", "slip_size"],
            ["transmittals.id", "transmittals.deposit_count"],
            name=op.f("fk_transmittal_items_transmittal_id_transmittals"),
        ),
        _fk("deposit_id", "deposits", "transmittal_items"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transmittal_items")),
        sa.UniqueConstraint("deposit_id", name=op.f("uq_transmittal_items_deposit_id")),
        sa.UniqueConstraint(
            "transmittal_id", "position", name=op.f("uq_transmittal_items_transmittal_id_position")
        ),
    )

    _tracking()


def _tracking() -> None:
    """CNSS's claims tracking files, their events (each once) and the exceptions queue."""
    op.create_table(
        "tracking_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("new_events", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_files")),
        sa.UniqueConstraint("digest", name=op.f("uq_tracking_files_digest")),
    )
    op.create_table(
        "tracking_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("slip_number", sa.Text(), nullable=True),
        sa.Column("deposit_number", sa.Text(), nullable=True),
        sa.Column("registration_number", sa.Text(), nullable=True),
        sa.Column("cnss_file_number", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reimbursed_centimes", sa.BigInteger(), nullable=True),
        sa.Column("reason_code", sa.Text(), nullable=True),
        sa.Column("reason_text", sa.Text(), nullable=True),
        sa.Column("deposit_id", sa.Integer(), nullable=True),
        sa.Column("transmittal_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'REMBOURSE') = (reimbursed_centimes IS NOT NULL)",
            name=op.f("ck_tracking_events_amount_on_refund"),
        ),
        sa.CheckConstraint(
            "status IN ('BORDEREAU_RECU', 'RECU', 'NON_RECU', 'INCOMPLET', 'EN_COURS', "
            "'REMBOURSE', 'REJETE')",
            name=op.f("ck_tracking_events_status"),
        ),
        sa.CheckConstraint(
            "reimbursed_centimes IS NULL OR reimbursed_centimes >= 0",
            name=op.f("ck_tracking_events_amount"),
        ),
        _fk("deposit_id", "deposits", "tracking_events"),
        _fk("file_id", "tracking_files", "tracking_events"),
        _fk("transmittal_id", "transmittals", "tracking_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_tracking_events_event_id")),
    )
    op.create_index(op.f("ix_tracking_events_deposit_id"), "tracking_events", ["deposit_id"])
    op.create_index(
        op.f("ix_tracking_events_transmittal_id"), "tracking_events", ["transmittal_id"]
    )
    op.create_table(
        "tracking_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_key", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("deposit_id", sa.Integer(), nullable=True),
        sa.Column("transmittal_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Text(), nullable=True),
        sa.Column("registration_number", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('missing_envelope', 'conflicting_outcome', 'unreadable_label', "
            "'unacknowledged_slip', 'unknown_deposit', 'unknown_slip')",
            name=op.f("ck_tracking_exceptions_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'cleared')", name=op.f("ck_tracking_exceptions_status")
        ),
        _fk("deposit_id", "deposits", "tracking_exceptions"),
        _fk("transmittal_id", "transmittals", "tracking_exceptions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_exceptions")),
        sa.UniqueConstraint("finding_key", name=op.f("uq_tracking_exceptions_finding_key")),
    )
    op.create_index(
        "ix_tracking_exceptions_queue", "tracking_exceptions", ["status", "priority", "opened_at"]
    )


def downgrade() -> None:
    op.drop_table("tracking_exceptions")
    op.drop_table("tracking_events")
    op.drop_table("tracking_files")
    op.drop_table("transmittal_items")
    op.drop_table("transmittals")
    op.drop_table("deposit_cancellations")
    op.drop_table("deposits")
    op.execute("DELETE FROM receipts WHERE kind IN ('deposit', 'deposit_cancel')")
    _receipt_kinds(_KINDS_BEFORE)
