"""The national seed (``bench/national``), at a small scale, leaves a database the live
service keeps working on: the migrated schema, every constraint holding, totals that add up,
an audit log whose head is its leaves', and ids, receipt numbers and sequence numbers that
the service continues without a collision."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select, text
from starlette.testclient import TestClient

from agent_api.clock import CASABLANCA
from agent_api.domain.months import add_months, first_of_month
from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.domain.registration_number import format_registration_number
from agent_api.domain.roles import Role
from agent_api.persistence.db import build_engine
from agent_api.protocol import merkle
from agent_api.protocol.checkpoint import NoteSigner, open_checkpoint
from agent_api.secrets import parse_ed25519_private_key
from agent_api.services.container import Services
from agent_api.services.log import audit_log
from agent_api.settings import Settings
from qurb.asgi import build
from qurb.schema import metadata
from tests.conftest import FakeClock
from tests.support.reconciliation import enroll, pay
from tests.support.terminal import TestTerminal

# The benchmark scripts are scripts, not a package: bench/ goes on the path, as it is for
# bench/load.py when it runs (and mypy, given bench/, knows the package as ``national``).
sys.path.append(str(Path(__file__).resolve().parents[2] / "bench"))
from national import (
    Seeded,
    foreign_key_violations,
    frontier,
    seed_national,
    terminal_key,
)

OFFICES, WORKERS, COLLECTIONS = 12, 300, 1_500
KEY_SECRET = b"national seed under test"
PASSWORD = "national seed password"


@dataclass(frozen=True)
class National:
    seeded: Seeded
    schema_before: list[tuple[str, ...]]


def _schema(engine: Engine) -> list[tuple[str, ...]]:
    """Every table, column, index and constraint, as the database itself describes them."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.execute(
                text(
                    "SELECT type, name, tbl_name, sql FROM sqlite_master "
                    "WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name"
                )
            ).all()
        else:
            rows = connection.execute(
                text(
                    """SELECT 'index', indexname, tablename, indexdef
                       FROM pg_indexes WHERE schemaname = current_schema()
                       UNION ALL
                       SELECT 'constraint', conname, conrelid::regclass::text,
                              pg_get_constraintdef(oid) || convalidated::text
                       FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
                       UNION ALL
                       SELECT 'column', column_name, table_name,
                              data_type || is_nullable || COALESCE(column_default, '')
                       FROM information_schema.columns WHERE table_schema = current_schema()
                       UNION ALL
                       SELECT 'table', relname, relpersistence::text, COALESCE(reloptions::text, '')
                       FROM pg_class
                       WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'
                       ORDER BY 1, 2, 3"""
                )
            ).all()
    return [tuple(str(v) for v in row) for row in rows]


def _log_signer(settings: Settings) -> NoteSigner:
    key = parse_ed25519_private_key(settings.key_text("LOG_SIGNING_KEY").reveal())
    return NoteSigner(settings.log_origin, key)


@pytest.fixture
def national(database_url: str, settings: Settings, clock: FakeClock) -> National:
    engine = build_engine(database_url, pool_size=1)
    before = _schema(engine)
    engine.dispose()
    seeded = seed_national(
        database_url,
        offices=OFFICES,
        workers=WORKERS,
        collections=COLLECTIONS,
        now=clock(),
        password=PASSWORD,
        key_secret=KEY_SECRET,
        log_signer=_log_signer(settings),
    )
    return National(seeded, before)


@pytest.fixture
def app_client(national: National, settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    """The app started on the seeded database (this module's own: seed first, then serve)."""
    app = build(settings, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _rows(engine: Engine, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(statement), params)]


def _one(engine: Engine, statement: str, **params: Any) -> Any:
    [(value,)] = _rows(engine, statement, **params)
    return value


def test_the_seeded_schema_is_exactly_the_migrated_one(national: National, engine: Engine) -> None:
    assert _schema(engine) == national.schema_before
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata()) == []


