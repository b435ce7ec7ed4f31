"""The audit log as its readers see it: signed checkpoints, leaves, tiles (C2SP tlog-tiles),
inclusion and consistency proofs, the terminal keys an auditor checks old signatures against,
a receipt's offline proof.

Appending is ``agent_api.services.log.audit_log``'s. This module integrates what was appended
into the tree's tiles and signs checkpoints of it, in one transaction (``integrate``), and
answers every proof from a few tiles: O(log n) rows, for any size up to the latest
checkpoint's (a larger size is refused naming the field: the tree beyond it is not signed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from sqlalchemy import Connection, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from agent_api.clock import Clock
from agent_api.errors import Conflict, NotFound, ValidationFailed
from agent_api.persistence import audit_tiles
from agent_api.persistence.tables import (
    AuditCheckpoint,
    AuditEntry,
    AuditLeaf,
    Receipt,
    TerminalKey,
)
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.protocol import merkle, tiles
from agent_api.protocol.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
from agent_api.protocol.errors import ProofError
from agent_api.protocol.tiles import TILE_WIDTH, TileId
from agent_api.services.log.audit_log import head_frontier, head_state
from agent_api.services.log.sequencer import Sequencer

MAX_RANGE = 1000
# Leaves integrated into the tiles per transaction when a log that predates the tiles (or a
# seeded one) catches up: about 2 MB of hashes, a fraction of a second.
BACKFILL_BATCH = 65_536


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
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        signer: NoteSigner,
        *,
        sequencer: Sequencer | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._signer = signer
        self.sequencer = sequencer if sequencer is not None else Sequencer(uow, clock)

    @property
    def origin(self) -> str:
        return self._signer.name

    def verifier_key(self) -> str:
        """The C2SP ``vkey``: ``<name>+<hex key id>+<base64(0x01 || public key)>``."""
        return self._signer.verifier().to_string()

    def checkpoint(self) -> CheckpointView:
        """Sign a checkpoint of the log as it is now, if it grew since the last one; the
        latest checkpoint either way. A new checkpoint is built from the previous one's
        frontier and the leaves added since, so it is only signed if it extends it; the same
        transaction integrates those leaves into the tiles (``integrate``), so every signed
        size has its tiles. A log whose tiles lag its last checkpoint (one that predates them)
        catches up first, in batches (``build_tiles``). The entries recorded before the call
        are sequenced first: a checkpoint holds every write committed before it was asked."""
        self.sequencer.drain()
        self.build_tiles()
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
            added = [bytes.fromhex(h) for h in _leaf_hashes(session, start, head.size)]
            frontier.extend(added)
            if frontier.root() != head_frontier(head).root():
                raise Conflict(
                    "the log does not extend its last checkpoint; refusing to sign",
                    code="log_inconsistent",
                )
            try:
                tiled = _tiles_to_extend(uow.connection(), start, last, added)
                integrate(uow.connection(), tiled, added[tiled - start :])
            except Conflict:
                uow.session.rollback()  # another worker integrated these leaves meanwhile
                won = uow.session.get(AuditCheckpoint, frontier.size)
                if won is None:
                    raise
                return _checkpoint_view(won)
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

    def build_tiles(self) -> int:
        """Bring the tiles up to the last checkpoint: first check that the leaves make, at
        every checkpoint's size, the root that checkpoint signed (a leaf altered since it was
        signed stops everything with ``log_inconsistent``: no tile is built from it), then
        integrate them, ``BACKFILL_BATCH`` leaves per committed transaction. Nothing to do,
        and one index probe, once the tiles are there; interrupted, it resumes where it
        stopped. The number of leaves integrated."""
        with self._uow() as uow:
            last = _latest(uow.session)
            tiled = audit_tiles.tiled_size(uow.connection())
            if last is None or tiled >= last.size:
                return 0
            target = last.size
            frontier = _frontier_from_tiles(uow.connection(), tiled)
        self._replay(frontier.copy(), target, integrate_too=False)
        self._replay(frontier, target, integrate_too=True)
        return target - tiled

    def _replay(self, frontier: merkle.CompactRange, target: int, *, integrate_too: bool) -> None:
        """Read the leaves from ``frontier.size`` to ``target`` in batches, checking each
        checkpoint's root on the way; with ``integrate_too``, integrate each batch into the
        tiles in its transaction."""
        while frontier.size < target:
            start = frontier.size
            end = min(start + BACKFILL_BATCH, target)
            with self._uow() as uow:
                session = uow.session
                signed = dict(
                    session.exec(
                        select(AuditCheckpoint.size, AuditCheckpoint.root_hash)
                        .where(col(AuditCheckpoint.size) > start)
                        .where(col(AuditCheckpoint.size) <= end)
                    ).all()
                )
                added = [bytes.fromhex(h) for h in _leaf_hashes(session, start, end)]
                if len(added) != end - start:
                    raise Conflict(
                        "the log holds fewer leaves than its last checkpoint",
                        code="log_truncated",
                    )
                for digest in added:
                    frontier.append(digest)
                    root = signed.get(frontier.size)
                    if root is not None and frontier.root().hex() != root:
                        raise Conflict(
                            f"the leaves do not make the root checkpoint {frontier.size} "
                            "signed; refusing to build its tiles",
                            code="log_inconsistent",
                        )
                if integrate_too:
                    integrate(uow.connection(), start, added)
                    uow.commit()

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
        """The audit path of leaf ``index`` in the tree of ``size`` leaves, from the few tiles
        it needs. ``size`` is at most the latest checkpoint's (``NotFound`` naming it)."""
        if size < 1:
            raise ValidationFailed("the tree size must be at least 1", field="size")
        if not 0 <= index < size:
            raise ValidationFailed("the leaf index must be below the tree size", field="index")
        with self._uow() as uow:
            connection = uow.connection()
            _within_checkpoint(connection, size, "size")
            found = audit_tiles.read_tiles(connection, tiles.inclusion_tiles(index, size))
        return [h.hex() for h in _from_tiles(tiles.inclusion_proof, found, index, size)]

    def consistency_proof(self, old: int, new: int) -> list[str]:
        """That the tree of ``new`` leaves extends the tree of ``old``, from the few tiles it
        needs. ``new`` is at most the latest checkpoint's size (``NotFound`` naming it)."""
        if not 0 < old <= new:
            raise ValidationFailed("ask for 0 < old <= new", field="old")
        with self._uow() as uow:
            connection = uow.connection()
            _within_checkpoint(connection, new, "new")
            found = audit_tiles.read_tiles(connection, tiles.consistency_tiles(old, new))
        return [h.hex() for h in _from_tiles(tiles.consistency_proof, found, old, new)]

    def integrated_size(self) -> int:
        """The latest checkpoint's size: the tiles and entry bundles served stop there."""
        with self._uow() as uow:
            return _checkpoint_size(uow.connection())

    def tile(self, level: int, index: int, width: int) -> bytes | None:
        """Tile ``level``/``index`` as ``width`` hashes wide (256: full), or None when the
        latest checkpoint's tree does not make it that wide."""
        with self._uow() as uow:
            connection = uow.connection()
            if tiles.width_at(level, index, _checkpoint_size(connection)) < width:
                return None
            data = audit_tiles.read_tiles(connection, [TileId(level, index)]).get(
                TileId(level, index), b""
            )
        if len(data) < width * merkle.HASH_SIZE:
            return None  # signed, but its tiles not built yet (see ``build_tiles``)
        return data[: width * merkle.HASH_SIZE]

    def entry_bundle(self, index: int, width: int) -> bytes | None:
        """The leaves ``index·256 …`` (``width`` of them) as a tlog-tiles entry bundle, or
        None beyond the latest checkpoint."""
        first = index * TILE_WIDTH
        with self._uow() as uow:
            if tiles.width_at(0, index, _checkpoint_size(uow.connection())) < width:
                return None
            rows = uow.session.exec(
                select(AuditLeaf.data)
                .where(col(AuditLeaf.leaf_index) >= first)
                .where(col(AuditLeaf.leaf_index) < first + width)
                .order_by(col(AuditLeaf.leaf_index))
            ).all()
        if len(rows) != width:
            return None
        return tiles.encode_bundle(d.encode() for d in rows)

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
        latest = self.checkpoint()  # after the entries committed before the call are in
        index = self.leaf_of(claims)
        if index is None:
            raise NotFound(f"receipt {number} was issued before the audit log")
        [leaf] = self.leaves(index, index + 1)
        return {
            "format": "qurb-receipt-proof/1",
            "receipt": jws,
            "index": index,
            "leaf": leaf.data,
            "proof": self.inclusion_proof(index, latest.size),
            "checkpoint": latest.note,
        }

    def entry_proof(self, entry: str) -> dict[str, Any]:
        """Where an entry is: in the tree (its index, leaf hash, inclusion proof and the
        checkpoint it leads to) or still pending; ``NotFound`` if the log never recorded it.
        Nothing of the leaf's content: its hash only."""
        latest = self.checkpoint()  # integrates what was recorded before the call, and signs
        index = self.index_of_entry(entry)
        if index is None or index >= latest.size:
            if index is None and not self.entry_pending(entry):
                raise NotFound("the log recorded no such entry", field="entry")
            return {"entry": entry, "state": "pending", "checkpoint": latest.note}
        with self._uow() as uow:
            leaf_hash = uow.session.exec(
                select(AuditLeaf.leaf_hash).where(AuditLeaf.leaf_index == index)
            ).one()
        return {
            "entry": entry,
            "state": "included",
            "index": index,
            "leaf_hash": leaf_hash,
            "proof": self.inclusion_proof(index, latest.size),
            "checkpoint": latest.note,
        }

    def leaf_of(self, claims: dict[str, Any]) -> int | None:
        """The index of the leaf a receipt's claims name: ``log_entry`` (the entry id, since
        the sequencer) or ``log_index`` (before it); None if it names none, or an entry not
        sequenced yet."""
        index = claims.get("log_index")
        if isinstance(index, int) and not isinstance(index, bool):
            return index
        entry = claims.get("log_entry")
        if not isinstance(entry, str):
            return None
        return self.index_of_entry(entry)

    def index_of_entry(self, entry: str) -> int | None:
        """The index the sequencer gave an entry, or None (unknown, or still pending)."""
        with self._uow() as uow:
            found = uow.session.exec(
                select(AuditLeaf.leaf_index).where(AuditLeaf.entry == entry)
            ).first()
        return None if found is None else int(found)

    def entry_pending(self, entry: str) -> bool:
        """Whether an entry is recorded and waiting for its index."""
        with self._uow() as uow:
            return (
                uow.session.exec(select(AuditEntry.id).where(AuditEntry.entry == entry)).first()
                is not None
            )


