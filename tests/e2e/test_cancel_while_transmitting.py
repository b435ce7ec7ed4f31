"""Cancelling deposits while the office closes them into a transmittal slip, through a real
2-worker server on PostgreSQL: each deposit ends cancelled or in the slip, never both, and
the slip holds exactly what its manifest lists."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, col, select

from agent_api.clock import CASABLANCA, utc_now
from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.persistence.db import build_engine
from agent_api.persistence.tables import Deposit, DepositCancellation, TransmittalItem
from agent_api.services.container import Services
from agent_api.settings import Settings
from tests.e2e.conftest import E2E_PASSWORD, Server, seed_offices
from tests.support.terminal import TestTerminal
from tests.support.workers import worker_payload

DEPOSITS = 24


@pytest.mark.postgres_only
def test_a_deposit_cancelled_while_its_slip_closes_is_cancelled_or_sent_never_both(
    start_server: Callable[..., Server], database_url: str, key_dir: Path
) -> None:
    codes = seed_offices(database_url, key_dir, [("CASHPLUS", "CA-01")])
    second = _second_terminal(database_url, key_dir)
    server = start_server(workers=2)
    today = utc_now().astimezone(CASABLANCA).date().isoformat()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        counter = TestTerminal(client)
        assert counter.activate(codes["CA-01"]).status_code == 201
        assert counter.login("op.ca-01", E2E_PASSWORD).status_code == 201
        enrolled = counter.send("POST", "/v1/workers", worker_payload(cin="CT000001"))
        assert enrolled.status_code == 201, enrolled.text
        worker = enrolled.json()["registration_number"]
        numbers = []
        for n in range(DEPOSITS):
            response = counter.send(
                "POST",
                "/v1/deposits",
                {
                    "registration_number": worker,
                    "care_kind": "pharmacy",
                    "care_from": today,
                    "amount_spent_centimes": 1_000 + n,
                    "documents": 1,
                },
            )
            assert response.status_code == 201, response.text
            numbers.append(response.json()["deposit_number"])
        # The supervisor closes the slip at the office's other terminal.
        closer = TestTerminal(client)
        assert closer.activate(second).status_code == 201
        assert closer.login("sup.ca-01", E2E_PASSWORD).status_code == 201
        cancelled: list[str] = []
        refused: list[str] = []
        halfway = threading.Event()

        def cancel() -> None:
            for n, number in enumerate(numbers):
                response = counter.send(
                    "POST",
                    f"/v1/deposits/{number}/cancellation",
                    {
                        "reason": "handed back",
                        "supervisor": {"username": "sup.ca-01", "password": E2E_PASSWORD},
                    },
                )
                assert response.status_code in (201, 409), response.text
                (cancelled if response.status_code == 201 else refused).append(number)
                if n == DEPOSITS // 3:
                    halfway.set()

        canceller = threading.Thread(target=cancel)
        canceller.start()
        assert halfway.wait(60)
        closed = closer.send("POST", "/v1/offices/current/transmittals", {})
        canceller.join(120)
    assert closed.status_code == 201, closed.text
    manifest = closed.json()["deposits"]
    assert set(cancelled).isdisjoint(manifest)
    assert sorted(cancelled + manifest) == sorted(numbers)
    assert set(refused) <= set(manifest)
    engine = build_engine(database_url, pool_size=1)
    try:
        with Session(engine) as session:
            sent = set(session.exec(select(TransmittalItem.deposit_id)).all())
            gone = set(session.exec(select(DepositCancellation.deposit_id)).all())
            in_slip = session.exec(
                select(Deposit.number).where(col(Deposit.id).in_(sorted(sent)))
            ).all()
    finally:
        engine.dispose()
    assert sent.isdisjoint(gone)
    assert sorted(in_slip) == sorted(manifest)


def _second_terminal(database_url: str, key_dir: Path) -> str:
    """Another terminal at CA-01: its activation code."""
    settings = Settings(
        environment="test",
        database_url=database_url,
        key_dir=key_dir,
        password_time_cost=1,
        password_memory_kib=1024,
    ).with_keys({})
    engine = build_engine(database_url)
    try:
        services = Services.build(settings, engine)
        return services.terminals.create(SYSTEM_ACTOR, office="CA-01", label="G2").activation_code
    finally:
        engine.dispose()
