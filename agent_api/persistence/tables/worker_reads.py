"""Which workers each terminal read by registration number, and when: what the read limit
counts (issue 16). A row lives as long as the limit's window; older rows are pruned as the
terminal reads on. No personal data: a terminal, a worker's row id and an instant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel

from agent_api.persistence.types import UTCDateTime


class WorkerRead(SQLModel, table=True):
    __tablename__ = "worker_reads"
    # The limit's question: this terminal's reads since an instant.
    __table_args__ = (Index("ix_worker_reads_terminal_at", "terminal_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    terminal_id: int = Field(sa_column=Column(Integer, ForeignKey("terminals.id"), nullable=False))
    worker_id: int = Field(sa_column=Column(Integer, ForeignKey("workers.id"), nullable=False))
    read_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
