"""A lean HTTP/1.1 load generator for the benchmarks: one keep-alive connection per simulated
terminal, closed loop (a terminal sends its next request when the previous one is answered),
raw bytes prepared before the clock starts.

A general-purpose client (httpx) costs more CPU per request than the server's bare-insert
floor does; on a 2-core machine it would measure itself. This one writes prepared bytes and
parses only the status line and ``Content-Length``, so the figures are the server's.

The open model (a constant arrival rate, each request timed from its scheduled instant) is
``bench/open_model.py``, on the same connections (``Connection``).
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# The next request of one terminal given the answer to its previous one (None at first):
# (label, raw HTTP request bytes, seconds to think before sending it), or None when the
# terminal has nothing more to send. Thinking is not counted in the latency.
Prepared = tuple[str, bytes, float]
NextRequest = Callable[["Answer | None"], "Prepared | None"]


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


@dataclass
class Tally:
    """What one run saw: latencies (seconds) and statuses per request label."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    errors: int = 0  # requests that got no answer at all
    reconnects: int = 0
    refusals: list[str] = field(default_factory=list)  # the first few 4xx/5xx bodies seen

    def add(self, label: str, answer: Answer, seconds: float) -> None:
        self.latencies.setdefault(label, []).append(seconds)
        by_status = self.statuses.setdefault(label, {})
        by_status[answer.status] = by_status.get(answer.status, 0) + 1
        if answer.status >= 400 and len(self.refusals) < 5:
            self.refusals.append(f"{label} {answer.status} {answer.body[:300]!r}")

    def all_latencies(self) -> list[float]:
        return [x for values in self.latencies.values() for x in values]


def http_request(
    method: str, path: str, body: bytes = b"", headers: Iterable[tuple[str, str]] = ()
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_answer(reader: asyncio.StreamReader) -> Answer:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
            break
    body = await reader.readexactly(length) if length else b""
    return Answer(status, body)


class Connection:
    """One keep-alive connection to 127.0.0.1:``port``, opened again when the server has
    closed it."""

    def __init__(
        self, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.port = port
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(port, reader, writer)

    async def exchange(self, raw: bytes, tally: Tally) -> Answer | None:
        """Send ``raw`` and read its answer; None (counted in ``tally.errors``) when there
        was none even on a fresh connection."""
        try:
            self._writer.write(raw)
            return await _read_answer(self._reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            # The server closed an idle keep-alive connection (uvicorn: after 5 s): as any
            # client, connect again and send the same bytes (a signed write is idempotent;
            # the server had not read this one).
            self._writer.close()
            self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port)
            tally.reconnects += 1
            try:
                self._writer.write(raw)
                return await _read_answer(self._reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                tally.errors += 1
                return None

    def close(self) -> None:
        self._writer.close()


def spread(ports: int | Sequence[int], count: int) -> list[int]:
    """The port each of ``count`` connections goes to: dealt in turn over ``ports``, so that
    separate server processes get the same share of the load."""
    choices = [ports] if isinstance(ports, int) else list(ports)
    return [choices[n % len(choices)] for n in range(count)]


async def _run(
    ports: int | Sequence[int], terminals: list[NextRequest], seconds: float
) -> tuple[Tally, float]:
    tally = Tally()
    # Connect every terminal first, so that the measured window holds only requests.
    connections = [await Connection.open(p) for p in spread(ports, len(terminals))]
    began = time.monotonic()
    until = began + seconds
    await asyncio.gather(
        *(
            _loop(connection, next_request, until, tally)
            for connection, next_request in zip(connections, terminals, strict=True)
        )
    )
    return tally, time.monotonic() - began


async def _loop(
    connection: Connection, next_request: NextRequest, until: float, tally: Tally
) -> None:
    answer: Answer | None = None
    try:
        while time.monotonic() < until:
            prepared = next_request(answer)
            if prepared is None:
                return
            label, raw, think = prepared
            if think > 0:
                if time.monotonic() + think >= until:
                    return
                await asyncio.sleep(think)
            began = time.perf_counter()
            answer = await connection.exchange(raw, tally)
            if answer is None:
                return
            tally.add(label, answer, time.perf_counter() - began)
    finally:
        connection.close()


def repeat(label: str, raw: bytes) -> NextRequest:
    """The same prepared request, again and again."""

    def next_request(answer: Answer | None) -> Prepared | None:
        return label, raw, 0.0

    return next_request


def run(
    ports: int | Sequence[int], terminals: list[NextRequest], seconds: float
) -> tuple[Tally, float]:
    """Drive ``terminals`` closed-loop against 127.0.0.1:``ports`` (one connection each,
    dealt over the ports) for ``seconds``; the tally and the elapsed time of the window."""
    return run_async(_run(ports, terminals, seconds))


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on uvloop, the server's own event loop (and the cheaper one)."""
    try:
        import uvloop  # noqa: PLC0415 - optional: installed with uvicorn[standard]
    except ImportError:  # pragma: no cover - uvloop is part of the stack
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value at least ``fraction`` of the values
    do not exceed (p99 of 100 values is the 99th, not the largest); 0 when there are none."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    # round(): 0.29 * 100 is 28.999999999999996 in binary floating point, rank 29 all the same.
    rank = math.ceil(round(len(ordered) * fraction, 9))
    return ordered[min(len(ordered), max(rank, 1)) - 1]


def cpu_seconds(pids: Iterable[int]) -> dict[int, float]:
    """User plus system CPU time of each of these processes so far (Linux ``/proc``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two readings (a process born in between counts whole)."""
    return sum(spent - before.get(pid, 0.0) for pid, spent in after.items())


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def backends_of(database: str) -> list[int]:
    """The PostgreSQL server processes serving ``database`` (their titles name it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {database} " in title:
                found.append(int(entry.name))
    return found
