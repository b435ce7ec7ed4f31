"""The limit on reading workers by registration number (issue 16).

Registration numbers are sequential with a check digit: anyone can list them. A counter
reads the workers it serves, and the workers it serves pay; a terminal walking the registry
reads worker after worker and takes no payment. So each read by registration number is
noted, and a terminal that has read more than ``limit`` distinct workers within the window
for whom its office took no payment in that window is refused (429
``worker_reads_throttled``) until the window moves on. The first refusal of a window is a
security event, which the terminal's network admin and the auditors list.

Reading again a worker already read in the window costs nothing; a read through the CIN
(the worker is there with their card) is not a read by number and is not counted.
Concurrent reads may pass the limit by the number of requests in flight at once: a bound on
harvesting, not an exact count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from agent_api.errors import RateLimited
from agent_api.persistence.tables import Contribution, SecurityEvent, WorkerRead
from agent_api.services.sessions.security_events import SecurityEventService
from agent_api.services.sessions.terminal_auth import TerminalContext

EVENT = "worker_reads_throttled"


@dataclass(frozen=True)
class ReadLimit:
    """At most ``limit`` distinct workers without a payment per ``window_seconds``."""

    limit: int
    window_seconds: int


class WorkerReadsThrottled(RateLimited):
    """Raised when a terminal reads too many distinct workers without taking a payment."""

    code = EVENT

    def __init__(self, terminal_id: int, unpaid: int, limit: ReadLimit, *, first: bool) -> None:
        super().__init__(
            f"this terminal read {unpaid} workers by registration number without a payment "
            f"in the last {limit.window_seconds // 60} minutes: more reads by number wait; a "
            "worker at the counter is found by the CIN on their card"
        )
        self.terminal_id = terminal_id
        self.unpaid = unpaid
        self.limit = limit
        self.first = first  # the window's first refusal: the one reported

    def report(self, events: SecurityEventService) -> None:
        """The security event, in a transaction of its own (the refused read rolled back),
        once per terminal and window."""
        if self.first:
            events.record(
                EVENT,
                terminal_id=self.terminal_id,
                distinct_workers=self.unpaid,
                limit=self.limit.limit,
                window_seconds=self.limit.window_seconds,
            )


def note_read(
    session: Session,
    *,
    terminal: TerminalContext,
    worker_id: int,
    now: datetime,
    limit: ReadLimit,
) -> None:
    """Count this read, in the caller's transaction; refuse it when it would go past the
    limit (the caller reports the refusal once its transaction is over)."""
    since = now - timedelta(seconds=limit.window_seconds)
    reads = col(WorkerRead.read_at)
    mine = (WorkerRead.terminal_id == terminal.terminal_id, reads >= since)
    already = session.exec(
        select(WorkerRead.id).where(*mine).where(WorkerRead.worker_id == worker_id).limit(1)
    ).first()
    if already is None:
        paid = (
            select(Contribution.worker_id)
            .where(Contribution.office_id == terminal.office_id)
            .where(col(Contribution.recorded_at) >= since)
        )
        unpaid = session.exec(
            select(func.count(func.distinct(WorkerRead.worker_id)))
            .where(*mine)
            .where(col(WorkerRead.worker_id).not_in(paid))
        ).one()
        if unpaid >= limit.limit:
            first = _not_reported(session, terminal.terminal_id, since)
            raise WorkerReadsThrottled(terminal.terminal_id, unpaid, limit, first=first)
    # What is older than the window no longer counts: pruned as the terminal reads on.
    session.execute(
        delete(WorkerRead)
        .where(WorkerRead.terminal_id == terminal.terminal_id)  # type: ignore[arg-type]
        .where(reads < since)
    )
    session.add(WorkerRead(terminal_id=terminal.terminal_id, worker_id=worker_id, read_at=now))


def _not_reported(session: Session, terminal_id: int, since: datetime) -> bool:
    """Whether the window has no refusal event yet: the first tells, the next ones would
    only repeat it."""
    reported = session.exec(
        select(SecurityEvent.id)
        .where(SecurityEvent.kind == EVENT)
        .where(SecurityEvent.terminal_id == terminal_id)
        .where(col(SecurityEvent.occurred_at) >= since)
        .limit(1)
    ).first()
    return reported is None
