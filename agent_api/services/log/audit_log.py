"""Appending to the audit log (its readers, checkpoints and proofs: ``transparency``).

Every state change appends one leaf in its own transaction: canonical JSON of what happened
(who, where, when, the signed request or the back-office actor, and the decision), with
personal data only as keyed hashes. The tree is RFC 6962 / RFC 9162 (``agent_api.protocol
.merkle``); checkpoints are C2SP signed notes (``agent_api.protocol.checkpoint``).

Appending takes the head row's lock and holds it to the commit, so leaf indexes are dense,
never reused and in commit order, with any number of workers. A transaction may reserve its
index first (``reserve``): a receipt names its leaf before the leaf is written, and the leaf
that takes the reservation writes the receipt's signature in its own statement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from agent_api.domain.roles import Actor
from agent_api.persistence.fast import Fast
from agent_api.persistence.sql import insert_ignoring_duplicates
from agent_api.persistence.tables import AuditHead, AuditLeaf
from agent_api.protocol import merkle
from agent_api.services.log.leaf_writes import Answer, SignedReceipt, sign_receipt, write_leaf

LEAF_VERSION = 1
MAX_LEAF_BYTES = 0xFFFF
_RESERVED = "audit_reserved_index"


def canonical(value: Any) -> bytes:
    """The bytes a leaf is hashed as: JSON with sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


_h = AuditHead.__table__  # type: ignore[attr-defined]
_l = AuditLeaf.__table__  # type: ignore[attr-defined]
_HEAD = Fast(
    select(
        _h.c.size,
        _h.c.frontier,
        # The newest leaf's time: a leaf is never dated before the one before it.
        select(_l.c.recorded_at)
        .where(_l.c.leaf_index == _h.c.size - 1)
        .scalar_subquery()
        .label("last_at"),
    )
    .where(_h.c.id == 1)
    .with_for_update(of=_h)
)


@dataclass(frozen=True)
class HeadState:
    size: int
    frontier: str
    last_at: datetime | None


def head_state(session: Session) -> HeadState:
    """The head, locked until the transaction ends. Whatever else the transaction writes is
    flushed first, so that the head is the last lock it takes."""
    session.flush()
    connection = session.connection()
    row = _HEAD.first(connection)
    if row is None:  # a database migrated before the log existed has no head yet
        connection.execute(
            insert_ignoring_duplicates(_h, connection, ("id",)),
            {"id": 1, "size": 0, "frontier": ""},
        )
        row = _HEAD.first(connection)
        assert row is not None
    return HeadState(*row)


def head_frontier(head: HeadState) -> merkle.CompactRange:
    hashes = [bytes.fromhex(h) for h in head.frontier.split()] if head.frontier else []
    return merkle.CompactRange.from_state(head.size, hashes)


@dataclass
class Reservation:
    """The index of the transaction's next leaf, taken with the head's lock (held to the
    commit), and the receipt that names it: the leaf writes its signature."""

    head: HeadState
    receipt: SignedReceipt | None = field(default=None)

    @property
    def index(self) -> int:
        return self.head.size

    def carry(self, session: Session, receipt: SignedReceipt) -> None:
        """Have the leaf write ``receipt``'s signature, in the leaf's own statement on
        PostgreSQL: no round trip more while the head is held. A second receipt in the
        same transaction (none today) writes the first at once."""
        if self.receipt is not None:
            sign_receipt(session.connection(), self.receipt)
        self.receipt = receipt


def reserve(session: Session) -> Reservation:
    """The transaction's next leaf's index; locks the head until the commit. The next
    ``append`` in the transaction takes the reservation (and what it carries)."""
    reserved = session.info.get(_RESERVED)
    if not isinstance(reserved, Reservation):
        reserved = Reservation(head_state(session))
        session.info[_RESERVED] = reserved
    return reserved


def append(
    session: Session,
    kind: str,
    facts: dict[str, Any],
    *,
    at: datetime,
    answer: Answer | None = None,
) -> int:
    """Append one leaf in the caller's transaction; its index. The leaf is dated ``at``, or
    the previous leaf's time if that is later: leaves are in commit order, and a transaction
    that started first may commit after one that started later. ``answer`` (the stored
    response of the signed request the leaf records) is written with it."""
    reserved: Reservation | None = session.info.pop(_RESERVED, None)
    if reserved is None:
        head = head_state(session)
    else:
        head = reserved.head
        session.flush()
    if head.last_at is not None and head.last_at > at:
        at = head.last_at
    index = head.size
    data = canonical(
        {"v": LEAF_VERSION, "index": index, "kind": kind, "at": at.isoformat(), **facts}
    )
    if len(data) > MAX_LEAF_BYTES:
        # An entry bundle (C2SP tlog-tiles) prefixes each leaf with a 16-bit length: a longer
        # leaf could never be served. Leaves hold digests and codes, never bodies (about
        # 200 bytes to 2 KB): one this long is a bug, refused before anything is written.
        raise ValueError(f"a {kind} leaf of {len(data)} bytes is over {MAX_LEAF_BYTES}")
    digest = merkle.leaf_hash(data)
    frontier = head_frontier(head)
    frontier.append(digest)
    write_leaf(
        session.connection(),
        {
            "leaf_index": index,
            "leaf_kind": kind,
            "leaf_data": data.decode(),
            "leaf_hash": digest.hex(),
            "leaf_at": at,
        },
        {"new_size": frontier.size, "new_frontier": " ".join(h.hex() for h in frontier.hashes)},
        receipt=reserved.receipt if reserved is not None else None,
        answer=answer,
    )
    return index


def actor_facts(actor: Actor) -> dict[str, Any]:
    """The back-office identity a leaf names (staff accounts, not the public)."""
    return {"actor": {"username": actor.username, "role": actor.role.value}}
