"""deposit fees and work: a network's fee per reimbursement file, its line on the settlement,
and CNSS finance's work on the claims tracking exceptions (issue 20)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

A network's fee per file is dated like its commission (one row per network and first day,
unique). A settlement gains the files handled that day, the fee in force and their product
(a check holds it); existing settlements had no fee: 0, 0, 0. A tracking exception gains at
most one work row (unique) and its actions, each keyed by the form that sent it (unique per
exception), the note sealed at rest.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_RESOLUTIONS = (
    "resolution IN ('envelope_found_resent', 'envelope_found_at_cnss', 'worker_informed', "
    "'worker_redeposited', 'cnss_error', 'label_matched', 'other')"
)


def upgrade() -> None:
    op.create_table(
        "network_file_fees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("fee_centimes", sa.BigInteger(), nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("announced_by", sa.String(length=40), nullable=False),
        sa.CheckConstraint("fee_centimes >= 0", name=op.f("ck_network_file_fees_fee_non_negative")),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_network_file_fees_network_id_networks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_file_fees")),
        sa.UniqueConstraint(
            "network_id",
            "effective_from",
            name=op.f("uq_network_file_fees_network_id_effective_from"),
        ),
    )
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("files_handled", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(
            sa.Column(
                "file_fee_centimes", sa.BigInteger(), nullable=False, server_default=sa.text("0")
            )
        )
        batch_op.add_column(
            sa.Column(
                "file_fees_centimes", sa.BigInteger(), nullable=False, server_default=sa.text("0")
            )
        )
        batch_op.create_check_constraint(
            op.f("ck_settlements_file_fees_add_up"),
            "file_fees_centimes = files_handled * file_fee_centimes",
        )
    op.create_table(
        "tracking_exception_work",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exception_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("assignee", sa.String(length=40), nullable=True),
        sa.Column("resolution", sa.String(length=24), nullable=True),
        sa.Column("changed_by", sa.String(length=40), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('open', 'resolved')", name=op.f("ck_tracking_exception_work_state")
        ),
        sa.CheckConstraint(_RESOLUTIONS, name=op.f("ck_tracking_exception_work_resolution")),
        sa.CheckConstraint(
            "(state = 'resolved') = (resolution IS NOT NULL)",
            name=op.f("ck_tracking_exception_work_resolved_why"),
        ),
        sa.ForeignKeyConstraint(
            ["exception_id"],
            ["tracking_exceptions.id"],
            name=op.f("fk_tracking_exception_work_exception_id_tracking_exceptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_exception_work")),
        sa.UniqueConstraint("exception_id", name=op.f("uq_tracking_exception_work_exception_id")),
    )
    op.create_table(
        "tracking_exception_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exception_id", sa.Integer(), nullable=False),
        sa.Column("request_key", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("resolution", sa.String(length=24), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action IN ('take', 'note', 'resolve', 'reopen')",
            name=op.f("ck_tracking_exception_actions_action"),
        ),
        sa.CheckConstraint(_RESOLUTIONS, name=op.f("ck_tracking_exception_actions_resolution")),
        sa.ForeignKeyConstraint(
            ["exception_id"],
            ["tracking_exceptions.id"],
            name=op.f("fk_tracking_exception_actions_exception_id_tracking_exceptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_exception_actions")),
        sa.UniqueConstraint(
            "exception_id",
            "request_key",
            name=op.f("uq_tracking_exception_actions_exception_id_request_key"),
        ),
    )


def downgrade() -> None:
    op.drop_table("tracking_exception_actions")
    op.drop_table("tracking_exception_work")
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_settlements_file_fees_add_up"), type_="check")
        batch_op.drop_column("file_fees_centimes")
        batch_op.drop_column("file_fee_centimes")
        batch_op.drop_column("files_handled")
    op.drop_table("network_file_fees")