def _latest(session: Session) -> AuditCheckpoint | None:
    return session.exec(
        select(AuditCheckpoint).order_by(col(AuditCheckpoint.size).desc()).limit(1)
    ).first()


def integrate(connection: Connection, start: int, leaf_hashes: list[bytes]) -> None:
    """Make the leaves ``start, start+1, …`` (their raw hashes) part of the tree's tiles, in
    the caller's transaction, before it signs a checkpoint of ``start + len(leaf_hashes)``
    leaves: exactly once (``Conflict`` ``tiles_moved`` if the tiles do not hold exactly
    ``start`` leaves or another transaction grew them meanwhile; the caller rolls back).
    What a batched sequencer calls for each batch it sequences."""
    audit_tiles.integrate(connection, start, leaf_hashes)


def _tiles_to_extend(
    connection: Connection, start: int, last: AuditCheckpoint | None, added: list[bytes]
) -> int:
    """Where the tiles end, between the last checkpoint and the head: past the checkpoint
    only when they were built ahead of it (a seeded log, or checkpoints removed), and then
    only if the leaves make the same tree there."""
    tiled = audit_tiles.tiled_size(connection)
    if not start <= tiled <= start + len(added):
        raise Conflict(
            f"the tiles hold {tiled} leaves, the log {start + len(added)} and its last "
            f"checkpoint {start}",
            code="tiles_moved",
        )
    if tiled > start:
        hashes = [bytes.fromhex(h) for h in last.frontier.split()] if last and last.frontier else []
        leaves = merkle.CompactRange.from_state(start, hashes)
        leaves.extend(added[: tiled - start])
        if _frontier_from_tiles(connection, tiled).root() != leaves.root():
            raise Conflict(
                f"the tiles of the first {tiled} leaves are not what the leaves make",
                code="log_inconsistent",
            )
    return tiled


def _checkpoint_size(connection: Connection) -> int:
    size = connection.execute(select(func.max(AuditCheckpoint.size))).scalar()
    return int(size or 0)


def _within_checkpoint(connection: Connection, size: int, field: str) -> None:
    signed = _checkpoint_size(connection)
    if size > signed:
        raise NotFound(
            f"the latest checkpoint holds {signed} leaves; ask for a {field} up to {signed}",
            field=field,
        )


def _from_tiles(
    compute: Callable[[dict[TileId, bytes], int, int], list[bytes]],
    found: dict[TileId, bytes],
    first: int,
    second: int,
) -> list[bytes]:
    try:
        return compute(found, first, second)
    except ProofError:
        raise Conflict(
            "the tiles of the signed tree are not built yet; the next checkpoint builds them",
            code="tiles_pending",
        ) from None


def _frontier_from_tiles(connection: Connection, size: int) -> merkle.CompactRange:
    found = audit_tiles.read_tiles(connection, tiles.root_tiles(size))
    return tiles.compact_range(found, size)


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
