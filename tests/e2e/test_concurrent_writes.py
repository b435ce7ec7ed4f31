"""Two identical signed writes racing through a real server: exactly one effect."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import func
from sqlmodel import Session, select

from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.domain.roles import Role
from agent_api.persistence.db import build_engine
from agent_api.persistence.tables import UserSession
from agent_api.services.container import Services
from agent_api.settings import Settings
from tests.e2e.conftest import Server, at_once
from tests.support.terminal import TestTerminal

PASSWORD = "correct horse battery"


def _seed(database_url: str, key_dir: Path) -> str:
    settings = Settings(
        environment="test",
        database_url=database_url,
        key_dir=key_dir,
        password_time_cost=1,
        password_memory_kib=1024,
    ).with_keys({})
    engine = build_engine(database_url)
    services = Services.build(settings, engine)
    services.registry.create_network(
        SYSTEM_ACTOR,
        code="CASHPLUS",
        name="Cash Plus",
        commission_fixed_centimes=0,
        commission_bps=0,
        settlement_account="022780000000000000123458",
    )
    services.registry.create_office(
        SYSTEM_ACTOR, code="CP-01", network="CASHPLUS", name="o", city="Rabat", region="r"
    )
    code = services.terminals.create(SYSTEM_ACTOR, office="CP-01", label="G1").activation_code
    services.users.create(
        SYSTEM_ACTOR,
        username="op.cp-01",
        full_name="Op",
        role=Role.OPERATOR,
        password=PASSWORD,
        office="CP-01",
        network=None,
    )
    engine.dispose()
    return code


def test_identical_concurrent_sign_ins_make_one_session(
    start_server: Callable[..., Server], database_url: str, key_dir: Path
) -> None:
    code = _seed(database_url, key_dir)
    server = start_server(workers=2)
    with httpx.Client(base_url=server.url, timeout=20) as client:
        terminal = TestTerminal(client)
        assert terminal.activate(code).status_code == 201
        raw = json.dumps({"username": "op.cp-01", "password": PASSWORD}).encode()
        headers = terminal.signed_headers("POST", "/v1/sessions", raw, sequence=2)

    def send() -> httpx.Response:
        with httpx.Client(base_url=server.url, timeout=20) as own:
            return own.post("/v1/sessions", content=raw, headers=headers)

    results = at_once([send] * 8)
    statuses = sorted(r.status_code for r in results)
    assert set(statuses) <= {201, 409}, [r.text for r in results]
    tokens = {r.json()["token"] for r in results if r.status_code == 201}
    assert len(tokens) == 1
    assert (
        sum(
            1
            for r in results
            if r.headers.get("idempotent-replayed") != "true" and r.status_code == 201
        )
        == 1
    )
    engine = build_engine(database_url)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(UserSession)).one()
    engine.dispose()
    assert count == 1
