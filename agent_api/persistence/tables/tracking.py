"""What CNSS's claims tracking files told the hub, and the exceptions finance must work.

A tracking file is recorded once (its SHA-256 is unique) and each event once (CNSS's event
id is unique): a file or an event sent again adds nothing. An exception is one row per
finding (its key is unique), opened when a finding appears and cleared when later events
explain it (an envelope reported missing, then found). Its ``priority`` orders the queue:
a missing envelope, the worst outcome for a worker, comes first.
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
    String,
    Text,
)
from sqlmodel import Field, SQLModel

from agent_api.persistence.sealing import Sealed
from agent_api.persistence.types import UTCDateTime

TRACKING_STATUSES = (
    "BORDEREAU_RECU",
    "RECU",
    "NON_RECU",
    "INCOMPLET",
    "EN_COURS",
    "REMBOURSE",
    "REJETE",
)
# Finding kind → its place in the queue (1 first).
EXCEPTION_PRIORITY = {
    "missing_envelope": 1,  # the batch arrived without it: the worker may lose everything
    "conflicting_outcome": 2,  # both reimbursed and refused
    "unreadable_label": 2,  # CNSS could not read the deposit number
    "unacknowledged_slip": 2,  # a slip left days ago and CNSS never said it arrived
    "unknown_deposit": 3,  # a deposit number the hub never issued
    "unknown_slip": 3,  # a slip number the hub never issued
}


def _fk(table: str, *, nullable: bool = True, index: bool = False) -> Column[int]:
    return Column(Integer, ForeignKey(f"{table}.id"), nullable=nullable, index=index)


def _in(column: str, values: tuple[str, ...] | list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class TrackingFileRecord(SQLModel, table=True):
    __tablename__ = "tracking_files"

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    source: str = Field(sa_column=Column(Text, nullable=False))
    events: int = Field(sa_column=Column(Integer, nullable=False))
    new_events: int = Field(sa_column=Column(Integer, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class TrackingEventRecord(SQLModel, table=True):
    __tablename__ = "tracking_events"
    __table_args__ = (
        CheckConstraint(_in("status", TRACKING_STATUSES), name="status"),
        CheckConstraint(
            "(status = 'REMBOURSE') = (reimbursed_centimes IS NOT NULL)", name="amount_on_refund"
        ),
        CheckConstraint("reimbursed_centimes IS NULL OR reimbursed_centimes >= 0", name="amount"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    file_id: int = Field(sa_column=_fk("tracking_files", nullable=False))
    event_date: date = Field(sa_column=Column(Date, nullable=False))
    network: str = Field(sa_column=Column(Text, nullable=False))
    slip_number: str | None = Field(sa_column=Column(Text, nullable=True))
    deposit_number: str | None = Field(sa_column=Column(Text, nullable=True))
    registration_number: str | None = Field(sa_column=Column(Text, nullable=True))
    cnss_file_number: str | None = Field(sa_column=Column(Text, nullable=True))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    reimbursed_centimes: int | None = Field(sa_column=Column(BigInteger, nullable=True))
    reason_code: str | None = Field(sa_column=Column(Text, nullable=True))
    # CNSS's free text may say anything about the person's care: sealed at rest.
    reason_text: str | None = Field(sa_column=Column(Sealed("history"), nullable=True))
    deposit_id: int | None = Field(sa_column=_fk("deposits", index=True))
    transmittal_id: int | None = Field(sa_column=_fk("transmittals", index=True))
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class TrackingException(SQLModel, table=True):
    __tablename__ = "tracking_exceptions"
    __table_args__ = (
        CheckConstraint(_in("kind", list(EXCEPTION_PRIORITY)), name="kind"),
        CheckConstraint("status IN ('open', 'cleared')", name="status"),
        Index("ix_tracking_exceptions_queue", "status", "priority", "opened_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # What the finding is about, e.g. "missing_envelope:D-CASHPLUS-00001208": one row each.
    finding_key: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    kind: str = Field(sa_column=Column(String(24), nullable=False))
    priority: int = Field(sa_column=Column(Integer, nullable=False))
    network: str = Field(sa_column=Column(Text, nullable=False))
    deposit_id: int | None = Field(sa_column=_fk("deposits"))
    transmittal_id: int | None = Field(sa_column=_fk("transmittals"))
    event_id: str | None = Field(sa_column=Column(Text, nullable=True))
    registration_number: str | None = Field(sa_column=Column(Text, nullable=True))
    detail: str = Field(sa_column=Column(Text, nullable=False))  # numbers only, never care
    status: str = Field(sa_column=Column(String(8), nullable=False))
    opened_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    cleared_at: datetime | None = Field(sa_column=Column(UTCDateTime, nullable=True))
