"""Two offices enrolling the same CIN at the same instant, through a real two-worker server:
exactly one succeeds, the other is told the registration number."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import func
from sqlmodel import Session, select

from agent_api.persistence.db import build_engine
from agent_api.persistence.tables import Worker
from tests.e2e.conftest import E2E_PASSWORD as PASSWORD
from tests.e2e.conftest import Server, at_once, seed_offices
from tests.support.terminal import TestTerminal
from tests.support.workers import worker_payload


def _seed_two_offices(database_url: str, key_dir: Path) -> dict[str, str]:
    return seed_offices(database_url, key_dir, [("CASHPLUS", "CP-01"), ("WAFACASH", "WC-01")])


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

    def enroll(terminal: TestTerminal) -> httpx.Response:
        with httpx.Client(base_url=server.url, timeout=20) as own:
            terminal.client = own
            response: httpx.Response = terminal.send(
                "POST", "/v1/workers", worker_payload(cin="QQ778899")
            )
            return response

    results = at_once([functools.partial(enroll, t) for t in prepared])
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


def test_two_offices_paying_for_one_worker_at_once_are_both_allocated(
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
        enrolled = prepared[0].send("POST", "/v1/workers", worker_payload(cin="PP101010"))
        assert enrolled.status_code == 201, enrolled.text
        number = enrolled.json()["registration_number"]
    amount = 25_000  # more than one month: the two payments must not pick the same months

    def pay(terminal: TestTerminal) -> httpx.Response:
        with httpx.Client(base_url=server.url, timeout=20) as own:
            terminal.client = own
            response: httpx.Response = terminal.send(
                "POST",
                "/v1/contributions",
                {"registration_number": number, "amount_centimes": amount},
            )
            return response

    results = at_once([functools.partial(pay, t) for t in prepared])
    assert [r.status_code for r in results] == [201, 201], [r.text for r in results]
    credited: dict[str, int] = {}
    for response in results:
        for allocation in response.json()["allocations"]:
            credited[allocation["month"]] = (
                credited.get(allocation["month"], 0) + allocation["amount_centimes"]
            )
    assert sum(credited.values()) == 2 * amount
    with httpx.Client(base_url=server.url, timeout=20) as client:
        prepared[0].client = client
        quote = (
            prepared[0]
            .send("GET", f"/v1/workers/{number}/quote?through=" + max(credited)[:7])
            .json()
        )
    for line in quote["lines"]:
        # No month was paid twice: what each received never exceeds its due.
        assert line["paid_centimes"] <= line["due_centimes"]
    assert sum(line["paid_centimes"] for line in quote["lines"]) == 2 * amount
