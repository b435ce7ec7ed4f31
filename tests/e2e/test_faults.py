"""Faults under load, through the real server on 127.0.0.1: a server killed with SIGKILL, a
PostgreSQL that crashes and comes back, skewed clocks and a network that delivers twice.

Each simulated terminal keeps its own record of what was acknowledged and retries the
identical signed bytes until it is answered, as a terminal's outbox does. Whatever the
fault, afterwards every acknowledged collection is in the database and in the audit log
exactly once, nothing is half-written, the totals per terminal are the client's, and
``qurb-audit verify`` finds the log clean.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from agent_api.persistence.db import build_engine
from qurb import migrate
from tests.e2e.conftest import seed_offices
from tests.support.faults import (
    COLLECT,
    Counter,
    Courier,
    CuttingProxy,
    KillableServer,
    Observed,
    PrivateCluster,
    audit_findings,
    consistency_problems,
    deliver_duplicated,
    drain_all,
    in_threads,
)

TERMINALS = 4
WRITES = 16  # per terminal


def _offices(prefix: str, n: int) -> list[tuple[str, str]]:
    return [("CASHPLUS" if i % 2 else "WAFACASH", f"{prefix}-{i:02d}") for i in range(n)]


def _counters(
    url: str, codes: dict[str, str], skews: Sequence[timedelta] | None = None
) -> list[Counter]:
    counters = []
    for n, (office, code) in enumerate(sorted(codes.items())):
        counter = Counter(office, skews[n] if skews else timedelta(0))
        counter.set_up(url, code, cin=f"FK{n:06d}")
        counters.append(counter)
    return counters


def _queue(counters: Sequence[Counter], writes: int) -> None:
    for c, counter in enumerate(counters):
        for n in range(writes):
            counter.queue(1_000 + 100 * n + c)  # distinct amounts: a mix-up would show


def _unclean(observed: Sequence[Observed]) -> list[Observed]:
    """Answers a terminal cannot act on safely: a 5xx other than 503 ``unavailable``, or a 503
    without its code or Retry-After."""
    return [
        o
        for o in observed
        if o.status is not None
        and o.status >= 500
        and (o.status, o.code, o.retry_after is not None) != (503, "unavailable", True)
    ]


def _settled(
    database_url: str, key_dir: Path, tmp_path: Path, counters: Sequence[Counter], log: str
) -> None:
    problems = consistency_problems(database_url, key_dir, counters)
    assert problems == [], "\n".join(problems) + "\n--- server log (tail) ---\n" + log[-4000:]
    assert audit_findings(database_url, key_dir, tmp_path) == []


def _send_again(url: str, counters: Sequence[Counter]) -> None:
    """Every write once more, as a terminal that lost its acknowledgments would: the stored
    answer comes back, byte for byte."""
    again = Courier(url, budget_s=60)
    in_threads([functools.partial(again.drain, c, everything=True) for c in counters], timeout_s=90)
    for counter in counters:
        for write in counter.writes:
            assert write.acks[-1].replayed, f"{counter.office} {write.sequence} performed again"


def test_a_server_killed_mid_load_loses_and_doubles_nothing(
    database_url: str, key_dir: Path, tmp_path: Path
) -> None:
    codes = seed_offices(database_url, key_dir, _offices("KL", TERMINALS))
    with KillableServer(database_url, key_dir, tmp_path) as server:
        counters = _counters(server.url, codes)
        _queue(counters, WRITES)
        courier = Courier(server.url)
        load = drain_all(courier, counters)
        total = TERMINALS * WRITES
        assert courier.wait_for(total // 3, timeout_s=60), server.log_text()[-4000:]
        server.kill()
        acknowledged_at_kill = courier.acknowledged
        server.start()  # same database, same port
        load.join(150)
        assert not load.is_alive(), "the outboxes did not drain"
        assert acknowledged_at_kill < total, "the load ended before the kill"
        assert any(o.error for o in courier.observed), "no request was cut off"
        assert _unclean(courier.observed) == []
        _send_again(server.url, counters)
        _settled(database_url, key_dir, tmp_path, counters, server.log_text())


def _readiness(url: str) -> int | None:
    try:
        return httpx.get(url + "/readyz", timeout=5).status_code
    except httpx.TransportError:
        return None


def _log_pending(database_url: str) -> int:
    engine = build_engine(database_url, pool_size=1)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM audit_entries")).scalar_one())
    finally:
        engine.dispose()


def _until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def private_cluster() -> Iterator[PrivateCluster]:
    reason = PrivateCluster.unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs a private PostgreSQL cluster: {reason}")
        pytest.skip(f"no private PostgreSQL cluster: {reason}")
    with PrivateCluster() as cluster:
        migrate.upgrade(cluster.url)
        yield cluster


@pytest.mark.postgres_only
def test_postgresql_crashing_under_load_answers_503_and_recovers_without_a_restart(
    private_cluster: PrivateCluster, key_dir: Path, tmp_path: Path
) -> None:
    url = private_cluster.url
    codes = seed_offices(url, key_dir, _offices("PG", TERMINALS))
    with KillableServer(url, key_dir, tmp_path) as server:
        counters = _counters(server.url, codes)
        _queue(counters, WRITES)
        courier = Courier(server.url)
        load = drain_all(courier, counters)
        assert courier.wait_for(TERMINALS * WRITES // 4, timeout_s=60), server.log_text()[-4000:]
        private_cluster.crash()
        assert _until(lambda: _readiness(server.url) == 503, 10), "/readyz did not say 503"
        # Down for a couple of seconds, and long enough for the load to meet the outage.
        down = time.monotonic()
        assert _until(
            lambda: time.monotonic() - down > 2 and any(o.status == 503 for o in courier.observed),
            20,
        ), "no write met the outage"
        private_cluster.start()
        assert _until(lambda: _readiness(server.url) == 200, 30), "/readyz did not come back"
        load.join(150)
        assert not load.is_alive(), "the outboxes did not drain"
        assert server.process is not None
        assert server.process.poll() is None, "the server restarted"
        assert _unclean(courier.observed) == [], server.log_text()[-4000:]
        # The server was up all along: a timeout or a cut connection would be a hang or a crash.
        assert [o for o in courier.observed if o.error] == []
        _send_again(server.url, counters)
        _settled(url, key_dir, tmp_path, counters, server.log_text())


def _recorded(database_url: str) -> list[int]:
    """How many collections, idempotency records and audit-log entries (leaves, and those
    the server's sequencer thread has not yet made leaves) the database holds."""
    engine = build_engine(database_url, pool_size=1)
    try:
        with engine.connect() as c:
            counts = [
                int(c.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608
                for table in ("contributions", "idempotency_records")
            ]
            # One statement, one snapshot: a batch moves entries to leaves in one transaction.
            logged = c.execute(
                text(
                    "SELECT (SELECT count(*) FROM audit_leaves)"
                    " + (SELECT count(*) FROM audit_entries)"
                )
            ).scalar_one()
            return [*counts, int(logged)]
    finally:
        engine.dispose()


SKEWS = [timedelta(minutes=-4), timedelta(minutes=4), timedelta(0)]
ADRIFT = [timedelta(minutes=10), timedelta(minutes=-10)]


def test_skewed_clocks_and_duplicated_deliveries_record_each_collection_once(
    database_url: str, key_dir: Path, tmp_path: Path
) -> None:
    codes = seed_offices(database_url, key_dir, _offices("SK", len(SKEWS) + len(ADRIFT)))
    with KillableServer(database_url, key_dir, tmp_path) as server:
        counters = _counters(server.url, codes, [*SKEWS, *[timedelta(0)] * len(ADRIFT)])
        served, adrift = counters[: len(SKEWS)], counters[len(SKEWS) :]
        courier = Courier(server.url)
        before = _recorded(database_url)
        for counter, skew in zip(adrift, ADRIFT, strict=True):
            counter.skew = skew
            _queue([counter], 3)
            for write in counter.writes:
                courier.deliver(write)
                assert write.refusals == [(401, "signature_stale")]
            assert _recorded(database_url) == before, "a stale write left a trace"
            counter.skew = timedelta(0)  # NTP again: the same writes, signed anew
            for write in counter.writes:
                counter.resign(write)
        _queue(served, 10)
        # Interleaved across terminals, then each write delivered 2-3 times, out of order.
        writes = [w for n in range(10) for c in [*served, *adrift] for w in c.writes[n : n + 1]]
        deliver_duplicated(courier, writes, seed=9)
        # No fault here: each write's original answer reached one of its deliveries.
        assert all(sum(not a.replayed for a in w.acks) == 1 for w in writes)
        assert all(len(w.acks) >= 2 for w in writes)
        assert _unclean(courier.observed) == []
        assert [o for o in courier.observed if o.error] == []
        _settled(database_url, key_dir, tmp_path, counters, server.log_text())


def _blocked_by(engine: Engine, pid: int) -> bool:
    with engine.connect() as c:
        query = "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
        return int(c.execute(text(query), {"pid": pid}).scalar_one()) > 0


@pytest.mark.postgres_only
def test_leaves_are_dated_in_log_order_when_writes_commit_out_of_arrival_order(
    database_url: str, key_dir: Path, tmp_path: Path
) -> None:
    codes = seed_offices(database_url, key_dir, _offices("TO", 2))
    with KillableServer(database_url, key_dir, tmp_path, workers=1) as server:
        first, second = _counters(server.url, codes)
        early, late = first.queue(1_000), second.queue(2_000)
        courier = Courier(server.url, budget_s=30)
        engine = build_engine(database_url, pool_size=2)
        try:
            with engine.connect() as holder:
                # The first worker's account is busy (as with another office paying for them):
                # the early write arrives, then waits on its row lock.
                pid = int(holder.execute(text("SELECT pg_backend_pid()")).scalar_one())
                holder.execute(
                    text("SELECT id FROM workers WHERE registration_number = :rn FOR UPDATE"),
                    {"rn": first.registration_number},
                )
                waiting = threading.Thread(target=courier.deliver, args=(early,))
                waiting.start()
                assert _until(lambda: _blocked_by(engine, pid), 10), "the write did not wait"
                courier.deliver(late)  # arrives second, commits first
                holder.rollback()
            waiting.join(30)
        finally:
            engine.dispose()
        assert early.acks, early.refusals
        assert late.acks, late.refusals
        assert consistency_problems(database_url, key_dir, [first, second]) == []
    assert audit_findings(database_url, key_dir, tmp_path) == []


@pytest.mark.postgres_only
def test_a_connection_lost_before_its_transaction_ends_is_answered_503_and_forgotten(
    database_url: str, key_dir: Path, tmp_path: Path
) -> None:
    codes = seed_offices(database_url, key_dir, _offices("CU", 1))
    with (
        CuttingProxy(make_url(database_url).port or 5432) as proxy,
        KillableServer(proxy.url(database_url), key_dir, tmp_path, workers=1) as server,
    ):
        [counter] = _counters(server.url, codes)
        _queue([counter], 3)
        # The server's sequencer thread commits its batches through the same proxy: armed
        # only once the sign-ins' entries are sequenced, the cut falls on the collection's
        # COMMIT, the first transaction to end after it.
        assert _until(lambda: _log_pending(database_url) == 0, 10), "the log was not sequenced"
        proxy.arm()
        with httpx.Client(base_url=server.url, timeout=15) as client:
            # One try each: the cut one, then the others on the same (sole) worker process.
            answers = [
                client.post(COLLECT, content=w.content, headers=w.headers) for w in counter.writes
            ]
        assert proxy.cut.is_set(), "no transaction end was cut"
        statuses = [a.status_code for a in answers]
        assert (statuses[0], answers[0].json()["error"]["code"]) == (503, "unavailable")
        assert statuses[1:] == [201] * (len(answers) - 1), [a.text for a in answers]
        courier = Courier(server.url, budget_s=30)
        courier.drain(counter)
        assert _unclean(courier.observed) == []
        assert consistency_problems(database_url, key_dir, [counter]) == []
