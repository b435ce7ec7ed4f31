"""Workers, their dependents and category history, the tariff, the liaison lists, receipts.

Personal data: the CIN is stored only encrypted (``*_ciphertext``, with the id of the key
that encrypted it) and as an HMAC blind index (``*_cin_index``) that makes "one CIN, one
worker" a unique constraint without the database ever holding a clear CIN. Phones,
addresses and the values of amendments are ``Sealed`` columns (``persistence.sealing``):
clear in Python, sealed in the database, never searched.
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
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from agent_api.persistence.sealing import Sealed
from agent_api.persistence.types import UTCDateTime


class Category(SQLModel, table=True):
    __tablename__ = "categories"

    code: str = Field(sa_column=Column(String(24), primary_key=True))
    label_fr: str = Field(sa_column=Column(String(120), nullable=False))
    label_ar: str = Field(sa_column=Column(String(120), nullable=False))
    document_label: str | None = Field(sa_column=Column(String(80), nullable=True))
    document_pattern: str | None = Field(sa_column=Column(String(120), nullable=True))
    # CPU subjects pay their health contribution through the tax: nothing at the counter.
    collected_at_counter: bool = Field(sa_column=Column(Boolean, nullable=False))
    daily_declaration: bool = Field(sa_column=Column(Boolean, nullable=False))


class CategoryBracket(SQLModel, table=True):
    __tablename__ = "category_brackets"

    category: str = Field(
        sa_column=Column(String(24), ForeignKey("categories.code"), primary_key=True)
    )
    code: str = Field(sa_column=Column(String(24), primary_key=True))
    label: str = Field(sa_column=Column(String(120), nullable=False))


class TariffRate(SQLModel, table=True):
    """An effective-dated base and rate. Rows are never edited: a change is a new row
    effective from a future month, so past dues never move."""

    __tablename__ = "tariff_rates"
    __table_args__ = (
        UniqueConstraint("category", "bracket", "effective_from"),
        CheckConstraint("base_centimes > 0", name="base_positive"),
        CheckConstraint("rate_bps > 0 AND rate_bps <= 10000", name="rate_range"),
        ForeignKeyConstraint(
            ["category", "bracket"], ["category_brackets.category", "category_brackets.code"]
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    category: str = Field(sa_column=Column(String(24), nullable=False))
    bracket: str = Field(sa_column=Column(String(24), nullable=False))
    effective_from: date = Field(sa_column=Column(Date, nullable=False))
    base_centimes: int = Field(sa_column=Column(BigInteger, nullable=False))
    rate_bps: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_by: str = Field(sa_column=Column(String(40), nullable=False))


class Worker(SQLModel, table=True):
    __tablename__ = "workers"
    __table_args__ = (
        CheckConstraint("sex IN ('F', 'M')", name="sex"),
        CheckConstraint("status IN ('active', 'suspended', 'closed')", name="status"),
        ForeignKeyConstraint(
            ["category", "bracket"], ["category_brackets.category", "category_brackets.code"]
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Derived from the id in the same transaction as the insert (serial + Damm digit).
    registration_number: str | None = Field(
        sa_column=Column(String(10), nullable=True, unique=True)
    )
    cin_index: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    cin_ciphertext: str = Field(sa_column=Column(Text, nullable=False))
    cin_key_id: str = Field(sa_column=Column(String(16), nullable=False))
    last_name: str = Field(sa_column=Column(String(60), nullable=False))
    first_name: str = Field(sa_column=Column(String(60), nullable=False))
    last_name_ar: str | None = Field(sa_column=Column(String(60), nullable=True))
    first_name_ar: str | None = Field(sa_column=Column(String(60), nullable=True))
    birth_date: date = Field(sa_column=Column(Date, nullable=False))
    sex: str = Field(sa_column=Column(String(1), nullable=False))
    phone: str = Field(sa_column=Column(Sealed("contact"), nullable=False))
    address: str = Field(sa_column=Column(Sealed("contact"), nullable=False))
    city: str = Field(sa_column=Column(String(60), nullable=False))
    category: str = Field(sa_column=Column(String(24), nullable=False))
    bracket: str = Field(sa_column=Column(String(24), nullable=False))
    document_number: str | None = Field(sa_column=Column(String(40), nullable=True))
    coverage_start: date = Field(sa_column=Column(Date, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    enrolled_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    office_id: int = Field(sa_column=Column(Integer, ForeignKey("offices.id"), nullable=False))
    terminal_id: int = Field(sa_column=Column(Integer, ForeignKey("terminals.id"), nullable=False))
    enrolled_by: int = Field(sa_column=Column(Integer, ForeignKey("users.id"), nullable=False))


class WorkerCategoryPeriod(SQLModel, table=True):
    """Which category and bracket a worker is in from which month: dues follow it."""

    __tablename__ = "worker_category_periods"
    __table_args__ = (
        UniqueConstraint("worker_id", "effective_from"),
        ForeignKeyConstraint(
            ["category", "bracket"], ["category_brackets.category", "category_brackets.code"]
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    worker_id: int = Field(sa_column=Column(Integer, ForeignKey("workers.id"), nullable=False))
    category: str = Field(sa_column=Column(String(24), nullable=False))
    bracket: str = Field(sa_column=Column(String(24), nullable=False))
    effective_from: date = Field(sa_column=Column(Date, nullable=False))


class WorkerDependent(SQLModel, table=True):
    __tablename__ = "worker_dependents"
    __table_args__ = (
        CheckConstraint("relation IN ('spouse', 'child')", name="relation"),
        CheckConstraint("sex IN ('F', 'M')", name="sex"),
        # A person is the spouse (or the child) of one insured worker at a time.
        Index(
            "uq_worker_dependents_cin_relation_current",
            "cin_index",
            "relation",
            unique=True,
            sqlite_where=text("removed_at IS NULL AND cin_index IS NOT NULL"),
            postgresql_where=text("removed_at IS NULL AND cin_index IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    worker_id: int = Field(
        sa_column=Column(Integer, ForeignKey("workers.id"), nullable=False, index=True)
    )
    relation: str = Field(sa_column=Column(String(8), nullable=False))
    cin_index: str | None = Field(sa_column=Column(String(64), nullable=True))
    cin_ciphertext: str | None = Field(sa_column=Column(Text, nullable=True))
    cin_key_id: str | None = Field(sa_column=Column(String(16), nullable=True))
    last_name: str = Field(sa_column=Column(String(60), nullable=False))
    first_name: str = Field(sa_column=Column(String(60), nullable=False))
    birth_date: date = Field(sa_column=Column(Date, nullable=False))
    sex: str = Field(sa_column=Column(String(1), nullable=False))
    student: bool = Field(sa_column=Column(Boolean, nullable=False))
    disabled: bool = Field(sa_column=Column(Boolean, nullable=False))
    added_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    removed_at: datetime | None = Field(sa_column=Column(UTCDateTime, nullable=True))


class WorkerAmendment(SQLModel, table=True):
    """Every change to a worker, with who, where and when. Values never hold a clear CIN."""

    __tablename__ = "worker_amendments"

    id: int | None = Field(default=None, primary_key=True)
    worker_id: int = Field(
        sa_column=Column(Integer, ForeignKey("workers.id"), nullable=False, index=True)
    )
    field: str = Field(sa_column=Column(String(40), nullable=False))
    # Sealed whatever the field: an old phone or address is as personal as the current one.
    old_value: str | None = Field(sa_column=Column(Sealed("history"), nullable=True))
    new_value: str | None = Field(sa_column=Column(Sealed("history"), nullable=True))
    effective_from: date | None = Field(sa_column=Column(Date, nullable=True))
    changed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    office_id: int = Field(sa_column=Column(Integer, ForeignKey("offices.id"), nullable=False))
    terminal_id: int = Field(sa_column=Column(Integer, ForeignKey("terminals.id"), nullable=False))
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("users.id"), nullable=False))
    sequence: int = Field(sa_column=Column(BigInteger, nullable=False))


class LiaisonEntry(SQLModel, table=True):
    """A person a liaison body told CNSS to expect; completed at the counter."""

    __tablename__ = "liaison_entries"

    id: int | None = Field(default=None, primary_key=True)
    cin_index: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    cin_ciphertext: str = Field(sa_column=Column(Text, nullable=False))
    cin_key_id: str = Field(sa_column=Column(String(16), nullable=False))
    last_name: str = Field(sa_column=Column(String(60), nullable=False))
    first_name: str = Field(sa_column=Column(String(60), nullable=False))
    birth_date: date | None = Field(sa_column=Column(Date, nullable=True))
    category: str = Field(
        sa_column=Column(String(24), ForeignKey("categories.code"), nullable=False)
    )
    bracket: str | None = Field(sa_column=Column(String(24), nullable=True))
    document_number: str | None = Field(sa_column=Column(String(40), nullable=True))
    phone: str | None = Field(sa_column=Column(Sealed("contact"), nullable=True))
    city: str | None = Field(sa_column=Column(String(60), nullable=True))
    source: str | None = Field(sa_column=Column(String(120), nullable=True))
    file_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    line_number: int = Field(sa_column=Column(Integer, nullable=False))
    imported_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    worker_id: int | None = Field(
        sa_column=Column(Integer, ForeignKey("workers.id"), nullable=True)
    )


class Receipt(SQLModel, table=True):
    """Every receipt the service signed. ``number`` is what the worker holds and what the
    CNSS ledger quotes; ``jws`` is the signed receipt itself."""

    __tablename__ = "receipts"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('enrollment', 'collection', 'reversal', 'certificate', 'deposit', "
            "'deposit_cancel')",
            name="kind",
        ),
        CheckConstraint("amount_centimes IS NULL OR amount_centimes > 0", name="amount_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(sa_column=Column(String(32), nullable=True, unique=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    worker_id: int = Field(
        sa_column=Column(Integer, ForeignKey("workers.id"), nullable=False, index=True)
    )
    network_id: int = Field(sa_column=Column(Integer, ForeignKey("networks.id"), nullable=False))
    office_id: int = Field(
        sa_column=Column(Integer, ForeignKey("offices.id"), nullable=False, index=True)
    )
    terminal_id: int = Field(sa_column=Column(Integer, ForeignKey("terminals.id"), nullable=False))
    amount_centimes: int | None = Field(sa_column=Column(BigInteger, nullable=True))
    issued_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    jws: str = Field(sa_column=Column(Text, nullable=False))
