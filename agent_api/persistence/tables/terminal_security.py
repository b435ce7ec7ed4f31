"""What the signed-request layer records: every claimed sequence number with the response it
got, and security events for auditors.

``idempotency_records`` is the authority on which sequence numbers a terminal used: the
unique ``(terminal_id, key)`` is what makes a retried write exactly-once, and the gaps in it
are what auditors check.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from agent_api.persistence.types import UTCDateTime


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("terminal_id", "key"),
        CheckConstraint("key > 0", name="key_positive"),
        CheckConstraint("response_status BETWEEN 100 AND 599", name="response_status_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    terminal_id: int = Field(sa_column=Column(Integer, ForeignKey("terminals.id"), nullable=False))
    key: int = Field(sa_column=Column(BigInteger, nullable=False))
    # SHA-256 over method, path, query and body: "the same request" for replay purposes.
    request_digest: str = Field(sa_column=Column(String(64), nullable=False))
    keyid: str = Field(sa_column=Column(String(43), nullable=False))
    signed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    offline: bool = Field(sa_column=Column(Boolean, nullable=False))
    response_status: int = Field(sa_column=Column(Integer, nullable=False))
    response_body: str = Field(sa_column=Column(Text, nullable=False))


class SecurityEvent(SQLModel, table=True):
    """Something an auditor must see: a reused sequence number, a gap, a revoked key used,
    repeated failed activations or sign-ins. ``detail`` is JSON without secrets or CINs."""

    __tablename__ = "security_events"

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    kind: str = Field(sa_column=Column(String(40), nullable=False, index=True))
    terminal_id: int | None = Field(
        sa_column=Column(Integer, ForeignKey("terminals.id"), nullable=True, index=True)
    )
    keyid: str | None = Field(sa_column=Column(String(43), nullable=True))
    detail: str = Field(sa_column=Column(Text, nullable=False))