def test_every_row_points_somewhere_and_the_money_adds_up(
    national: National, database_url: str, engine: Engine
) -> None:
    seeded = national.seeded
    assert foreign_key_violations(database_url) == []
    counts = {
        table: _one(engine, f"SELECT COUNT(*) FROM {table}")  # noqa: S608  (our own names)
        for table in ("workers", "worker_category_periods", "receipts", "contributions",
                      "idempotency_records", "allocations", "business_days", "audit_leaves")
    }  # fmt: skip
    assert counts == {
        "workers": WORKERS,
        "worker_category_periods": WORKERS,
        "receipts": COLLECTIONS,
        "contributions": COLLECTIONS,
        "idempotency_records": COLLECTIONS,
        "allocations": seeded.allocations,
        "business_days": seeded.business_days,
        "audit_leaves": seeded.leaves,
    }
    collected = _one(engine, "SELECT SUM(amount_centimes) FROM contributions")
    assert _one(engine, "SELECT SUM(amount_centimes) FROM allocations") == collected
    assert _one(engine, "SELECT SUM(amount_centimes) FROM receipts") == collected
    # Each collection's allocations make its amount, and no worker pays a month twice.
    assert not _rows(
        engine,
        """SELECT c.id FROM contributions c JOIN allocations a ON a.contribution_id = c.id
           GROUP BY c.id, c.amount_centimes HAVING SUM(a.amount_centimes) <> c.amount_centimes""",
    )
    assert not _rows(
        engine,
        "SELECT worker_id, month FROM allocations GROUP BY worker_id, month HAVING COUNT(*) > 1",
    )
    # Each month is paid its due: the rate on the base of the worker's bracket (the migrated
    # tariff has one rate per bracket).
    assert not _rows(
        engine,
        """SELECT a.id FROM allocations a
           JOIN worker_category_periods p ON p.worker_id = a.worker_id
           JOIN tariff_rates t ON t.category = p.category AND t.bracket = p.bracket
           WHERE a.amount_centimes <> (t.base_centimes * t.rate_bps + 5000) / 10000""",
    )
    # Paid months: from the worker's coverage, within the service's prepayment horizon.
    horizon = add_months(first_of_month(seeded.last_day), 13)
    assert not _rows(
        engine,
        """SELECT a.id FROM allocations a JOIN workers w ON w.id = a.worker_id
           WHERE a.month < w.coverage_start OR a.month >= :horizon""",
        horizon=horizon,
    )
    # A collection is made where its worker was enrolled, by that office's operator.
    assert not _rows(
        engine,
        """SELECT c.id FROM contributions c JOIN workers w ON w.id = c.worker_id
           JOIN users u ON u.id = c.operator_id
           WHERE w.office_id <> c.office_id OR u.office_id <> c.office_id
              OR u.role <> 'operator'""",
    )


def test_numbers_and_sequences_follow_the_services_rules(
    national: National, engine: Engine, clock: FakeClock
) -> None:
    workers = _rows(engine, "SELECT id, registration_number FROM workers")
    assert all(number == format_registration_number(wid) for wid, number in workers)
    receipts = _rows(
        engine,
        """SELECT r.id, r.number, n.code FROM receipts r JOIN networks n ON n.id = r.network_id""",
    )
    assert all(number == f"R-{code}-{rid:08d}" for rid, number, code in receipts)
    # Per terminal, sequence numbers run 1, 2, 3 … and the collection holds its own.
    assert not _rows(
        engine,
        """SELECT terminal_id FROM idempotency_records GROUP BY terminal_id
           HAVING MIN(key) <> 1 OR MAX(key) <> COUNT(*)""",
    )
    assert not _rows(
        engine,
        """SELECT c.id FROM contributions c JOIN idempotency_records i
             ON i.terminal_id = c.terminal_id AND i.key = c.sequence
           WHERE i.id <> c.id""",
    )
    # Every past day is closed for every network, and none is today's or later.
    assert _rows(engine, "SELECT DISTINCT status FROM business_days") == [("closed",)]
    days = metadata().tables["business_days"]
    with engine.connect() as connection:
        last = connection.execute(select(func.max(days.c.business_date))).scalar_one()
    assert last == national.seeded.last_day < clock().astimezone(CASABLANCA).date()


