"""AMO reimbursement files deposited at the counter, their same-day cancellations, and the
transmittal slips that send them to CNSS.

A deposit is written once and never updated: what happens to it later at CNSS comes as
tracking events of its own. Its slip is a receipt (kind ``deposit``), and its number is the
slip's row id (``D-<NETWORK>-<8 digits>``), so unique and never reused. A cancellation is a
new row, one per deposit by a unique constraint, with its own signed receipt (kind
``deposit_cancel``); its reason is free text an operator types, so it is sealed at rest.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from agent_api.persistence.sealing import Sealed
from agent_api.persistence.types import UTCDateTime

CARE_KIND_CHECK = (
    "care_kind IN ('consultation', 'pharmacy', 'laboratory', 'imaging', 'hospitalisation', "
    "'dental', 'optical', 'other')"
)


def _fk(
    table: str, *, nullable: bool = False, index: bool = False, unique: bool = False
) -> Column[int]:
    return Column(Integer, ForeignKey(f"{table}.id"), nullable=nullable, index=index, unique=unique)


class Deposit(SQLModel, table=True):
    __tablename__ = "deposits"
    __table_args__ = (
        CheckConstraint(CARE_KIND_CHECK, name="care_kind"),
        CheckConstraint("care_to >= care_from", name="care_dates_ordered"),
        CheckConstraint("amount_spent_centimes > 0", name="amount_positive"),
        CheckConstraint("documents > 0", name="documents_positive"),
        # A terminal's signed write makes at most one deposit, whatever the retries.
        UniqueConstraint("terminal_id", "sequence"),
        Index("ix_deposits_office_day", "office_id", "business_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(sa_column=Column(String(32), nullable=False, unique=True))
    slip_receipt_id: int = Field(sa_column=_fk("receipts", unique=True))
    worker_id: int = Field(sa_column=_fk("workers", index=True))
    # None: the worker is the beneficiary.
    dependent_id: int | None = Field(sa_column=_fk("worker_dependents", nullable=True))
    care_kind: str = Field(sa_column=Column(String(16), nullable=False))
    care_from: date = Field(sa_column=Column(Date, nullable=False))
    care_to: date = Field(sa_column=Column(Date, nullable=False))
    amount_spent_centimes: int = Field(sa_column=Column(BigInteger, nullable=False))
    documents: int = Field(sa_column=Column(Integer, nullable=False))
    # The warning codes the counter gave (comma-separated, "" for none); taken anyway
    # because the worker insisted when there is any.
    warnings: str = Field(sa_column=Column(String(100), nullable=False))
    network_id: int = Field(sa_column=_fk("networks"))
    office_id: int = Field(sa_column=_fk("offices"))
    terminal_id: int = Field(sa_column=_fk("terminals"))
    operator_id: int = Field(sa_column=_fk("users"))
    signed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    business_date: date = Field(sa_column=Column(Date, nullable=False))
    offline: bool = Field(sa_column=Column(Boolean, nullable=False))
    sequence: int = Field(sa_column=Column(BigInteger, nullable=False))


class DepositCancellation(SQLModel, table=True):
    __tablename__ = "deposit_cancellations"

    id: int | None = Field(default=None, primary_key=True)
    # One cancellation per deposit: a second one is refused by the database itself.
    deposit_id: int = Field(sa_column=_fk("deposits", unique=True))
    receipt_id: int = Field(sa_column=_fk("receipts", unique=True))
    reason: str = Field(sa_column=Column(Sealed("history"), nullable=False))
    supervisor_id: int = Field(sa_column=_fk("users"))
    operator_id: int = Field(sa_column=_fk("users"))
    network_id: int = Field(sa_column=_fk("networks"))
    office_id: int = Field(sa_column=_fk("offices", index=True))
    terminal_id: int = Field(sa_column=_fk("terminals"))
    signed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    business_date: date = Field(sa_column=Column(Date, nullable=False))
    sequence: int = Field(sa_column=Column(BigInteger, nullable=False))


class Transmittal(SQLModel, table=True):
    """A transmittal slip (bordereau): the deposits an office sends to CNSS in one bundle,
    with its signed manifest. It is closed when it is made: its items name its size in
    their foreign key and take positions 1..size, so nothing can be added once it exists."""

    __tablename__ = "transmittals"
    __table_args__ = (
        CheckConstraint("deposit_count > 0", name="not_empty"),
        UniqueConstraint("id", "deposit_count"),  # what the items' foreign key names
        UniqueConstraint("terminal_id", "sequence"),
        Index("ix_transmittals_office_day", "office_id", "business_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # B-<NETWORK>-<6 digits>, from the id: set in the transaction that makes the slip.
    number: str | None = Field(sa_column=Column(String(32), nullable=True, unique=True))
    network_id: int = Field(sa_column=_fk("networks"))
    office_id: int = Field(sa_column=_fk("offices"))
    business_date: date = Field(sa_column=Column(Date, nullable=False))
    deposit_count: int = Field(sa_column=Column(Integer, nullable=False))
    closed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    closed_by: int = Field(sa_column=_fk("users"))
    terminal_id: int = Field(sa_column=_fk("terminals"))
    sequence: int = Field(sa_column=Column(BigInteger, nullable=False))
    manifest: str = Field(sa_column=Column(Text, nullable=False))  # the signed manifest (JWS)


class TransmittalItem(SQLModel, table=True):
    """One deposit in one slip: a deposit is in at most one (unique), and a slip holds
    exactly the number of deposits it was closed with (positions 1..size, unique)."""

    __tablename__ = "transmittal_items"
    __table_args__ = (
        ForeignKeyConstraint(
            ["transmittal_id", "slip_size"],
            ["transmittals.id", "transmittals.deposit_count"],
        ),
        UniqueConstraint("transmittal_id", "position"),
        CheckConstraint("position BETWEEN 1 AND slip_size", name="position_within_size"),
    )

    id: int | None = Field(default=None, primary_key=True)
    transmittal_id: int = Field(sa_column=Column(Integer, nullable=False))
    slip_size: int = Field(sa_column=Column(Integer, nullable=False))
    position: int = Field(sa_column=Column(Integer, nullable=False))
    deposit_id: int = Field(sa_column=_fk("deposits", unique=True))
