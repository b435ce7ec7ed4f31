"""An open-model load: requests sent at a constant arrival rate, each timed from the instant
it was scheduled to start, as wrk2 and k6's constant-arrival-rate executor do.

A closed loop (``loadgen.run``) sends a terminal's next request only once the previous one is
answered: when the server slows down the load slows with it, and the requests that would have
arrived meanwhile are never sent, so their wait is never measured (coordinated omission).
Here the send instants are fixed before the clock starts, request ``i`` due ``i / rate``
seconds after the start. It goes out on the first free connection at or after that instant
and its latency counts from the instant it was due, so time spent waiting for a connection
(every one busy with a slow answer) or for this process (a busy CPU) is in the figure. A send
that starts more than ``LATE_AFTER`` after its instant is counted late: the late share says
how much of the latency is queueing before the request reached the server.

Bounded: at most ``count`` requests, none due after ``seconds``, answers awaited at most
``drain`` seconds after the last one was due; connections to 127.0.0.1 only. A request still
unanswered (or never sent) at the end counts with the time it had waited by then: a lower
bound of its latency, never left out.

Beside the latency, what a counter's receipt says about the audit log: the leaf index it
names (``receipt_log_index``), and ``integration_delays`` from acceptance to the first
signed checkpoint that covers that leaf (the instant a proof of it can be served).
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import loadgen

# A send starting this much after its instant is late. uvloop's timers fire to the
# millisecond; 5 ms is well above that jitter and far below the 100 ms goal, so a late send
# means a real wait (no free connection, or this process short of CPU), not the timer.
LATE_AFTER = 0.005
# The first instant is this far after the connections are open, so that it is not late.
LEAD = 0.05
CREATED, BAD_REQUEST = 201, 400


def schedule(rate: float, seconds: float, count: int) -> list[float]:
    """The instants (seconds after the start) of a constant arrival rate: ``rate`` requests a
    second, evenly spaced, the first at 0, none at or after ``seconds``, at most ``count``."""
    if rate <= 0 or seconds <= 0 or count <= 0:
        return []
    # ceil: the instants i / rate strictly before ``seconds`` are i = 0 .. ceil(rate*s) - 1;
    # round() keeps 0.1 * 30 (3.0000000000000004) from adding an instant at ``seconds``.
    return [n / rate for n in range(min(count, math.ceil(round(rate * seconds, 9))))]


def is_late(due: float, started: float, late_after: float = LATE_AFTER) -> bool:
    """Whether a send that started at ``started`` missed its instant ``due``."""
    return started - due > late_after


def late_pct(late: int, scheduled: int) -> float:
    """The share of scheduled requests that were sent late (or never sent), in percent."""
    return 100.0 * late / scheduled if scheduled else 0.0


def achieved_per_s(answered: int, rate: float, scheduled: int, last_answer: float) -> float:
    """Answers a second over the run: ``answered`` over the scheduled window (``scheduled``
    slots of ``1 / rate``) or, if the answers came later than that, until the last one
    (``last_answer`` seconds after the start)."""
    if not answered or rate <= 0:
        return 0.0
    return answered / max(scheduled / rate, last_answer)


@dataclass
class OpenTally:
    """What an open-model run saw. Latencies (in ``tally``, per label) are from each
    request's scheduled instant. ``accept`` holds those of the requests accepted (201) with
    the accepted label, and ``accepted`` the wall-clock time each such answer arrived and
    its body."""

    rate: float
    scheduled: int
    tally: loadgen.Tally = field(default_factory=loadgen.Tally)
    late: int = 0  # sent more than LATE_AFTER after their instant, or never sent
    late_here: int = 0  # of which with a connection free: this process was behind
    unanswered: int = 0  # no answer by the end of the drain (sent or not): lower bounds
    last_answer: float = 0.0  # seconds after the start
    accept: list[float] = field(default_factory=list)
    accepted: list[tuple[float, bytes]] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return len(self.tally.all_latencies()) - self.unanswered

    def figures(self, name: str, accepted_label: str = "collect") -> dict[str, str]:
        latencies = self.tally.all_latencies()
        achieved = achieved_per_s(self.answered, self.rate, self.scheduled, self.last_answer)
        statuses = self.tally.statuses.values()
        refused = sum(n for by in statuses for status, n in by.items() if status >= BAD_REQUEST)
        accept_p99 = loadgen.percentile(self.accept, 0.99)
        return {
            f"{name}_offered_per_s": f"{self.rate:.1f}",
            f"{name}_p50_ms": f"{loadgen.percentile(latencies, 0.50) * 1000:.1f}",
            f"{name}_p99_ms": f"{loadgen.percentile(latencies, 0.99) * 1000:.1f}",
            f"{name}_achieved_per_s": f"{achieved:.1f}",
            f"{name}_late_pct": f"{late_pct(self.late, self.scheduled):.1f}",
            # Late with a connection free: the load generator, not the server, was behind.
            f"{name}_late_client_pct": f"{late_pct(self.late_here, self.scheduled):.1f}",
            f"{name}_unanswered": str(self.unanswered),
            f"{name}_errors": str(refused + self.tally.errors),
            # Until the counter holds its receipt; time-to-integrate runs on from there.
            f"{accepted_label}_accept_p99_ms": f"{accept_p99 * 1000:.1f}",
        }


@dataclass
class _Lane:
    """A terminal on its connection: free lanes wait in a queue for the next instant."""

    connection: loadgen.Connection
    next_request: loadgen.NextRequest
    answer: loadgen.Answer | None = None


class _Run:
    """One open-model run: a dispatcher sends at the instants, a task per request awaits
    its answer and frees its lane."""

    def __init__(self, rate: float, instants: list[float], accepted_label: str) -> None:
        self.seen = OpenTally(rate=rate, scheduled=len(instants))
        self.instants = instants
        self.accepted_label = accepted_label
        self.lanes: asyncio.Queue[_Lane] = asyncio.Queue()
        self.flying: dict[asyncio.Task[None], tuple[str, float]] = {}
        self.start = 0.0

    async def drive(
        self, ports: int | Sequence[int], streams: list[loadgen.NextRequest], drain: float
    ) -> OpenTally:
        for port, stream in zip(loadgen.spread(ports, len(streams)), streams, strict=True):
            self.lanes.put_nowait(_Lane(await loadgen.Connection.open(port), stream))
        self.start = time.monotonic() + LEAD
        deadline = self.start + (self.instants[-1] if self.instants else 0.0) + drain
        unsent = await self._send_all(deadline)
        stuck: set[asyncio.Task[None]] = set()
        if self.flying:
            _done, stuck = await asyncio.wait(
                self.flying, timeout=max(0.0, deadline - time.monotonic())
            )
            for task in stuck:
                task.cancel()
            await asyncio.gather(*stuck, return_exceptions=True)
        # Never answered: the wait until the end of the run, a lower bound of the latency, in
        # the figures as such (in the accepted ones' too: it may have been one).
        end = max(time.monotonic(), deadline) if stuck or unsent else time.monotonic()
        for label, due in [self.flying[t] for t in stuck] + [("unsent", d) for d in unsent]:
            self.seen.tally.latencies.setdefault(label, []).append(end - due)
            self.seen.accept.append(end - due)
            self.seen.unanswered += 1
        self.seen.late += len(unsent)
        while not self.lanes.empty():
            self.lanes.get_nowait().connection.close()
        return self.seen

    async def _send_all(self, deadline: float) -> list[float]:
        """Send each request at its instant, or as soon after as a lane is free; the
        instants never sent (no lane free before ``deadline``)."""
        for n, instant in enumerate(self.instants):
            due = self.start + instant
            if (wait := due - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            # The next free lane. While none is, this request waits, and so do the ones due
            # after it: each is late and its wait is in its latency, measured from ``due``.
            free = True
            try:
                lane = self.lanes.get_nowait()  # the usual case, without wait_for's task
            except asyncio.QueueEmpty:
                free = False
                try:
                    lane = await asyncio.wait_for(
                        self.lanes.get(), timeout=max(0.0, deadline - time.monotonic())
                    )
                except TimeoutError:
                    return [self.start + i for i in self.instants[n:]]
            prepared = lane.next_request(lane.answer)
            if prepared is None:  # this terminal has nothing more to send
                lane.connection.close()
                return [self.start + i for i in self.instants[n:]]
            label, raw, _think = prepared  # no thinking: the schedule sets the pace
            if is_late(due, time.monotonic()):
                self.seen.late += 1
                self.seen.late_here += free
            self.flying[asyncio.create_task(self._one(lane, label, raw, due))] = (label, due)
        return []

    async def _one(self, lane: _Lane, label: str, raw: bytes, due: float) -> None:
        try:
            answer = await lane.connection.exchange(raw, self.seen.tally)
        except asyncio.CancelledError:
            lane.connection.close()  # the run is over; this answer never came
            raise
        if answer is None:
            return  # counted in tally.errors; the lane's connection is gone
        now = time.monotonic()
        self.seen.tally.add(label, answer, now - due)
        self.seen.last_answer = max(self.seen.last_answer, now - self.start)
        if label == self.accepted_label and answer.status == CREATED:
            self.seen.accept.append(now - due)
            self.seen.accepted.append((time.time(), answer.body))
        lane.answer = answer
        self.lanes.put_nowait(lane)


def run(
    ports: int | Sequence[int],
    streams: list[loadgen.NextRequest],
    *,
    rate: float,
    seconds: float,
    count: int = 100_000,
    drain: float = 10.0,
    accepted_label: str = "collect",
) -> OpenTally:
    """Send requests from ``streams`` (one connection each, dealt over ``ports`` on
    127.0.0.1) at ``rate`` a second for ``seconds`` (at most ``count``), then wait at most
    ``drain`` seconds for the last answers."""
    instants = schedule(rate, seconds, count)
    return loadgen.run_async(_Run(rate, instants, accepted_label).drive(ports, streams, drain))


def receipt_log_index(body: bytes) -> int | None:
    """The audit-log index a collection's receipt names (``log_index``: receipts issued
    before the sequencer), None if the answer carries none."""
    claims = _receipt_claims(body)
    index = claims.get("log_index") if claims is not None else None
    return index if isinstance(index, int) else None


def receipt_log_entry(body: bytes) -> str | None:
    """The audit-log entry a collection's receipt names (``log_entry``), None if none."""
    claims = _receipt_claims(body)
    entry = claims.get("log_entry") if claims is not None else None
    return entry if isinstance(entry, str) else None


