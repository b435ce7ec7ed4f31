"""Closing a day while a counter keeps collecting, through a real 2-worker server on
PostgreSQL: each collection lands on the day being closed or, once it is closed, on the next
one flagged late; nothing joins the closed day afterwards, and the settlement counts exactly
what the close counted."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from agent_api.clock import CASABLANCA, utc_now
from agent_api.persistence.db import build_engine
from agent_api.persistence.tables import AuditLeaf, BusinessDay, Contribution
from agent_api.settings import Settings
from reconciliation.closing import ClosedDay
from reconciliation.container import Reconciliation
from tests.e2e.conftest import E2E_PASSWORD, Server, seed_offices
from tests.support.log import sequenced
from tests.support.terminal import TestTerminal
from tests.support.workers import worker_payload

COLLECTIONS = 40


@pytest.mark.postgres_only
def test_a_day_closed_while_a_counter_collects_keeps_every_collection_on_one_side(
    start_server: Callable[..., Server], database_url: str, key_dir: Path
) -> None:
    codes = seed_offices(database_url, key_dir, [("CASHPLUS", "CA-01")])
    server = start_server(workers=2)
    with httpx.Client(base_url=server.url, timeout=20) as client:
        counter = TestTerminal(client)
        assert counter.activate(codes["CA-01"]).status_code == 201
        assert counter.login("op.ca-01", E2E_PASSWORD).status_code == 201
        workers = []
        for n in range(4):
            enrolled = counter.send("POST", "/v1/workers", worker_payload(cin=f"CL{n:06d}"))
            assert enrolled.status_code == 201, enrolled.text
            workers.append(enrolled.json()["registration_number"])
        statuses: list[int] = []
        halfway = threading.Event()

        def collect() -> None:
            for n in range(COLLECTIONS):
                response = counter.send(
                    "POST",
                    "/v1/contributions",
                    {"registration_number": workers[n % 4], "amount_centimes": 1_000 + n},
                )
                statuses.append(response.status_code)
                if n == COLLECTIONS // 3:
                    halfway.set()

        collector = threading.Thread(target=collect)
        collector.start()
        assert halfway.wait(60)
        settings = Settings(environment="test", database_url=database_url, key_dir=key_dir)
        engine = build_engine(database_url, pool_size=2)
        recon = Reconciliation.build(settings.with_keys({}), engine)
        day = utc_now().astimezone(CASABLANCA).date()
        try:
            [closed] = recon.closer.close(day, networks=["CASHPLUS"], by="test")
        finally:
            collector.join(120)
    try:
        _check(engine, recon, day, closed, statuses)
    finally:
        engine.dispose()


def _check(
    engine: Engine, recon: Reconciliation, day: date, closed: ClosedDay, statuses: list[int]
) -> None:
    assert statuses == [201] * COLLECTIONS
    sequenced(engine)
    [settled] = recon.settler.settle(day, networks=["CASHPLUS"], by="test")
    with Session(engine) as session:
        row = session.exec(select(BusinessDay).where(BusinessDay.business_date == day)).one()
        rows = session.exec(select(Contribution)).all()
        indexes = session.exec(
            select(AuditLeaf.leaf_index).order_by(col(AuditLeaf.leaf_index))
        ).all()
        logged = session.exec(
            select(AuditLeaf.data).where(col(AuditLeaf.kind) == "signed_write")
        ).all()
    # Two workers appended to the log at once: indexes are dense, and every collection
    # acknowledged is there once.
    assert list(indexes) == list(range(len(indexes)))
    leaves = [json.loads(d) for d in logged]
    collections = [
        leaf["decision"]["receipt"]
        for leaf in leaves
        if leaf["request"]["path"] == "/v1/contributions" and leaf["decision"]["status"] == 201
    ]
    assert len(collections) == len(set(collections)) == COLLECTIONS
    on_day = [c for c in rows if c.business_date == day]
    after = [c for c in rows if c.business_date != day]
    assert len(rows) == COLLECTIONS
    assert closed.collections == len(on_day) == settled.collections
    assert closed.gross_centimes == sum(c.amount_centimes for c in on_day)
    assert row.closed_at is not None
    assert all(c.recorded_at <= row.closed_at for c in on_day)
    assert after, "the close happened while the counter was still collecting"
    assert all(c.late and c.signed_business_date == day for c in after)
    assert {c.business_date for c in after} == {day.fromordinal(day.toordinal() + 1)}
