"""Issued sessions: one row per token, so that logging out or suspending a user ends it at
once even though the JWT itself would still verify until it expires."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from agent_api.persistence.types import UTCDateTime


class UserSession(SQLModel, table=True):
    __tablename__ = "user_sessions"

    id: int | None = Field(default=None, primary_key=True)
    jti: str = Field(sa_column=Column(String(43), nullable=False, unique=True))
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id"), nullable=False, index=True)
    )
    audience: str = Field(sa_column=Column(String(32), nullable=False))
    # The terminal key the session is bound to (cnf.jkt); NULL for back-office sessions.
    terminal_keyid: str | None = Field(sa_column=Column(String(43), nullable=True))
    issued_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ended_at: datetime | None = Field(sa_column=Column(UTCDateTime, nullable=True))
