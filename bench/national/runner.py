"""Running labelled transactions on one or two sessions at once, timing each kind."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Sequence

from .session import Session, begin, commit

CHUNK = 250_000  # rows per transaction: work for two sessions to share, in memory


class Runner:
    """Runs labelled transactions (lists of statements) on the given sessions, whichever is
    free; the seconds spent per label are added up across sessions."""

    def __init__(self, sessions: list[Session], seconds: dict[str, float]) -> None:
        self.sessions = list(sessions)
        self.seconds = seconds
        self.failures: list[BaseException] = []
        self._lock = threading.Lock()

    def _one(self, session: Session, label: str, transaction: Sequence[str]) -> None:
        start = time.perf_counter()
        begin(session)
        for statement in transaction:
            session.execute(statement)
        commit(session)
        with self._lock:
            self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start

    def run(self, tasks: Sequence[tuple[str, Sequence[str]]]) -> None:
        """Every task once, on whichever session is free; the first failure stops the rest
        and is kept in ``failures`` (and raised, when called on this thread)."""
        pending: queue.SimpleQueue[tuple[str, Sequence[str]]] = queue.SimpleQueue()
        for task in tasks:
            pending.put(task)

        def work(session: Session) -> None:
            while not self.failures:
                try:
                    label, transaction = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    self._one(session, label, transaction)
                except BaseException as exc:  # noqa: BLE001  (kept, then raised by run)
                    self.failures.append(exc)

        if len(self.sessions) == 1:
            work(self.sessions[0])
        else:
            threads = [threading.Thread(target=work, args=(s,)) for s in self.sessions]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        if self.failures:
            raise self.failures[0]


def chunks(total: int) -> Iterator[tuple[int, int]]:
    """Ids 1..total in ranges of CHUNK, one transaction each."""
    for lo in range(1, total + 1, CHUNK):
        yield lo, min(lo + CHUNK - 1, total)
