"""The open-model load generator (issue 18): requests go out at fixed instants of a constant
arrival rate and each is timed from its instant, so a slow server cannot hide the requests
that waited behind it (coordinated omission); its figures are computed as the benchmark
prints them. No assertion here is about speed: where a server stalls, the stall is a sleep,
and only the lower bound it guarantees is asserted."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

# The benchmark scripts are scripts, not a package: bench/ goes on the path as it is for
# bench/load.py when it runs.
sys.path.append(str(Path(__file__).resolve().parents[2] / "bench"))
import loadgen
import open_model

# --- the schedule -----------------------------------------------------------------------


def test_a_constant_rate_sends_evenly_spaced_from_the_start() -> None:
    assert open_model.schedule(4, 1, 100) == [0, 0.25, 0.5, 0.75]


def test_no_instant_falls_at_or_after_the_duration() -> None:
    # 0.1 * 30 is 3.0000000000000004 in binary floating point: still 3 instants.
    assert open_model.schedule(30, 0.1, 100) == [0, 1 / 30, 2 / 30]
    assert len(open_model.schedule(100, 12, 10**6)) == 1200
    assert len(open_model.schedule(333.3, 1, 10**6)) == 334  # 0 .. 333 / 333.3 < 1


def test_the_count_bounds_the_run_whatever_the_rate() -> None:
    assert open_model.schedule(1000, 60, 5) == [0, 0.001, 0.002, 0.003, 0.004]


@pytest.mark.parametrize(("rate", "seconds", "count"), [(0, 1, 5), (5, 0, 5), (5, 1, 0)])
def test_nothing_is_scheduled_without_a_rate_a_duration_and_a_count(
    rate: float, seconds: float, count: int
) -> None:
    assert open_model.schedule(rate, seconds, count) == []


# --- lateness and the figures ------------------------------------------------------------


def test_a_send_is_late_only_beyond_the_tolerance() -> None:
    assert not open_model.is_late(0.0, 0.0)
    assert not open_model.is_late(0.0, open_model.LATE_AFTER)
    assert open_model.is_late(0.0, open_model.LATE_AFTER + 0.001)
    assert open_model.is_late(10.0, 10.5)
    assert not open_model.is_late(10.0, 9.0)  # early (never happens) is not late


def test_the_late_share_is_of_the_scheduled_requests() -> None:
    assert open_model.late_pct(3, 200) == 1.5
    assert open_model.late_pct(0, 0) == 0.0


def test_achieved_rate_is_over_the_scheduled_window_or_until_the_last_answer() -> None:
    # 100 scheduled at 50/s own a 2 s window: all answered within it is 50/s.
    assert open_model.achieved_per_s(100, 50, 100, 1.9) == 50
    # Answers straggling until 4 s: the server did not keep up, 25/s.
    assert open_model.achieved_per_s(100, 50, 100, 4.0) == 25
    assert open_model.achieved_per_s(0, 50, 100, 4.0) == 0


def test_the_percentile_is_the_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert loadgen.percentile(values, 0.99) == 99  # not the largest
    assert loadgen.percentile(values, 0.50) == 50
    assert loadgen.percentile(values, 0.29) == 29  # 0.29 * 100 is 28.999999999999996
    assert loadgen.percentile([7.0], 0.99) == 7
    assert loadgen.percentile([3.0, 1.0, 2.0], 1.0) == 3
    assert loadgen.percentile([3.0, 1.0, 2.0], 0.0) == 1
    assert loadgen.percentile([], 0.99) == 0


def test_the_figures_count_every_request_and_name_the_accepted_ones() -> None:
    seen = open_model.OpenTally(rate=100, scheduled=4)
    for seconds, status in ((0.010, 201), (0.020, 201), (0.030, 409)):
        seen.tally.add("collect", loadgen.Answer(status, b"{}"), seconds)
        if status == 201:
            seen.accept.append(seconds)
    seen.tally.latencies.setdefault("unsent", []).append(0.500)  # a lower bound
    seen.accept.append(0.500)
    seen.unanswered, seen.late, seen.last_answer = 1, 1, 0.03
    figures = seen.figures("collect_open")
    assert figures == {
        "collect_open_offered_per_s": "100.0",
        "collect_open_p50_ms": "20.0",
        "collect_open_p99_ms": "500.0",
        "collect_open_achieved_per_s": "75.0",  # 3 answers over the 40 ms of 4 slots
        "collect_open_late_pct": "25.0",
        "collect_open_late_client_pct": "0.0",
        "collect_open_unanswered": "1",
        "collect_open_errors": "1",
        "collect_accept_p99_ms": "500.0",
    }


# --- the audit log: receipts and integration ------------------------------------------


def _jws(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'EdDSA'})}.{part(claims)}.c2ln"


def test_a_receipt_names_its_audit_log_index() -> None:
    body = json.dumps({"receipt": {"number": "R-1", "receipt": _jws({"log_index": 41})}})
    assert open_model.receipt_log_index(body.encode()) == 41


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"{}",
        json.dumps({"receipt": {"receipt": "no-dots"}}).encode(),
        json.dumps({"receipt": {"receipt": _jws({"promise": "later"})}}).encode(),
        json.dumps({"receipt": {"receipt": _jws({"log_index": "41"})}}).encode(),
    ],
)
def test_an_answer_without_an_index_gives_none(body: bytes) -> None:
    assert open_model.receipt_log_index(body) is None


def test_a_receipt_names_its_audit_log_entry() -> None:
    entry = "0123456789abcdef0123456789abcdef"
    claims = {"log_entry": entry, "log_by": 1_800_000_000}
    body = json.dumps({"receipt": {"number": "R-1", "receipt": _jws(claims)}})
    assert open_model.receipt_log_entry(body.encode()) == entry
    assert open_model.receipt_log_index(body.encode()) is None
    older = json.dumps({"receipt": {"receipt": _jws({"log_index": 41})}}).encode()
    assert open_model.receipt_log_entry(older) is None
    assert open_model.receipt_log_entry(b"not json") is None


def test_a_leaf_is_integrated_when_the_first_checkpoint_covering_it_is_signed() -> None:
    checkpoints = [(10, 105.0), (3, 101.0), (20, 108.0)]  # (size, signed at)
    accepted = [(0, 100.0), (3, 100.5), (9, 104.0), (15, 100.0), (20, 100.0)]
    assert open_model.integration_delays(accepted, checkpoints) == [1.0, 4.5, 1.0, 8.0, None]


def test_a_checkpoint_signed_before_the_answer_arrived_counts_as_no_delay() -> None:
    assert open_model.integration_delays([(0, 100.0)], [(1, 99.9)]) == [0.0]


def test_a_later_checkpoint_signed_earlier_covers_the_smaller_ones_leaves() -> None:
    # Two processes sign in parallel: the larger checkpoint may be signed first.
    assert open_model.integration_delays([(1, 100.0)], [(2, 103.0), (5, 102.0)]) == [2.0]


def test_a_leaf_not_yet_covered_counts_with_its_wait_so_far_never_dropped() -> None:
    # Two leaves integrated within 0.3 s; the third is still waiting 30 s on: the p99 of
    # three says so rather than leaving it out.
    accepted = [(0, 100.0), (1, 100.1), (2, 100.2)]
    figures = open_model.integration_figures(accepted, [(2, 100.3)], now=130.2)
    assert figures == {
        "integrate_p50_ms": "300.0",
        "integrate_p99_ms": "30000.0",
        "integrate_uncovered": "1",
    }


# --- the driver against a local server ---------------------------------------------------

Handler = Callable[[int], Coroutine[Any, Any, None]]


@pytest.fixture
def local_server() -> Iterator[Callable[[Handler], int]]:
    """A loop thread running raw HTTP/1.1 servers on 127.0.0.1 that answer 201 after
    ``await handler(n)`` for the n-th request they receive."""
    import threading  # noqa: PLC0415

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    servers: list[asyncio.Server] = []

    def start(handler: Handler) -> int:
        received = [0]

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                    await reader.readexactly(length)
                    received[0] += 1
                    await handler(received[0])
                    writer.write(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}")
            except (asyncio.IncompleteReadError, ConnectionError):
                pass  # the client is gone
            except asyncio.CancelledError:
                # Shut down mid-stall. Returning, not raising: Python 3.11's stream server
                # logs a cancelled handler as an error.
                return
            finally:
                writer.close()

        async def listen() -> asyncio.Server:
            return await asyncio.start_server(serve, "127.0.0.1", 0)

        server = asyncio.run_coroutine_threadsafe(listen(), loop).result()
        servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    yield start

    async def shut_down() -> None:
        for server in servers:
            server.close()
        # A handler still stalled (a test's server that never answers) is cancelled, and
        # closes its connection on the way out.
        handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    asyncio.run_coroutine_threadsafe(shut_down(), loop).result()
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


def _posts(count: int) -> list[loadgen.NextRequest]:
    raw = loadgen.http_request("POST", "/v1/contributions", b"{}")
    return [loadgen.repeat("collect", raw) for _ in range(count)]


def test_every_scheduled_request_is_sent_and_answered(
    local_server: Callable[[Handler], int],
) -> None:
    async def at_once(n: int) -> None:
        return None

    port = local_server(at_once)
    seen = open_model.run(port, _posts(4), rate=200, seconds=0.1, drain=5)
    assert seen.scheduled == 20
    assert seen.answered == 20
    assert seen.unanswered == 0
    assert seen.tally.statuses == {"collect": {201: 20}}
    assert len(seen.accept) == len(seen.accepted) == 20


def test_requests_behind_a_stalled_one_are_late_and_their_wait_is_counted(
    local_server: Callable[[Handler], int],
) -> None:
    """One connection; the first answer takes 0.3 s. The nine requests due in the first
    0.09 s wait for it: all are sent late, and each one's latency, from its instant, holds
    that wait (a closed loop would have timed them from when they were sent)."""

    async def first_stalls(n: int) -> None:
        if n == 1:
            await asyncio.sleep(0.3)

    port = local_server(first_stalls)
    seen = open_model.run(port, _posts(1), rate=100, seconds=0.1, drain=5)
    latencies = seen.tally.latencies["collect"]
    assert seen.answered == 10
    assert seen.late >= 9  # the first too, if this machine was busy
    assert seen.late - seen.late_here >= 9  # waiting for the connection, not for this process
    # Request n (0-based) was due at n / 100 s and could not go before 0.3 s (less a
    # millisecond: a timer may fire within the clock's resolution of its instant).
    assert all(latency >= 0.3 - n / 100 - 0.001 for n, latency in enumerate(latencies))
    assert loadgen.percentile(latencies, 0.99) >= 0.3 - 0.001


def test_requests_never_answered_count_with_their_wait_so_far(
    local_server: Callable[[Handler], int],
) -> None:
    async def never(n: int) -> None:
        await asyncio.sleep(3600)

    port = local_server(never)
    seen = open_model.run(port, _posts(2), rate=100, seconds=0.05, drain=0.2)
    assert seen.scheduled == 5
    assert seen.answered == 0
    assert seen.unanswered == 5  # 2 sent and stuck, 3 never sent for want of a connection
    assert seen.late >= 3
    assert len(seen.tally.all_latencies()) == 5
    # At least the drain after the last instant (to a float's rounding of the clock's values).
    assert min(seen.tally.all_latencies()) >= 0.2 - 1e-9
    assert seen.figures("collect_open")["collect_open_unanswered"] == "5"


def test_connections_are_dealt_evenly_over_several_servers() -> None:
    assert loadgen.spread([8001, 8002], 5) == [8001, 8002, 8001, 8002, 8001]
    assert loadgen.spread(8001, 2) == [8001, 8001]
