"""Two identical signed writes racing through a real server: exactly one effect."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import func
from sqlmodel import Session, select

from agent_api.persistence.db import build_engine
from agent_api.persistence.tables import UserSession
from tests.e2e.conftest import E2E_PASSWORD as PASSWORD
from tests.e2e.conftest import Server, at_once, seed_offices
from tests.support.terminal import TestTerminal


def _seed(database_url: str, key_dir: Path) -> str:
    return seed_offices(database_url, key_dir, [("CASHPLUS", "CP-01")])["CP-01"]


def test_identical_concurrent_sign_ins_make_one_session(
    start_server: Callable[..., Server], database_url: str, key_dir: Path
) -> None:
    code = _seed(database_url, key_dir)
    server = start_server(workers=2)
    with httpx.Client(base_url=server.url, timeout=20) as client:
        terminal = TestTerminal(client)
        assert terminal.activate(code).status_code == 201
        sign_in = {"username": "op.cp-01", "password": PASSWORD}
        salted = {**sign_in, "salt": terminal.salt_for("POST", "/v1/sessions", sign_in)}
        raw = json.dumps(salted).encode()
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
