"""signed requests: idempotency records, security events, login throttle

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("keyid", sa.String(length=43), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.CheckConstraint("key > 0", name=op.f("ck_idempotency_records_key_positive")),
        sa.CheckConstraint(
            "response_status BETWEEN 100 AND 599",
            name=op.f("ck_idempotency_records_response_status_range"),
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"],
            ["terminals.id"],
            name=op.f("fk_idempotency_records_terminal_id_terminals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_records")),
        sa.UniqueConstraint(
            "terminal_id", "key", name=op.f("uq_idempotency_records_terminal_id_key")
        ),
    )
    op.create_table(
        "security_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=True),
        sa.Column("keyid", sa.String(length=43), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminals.id"], name=op.f("fk_security_events_terminal_id_terminals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_events")),
    )
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_security_events_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_security_events_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_security_events_terminal_id"), ["terminal_id"], unique=False
        )

    with op.batch_alter_table("terminals", schema=None) as batch_op:
        # Existing terminals start with no failures.
        batch_op.add_column(
            sa.Column("login_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("login_window_started_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_check_constraint(
            op.f("ck_terminals_login_failures_non_negative"), "login_failures >= 0"
        )


def downgrade() -> None:
    with op.batch_alter_table("terminals", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_terminals_login_failures_non_negative"), type_="check")
        batch_op.drop_column("login_window_started_at")
        batch_op.drop_column("login_failures")

    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_security_events_terminal_id"))
        batch_op.drop_index(batch_op.f("ix_security_events_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_security_events_kind"))

    op.drop_table("security_events")
    op.drop_table("idempotency_records")