def test_the_log_is_real_rfc_6962_with_receipts_naming_their_leaves(
    national: National, engine: Engine, settings: Settings
) -> None:
    leaves = _rows(engine, "SELECT leaf_index, kind, data, leaf_hash FROM audit_leaves ORDER BY 1")
    assert [index for index, *_ in leaves] == list(range(national.seeded.leaves))
    moments = []
    gross: dict[tuple[str, str], int] = {}
    for index, kind, data, leaf_hash in leaves:
        assert leaf_hash == merkle.leaf_hash(data.encode()).hex()
        body = json.loads(data)
        assert audit_log.canonical(body).decode() == data  # what the service would write
        assert (body["index"], body["kind"]) == (index, kind)
        moments.append(body["at"])
        if kind == "signed_write":
            key = (body["decision"]["receipt"].split("-")[1], body["decision"]["business_date"])
            gross[key] = gross.get(key, 0) + body["decision"]["amount_centimes"]
        else:  # a day's close states what the log holds for that network and day
            key = (body["network"], body["business_date"])
            assert gross.get(key, 0) == body["gross_centimes"]
    assert moments == sorted(moments)  # recorded in index order
    hashes = [bytes.fromhex(h) for *_, h in leaves]
    size, frontier = _rows(engine, "SELECT size, frontier FROM audit_head")[0]
    head = merkle.CompactRange(size, [bytes.fromhex(h) for h in frontier.split()])
    assert head.root() == merkle.root(hashes)
    assert head.root().hex() == national.seeded.root_hash
    [(note,)] = _rows(engine, "SELECT note FROM audit_checkpoints")
    verifier = _log_signer(settings).verifier()
    assert open_checkpoint(note, [verifier]).root_hash == head.root()
    for number, jws in _rows(engine, "SELECT number, jws FROM receipts WHERE id % 97 = 1"):
        assert len(jws) > 700
        claims = jwt.decode(jws, options={"verify_signature": False})
        leaf = json.loads(leaves[claims["log_index"]][2])
        assert claims["receipt_number"] == leaf["decision"]["receipt"] == number


def test_the_service_signs_the_seeded_log_from_its_leaves_alone(
    national: National, services: Services, engine: Engine
) -> None:
    """Without the seed's checkpoint, the service's first one reads every leaf back and
    signs only if they fold into the head the seed wrote."""
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_checkpoints"))
    checkpoint = services.audit.checkpoint()
    assert checkpoint.size == national.seeded.leaves
    assert checkpoint.root_hash == national.seeded.root_hash


def test_folding_a_long_log_by_blocks_gives_the_frontier_leaf_by_leaf_appends_give() -> None:
    # More than two blocks of 2^16 leaves, read back in uneven chunks: the national seed's
    # path, which the small seed above never reaches.
    leaves = [merkle.leaf_hash(n.to_bytes(4, "big")) for n in range(2 * 65_536 + 12_345)]
    chunks = [leaves[k : k + 9_999] for k in range(0, len(leaves), 9_999)]
    one_by_one = merkle.CompactRange()
    one_by_one.extend(leaves)
    folded = frontier(chunks, len(leaves))
    assert (folded.size, folded.hashes) == (one_by_one.size, one_by_one.hashes)
    with pytest.raises(RuntimeError, match="fewer leaves"):
        frontier(chunks[:-1], len(leaves))


