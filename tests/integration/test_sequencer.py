"""The audit log's sequencer: writes record pending entries without locking the log, and
one sequencer at a time gives them dense indexes in batches, losing nothing when killed."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from agent_api.persistence import audit_tiles
from agent_api.persistence.tables import AuditCheckpoint, AuditEntry, AuditHead, AuditLeaf
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.protocol import merkle
from agent_api.services.container import Services, audit_log_of
from agent_api.services.log import audit_log, sequencer
from agent_api.services.log.sequencer import Sequencer
from agent_api.settings import Settings
from qurb.asgi import build
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.support.reconciliation import enroll, pay
from tests.support.terminal import TestTerminal


def _plain(engine: Engine) -> UnitOfWork:
    """A unit of work that nudges nobody: its entries stay pending until asked."""
    return UnitOfWork(engine)


def _record(engine: Engine, clock: FakeClock, count: int, kind: str = "test_entry") -> list[str]:
    entries = []
    for number in range(count):
        with _plain(engine) as uow:
            entries.append(audit_log.append(uow.session, kind, {"n": number}, at=clock()))
            uow.commit()
    return entries


def _pending(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(AuditEntry)).one())


def _leaves(engine: Engine) -> list[AuditLeaf]:
    with Session(engine) as session:
        return list(session.exec(select(AuditLeaf).order_by(col(AuditLeaf.leaf_index))).all())


def _head(engine: Engine) -> tuple[int, str]:
    with Session(engine) as session:
        head = session.get(AuditHead, 1)
        assert head is not None
        return head.size, head.frontier


def _assert_one_tree(engine: Engine, entries: list[str]) -> None:
    """Dense indexes, each entry exactly once, and the head and the tiles make the root of
    the leaves' bytes."""
    leaves = _leaves(engine)
    assert [leaf.leaf_index for leaf in leaves] == list(range(len(leaves)))
    named = [leaf.entry for leaf in leaves if leaf.entry is not None]
    assert len(named) == len(set(named))
    assert set(entries) <= set(named)
    for leaf in leaves:
        assert merkle.leaf_hash(leaf.data.encode()).hex() == leaf.leaf_hash
        if leaf.entry is not None:
            assert json.loads(leaf.data)["entry"] == leaf.entry
    tree = merkle.CompactRange()
    tree.extend(bytes.fromhex(leaf.leaf_hash) for leaf in leaves)
    size, frontier = _head(engine)
    assert size == len(leaves)
    assert frontier == " ".join(h.hex() for h in tree.hashes)
    with engine.connect() as connection:
        assert audit_tiles.tiled_size(connection) == size


def test_a_write_records_a_pending_entry_and_its_commit_sequences_it(
    world: World, terminal: TestTerminal, services: Services
) -> None:
    before = _head(services.engine)[0]
    collected = pay(terminal, enroll(terminal), 7_000, "CA-01")
    # The write's own unit of work nudged the sequencer once committed: nothing is left.
    assert _pending(services.engine) == 0
    leaves = _leaves(services.engine)
    assert len(leaves) == before + 2
    assert json.loads(leaves[-1].data)["decision"]["receipt"] == collected.receipt
    _assert_one_tree(services.engine, [])


def test_entries_wait_for_the_sequencer_and_a_batch_takes_them_in_recorded_order(
    services: Services, clock: FakeClock
) -> None:
    engine = services.engine
    start = _head(engine)[0]
    entries = _record(engine, clock, 5)
    assert _pending(engine) == 5
    assert _head(engine)[0] == start  # recorded, not in the tree: nothing of the log locked
    run = Sequencer(lambda: _plain(engine), clock)
    assert run.drain() == 5
    assert _pending(engine) == 0
    leaves = _leaves(engine)
    assert [leaf.entry for leaf in leaves[start:]] == entries
    _assert_one_tree(engine, entries)
    assert run.drain() == 0  # nothing twice


def test_a_batch_killed_before_its_commit_loses_nothing_and_forks_nothing(
    services: Services, clock: FakeClock
) -> None:
    engine = services.engine
    start = _head(engine)
    entries = _record(engine, clock, 4)
    crashing = Sequencer(lambda: _plain(engine), clock)

    def crash(_: Connection) -> None:
        raise RuntimeError("killed mid-batch")

    crashing.before_commit = crash
    with pytest.raises(RuntimeError, match="killed mid-batch"):
        crashing.drain()
    # Rolled back whole: the head, the leaves and the tiles as they were, the entries pending.
    assert _head(engine) == start
    assert len(_leaves(engine)) == start[0]
    assert _pending(engine) == 4
    # The next sequencer (here a new one, as after a restart) takes the same entries once.
    assert Sequencer(lambda: _plain(engine), clock).drain() == 4
    _assert_one_tree(engine, entries)


