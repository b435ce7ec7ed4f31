"""The audit log's head: the seeded leaves folded into their Merkle frontier (RFC 6962) and
their C2SP tlog-tiles, written as the log's head and tiles with, given the log key, a signed
checkpoint (so that the service's first checkpoint has no tiles left to build, and proofs
read tiles from the start)."""

from __future__ import annotations

import binascii
import itertools
from collections.abc import Iterable, Iterator
from datetime import datetime

from agent_api.protocol import merkle, tiles
from agent_api.protocol.checkpoint import Checkpoint, NoteSigner, sign_checkpoint

from .session import Session

_BLOCK = 1 << 16  # leaves hashed per perfect subtree at a time


def _perfect_root(level: list[bytes]) -> bytes:
    while len(level) > 1:
        level = [merkle.node_hash(a, b) for a, b in zip(level[::2], level[1::2], strict=True)]
    return level[0]


class TileBuilder:
    """The tiles of the leaf hashes given in order: the full ones as they fill, the partial
    ones at the end (about 8 KB of memory per 256 leaves: 320 MB at 10 M)."""

    def __init__(self) -> None:
        self.size = 0
        self.full: list[tuple[tiles.TileId, bytes]] = []
        self.edges: dict[tiles.TileId, bytes] = {}

    def add(self, hashes: list[bytes]) -> None:
        for tile, data in tiles.grow(self.size, hashes, self.edges).items():
            if len(data) == tiles.TILE_BYTES:
                self.full.append((tile, data))
                self.edges.pop(tile, None)
            else:
                self.edges[tile] = data
        self.size += len(hashes)

    def rows(self) -> Iterator[tuple[int, int, int, str]]:
        for tile, data in [*self.full, *self.edges.items()]:
            yield tile.level, tile.index, len(data) // merkle.HASH_SIZE, data.hex()


def frontier(
    chunks: Iterable[list[bytes]], size: int, built: TileBuilder | None = None
) -> merkle.CompactRange:
    """The compact range of ``size`` leaf hashes given in order, in chunks: aligned blocks of
    2^16 leaves are folded level by level, their roots merged like leaves one level up.
    ``built`` gets every chunk too."""
    blocks = size // _BLOCK
    top, rest = merkle.CompactRange(), merkle.CompactRange()
    pending: list[bytes] = []
    for chunk in chunks:
        if built is not None:
            built.add(chunk)
        pending.extend(chunk)
        while top.size < blocks and len(pending) >= _BLOCK:
            top.append(_perfect_root(pending[:_BLOCK]))
            del pending[:_BLOCK]
        if top.size == blocks:
            rest.extend(pending)
            pending = []
    rest.extend(pending)
    if top.size != blocks or rest.size != size - blocks * _BLOCK:
        raise RuntimeError("the log holds fewer leaves than its size")
    return merkle.CompactRange(size, [*top.hashes, *rest.hashes])


def leaf_hashes(session: Session) -> Iterator[list[bytes]]:
    """Every leaf hash in index order, 32 raw bytes each, in chunks."""
    statement = "SELECT leaf_hash FROM audit_leaves ORDER BY leaf_index"
    if session.sql.name == "sqlite":
        cursor = session.driver.execute(statement)
        while batch := cursor.fetchmany(100_000):
            yield [bytes.fromhex(h) for (h,) in batch]
        return
    line = 65  # 64 hex digits and a newline
    buffer = b""
    with session.driver.cursor().copy(f"COPY ({statement}) TO STDOUT") as copy:
        for data in copy:
            buffer += bytes(data)
            whole = len(buffer) // line * line
            raw = binascii.unhexlify(buffer[:whole].replace(b"\n", b""))
            buffer = buffer[whole:]
            yield [raw[k : k + 32] for k in range(0, len(raw), 32)]
    session.commit()


def write_head(
    session: Session,
    compact: merkle.CompactRange,
    signer: NoteSigner | None,
    now: datetime,
    built: TileBuilder | None = None,
) -> None:
    """The log's head, its tiles (given ``built``) and its signed checkpoint (given a signer),
    in the session's transaction."""
    hashes = " ".join(h.hex() for h in compact.hashes)
    if built is not None:
        if built.size != compact.size:
            raise RuntimeError("the tiles were built from another number of leaves")
        session.execute("DELETE FROM audit_tiles", None)
        rows = built.rows()
        while batch := list(itertools.islice(rows, 1000)):
            session.executemany(
                "INSERT INTO audit_tiles (level, tile_index, width, hashes) VALUES (?, ?, ?, ?)",
                batch,
            )
    session.execute("DELETE FROM audit_head", None)
    session.execute(
        "INSERT INTO audit_head (id, size, frontier) VALUES (1, ?, ?)", [compact.size, hashes]
    )
    if signer is not None:
        note = sign_checkpoint(Checkpoint(signer.name, compact.size, compact.root()), signer)
        session.execute(
            "INSERT INTO audit_checkpoints (size, root_hash, note, frontier, signed_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [compact.size, compact.root().hex(), note, hashes, now],
        )
