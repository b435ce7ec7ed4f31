"""Cash-drawer closes: what an operator counted at the end of a business day, what the hub
expected from that terminal's collections and reversals, and the signed report.

One close per terminal and business day, by a unique constraint: a retry finds the close
already made, a concurrent second close fails on the constraint. The difference is stored
and held equal to counted minus expected by the database itself, and expected to collected
minus reversed, so no report can say one thing and its figures another.
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
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from agent_api.persistence.types import UTCDateTime


def _fk(table: str) -> Column[int]:
    return Column(Integer, ForeignKey(f"{table}.id"), nullable=False)


class DrawerClose(SQLModel, table=True):
    __tablename__ = "drawer_closes"
    __table_args__ = (
        UniqueConstraint("terminal_id", "business_date"),
        CheckConstraint("counted_centimes >= 0", name="counted_non_negative"),
        CheckConstraint(
            "collections >= 0 AND reversals >= 0 AND collected_centimes >= 0 "
            "AND reversed_centimes >= 0",
            name="totals_non_negative",
        ),
        CheckConstraint(
            "expected_centimes = collected_centimes - reversed_centimes", name="expected"
        ),
        CheckConstraint(
            "difference_centimes = counted_centimes - expected_centimes", name="difference"
        ),
        Index("ix_drawer_closes_office_day", "office_id", "business_date"),
        Index("ix_drawer_closes_network_day", "network_id", "business_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # C-<NETWORK>-<8 digits>: set with the signature, in the same transaction as the row.
    number: str | None = Field(sa_column=Column(String(32), nullable=True, unique=True))
    network_id: int = Field(sa_column=_fk("networks"))
    office_id: int = Field(sa_column=_fk("offices"))
    terminal_id: int = Field(sa_column=_fk("terminals"))
    operator_id: int = Field(sa_column=_fk("users"))
    business_date: date = Field(sa_column=Column(Date, nullable=False))
    # The count, denomination:quantity from the largest note down (domain.cash.canonical).
    counts: str = Field(sa_column=Column(Text, nullable=False))
    counted_centimes: int = Field(sa_column=Column(BigInteger, nullable=False))
    collections: int = Field(sa_column=Column(Integer, nullable=False))
    collected_centimes: int = Field(sa_column=Column(BigInteger, nullable=False))
    reversals: int = Field(sa_column=Column(Integer, nullable=False))
    reversed_centimes: int = Field(sa_column=Column(BigInteger, nullable=False))
    expected_centimes: int = Field(sa_column=Column(BigInteger, nullable=False))
    difference_centimes: int = Field(sa_column=Column(BigInteger, nullable=False))
    signed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    closed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    sequence: int = Field(sa_column=Column(BigInteger, nullable=False))
    jws: str = Field(sa_column=Column(Text, nullable=False))