def test_more_entries_than_a_batch_take_several_batches_and_stay_dense(
    services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sequencer, "BATCH", 3)
    engine = services.engine
    entries = _record(engine, clock, 8)
    batches: list[int] = []
    run = Sequencer(lambda: _plain(engine), clock)
    run.before_commit = lambda c: batches.append(
        int(c.execute(core_select(func.count()).select_from(AuditEntry)).scalar_one())
    )
    assert run.drain() == 8
    assert batches == [5, 2, 0]  # pending left after each batch's delete, before its commit
    _assert_one_tree(engine, entries)


def test_concurrent_writers_and_sequencers_make_one_dense_log(
    services: Services, clock: FakeClock
) -> None:
    """Four writer threads record entries while two sequencers (as two processes would)
    drain concurrently: every entry exactly once, one tree."""
    engine = services.engine
    recorded: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    sequencers = [Sequencer(lambda: _plain(engine), clock) for _ in range(2)]
    stop = threading.Event()

    def write(worker: int) -> None:
        try:
            for number in range(15):
                with _plain(engine) as uow:
                    entry = audit_log.append(
                        uow.session, "test_entry", {"w": worker, "n": number}, at=clock()
                    )
                    uow.commit()
                with lock:
                    recorded.append(entry)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def sequence(run: Sequencer) -> None:
        try:
            while not stop.is_set():
                run.nudge()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    runners = [threading.Thread(target=sequence, args=(s,)) for s in sequencers]
    for thread in [*threads, *runners]:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    stop.set()
    for thread in runners:
        thread.join(timeout=120)
    assert errors == []
    sequencers[0].drain()
    assert _pending(engine) == 0
    assert len(recorded) == 60
    _assert_one_tree(engine, recorded)


@pytest.mark.postgres_only
def test_an_uncommitted_write_holds_nothing_another_write_needs(
    services: Services, clock: FakeClock
) -> None:
    """Before the sequencer a write held the log's head from its leaf to its commit, and
    every other write waited for it; now a write in progress blocks no other (on
    PostgreSQL: SQLite has one writer at a time whatever the log does)."""
    engine = services.engine
    done = threading.Event()
    with _plain(engine) as slow:
        audit_log.append(slow.session, "test_entry", {"slow": True}, at=clock())

        def other() -> None:
            with _plain(engine) as uow:
                audit_log.append(uow.session, "test_entry", {"slow": False}, at=clock())
                uow.commit()
            done.set()

        thread = threading.Thread(target=other)
        thread.start()
        assert done.wait(timeout=30)
        slow.commit()
        thread.join()
    assert Sequencer(lambda: _plain(engine), clock).drain() == 2


def test_a_checkpoint_holds_every_write_committed_before_it_was_asked(
    services: Services, clock: FakeClock
) -> None:
    engine = services.engine
    entries = _record(engine, clock, 3)
    checkpoint = services.audit.checkpoint()
    assert _pending(engine) == 0
    assert checkpoint.size == _head(engine)[0]
    _assert_one_tree(engine, entries)


def test_the_public_entry_endpoint_says_pending_then_included_with_a_proof(
    app_client: TestClient, services: Services, clock: FakeClock
) -> None:
    engine = services.engine
    [entry] = _record(engine, clock, 1)
    # Asking sequences what was recorded before the question: included at once.
    response = app_client.get(f"/v1/audit/entries/{entry}")
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["state"] == "included"
    leaf = next(leaf for leaf in _leaves(engine) if leaf.entry == entry)
    assert found["index"] == leaf.leaf_index
    assert found["leaf_hash"] == leaf.leaf_hash
    assert "data" not in found  # the leaf's content is the auditors'
    with Session(engine) as session:
        size = session.exec(select(func.max(AuditCheckpoint.size))).one()
        root = session.get(AuditCheckpoint, size)
    assert root is not None
    merkle.verify_inclusion(
        bytes.fromhex(leaf.leaf_hash),
        leaf.leaf_index,
        size,
        [bytes.fromhex(h) for h in found["proof"]],
        bytes.fromhex(root.root_hash),
    )
    assert app_client.get(f"/v1/audit/entries/{'0' * 32}").status_code == 404
    refused = app_client.get("/v1/audit/entries/not-an-entry")
    assert refused.status_code == 422
    assert "entry" in refused.text


def test_a_leaf_whose_facts_would_replace_its_envelope_is_refused(
    services: Services, clock: FakeClock
) -> None:
    with _plain(services.engine) as uow, pytest.raises(ValueError, match="log_by"):
        audit_log.append(uow.session, "test_entry", {"log_by": "never"}, at=clock())
    assert _pending(services.engine) == 0


