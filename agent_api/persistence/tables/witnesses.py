"""Witnesses' cosignatures of the audit log's checkpoints (C2SP tlog-cosignature).

One row per (checkpoint size, witness key): the signature line the witness answered, which
GET /v1/audit/checkpoint appends to the checkpoint's note. The newest size a witness
cosigned is where the next submission to it starts (tlog-witness ``old``). A witness's line
is stored only after it verified against the witness's configured key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Text
from sqlmodel import Field, SQLModel

from agent_api.persistence.types import UTCDateTime


class AuditCosignature(SQLModel, table=True):
    __tablename__ = "audit_cosignatures"
    # Where each witness stands: its newest cosigned size.
    __table_args__ = (Index("ix_audit_cosignatures_witness_size", "witness", "size"),)

    # A cosignature is of a checkpoint the log signed, never of a size it did not.
    size: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("audit_checkpoints.size"),
            primary_key=True,
            autoincrement=False,
        )
    )
    # The witness's vkey (<name>+<key id>+<key>): the same witness under a new key is another.
    witness: str = Field(sa_column=Column(String(400), primary_key=True))
    line: str = Field(sa_column=Column(Text, nullable=False))
    # The witness's own timestamp in the cosignature, and when the log received it.
    cosigned_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