def test_a_new_terminal_enrolls_and_pays_past_the_history(
    national: National, services: Services, app_client: TestClient, clock: FakeClock, engine: Engine
) -> None:
    seeded = national.seeded
    services.registry.create_office(
        SYSTEM_ACTOR, code="CP-NEW-0001", network="CASHPLUS", name="New", city="Rabat", region="R"
    )
    created = services.terminals.create(SYSTEM_ACTOR, office="CP-NEW-0001", label="Guichet 1")
    services.users.create(
        SYSTEM_ACTOR,
        username="op.cp-new-0001",
        full_name="Operator",
        role=Role.OPERATOR,
        password=PASSWORD,
        office="CP-NEW-0001",
        network=None,
    )
    counter = TestTerminal(app_client, clock)
    assert counter.activate(created.activation_code).status_code == 201
    assert counter.terminal_id == seeded.terminals + 1
    assert counter.login("op.cp-new-0001", PASSWORD).status_code == 201
    number = enroll(counter)
    assert number == format_registration_number(seeded.workers + 1)
    collected = pay(counter, number, 10_000, "CP-NEW-0001")
    # The enrollment's receipt took the next id, the collection's the one after.
    assert collected.receipt == f"R-CASHPLUS-{seeded.collections + 2:08d}"
    assert _one(engine, "SELECT COUNT(*) FROM receipts WHERE number = :n", n=collected.receipt) == 1
    # It joined today's business day, open, after a year of closed ones.
    days, contributions = metadata().tables["business_days"], metadata().tables["contributions"]
    with engine.connect() as connection:
        day = connection.execute(
            select(days.c.business_date, days.c.status)
            .join(
                contributions,
                (contributions.c.network_id == days.c.network_id)
                & (contributions.c.business_date == days.c.business_date),
            )
            .where(contributions.c.id == seeded.collections + 1)
        ).one()
    assert tuple(day) == (clock().astimezone(CASABLANCA).date(), "open")


def test_a_seeded_terminal_carries_on_from_its_last_sequence_number(
    national: National, services: Services, app_client: TestClient, clock: FakeClock, engine: Engine
) -> None:
    office_id, last = _rows(
        engine,
        "SELECT t.office_id, MAX(i.key) FROM terminals t "
        "JOIN idempotency_records i ON i.terminal_id = t.id WHERE t.id = 1 GROUP BY t.office_id",
    )[0]
    operator = _one(
        engine, "SELECT username FROM users WHERE office_id = :o AND role = 'operator'", o=office_id
    )
    counter = TestTerminal(app_client, clock, key=terminal_key(KEY_SECRET, 1))
    counter.terminal_id = 1
    # A seeded sequence number is taken: sending it again with another request is refused.
    counter.sequence = 0
    reused = counter.send("POST", "/v1/sessions", {"username": operator, "password": PASSWORD})
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    counter.sequence = last
    assert counter.login(operator, PASSWORD).status_code == 201
    worker = _one(engine, "SELECT registration_number FROM workers WHERE id = 1")  # terminal 1's
    pay(counter, worker, 10_000, "")
    assert _rows(
        engine, "SELECT key FROM idempotency_records WHERE terminal_id = 1 AND key > :k", k=last
    ) == [(last + 1,), (last + 2,)]
    assert not _rows(engine, "SELECT id FROM security_events WHERE kind = 'sequence_gap'")
    # The log took both writes on top of the seeded leaves, and a checkpoint extends the seed's.
    checkpoint = services.audit.checkpoint()
    assert checkpoint.size == national.seeded.leaves + 2
    seeded_root = bytes.fromhex(national.seeded.root_hash)
    new_root = bytes.fromhex(checkpoint.root_hash)
    proof = [
        bytes.fromhex(h)
        for h in services.audit.consistency_proof(national.seeded.leaves, checkpoint.size)
    ]
    merkle.verify_consistency(national.seeded.leaves, checkpoint.size, seeded_root, new_root, proof)


def test_seeding_a_database_that_already_holds_a_registry_is_refused(
    national: National, database_url: str
) -> None:
    with pytest.raises(ValueError, match="freshly migrated"):
        seed_national(database_url, offices=OFFICES, workers=WORKERS, collections=COLLECTIONS)
