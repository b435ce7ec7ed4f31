"""A network's fee per reimbursement file handled, dated like its commission rule.

Some networks are paid by CNSS for each file their offices take (a deposit not cancelled).
Each fee the CNSS admin sets is a row from a business date on; the fee of a day is the row
with the latest ``effective_from`` on or before it, and no row means no fee. One fee per
network and date: setting it again for the same (still future) date replaces it through the
unique constraint, never a check-then-insert.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from agent_api.persistence.types import UTCDateTime


class NetworkFileFee(SQLModel, table=True):
    __tablename__ = "network_file_fees"
    __table_args__ = (
        UniqueConstraint("network_id", "effective_from"),
        CheckConstraint("fee_centimes >= 0", name="fee_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(sa_column=Column(Integer, ForeignKey("networks.id"), nullable=False))
    effective_from: date = Field(sa_column=Column(Date, nullable=False))
    fee_centimes: int = Field(sa_column=Column(BigInteger, nullable=False))
    announced_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    announced_by: str = Field(sa_column=Column(String(40), nullable=False))
