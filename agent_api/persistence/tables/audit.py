"""The tamper-evident audit log: its leaves, its head and its signed checkpoints.

A transaction records its leaf as a pending entry (``audit_entries``) and holds no lock of
the log; the sequencer gives the pending entries their indexes in batches, under the head
row's lock, and moves them to ``audit_leaves``: indexes are dense and never reused. The head
keeps the tree's frontier (RFC 6962 compact range), so a new root costs O(log n) whatever
the log's size. The tree itself is stored as C2SP tlog-tiles: one row per tile, growing
until it is 256 hashes wide (then never written again), so that a proof reads a few rows per
level whatever the log's size.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
)
from sqlmodel import Field, SQLModel

from agent_api.persistence.types import UTCDateTime


class AuditLeaf(SQLModel, table=True):
    __tablename__ = "audit_leaves"
    __table_args__ = (CheckConstraint("leaf_index >= 0", name="index_non_negative"),)

    leaf_index: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(sa_column=Column(String(40), nullable=False))
    # The leaf's bytes (canonical JSON, UTF-8): what is hashed is exactly what is stored.
    data: str = Field(sa_column=Column(Text, nullable=False))
    leaf_hash: str = Field(sa_column=Column(String(64), nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    # The entry id a leaf was written under (``AuditEntry``); none before the sequencer.
    entry: str | None = Field(default=None, sa_column=Column(String(32), unique=True))
    # When the sequencer gave it its index (none before the sequencer): not part of the
    # leaf's bytes, what the operators and the benchmark read the merge delay from.
    sequenced_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class AuditEntry(SQLModel, table=True):
    """A leaf written by its transaction and not yet in the tree: the sequencer gives it the
    next index and moves it to ``audit_leaves`` in a batch. ``id`` orders the entries for the
    sequencer only; the ``entry`` id, random, is what a receipt names."""

    __tablename__ = "audit_entries"

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    )
    entry: str = Field(sa_column=Column(String(32), nullable=False, unique=True))
    kind: str = Field(sa_column=Column(String(40), nullable=False))
    data: str = Field(sa_column=Column(Text, nullable=False))
    leaf_hash: str = Field(sa_column=Column(String(64), nullable=False))
    recorded_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class AuditHead(SQLModel, table=True):
    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The compact range: one hex hash per set bit of size, largest subtree first.
    frontier: str = Field(sa_column=Column(Text, nullable=False))


class AuditCheckpoint(SQLModel, table=True):
    __tablename__ = "audit_checkpoints"

    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root_hash: str = Field(sa_column=Column(String(64), nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    # The frontier at this size: the next checkpoint is built from it, which proves it
    # extends this one.
    frontier: str = Field(sa_column=Column(Text, nullable=False))
    signed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class AuditTile(SQLModel, table=True):
    """A tile of the tree (C2SP tlog-tiles, height 8): ``width`` consecutive hashes at height
    8·level, concatenated (32 bytes each). A row grows, by compare-and-swap on ``width``, when
    a checkpoint integrates new leaves, until it is full (256 wide) and immutable. Stored as
    lower-case hex, as every hash of the log is (text scanned for personal data stays
    readable): 16 KB a full tile, one row per 256 leaves."""

    __tablename__ = "audit_tiles"
    __table_args__ = (
        PrimaryKeyConstraint("level", "tile_index"),
        CheckConstraint("level >= 0 AND level <= 63", name="level_range"),
        CheckConstraint("tile_index >= 0", name="index_non_negative"),
        CheckConstraint("width >= 1 AND width <= 256", name="width_range"),
        CheckConstraint("length(hashes) = width * 64", name="hashes_match_width"),
    )

    level: int = Field(sa_column=Column(SmallInteger, nullable=False, autoincrement=False))
    tile_index: int = Field(sa_column=Column(BigInteger, nullable=False, autoincrement=False))
    width: int = Field(sa_column=Column(SmallInteger, nullable=False))
    hashes: str = Field(sa_column=Column(Text, nullable=False))
