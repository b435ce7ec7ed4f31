"""The audit log as its readers see it: signed checkpoints, leaves, inclusion and consistency
proofs, the terminal keys an auditor checks old signatures against, a receipt's offline proof.

Appending is ``agent_api.services.audit_log``'s; this module only reads what was appended and
signs checkpoints of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from agent_api.clock import Clock
from agent_api.errors import Conflict, NotFound, ValidationFailed
from agent_api.persistence.tables import AuditCheckpoint, AuditLeaf, Receipt, TerminalKey
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.protocol import merkle
from agent_api.protocol.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
from agent_api.services.audit_log import head_frontier, head_state

MAX_RANGE = 1000


@dataclass(frozen=True)
class LeafView:
    index: int
    kind: str
    data: str
    leaf_hash: str
    recorded_at: datetime


@dataclass(frozen=True)
class CheckpointView:
    size: int
    root_hash: str
    note: str
    signed_at: datetime


class AuditLog:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, signer: NoteSigner) -> None:
        self._uow = uow
        self._clock = clock
        self._signer = signer

    @property
    def origin(self) -> str:
        return self._signer.name

    def verifier_key(self) -> str:
        """The C2SP ``vkey``: ``<name>+<hex key id>+<base64(0x01 || public key)>``."""
        return self._signer.verifier().to_string()

    def checkpoint(self) -> CheckpointView:
        """Sign a checkpoint of the log as it is now, if it grew since the last one; the
        latest checkpoint either way. A new checkpoint is built from the previous one's
        frontier and the leaves added since, so it is only signed if it extends it."""
        with self._uow() as uow:
            session = uow.session
            head = head_state(session)
            last = _latest(session)
            if last is not None and last.size == head.size:
                return _checkpoint_view(last)
            if last is not None and last.size > head.size:
                raise Conflict("the log is shorter than its last checkpoint", code="log_truncated")
            start = last.size if last is not None else 0
            hashes = (
                [bytes.fromhex(h) for h in last.frontier.split()] if last and last.frontier else []
            )
            frontier = merkle.CompactRange.from_state(start, hashes)
            frontier.extend(bytes.fromhex(h) for h in _leaf_hashes(session, start, head.size))
            if frontier.root() != head_frontier(head).root():
                raise Conflict(
                    "the log does not extend its last checkpoint; refusing to sign",
                    code="log_inconsistent",
                )
            note = sign_checkpoint(
                Checkpoint(self.origin, frontier.size, frontier.root()), self._signer
            )
            row = AuditCheckpoint(
                size=frontier.size,
                root_hash=frontier.root().hex(),
                note=note,
                frontier=" ".join(h.hex() for h in frontier.hashes),
                signed_at=self._clock(),
            )
            session.add(row)
            try:
                uow.commit()
            except IntegrityError:
                uow.session.rollback()  # another worker signed this size meanwhile
                row = uow.session.get(AuditCheckpoint, frontier.size) or row
            return _checkpoint_view(row)

    def latest_checkpoint(self) -> CheckpointView:
        with self._uow() as uow:
            last = _latest(uow.session)
        if last is None:
            return self.checkpoint()
        return _checkpoint_view(last)

    def checkpoints(self, *, since_size: int = 0) -> list[CheckpointView]:
        with self._uow() as uow:
            rows = uow.session.exec(
                select(AuditCheckpoint)
                .where(col(AuditCheckpoint.size) >= since_size)
                .order_by(col(AuditCheckpoint.size))
            ).all()
            return [_checkpoint_view(r) for r in rows]

    def recent_checkpoints(self, *, limit: int, below: int | None = None) -> list[CheckpointView]:
        """The newest ``limit`` checkpoints (smaller than ``below``), newest first: a page of a
        list that grows by one a minute while the log does."""
        with self._uow() as uow:
            query = select(AuditCheckpoint).order_by(col(AuditCheckpoint.size).desc()).limit(limit)
            if below is not None:
                query = query.where(col(AuditCheckpoint.size) < below)
            return [_checkpoint_view(r) for r in uow.session.exec(query)]

    def checkpoint_at(self, size: int) -> CheckpointView:
        with self._uow() as uow:
            row = uow.session.get(AuditCheckpoint, size)
        if row is None:
            raise NotFound(f"the log signed no checkpoint of size {size}", field="size")
        return _checkpoint_view(row)

    def size_history(self, since: datetime) -> tuple[int, list[tuple[datetime, int]]]:
        """How the log grew: the size its checkpoints vouched for before ``since``, then each
        checkpoint signed since, as (signed at, size), oldest first."""
        with self._uow() as uow:
            before = uow.session.exec(
                select(AuditCheckpoint.size)
                .where(col(AuditCheckpoint.signed_at) < since)
                .order_by(col(AuditCheckpoint.size).desc())
                .limit(1)
            ).first()
            rows = uow.session.exec(
                select(AuditCheckpoint.signed_at, AuditCheckpoint.size)
                .where(col(AuditCheckpoint.signed_at) >= since)
                .order_by(col(AuditCheckpoint.size))
            ).all()
            return before or 0, [(at, size) for at, size in rows]

    def leaves(self, start: int, end: int) -> list[LeafView]:
        if not 0 <= start <= end or end - start > MAX_RANGE:
            raise ValidationFailed(
                f"ask for 0 <= start <= end, at most {MAX_RANGE} leaves at a time", field="end"
            )
        with self._uow() as uow:
            rows = uow.session.exec(
                select(AuditLeaf)
                .where(col(AuditLeaf.leaf_index) >= start)
                .where(col(AuditLeaf.leaf_index) < end)
                .order_by(col(AuditLeaf.leaf_index))
            ).all()
            return [
                LeafView(r.leaf_index, r.kind, r.data, r.leaf_hash, r.recorded_at) for r in rows
            ]

    def inclusion_proof(self, index: int, size: int) -> list[str]:
        hashes = self._hashes(size)
        if not 0 <= index < size:
            raise ValidationFailed("the leaf index must be below the tree size", field="index")
        return [h.hex() for h in merkle.inclusion_proof(hashes, index)]

    def consistency_proof(self, old: int, new: int) -> list[str]:
        if not 0 < old <= new:
            raise ValidationFailed("ask for 0 < old <= new", field="old")
        hashes = self._hashes(new)
        return [h.hex() for h in merkle.consistency_proof(hashes, old)]

    def terminal_keys(self) -> list[dict[str, Any]]:
        """Every key every terminal ever had, with when it stopped signing: what an auditor
        checks old signatures against."""
        with self._uow() as uow:
            rows = uow.session.exec(select(TerminalKey).order_by(col(TerminalKey.id))).all()
            return [
                {
                    "terminal_id": r.terminal_id,
                    "keyid": r.keyid,
                    "public_key": r.public_key,
                    "status": r.status,
                    "created_at": r.created_at.isoformat(),
                    "retired_at": r.retired_at.isoformat() if r.retired_at else None,
                }
                for r in rows
            ]

    def receipt_proof(self, number: str) -> dict[str, Any]:
        """A receipt upgraded into a self-contained offline proof: the receipt, its leaf, the
        inclusion proof and the checkpoint it leads to (in the spirit of C2SP tlog-proof)."""
        with self._uow() as uow:
            jws = uow.session.exec(select(Receipt.jws).where(Receipt.number == number)).first()
        if jws is None:
            raise NotFound(f"no receipt {number}")
        # Our own receipt, read from our own row, to find its leaf.
        claims = jwt.decode(jws, options={"verify_signature": False})
        index = claims.get("log_index")
        if not isinstance(index, int):
            raise NotFound(f"receipt {number} was issued before the audit log")
        latest = self.checkpoint()
        [leaf] = self.leaves(index, index + 1)
        return {
            "format": "qurb-receipt-proof/1",
            "receipt": jws,
            "index": index,
            "leaf": leaf.data,
            "proof": self.inclusion_proof(index, latest.size),
            "checkpoint": latest.note,
        }

    def _hashes(self, size: int) -> Sequence[bytes]:
        with self._uow() as uow:
            session = uow.session
            total = session.exec(select(func.count()).select_from(AuditLeaf)).one()
            if size > total or size < 0:
                raise NotFound(f"the log has {total} leaves, not {size}")
            return [bytes.fromhex(h) for h in _leaf_hashes(session, 0, size)]


def _latest(session: Session) -> AuditCheckpoint | None:
    return session.exec(
        select(AuditCheckpoint).order_by(col(AuditCheckpoint.size).desc()).limit(1)
    ).first()


def _leaf_hashes(session: Session, start: int, end: int) -> list[str]:
    return list(
        session.exec(
            select(AuditLeaf.leaf_hash)
            .where(col(AuditLeaf.leaf_index) >= start)
            .where(col(AuditLeaf.leaf_index) < end)
            .order_by(col(AuditLeaf.leaf_index))
        ).all()
    )


def _checkpoint_view(row: AuditCheckpoint) -> CheckpointView:
    return CheckpointView(row.size, row.root_hash, row.note, row.signed_at)
