"""Closing an office's deposits into a transmittal slip for the courier: every deposit of the
day not cancelled, each in exactly one slip, a signed manifest listing them, and a slip that
the database itself keeps closed."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from agent_api.persistence.tables import Deposit, Transmittal, TransmittalItem
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World, activated
from tests.support.terminal import TestTerminal
from tests.support.workers import today, worker_payload

TRANSMIT = "/v1/offices/current/transmittals"
APPROVAL = {"reason": "handed back", "supervisor": {"username": "sup.ca-01", "password": PASSWORD}}


def _worker(terminal: TestTerminal, cin: str = "BE123456") -> str:
    response = terminal.send("POST", "/v1/workers", worker_payload(cin=cin))
    assert response.status_code == 201, response.text
    number: str = response.json()["registration_number"]
    return number


def _deposit(terminal: TestTerminal, number: str, documents: int = 2) -> str:
    response = terminal.send(
        "POST",
        "/v1/deposits",
        {
            "registration_number": number,
            "care_kind": "imaging",
            "care_from": today().isoformat(),
            "amount_spent_centimes": 90_000,
            "documents": documents,
        },
    )
    assert response.status_code == 201, response.text
    deposit: str = response.json()["deposit_number"]
    return deposit


def _claims(world: World, token: str) -> dict[str, Any]:
    jwks = world.client.get("/v1/keys").json()
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "qurb-transmittal+jwt"
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    claims: dict[str, Any] = jwt.decode(token, key, algorithms=["EdDSA"])
    return claims


def test_the_days_deposits_leave_in_one_slip_with_a_signed_manifest(
    world: World, terminal: TestTerminal
) -> None:
    number = _worker(terminal)
    first, second, cancelled = (_deposit(terminal, number, n) for n in (1, 2, 4))
    assert (
        terminal.send("POST", f"/v1/deposits/{cancelled}/cancellation", APPROVAL).status_code == 201
    )

    response = terminal.send("POST", TRANSMIT, {})

    assert response.status_code == 201, response.text
    body = response.json()
    assert re.fullmatch(r"B-CASHPLUS-[0-9]{6}", body["number"])
    assert body["deposits"] == [first, second]
    assert (body["count"], body["documents"]) == (2, 3)
    claims = _claims(world, body["manifest"])
    assert claims["transmittal_number"] == body["number"]
    assert claims["deposits"] == [first, second]
    assert (claims["office"], claims["business_date"]) == ("CA-01", today().isoformat())
    assert re.fullmatch(r"[0-9a-f]{32}", claims["log_entry"])
    assert claims["log_by"] == claims["iat"] + 3600


def test_a_deposit_leaves_once_and_a_later_one_goes_in_the_next_slip(
    world: World, terminal: TestTerminal
) -> None:
    number = _worker(terminal)
    early = _deposit(terminal, number)
    first = terminal.send("POST", TRANSMIT, {}).json()

    nothing = terminal.send("POST", TRANSMIT, {})
    late = _deposit(terminal, number)
    second = terminal.send("POST", TRANSMIT, {}).json()

    assert first["deposits"] == [early]
    assert nothing.status_code == 409
    assert nothing.json()["error"]["code"] == "nothing_to_transmit"
    assert second["deposits"] == [late]
    assert second["number"] != first["number"]


def test_a_deposit_that_left_cannot_be_cancelled(world: World, terminal: TestTerminal) -> None:
    deposit = _deposit(terminal, _worker(terminal))
    assert terminal.send("POST", TRANSMIT, {}).status_code == 201

    refused = terminal.send("POST", f"/v1/deposits/{deposit}/cancellation", APPROVAL)

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "already_transmitted"


def test_each_office_sends_only_its_own_deposits(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    ours = _deposit(terminal, _worker(terminal))
    elsewhere = activated(world, clock, "CA-02")
    assert elsewhere.login("op.ca-02", PASSWORD).status_code == 201
    theirs = _deposit(elsewhere, _worker(elsewhere, "BK554433"))

    assert terminal.send("POST", TRANSMIT, {}).json()["deposits"] == [ours]
    assert elsewhere.send("POST", TRANSMIT, {}).json()["deposits"] == [theirs]


def test_a_past_days_forgotten_deposits_can_still_be_sent_but_not_a_future_day(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    deposit = _deposit(terminal, _worker(terminal))
    clock.advance(days=1)
    terminal.login("op.ca-01", PASSWORD)

    future = terminal.send(
        "POST", TRANSMIT, {"business_date": (today() + timedelta(days=3)).isoformat()}
    )
    nothing_today = terminal.send("POST", TRANSMIT, {})
    yesterday = terminal.send("POST", TRANSMIT, {"business_date": today().isoformat()})

    assert future.status_code == 422
    assert future.json()["error"]["field"] == "business_date"
    assert nothing_today.status_code == 409
    assert yesterday.status_code == 201, yesterday.text
    assert yesterday.json()["deposits"] == [deposit]


def test_the_database_refuses_a_deposit_added_to_a_closed_slip(
    world: World, terminal: TestTerminal
) -> None:
    number = _worker(terminal)
    _deposit(terminal, number)
    _deposit(terminal, number)
    terminal.send("POST", TRANSMIT, {"business_date": today().isoformat()})
    extra = _deposit(terminal, number)
    with Session(world.services.engine) as session:
        slip = session.exec(select(Transmittal)).one()
        inside = session.exec(
            select(TransmittalItem.deposit_id).where(TransmittalItem.transmittal_id == slip.id)
        ).all()
        assert len(inside) == 2
        added = session.exec(select(Deposit.id).where(Deposit.number == extra)).one()
        assert slip.id is not None
        assert added is not None
        # Past the slip's size, or in a position taken, or claiming another size: refused.
        for position, size in ((3, slip.deposit_count), (1, slip.deposit_count), (3, 3)):
            item = TransmittalItem(
                transmittal_id=slip.id, slip_size=size, position=position, deposit_id=added
            )
            with pytest.raises(IntegrityError), session.begin_nested():
                _add(session, item)


def _add(session: Session, item: TransmittalItem) -> None:
    session.add(item)
    session.flush()
