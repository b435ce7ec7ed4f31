"""audit tiles: the Merkle tree stored as C2SP tlog-tiles, for O(log n) proofs (issue 18)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

The table starts empty. On a database whose log already has leaves, the next checkpoint
builds the tiles of everything signed so far, in batches of 65,536 leaves each committed on
its own (checking each earlier checkpoint's root on the way), before it signs.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_tiles",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("tile_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("width", sa.SmallInteger(), nullable=False),
        sa.Column("hashes", sa.Text(), nullable=False),
        sa.CheckConstraint("level >= 0 AND level <= 63", name="level_range"),
        sa.CheckConstraint("tile_index >= 0", name="index_non_negative"),
        sa.CheckConstraint("width >= 1 AND width <= 256", name="width_range"),
        sa.CheckConstraint("length(hashes) = width * 64", name="hashes_match_width"),
        sa.PrimaryKeyConstraint("level", "tile_index"),
    )


def downgrade() -> None:
    op.drop_table("audit_tiles")