def _receipt_claims(body: bytes) -> dict[str, Any] | None:
    try:
        jws = json.loads(body)["receipt"]["receipt"]
        payload = jws.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
    return claims if isinstance(claims, dict) else None


def integration_delays(
    accepted: Sequence[tuple[int, float]], checkpoints: Sequence[tuple[int, float]]
) -> list[float | None]:
    """For each accepted leaf (index, wall-clock time the counter got its receipt): seconds
    until the first signed checkpoint covering it (its size above the index), 0 if one was
    signed before the answer arrived, None if none covers it yet. ``checkpoints`` are
    (size, wall-clock time signed), in any order."""
    ordered = sorted(checkpoints)
    sizes = [size for size, _ in ordered]
    # The earliest signing among the checkpoints at least this large: a later checkpoint
    # covers everything an earlier one did.
    earliest: list[float] = []
    for _, signed in reversed(ordered):
        earliest.append(min(signed, earliest[-1]) if earliest else signed)
    earliest.reverse()
    delays: list[float | None] = []
    for index, at in accepted:
        first = bisect.bisect_right(sizes, index)  # the first size > index
        delays.append(max(0.0, earliest[first] - at) if first < len(sizes) else None)
    return delays


def integration_figures(
    accepted: Sequence[tuple[int, float]], checkpoints: Sequence[tuple[int, float]], now: float
) -> dict[str, str]:
    """``integrate_p50_ms``, ``integrate_p99_ms`` and ``integrate_uncovered`` of
    ``integration_delays``. A leaf no checkpoint covers yet counts with its wait until
    ``now``: a lower bound, as an unanswered request's latency is."""
    delays = integration_delays(accepted, checkpoints)
    seconds = [
        delay if delay is not None else now - at
        for delay, (_, at) in zip(delays, accepted, strict=True)
    ]
    return {
        "integrate_p50_ms": f"{loadgen.percentile(seconds, 0.50) * 1000:.1f}",
        "integrate_p99_ms": f"{loadgen.percentile(seconds, 0.99) * 1000:.1f}",
        "integrate_uncovered": str(sum(1 for delay in delays if delay is None)),
    }
