"""Reconciliation's own tables, on the agent API's metadata (one schema, one migration chain).

- ``settlements`` / ``settlement_offices``: what each network owes CNSS for a closed day, per
  office, fixed once (a closed day never changes) and signed.
- ``ledger_files`` / ``bank_statements``: every file CNSS or the bank sent, kept byte for byte
  (the counterpart's evidence) and identified by its SHA-256; importing a file twice is a no-op.
- ``reconciliation_runs``: one version of a day's reconciliation per distinct set of inputs.
  The same inputs find their version again (a unique constraint); corrected inputs make the
  next version, and the old one stays.
- ``reconciliation_exceptions``: every difference a run found, which finance works to
  resolved or written off; ``exception_actions`` keeps who did what and when.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from agent_api.persistence.types import UTCDateTime


def _fk(table: str, *, nullable: bool = False, index: bool = False) -> Column[int]:
    return Column(Integer, ForeignKey(f"{table}.id"), nullable=nullable, index=index)


def _money() -> Column[int]:
    return Column(BigInteger, nullable=False)


class Settlement(SQLModel, table=True):
    __tablename__ = "settlements"
    __table_args__ = (
        UniqueConstraint("network_id", "business_date"),
        # The statement adds up by construction, and the database holds it too.
        CheckConstraint(
            "net_centimes = gross_centimes - reversed_centimes - commission_centimes",
            name="net_adds_up",
        ),
        CheckConstraint("gross_centimes >= 0 AND reversed_centimes >= 0", name="non_negative"),
        # The network's fee per reimbursement file: files handled that day × the fee in force.
        CheckConstraint(
            "file_fees_centimes = files_handled * file_fee_centimes", name="file_fees_add_up"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(sa_column=_fk("networks"))
    business_date: date = Field(sa_column=Column(Date, nullable=False))
    reference: str = Field(sa_column=Column(String(35), nullable=False, unique=True))
    collections: int = Field(sa_column=Column(Integer, nullable=False))
    gross_centimes: int = Field(sa_column=_money())
    reversals: int = Field(sa_column=Column(Integer, nullable=False))
    reversed_centimes: int = Field(sa_column=_money())
    late_collections: int = Field(sa_column=Column(Integer, nullable=False))
    commission_centimes: int = Field(sa_column=_money())
    net_centimes: int = Field(sa_column=_money())
    commission_fixed_centimes: int = Field(sa_column=_money())
    commission_bps: int = Field(sa_column=Column(Integer, nullable=False))
    # Due to the network, apart from ``net_centimes`` (what the network transfers for the
    # day's collections, which the bank reconciliation matches): 0 when it has no fee.
    files_handled: int = Field(sa_column=Column(Integer, nullable=False, server_default=text("0")))
    file_fee_centimes: int = Field(
        sa_column=Column(BigInteger, nullable=False, server_default=text("0"))
    )
    file_fees_centimes: int = Field(
        sa_column=Column(BigInteger, nullable=False, server_default=text("0"))
    )
    collections_digest: str = Field(sa_column=Column(String(64), nullable=False))
    statement_jws: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_by: str = Field(sa_column=Column(String(40), nullable=False))


class SettlementOffice(SQLModel, table=True):
    __tablename__ = "settlement_offices"
    __table_args__ = (UniqueConstraint("settlement_id", "office_id"),)

    id: int | None = Field(default=None, primary_key=True)
    settlement_id: int = Field(sa_column=_fk("settlements"))
    office_id: int = Field(sa_column=_fk("offices"))
    collections: int = Field(sa_column=Column(Integer, nullable=False))
    gross_centimes: int = Field(sa_column=_money())
    reversals: int = Field(sa_column=Column(Integer, nullable=False))
    reversed_centimes: int = Field(sa_column=_money())
    commission_centimes: int = Field(sa_column=_money())
    net_centimes: int = Field(sa_column=_money())


class LedgerFile(SQLModel, table=True):
    __tablename__ = "ledger_files"
    __table_args__ = (Index("ix_ledger_files_scope_day", "scope", "value_date"),)

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    # The network the file is for, or ALL; with the value date, what a newer file replaces.
    scope: str = Field(sa_column=Column(String(12), nullable=False))
    value_date: date = Field(sa_column=Column(Date, nullable=False))
    entries: int = Field(sa_column=Column(Integer, nullable=False))
    total_centimes: int = Field(sa_column=Column(BigInteger, nullable=False))
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # zlib of the file
    imported_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    imported_by: str = Field(sa_column=Column(String(40), nullable=False))


class BankStatement(SQLModel, table=True):
    __tablename__ = "bank_statements"
    __table_args__ = (
        CheckConstraint("kind IN ('camt053', 'csv')", name="kind"),
        Index("ix_bank_statements_key", "statement_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    kind: str = Field(sa_column=Column(String(8), nullable=False))
    # Stmt/Id (or the CSV's file name): a newer statement with the same key replaces it.
    statement_key: str = Field(sa_column=Column(String(200), nullable=False))
    first_booking: date = Field(sa_column=Column(Date, nullable=False))
    last_booking: date = Field(sa_column=Column(Date, nullable=False))
    transactions: int = Field(sa_column=Column(Integer, nullable=False))
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    imported_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    imported_by: str = Field(sa_column=Column(String(40), nullable=False))


class ReconciliationRun(SQLModel, table=True):
    """One version of business day D's reconciliation, across the networks settled for D."""

    __tablename__ = "reconciliation_runs"
    __table_args__ = (
        UniqueConstraint("business_date", "version"),
        # Re-running with the same inputs finds this version instead of making another.
        UniqueConstraint("business_date", "inputs_digest"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    business_date: date = Field(sa_column=Column(Date, nullable=False))
    version: int = Field(sa_column=Column(Integer, nullable=False))
    inputs_digest: str = Field(sa_column=Column(String(64), nullable=False))
    # JSON: the settlement references, ledger-file and bank-statement digests it read.
    inputs: str = Field(sa_column=Column(Text, nullable=False))
    # JSON: per network, counts and amounts per outcome, hub and ledger totals, bank result.
    summary: str = Field(sa_column=Column(Text, nullable=False))
    matched: int = Field(sa_column=Column(Integer, nullable=False))
    exceptions: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_by: str = Field(sa_column=Column(String(40), nullable=False))


EXCEPTION_STATUSES = ("open", "resolved", "written_off")


class ReconciliationException(SQLModel, table=True):
    __tablename__ = "reconciliation_exceptions"
    __table_args__ = (
        UniqueConstraint("run_id", "finding_key"),
        CheckConstraint("status IN ('open', 'resolved', 'written_off')", name="status"),
        CheckConstraint(
            "(status = 'open') = (reason_code IS NULL AND worked_at IS NULL)",
            name="worked_has_reason",
        ),
        CheckConstraint("source IN ('ledger', 'bank')", name="source"),
        Index("ix_reconciliation_exceptions_day", "business_date", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(sa_column=_fk("reconciliation_runs", index=True))
    # None for a bank credit that names no network.
    network_id: int | None = Field(sa_column=_fk("networks", nullable=True))
    business_date: date = Field(sa_column=Column(Date, nullable=False))
    source: str = Field(sa_column=Column(String(8), nullable=False))  # ledger or bank
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    # What the difference is about, stable across versions: outcome + references + entry ids.
    finding_key: str = Field(sa_column=Column(String(400), nullable=False))
    hub_references: str = Field(sa_column=Column(Text, nullable=False))
    entry_ids: str = Field(sa_column=Column(Text, nullable=False))
    registration_number: str | None = Field(sa_column=Column(String(10), nullable=True))
    hub_centimes: int = Field(sa_column=_money())
    other_centimes: int = Field(sa_column=_money())  # what the ledger or the bank shows
    difference_centimes: int = Field(sa_column=_money())
    detail: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(sa_column=Column(String(12), nullable=False))
    reason_code: str | None = Field(sa_column=Column(String(40), nullable=True))
    comment: str | None = Field(sa_column=Column(Text, nullable=True))
    worked_by: str | None = Field(sa_column=Column(String(40), nullable=True))
    worked_at: datetime | None = Field(sa_column=Column(UTCDateTime, nullable=True))
    # Carried over from the previous version, when it was already worked there.
    carried_from_id: int | None = Field(sa_column=_fk("reconciliation_exceptions", nullable=True))


class ExceptionAction(SQLModel, table=True):
    __tablename__ = "exception_actions"

    id: int | None = Field(default=None, primary_key=True)
    exception_id: int = Field(sa_column=_fk("reconciliation_exceptions", index=True))
    action: str = Field(sa_column=Column(String(20), nullable=False))
    from_status: str = Field(sa_column=Column(String(12), nullable=False))
    to_status: str = Field(sa_column=Column(String(12), nullable=False))
    reason_code: str = Field(sa_column=Column(String(40), nullable=False))
    comment: str = Field(sa_column=Column(Text, nullable=False))
    by: str = Field(sa_column=Column(String(40), nullable=False))
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
