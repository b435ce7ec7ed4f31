"""Business days per network: OPEN until reconciliation closes them, then CLOSED forever.

A collection holds a shared lock on its day's row while it is recorded, and closing takes
the row's exclusive lock: nothing can join a day while it is being closed, and once it is
closed a late arrival goes to the next open day.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from agent_api.persistence.types import UTCDateTime


class BusinessDay(SQLModel, table=True):
    __tablename__ = "business_days"
    __table_args__ = (
        UniqueConstraint("network_id", "business_date"),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_has_time"),
    )

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(sa_column=Column(Integer, ForeignKey("networks.id"), nullable=False))
    business_date: date = Field(sa_column=Column(Date, nullable=False))
    status: str = Field(sa_column=Column(String(8), nullable=False))
    closed_at: datetime | None = Field(sa_column=Column(UTCDateTime, nullable=True))
    closed_by: str | None = Field(sa_column=Column(String(40), nullable=True))
