"""Two offices enrolling the same CIN at the same instant, through a real two-worker server:
exactly one succeeds, the other is told the registration number."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import func
from sqlmodel import Session, select

from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.domain.roles import Role
from agent_api.persistence.db import build_engine
from agent_api.persistence.tables import Worker
from agent_api.services.container import Services
from agent_api.settings import Settings
from tests.e2e.conftest import Server
from tests.support.terminal import TestTerminal
from tests.support.workers import worker_payload

PASSWORD = "correct horse battery"


def _seed_two_offices(database_url: str, key_dir: Path) -> dict[str, str]:
    settings = Settings(
        environment="test",
        database_url=database_url,
        key_dir=key_dir,
        password_time_cost=1,
        password_memory_kib=1024,
    ).with_keys({})
    engine = build_engine(database_url)
    services = Services.build(settings, engine)
    codes = {}
    for network, office in (("CASHPLUS", "CP-01"), ("WAFACASH", "WC-01")):
        services.registry.create_network(
            SYSTEM_ACTOR,
            code=network,
            name=network,
            commission_fixed_centimes=0,
            commission_bps=0,
            settlement_account="022780000000000000123458",
        )
        services.registry.create_office(
            SYSTEM_ACTOR, code=office, network=network, name=office, city="Rabat", region="r"
        )
        codes[office] = services.terminals.create(
            SYSTEM_ACTOR, office=office, label="G1"
        ).activation_code
        services.users.create(
            SYSTEM_ACTOR,
            username=f"op.{office.lower()}",
            full_name="Op",
            role=Role.OPERATOR,
            password=PASSWORD,
            office=office,
            network=None,
        )
    engine.dispose()
    return codes


def test_the_same_cin_enrolled_at_two_offices_at_once_makes_one_worker(
    start_server: Callable[..., Server], database_url: str, key_dir: Path
) -> None:
    codes = _seed_two_offices(database_url, key_dir)
    server = start_server(workers=2)
    prepared = []
    with httpx.Client(base_url=server.url, timeout=20) as client:
        for office, code in codes.items():
            terminal = TestTerminal(client)
            assert terminal.activate(code).status_code == 201
            assert terminal.login(f"op.{office.lower()}", PASSWORD).status_code == 201
            prepared.append(terminal)
    barrier = threading.Barrier(len(prepared))
    results: list[httpx.Response] = []
    lock = threading.Lock()

    def enroll(terminal: TestTerminal) -> None:
        with httpx.Client(base_url=server.url, timeout=20) as own:
            terminal.client = own
            raw_payload = worker_payload(cin="QQ778899")
            barrier.wait()
            response = terminal.send("POST", "/v1/workers", raw_payload)
        with lock:
            results.append(response)

    threads = [threading.Thread(target=enroll, args=(t,)) for t in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201, 409], [r.text for r in results]
    winner = next(r for r in results if r.status_code == 201).json()
    loser = next(r for r in results if r.status_code == 409).json()["error"]
    assert loser["code"] == "worker_already_enrolled"
    assert loser["registration_number"] == winner["registration_number"]
    engine = build_engine(database_url)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Worker)).one() == 1
    engine.dispose()
