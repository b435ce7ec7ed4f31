"""Appending to the audit log (its readers, checkpoints and proofs: ``transparency``).

Every state change appends one leaf in its own transaction: canonical JSON of what happened
(who, where, when, the signed request or the back-office actor, and the decision), with
personal data only as keyed hashes. The tree is RFC 6962 / RFC 9162 (``agent_api.protocol
.merkle``); checkpoints are C2SP signed notes (``agent_api.protocol.checkpoint``).

Appending records a pending entry in the caller's transaction and locks nothing of the log;
the sequencer (``agent_api.services.log.sequencer``) gives the committed entries their dense
indexes in batches. A transaction may reserve its entry id first (``reserve``): a receipt
names its entry (and the time by which it is promised to be in the tree) before the entry is
written, and the entry that takes the reservation writes the receipt's signature in its own
statement.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from agent_api.domain.roles import Actor
from agent_api.persistence.fast import Fast
from agent_api.persistence.sql import insert_ignoring_duplicates
from agent_api.persistence.tables import AuditHead
from agent_api.persistence.unit_of_work import APPENDED
from agent_api.protocol import merkle
from agent_api.protocol.checkpoint import MAX_MERGE_DELAY_SECONDS
from agent_api.services.log.leaf_writes import Answer, SignedReceipt, sign_receipt, write_entry

# Version 1 leaves (before the sequencer) name their own index; version 2 leaves name their
# entry id and the time they are promised to be in the tree by.
LEAF_VERSION = 2
MAX_LEAF_BYTES = 0xFFFF
# The maximum merge delay: a leaf recorded at ``at`` is in a checkpoint signed by ``at`` plus
# this, or the log broke the promise its receipt carries (``qurb-audit verify`` checks it).
# The sequencer integrates within a fraction of a second; the hour covers a database
# failover or a restart, and the checkpoint interval (at most ten minutes: a setting).
MERGE_DELAY = timedelta(seconds=MAX_MERGE_DELAY_SECONDS)
_RESERVED = "audit_reserved_entry"
# What every version 2 leaf holds besides its facts.
ENVELOPE = frozenset({"v", "entry", "kind", "at", "log_by"})


def canonical(value: Any) -> bytes:
    """The bytes a leaf is hashed as: JSON with sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


_h = AuditHead.__table__  # type: ignore[attr-defined]
_HEAD = Fast(select(_h.c.size, _h.c.frontier).where(_h.c.id == 1).with_for_update(of=_h))


@dataclass(frozen=True)
class HeadState:
    size: int
    frontier: str


def head_state(session: Session) -> HeadState:
    """The head, locked until the transaction ends (the sequencer's)."""
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
    """The entry id of the transaction's next leaf, and the receipt that names it: the
    entry writes its signature. Taking it locks nothing."""

    entry: str
    by: datetime | None = field(default=None)
    receipt: SignedReceipt | None = field(default=None)

    def promise(self, at: datetime) -> datetime:
        """The time by which the entry will be in a signed checkpoint, for a receipt issued
        at ``at``: the promise the receipt carries, and the leaf's ``log_by``."""
        by = at + MERGE_DELAY
        self.by = by if self.by is None else min(self.by, by)
        return self.by

    def carry(self, session: Session, receipt: SignedReceipt) -> None:
        """Have the entry write ``receipt``'s signature, in the entry's own statement on
        PostgreSQL. A second receipt in the same transaction (none today) writes the first
        at once."""
        if self.receipt is not None:
            sign_receipt(session.connection(), self.receipt)
        self.receipt = receipt


def new_entry_id() -> str:
    """128 random bits: named by a receipt before its leaf has an index, unique by
    constraint (a collision, 2⁻⁶⁴ after 2³² entries, fails the write, which is retried)."""
    return secrets.token_hex(16)


def reserve(session: Session) -> Reservation:
    """The entry id of the transaction's next leaf. The next ``append`` in the transaction
    takes the reservation (and what it carries)."""
    reserved = session.info.get(_RESERVED)
    if not isinstance(reserved, Reservation):
        reserved = Reservation(new_entry_id())
        session.info[_RESERVED] = reserved
    return reserved


def append(
    session: Session,
    kind: str,
    facts: dict[str, Any],
    *,
    at: datetime,
    answer: Answer | None = None,
) -> str:
    """Record one leaf in the caller's transaction, as a pending entry that the sequencer
    gives an index to after the commit (``agent_api.services.log.sequencer``); its entry id.
    The leaf holds the time it was recorded (``at``) and the time by which it is promised to
    be in a signed checkpoint (``log_by``). ``answer`` (the stored response of the signed request
    the leaf records) is written with it. Nothing of the log is locked: writes wait on no
    other write's transaction."""
    reserved: Reservation | None = session.info.pop(_RESERVED, None)
    entry = reserved.entry if reserved is not None else new_entry_id()
    by = at + MERGE_DELAY
    if reserved is not None and reserved.by is not None:
        by = min(by, reserved.by)
    data = canonical(
        {
            "v": LEAF_VERSION,
            "entry": entry,
            "kind": kind,
            "at": at.isoformat(),
            "log_by": by.isoformat(),
            **facts,
        }
    )
    if ENVELOPE.intersection(facts):
        # The envelope says where and when the leaf is; a fact of the same name would
        # silently replace it.
        raise ValueError(f"a {kind} leaf's facts name {sorted(ENVELOPE.intersection(facts))}")
    if len(data) > MAX_LEAF_BYTES:
        # An entry bundle (C2SP tlog-tiles) prefixes each leaf with a 16-bit length: a longer
        # leaf could never be served. Leaves hold digests and codes, never bodies (about
        # 200 bytes to 2 KB): one this long is a bug, refused before anything is written.
        raise ValueError(f"a {kind} leaf of {len(data)} bytes is over {MAX_LEAF_BYTES}")
    session.flush()
    write_entry(
        session.connection(),
        {
            "entry": entry,
            "leaf_kind": kind,
            "leaf_data": data.decode(),
            "leaf_hash": merkle.leaf_hash(data).hex(),
            "leaf_at": at,
        },
        receipt=reserved.receipt if reserved is not None else None,
        answer=answer,
    )
    session.info[APPENDED] = True
    return entry


def actor_facts(actor: Actor) -> dict[str, Any]:
    """The back-office identity a leaf names (staff accounts, not the public)."""
    return {"actor": {"username": actor.username, "role": actor.role.value}}
