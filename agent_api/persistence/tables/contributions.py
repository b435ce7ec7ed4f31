"""Collections, reversals, their allocations to months, fishing-day declarations and
surcharge amnesties.

A payer's phone is sealed at rest (``persistence.sealing``). Nothing here is ever updated
or deleted: a reversal is a new row (one per collection, by a
unique constraint) with allocations that mirror the original's with the opposite sign.
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
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from agent_api.persistence.sealing import Sealed
from agent_api.persistence.types import UTCDateTime


def _fk(table: str, *, nullable: bool = False, index: bool = False) -> Column[int]:
    return Column(Integer, ForeignKey(f"{table}.id"), nullable=nullable, index=index)


class Contribution(SQLModel, table=True):
    __tablename__ = "contributions"
    __table_args__ = (
        CheckConstraint("amount_centimes > 0", name="amount_positive"),
        Index("ix_contributions_office_day", "office_id", "business_date"),
        Index("ix_contributions_network_day", "network_id", "business_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    receipt_id: int = Field(
        sa_column=Column(Integer, ForeignKey("receipts.id"), nullable=False, unique=True)
    )
    worker_id: int = Field(sa_column=_fk("workers", index=True))
    network_id: int = Field(sa_column=_fk("networks"))
    office_id: int = Field(sa_column=_fk("offices"))
    terminal_id: int = Field(sa_column=_fk("terminals"))
    operator_id: int = Field(sa_column=_fk("users"))
    amount_centimes: int = Field(sa_column=Column(BigInteger, nullable=False))
    payer_phone: str | None = Field(sa_column=Column(Sealed("contact"), nullable=True))
    signed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    business_date: date = Field(sa_column=Column(Date, nullable=False))
    offline: bool = Field(sa_column=Column(Boolean, nullable=False))
    # An offline collection signed on a day already closed joins the next open day: late,
    # and it keeps the day it was really made.
    late: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    signed_business_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    sequence: int = Field(sa_column=Column(BigInteger, nullable=False))


class Reversal(SQLModel, table=True):
    __tablename__ = "reversals"
    __table_args__ = (CheckConstraint("amount_centimes > 0", name="amount_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    # One reversal per collection: a second one is refused by the database itself.
    contribution_id: int = Field(
        sa_column=Column(Integer, ForeignKey("contributions.id"), nullable=False, unique=True)
    )
    receipt_id: int = Field(
        sa_column=Column(Integer, ForeignKey("receipts.id"), nullable=False, unique=True)
    )
    reason: str = Field(sa_column=Column(Text, nullable=False))
    supervisor_id: int = Field(sa_column=_fk("users"))
    operator_id: int = Field(sa_column=_fk("users"))
    network_id: int = Field(sa_column=_fk("networks"))
    office_id: int = Field(sa_column=_fk("offices", index=True))
    terminal_id: int = Field(sa_column=_fk("terminals"))
    amount_centimes: int = Field(sa_column=Column(BigInteger, nullable=False))
    signed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    business_date: date = Field(sa_column=Column(Date, nullable=False))
    sequence: int = Field(sa_column=Column(BigInteger, nullable=False))


class AccountAllocation(SQLModel, table=True):
    """Money credited to (or, for a reversal, taken back from) one month of one worker."""

    __tablename__ = "allocations"
    __table_args__ = (
        CheckConstraint("kind IN ('due', 'surcharge')", name="kind"),
        CheckConstraint("amount_centimes <> 0", name="amount_non_zero"),
        CheckConstraint("(contribution_id IS NULL) <> (reversal_id IS NULL)", name="one_source"),
        Index("ix_allocations_worker_month", "worker_id", "month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    worker_id: int = Field(sa_column=_fk("workers"))
    month: date = Field(sa_column=Column(Date, nullable=False))
    kind: str = Field(sa_column=Column(String(10), nullable=False))
    amount_centimes: int = Field(sa_column=Column(BigInteger, nullable=False))
    contribution_id: int | None = Field(sa_column=_fk("contributions", nullable=True, index=True))
    reversal_id: int | None = Field(sa_column=_fk("reversals", nullable=True))


class DailyDeclaration(SQLModel, table=True):
    """A day a fishing-sector worker worked, declared by the boat owner or cooperative."""

    __tablename__ = "daily_declarations"
    __table_args__ = (
        UniqueConstraint("worker_id", "day"),
        CheckConstraint("earnings_centimes >= 0", name="earnings_non_negative"),
        CheckConstraint("contribution_centimes > 0", name="contribution_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    worker_id: int = Field(sa_column=_fk("workers"))
    day: date = Field(sa_column=Column(Date, nullable=False))
    earnings_centimes: int = Field(sa_column=Column(BigInteger, nullable=False))
    contribution_centimes: int = Field(sa_column=Column(BigInteger, nullable=False))
    declared_by: str = Field(sa_column=Column(String(120), nullable=False))
    declared_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    office_id: int = Field(sa_column=_fk("offices"))
    terminal_id: int = Field(sa_column=_fk("terminals"))
    user_id: int = Field(sa_column=_fk("users"))
    sequence: int = Field(sa_column=Column(BigInteger, nullable=False))


class SurchargeWaiver(SQLModel, table=True):
    """An amnesty: no late surcharge between two dates for the listed categories (all when
    empty)."""

    __tablename__ = "surcharge_waivers"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates_ordered"),)

    id: int | None = Field(default=None, primary_key=True)
    starts_on: date = Field(sa_column=Column(Date, nullable=False))
    ends_on: date = Field(sa_column=Column(Date, nullable=False))
    categories: str = Field(sa_column=Column(Text, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_by: str = Field(sa_column=Column(String(40), nullable=False))
