"""How CNSS finance works the claims tracking exceptions: who took each one, whether it is
resolved and why, and every action with who and when.

The tracking run owns ``tracking_exceptions`` (it opens a finding and clears it when later
events explain it); finance's work sits beside it, so neither overwrites the other. One work
row per exception (unique), changed by conditional updates so that two officers acting at
once get one success and one clear answer. Every action is a row of its own, keyed by the
form that sent it (unique exception and request key): the same form posted twice records
one action. A note may name the worker or say something of their care: sealed at rest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from agent_api.persistence.sealing import Sealed
from agent_api.persistence.types import UTCDateTime

WORK_STATES = ("open", "resolved")
ACTIONS = ("take", "note", "resolve", "reopen")
# Why a tracking exception was resolved; the note says the rest.
RESOLUTIONS = (
    "envelope_found_resent",
    "envelope_found_at_cnss",
    "worker_informed",
    "worker_redeposited",
    "cnss_error",
    "label_matched",
    "other",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class TrackingExceptionWork(SQLModel, table=True):
    __tablename__ = "tracking_exception_work"
    __table_args__ = (
        CheckConstraint(_in("state", WORK_STATES), name="state"),
        CheckConstraint(_in("resolution", RESOLUTIONS), name="resolution"),
        # A resolved exception says why; an open one has no resolution left over.
        CheckConstraint("(state = 'resolved') = (resolution IS NOT NULL)", name="resolved_why"),
    )

    id: int | None = Field(default=None, primary_key=True)
    exception_id: int = Field(
        sa_column=Column(Integer, ForeignKey("tracking_exceptions.id"), nullable=False, unique=True)
    )
    state: str = Field(sa_column=Column(String(8), nullable=False))
    assignee: str | None = Field(sa_column=Column(String(40), nullable=True))
    resolution: str | None = Field(sa_column=Column(String(24), nullable=True))
    changed_by: str = Field(sa_column=Column(String(40), nullable=False))
    changed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class TrackingExceptionAction(SQLModel, table=True):
    __tablename__ = "tracking_exception_actions"
    __table_args__ = (
        CheckConstraint(_in("action", ACTIONS), name="action"),
        CheckConstraint(_in("resolution", RESOLUTIONS), name="resolution"),
        UniqueConstraint("exception_id", "request_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    exception_id: int = Field(
        sa_column=Column(Integer, ForeignKey("tracking_exceptions.id"), nullable=False)
    )
    # The form's one-time key: a second post of the same form finds its action here.
    request_key: str = Field(sa_column=Column(String(32), nullable=False))
    action: str = Field(sa_column=Column(String(8), nullable=False))
    resolution: str | None = Field(sa_column=Column(String(24), nullable=True))
    note: str | None = Field(sa_column=Column(Sealed("history"), nullable=True))
    by: str = Field(sa_column=Column(String(40), nullable=False))
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