def test_the_periodic_sequencer_takes_entries_whose_writer_died(
    settings: Settings, clock: FakeClock
) -> None:
    """An entry committed by a process that died before its nudge: the app's periodic
    sequencer integrates it."""
    with _served(settings, clock, 20) as client:
        services: Services = client.app.state.services  # type: ignore[attr-defined]
        entries = _record(services.engine, clock, 2)
        _wait_sequenced(services.engine)
        assert _pending(services.engine) == 0
        _assert_one_tree(services.engine, entries)


def _served(settings: Settings, clock: FakeClock, interval_ms: int) -> TestClient:
    return TestClient(
        build(dataclasses.replace(settings, sequence_interval_ms=interval_ms), clock=clock)
    )


def _wait_sequenced(engine: Engine) -> None:
    for _ in range(500):
        if _pending(engine) == 0:
            return
        threading.Event().wait(0.01)


def test_a_served_write_is_sequenced_by_the_process_thread_not_by_its_request(
    settings: Settings, clock: FakeClock
) -> None:
    """In a server, a committed write only wakes the process's sequencer thread: the request
    does not run a sequencing transaction of its own (measured: a third of a collection's
    CPU), and its entry is in the tree long before the periodic round (a minute here)."""
    with _served(settings, clock, 60_000) as client:
        services: Services = client.app.state.services  # type: ignore[attr-defined]
        batches: list[str] = []
        services.audit.sequencer.before_commit = lambda _: batches.append(
            threading.current_thread().name
        )
        entries = []
        for number in range(3):
            with services.new_uow() as uow:
                entries.append(
                    audit_log.append(uow.session, "test_entry", {"n": number}, at=clock())
                )
                uow.commit()
        _wait_sequenced(services.engine)
        assert _pending(services.engine) == 0
        assert batches
        assert set(batches) == {"qurb-sequencer"}
        _assert_one_tree(services.engine, entries)


def test_the_sequencer_thread_ends_with_the_server_and_the_next_one_takes_what_was_left(
    settings: Settings, clock: FakeClock
) -> None:
    """Stopping the server stops its sequencer thread; entries committed when no thread ran
    wait, pending, for the next server's."""
    with _served(settings, clock, 60_000):
        pass
    assert not [t for t in threading.enumerate() if t.name == "qurb-sequencer"]
    with _served(settings, clock, 60_000) as client:
        services: Services = client.app.state.services  # type: ignore[attr-defined]
        entries = _record(services.engine, clock, 2)
        assert _pending(services.engine) == 2
        with services.new_uow() as uow:
            entries.append(audit_log.append(uow.session, "test_entry", {"n": 9}, at=clock()))
            uow.commit()
        _wait_sequenced(services.engine)
        assert _pending(services.engine) == 0
        _assert_one_tree(services.engine, entries)


_KILLED_MID_BATCH = """
import os, signal, sys
from agent_api.persistence.db import build_engine
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.services.log.sequencer import Sequencer
from datetime import UTC, datetime
engine = build_engine(sys.argv[1])
run = Sequencer(lambda: UnitOfWork(engine), lambda: datetime.now(UTC))
run.before_commit = lambda c: os.kill(os.getpid(), signal.SIGKILL)
run.drain()
"""


def test_a_sequencer_process_killed_mid_batch_loses_nothing(
    settings: Settings, services: Services, clock: FakeClock, tmp_path: Path
) -> None:
    """SIGKILL between writing a batch and committing it (the worst moment): the database
    rolls the batch back, and the next sequencer takes the same entries once."""
    engine = services.engine
    start = _head(engine)
    entries = _record(engine, clock, 6)
    script = tmp_path / "killed.py"
    script.write_text(_KILLED_MID_BATCH, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(  # noqa: S603 - our own interpreter, our own script
        [sys.executable, str(script), settings.database_url],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    assert _head(engine) == start
    assert _pending(engine) == 6
    assert Sequencer(lambda: _plain(engine), clock).drain() == 6
    _assert_one_tree(engine, entries)
    # And the log still signs and verifies: its next checkpoint extends the last one.
    clock.advance(minutes=1)
    log = audit_log_of(services.settings, lambda: _plain(engine), clock)
    assert log.checkpoint().size == _head(engine)[0]


def test_receipts_promise_the_log_within_the_maximum_merge_delay(
    world: World, terminal: TestTerminal
) -> None:
    pay(terminal, enroll(terminal), 7_000, "CA-01")
    leaf = json.loads(_leaves(world.services.engine)[-1].data)
    at, by = datetime.fromisoformat(leaf["at"]), datetime.fromisoformat(leaf["log_by"])
    assert timedelta(0) < by - at <= audit_log.MERGE_DELAY
