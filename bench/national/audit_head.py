"""The audit log's head: the seeded leaves folded into their Merkle frontier (RFC 6962), written
as the log's head with, given the log key, a signed checkpoint."""

from __future__ import annotations

import binascii
from collections.abc import Iterable, Iterator
from datetime import datetime

from agent_api.protocol import merkle
from agent_api.protocol.checkpoint import Checkpoint, NoteSigner, sign_checkpoint

from .session import Session

_BLOCK = 1 << 16  # leaves hashed per perfect subtree at a time


def _perfect_root(level: list[bytes]) -> bytes:
    while len(level) > 1:
        level = [merkle.node_hash(a, b) for a, b in zip(level[::2], level[1::2], strict=True)]
    return level[0]


def frontier(chunks: Iterable[list[bytes]], size: int) -> merkle.CompactRange:
    """The compact range of ``size`` leaf hashes given in order, in chunks: aligned blocks of
    2^16 leaves are folded level by level, their roots merged like leaves one level up."""
    blocks = size // _BLOCK
    top, rest = merkle.CompactRange(), merkle.CompactRange()
    pending: list[bytes] = []
    for chunk in chunks:
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
    session: Session, compact: merkle.CompactRange, signer: NoteSigner | None, now: datetime
) -> None:
    """The log's head (and its signed checkpoint, given a signer), in the session's
    transaction."""
    hashes = " ".join(h.hex() for h in compact.hashes)
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
