"""Closing a business day: nothing joins it afterwards, late offline collections go to the
next open day flagged late, reversals stop, and closing twice is a no-op."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from sqlmodel import Session, select

from agent_api.clock import CASABLANCA
from agent_api.persistence.tables import BusinessDay, Contribution
from agent_api.persistence.unit_of_work import UnitOfWork
from reconciliation.cli import main
from reconciliation.closing import DayCloser
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World
from tests.support.terminal import TestTerminal
from tests.support.workers import worker_payload


def _closer(world: World) -> DayCloser:
    engine = world.services.engine
    return DayCloser(lambda: UnitOfWork(engine), world.services.clock)


def _enrolled(terminal: TestTerminal) -> str:
    response = terminal.send("POST", "/v1/workers", worker_payload())
    assert response.status_code == 201, response.text
    number: str = response.json()["registration_number"]
    return number


def _pay(terminal: TestTerminal, number: str, **kwargs: Any) -> Any:
    return terminal.send(
        "POST",
        "/v1/contributions",
        {"registration_number": number, "amount_centimes": 5_000},
        **kwargs,
    )


def test_closing_a_day_counts_it_and_closing_again_changes_nothing(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    number = _enrolled(terminal)
    day = _pay(terminal, number).json()["business_date"]
    today = clock().astimezone(CASABLANCA).date()
    first = _closer(world).close(today, by="test")
    cashplus = next(c for c in first if c.network == "CASHPLUS")
    assert (cashplus.closed_now, cashplus.collections, cashplus.gross_centimes) == (True, 1, 5_000)
    assert day == today.isoformat()
    again = _closer(world).close(today, by="test")
    assert [c.closed_now for c in again] == [False, False]
    with Session(world.services.engine) as session:
        rows = session.exec(select(BusinessDay).where(BusinessDay.business_date == today)).all()
    assert {r.status for r in rows} == {"closed"}


def test_a_collection_signed_on_a_closed_day_joins_the_next_open_day_flagged_late(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    number = _enrolled(terminal)
    signed = clock()
    today = signed.astimezone(CASABLANCA).date()
    _closer(world).close(today, networks=["CASHPLUS"], by="test")
    clock.advance(hours=2)
    response = _pay(terminal, number, offline=True, created=int(signed.timestamp()))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["business_date"] == (today + timedelta(days=1)).isoformat()
    claims = jwt.decode(body["receipt"]["receipt"], options={"verify_signature": False})
    assert claims["late"] is True
    assert claims["signed_business_date"] == today.isoformat()
    with Session(world.services.engine) as session:
        stored = session.exec(select(Contribution)).one()
    assert (stored.late, stored.signed_business_date) == (True, today)


def test_a_collection_of_a_closed_day_cannot_be_reversed(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    number = _enrolled(terminal)
    receipt = _pay(terminal, number).json()["receipt"]["number"]
    _closer(world).close(clock().astimezone(CASABLANCA).date(), by="test")
    response = terminal.send(
        "POST",
        f"/v1/contributions/{receipt}/reversal",
        {"reason": "too late", "supervisor": {"username": "sup2.ca-01", "password": PASSWORD}},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "day_closed"


def test_the_close_command_names_each_network(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    key_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("QURB_DATABASE_URL", database_url)
    monkeypatch.setenv("QURB_KEY_DIR", str(key_dir))
    monkeypatch.setenv("QURB_ENV", "test")
    assert main(["close", "--date", "2026-11-20"]) == 0
    out = capsys.readouterr().out
    assert "CASHPLUS" in out
    assert "WAFACASH" in out
    assert main(["close", "--date", "2026-11-20", "--network", "CASHPLUS"]) == 0
    assert "already closed" in capsys.readouterr().out
    assert main(["close", "--network", "NOSUCH"]) == 2
    assert "NOSUCH" in capsys.readouterr().err
