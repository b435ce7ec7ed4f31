"""The sequencer: pending entries become leaves of the tree, in batches.

A write records its leaf as a pending entry in its own transaction and locks nothing of the
log (``audit_log.append``). The sequencer takes the committed entries in the order they were
recorded, gives them the next indexes, writes them as leaves, moves the head, integrates them
into the tiles and deletes them from the pending table: one transaction per batch of up to
``BATCH`` entries, so that a batch is in the tree entirely or not at all. Killed mid-batch, it
loses nothing (the entries are still pending) and forks nothing (the next batch starts from
the committed head).

One sequencer runs at a time, whatever the number of processes and hosts: on PostgreSQL a
batch holds a transaction-scoped advisory lock (and the head row's lock), on SQLite the
database's single writer; inside a process a lock keeps the threads from queueing on either.

Who runs it: in a server, one sequencer thread per process (``run``). A write's unit of work,
once committed, only wakes it (``nudge``): the request does not wait for its leaf, and the
thread takes in one batch every write that committed while its previous batch ran, so that
under load the head's lock, the tiles' partial rows and the transaction's round trips are
paid once per batch, not once per write (measured: a separate sequencing transaction per
write cost 2 to 3 ms of CPU per collection, a third of the total, docs/audit.md). The
thread also wakes every ``QURB_SEQUENCE_INTERVAL_MS`` for entries no nudge reached (their
writer died right after its commit, or another process held the sequencer's lock). Where
no thread runs (the command-line tools, a test's services), a nudge sequences in the
calling thread before it returns. A checkpoint runs the sequencer to the end first
(``drain``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Connection, Engine, delete, insert, select, text, update

from agent_api.clock import Clock
from agent_api.errors import QurbError
from agent_api.metrics import AUDIT_BATCH_SIZE, AUDIT_INTEGRATE_DELAY
from agent_api.persistence import audit_tiles
from agent_api.persistence.tables import AuditEntry, AuditHead, AuditLeaf
from agent_api.persistence.unit_of_work import UnitOfWorkFactory, read_only
from agent_api.services.log.audit_log import head_frontier, head_state

# Entries per transaction: about 1 MB of leaves, a few tens of milliseconds.
BATCH = 2048
# Drains one nudge runs at most (see ``nudge``).
ROUNDS = 2
# The advisory lock's key, with the schema's hash as its second half: one sequencer per log
# (two deployments, or two test runs, in one database's schemas do not wait on each other).
LOCK_KEY = 0x71736571  # "qseq"
_LOCK = "SELECT {0}(:k, hashtext(current_schema()))"

_e = AuditEntry.__table__  # type: ignore[attr-defined]
_l = AuditLeaf.__table__  # type: ignore[attr-defined]
_h = AuditHead.__table__  # type: ignore[attr-defined]

logger = logging.getLogger(__name__)


class Sequencer:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, *, engine: Engine | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._engine = engine  # for the periodic round's read (``sweep``)
        self._running = threading.Lock()
        self._wanted = False
        # Set while this process's sequencer thread runs (``run``): a nudge only wakes it.
        self._background = False
        self._wake = threading.Event()
        # For tests of a crash mid-batch: called with the connection after the batch's
        # leaves are written, before its commit.
        self.before_commit: Callable[[Connection], None] | None = None

    def nudge(self) -> None:
        """Have what was committed before the call integrated: with this process's sequencer
        thread running, wake it and return at once; without one, a group commit in the
        calling thread (``_group``)."""
        if self._background:
            self._wake.set()
            return
        self._group()

    def _group(self) -> None:
        """A group commit: a thread that finds this process's sequencer running waits for
        its batch, then finds its entry taken (nothing to do) or drains once more itself, so
        a write's entry is in the tree when this returns, unless another process holds the
        sequencer's lock (then that process's batch, or the next round, takes it). At most
        ``ROUNDS`` drains per call: a thread does not work for every other one under a
        steady load."""
        self._wanted = True
        with self._running:
            for _ in range(ROUNDS):
                if not self._wanted:
                    return
                self._wanted = False
                self._drain(wait=False)

    def sweep(self) -> None:
        """The periodic round: one read that begins no transaction (autocommit on PostgreSQL,
        no writer slot on SQLite) when nothing is pending, as nearly always; else a group
        commit.
        Every process runs it every ``QURB_SEQUENCE_INTERVAL_MS``: idle, it must cost next
        to nothing."""
        if self._engine is not None:
            with read_only(self._engine) as connection:
                if connection.execute(select(_e.c.id).limit(1)).first() is None:
                    return
        self._group()

    def run(self, stopping: threading.Event, interval_seconds: float) -> None:
        """The process's sequencer thread, until ``stopping`` is set (and ``stop`` wakes it):
        a batch as soon as a write wakes it, a sweep every ``interval_seconds`` otherwise. A
        failed round (the database gone, say) is logged and the next one retries: the
        entries stay pending meanwhile, nothing is lost."""
        self._background = True
        try:
            while not stopping.is_set():
                woken = self._wake.wait(interval_seconds)
                if stopping.is_set():
                    return
                # Cleared before the batch reads: a write committed after that read wakes
                # the thread again, and is taken by the next round.
                self._wake.clear()
                try:
                    if woken:
                        self._group()
                    else:
                        self.sweep()
                except QurbError as exc:
                    logger.warning("sequencer_failed", extra={"code": exc.code})
                except Exception as exc:  # noqa: BLE001 - a failed round must not end the thread
                    logger.error("sequencer_failed", extra={"error": type(exc).__name__})
        finally:
            self._background = False

    def stop(self) -> None:
        """Wake the thread so that it sees its ``stopping`` event at once."""
        self._wake.set()

    def drain(self) -> int:
        """Integrate every entry committed before this call, waiting for a sequencer that is
        running (in any process) to finish its batch first. The number integrated here."""
        with self._running:
            return self._drain(wait=True)

    def _drain(self, *, wait: bool) -> int:
        total = 0
        while True:
            done = self._batch(wait=wait)
            if done is None:
                return total  # another process is sequencing
            total += done
            if done < BATCH:
                return total

    def _batch(self, *, wait: bool) -> int | None:
        """One batch in one transaction: the number of entries integrated, or None when
        another process holds the sequencer's lock (and ``wait`` is false)."""
        with self._uow() as uow:
            connection = uow.connection()
            if connection.dialect.name == "postgresql":
                if wait:
                    connection.execute(text(_LOCK.format("pg_advisory_xact_lock")), {"k": LOCK_KEY})
                elif not connection.execute(
                    text(_LOCK.format("pg_try_advisory_xact_lock")), {"k": LOCK_KEY}
                ).scalar():
                    return None
            pending = connection.execute(
                select(_e.c.id, _e.c.entry, _e.c.kind, _e.c.data, _e.c.leaf_hash, _e.c.recorded_at)
                .order_by(_e.c.id)
                .limit(BATCH)
            ).all()
            if not pending:
                return 0
            head = head_state(uow.session)
            start = head.size
            sequenced_at = self._clock()
            hashes = [bytes.fromhex(row.leaf_hash) for row in pending]
            frontier = head_frontier(head)
            frontier.extend(hashes)
            connection.execute(
                insert(_l),
                [
                    {
                        "leaf_index": start + offset,
                        "entry": row.entry,
                        "kind": row.kind,
                        "data": row.data,
                        "leaf_hash": row.leaf_hash,
                        "recorded_at": row.recorded_at,
                        "sequenced_at": sequenced_at,
                    }
                    for offset, row in enumerate(pending)
                ],
            )
            connection.execute(delete(_e).where(_e.c.id.in_([row.id for row in pending])))
            connection.execute(
                update(_h)
                .where(_h.c.id == 1)
                .values(size=frontier.size, frontier=" ".join(h.hex() for h in frontier.hashes))
            )
            # The tiles grow with the head, unless they lag it (a log older than the tiles,
            # being caught up by ``AuditLog.build_tiles``): the checkpoint integrates then.
            if audit_tiles.tiled_size(connection) == start:
                audit_tiles.integrate(connection, start, hashes)
            if self.before_commit is not None:
                self.before_commit(connection)
            uow.commit()
        for row in pending:
            AUDIT_INTEGRATE_DELAY.observe(
                max(0.0, (sequenced_at - row.recorded_at).total_seconds())
            )
        AUDIT_BATCH_SIZE.observe(len(pending))
        return len(pending)
