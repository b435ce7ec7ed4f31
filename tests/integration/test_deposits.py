"""Depositing an AMO reimbursement file at the counter: a numbered envelope and a signed slip,
the warnings CNSS's likely refusals deserve (taken anyway when the worker insists), exactly
once whatever the retries, nothing of the care in the audit log, and a same-day
cancellation with a supervisor."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import jwt
from sqlalchemy import text
from sqlmodel import Session, col, select

from agent_api.persistence.tables import AuditLeaf, Deposit, DepositCancellation
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World, activated
from tests.support.terminal import TestTerminal
from tests.support.workers import child, today, worker_payload

APPROVAL = {
    "reason": "envelope handed back",
    "supervisor": {"username": "sup.ca-01", "password": PASSWORD},
}


def _enroll(terminal: TestTerminal, **fields: Any) -> dict[str, Any]:
    response = terminal.send("POST", "/v1/workers", worker_payload(**fields))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _deposit(
    terminal: TestTerminal, number: str, *, sequence: int | None = None, **fields: Any
) -> Any:
    body = {
        "registration_number": number,
        "care_kind": "pharmacy",
        "care_from": today().isoformat(),
        "amount_spent_centimes": 34_250,
        "documents": 3,
        **fields,
    }
    return terminal.send("POST", "/v1/deposits", body, sequence=sequence)


def _verified(world: World, token: str) -> dict[str, Any]:
    jwks = world.client.get("/v1/keys").json()
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
    claims: dict[str, Any] = jwt.decode(token, key, algorithms=["EdDSA"])
    return claims


def _deposits(world: World) -> list[Deposit]:
    with Session(world.services.engine) as session:
        return list(session.exec(select(Deposit)).all())


def _last_leaf(world: World) -> dict[str, Any]:
    with Session(world.services.engine) as session:
        leaf = session.exec(select(AuditLeaf).order_by(col(AuditLeaf.leaf_index).desc())).first()
    assert leaf is not None
    data: dict[str, Any] = json.loads(leaf.data)
    return data


def test_a_deposit_gets_an_envelope_number_and_a_signed_slip(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(terminal)["registration_number"]

    response = _deposit(terminal, number)

    assert response.status_code == 201, response.text
    body = response.json()
    assert re.fullmatch(r"D-CASHPLUS-[0-9]{8}", body["deposit_number"])
    assert body["warnings"] == []
    assert (body["care_from"], body["care_to"]) == (today().isoformat(), today().isoformat())
    assert body["deadline"] == (today() + timedelta(days=60)).isoformat()
    claims = _verified(world, body["slip"]["receipt"])
    assert claims["kind"] == "deposit"
    assert claims["receipt_number"] == body["slip"]["number"]
    assert claims["deposit_number"] == body["deposit_number"]
    assert claims["registration_number"] == number
    assert (claims["care_kind"], claims["amount_spent_centimes"], claims["documents"]) == (
        "pharmacy",
        34_250,
        3,
    )
    assert claims["beneficiary"] == "worker"
    assert claims["office"] == "CA-01"
    [stored] = _deposits(world)
    assert stored.number == body["deposit_number"]
    assert stored.amount_spent_centimes == 34_250


def test_the_audit_leaf_names_the_slip_and_never_the_care(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(terminal)["registration_number"]
    body = _deposit(terminal, number, care_kind="dental", amount_spent_centimes=77_777).json()

    leaf = _last_leaf(world)

    assert leaf["decision"]["receipt"] == body["slip"]["number"]
    assert leaf["decision"]["business_date"] == body["business_date"]
    written = json.dumps(leaf)
    for secret in ("dental", "77777", number):
        assert secret not in written


def test_a_retried_deposit_is_recorded_once_and_answered_with_the_same_slip(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(terminal)["registration_number"]
    first = _deposit(terminal, number, sequence=40)
    assert first.status_code == 201, first.text

    again = _deposit(terminal, number, sequence=40)

    assert again.status_code == 201
    assert again.text == first.text
    assert len(_deposits(world)) == 1


def test_care_before_the_rights_opened_and_past_the_deadline_needs_the_worker_to_insist(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(terminal)["registration_number"]  # covered from this month
    long_ago = (today() - timedelta(days=75)).isoformat()

    warned = _deposit(terminal, number, care_from=long_ago)

    assert warned.status_code == 409, warned.text
    error = warned.json()["error"]
    assert error["code"] == "deposit_needs_insistence"
    assert error["warnings"] == "rights_closed,deadline_passed"
    # The figures the counter's sentences need, beside the codes.
    assert error["month"] == f"{today() - timedelta(days=75):%Y-%m}"
    assert error["deadline"] == (today() - timedelta(days=15)).isoformat()
    assert "R01" in error["message"]
    assert "R02" in error["message"]
    assert _deposits(world) == []

    insisted = _deposit(terminal, number, care_from=long_ago, insist=True)

    assert insisted.status_code == 201, insisted.text
    body = insisted.json()
    assert [w["code"] for w in body["warnings"]] == ["rights_closed", "deadline_passed"]
    assert [w["cnss_reason"] for w in body["warnings"]] == ["R01", "R02"]
    claims = _verified(world, body["slip"]["receipt"])
    assert claims["warnings"] == ["rights_closed", "deadline_passed"]
    assert _deposits(world)[0].warnings == "rights_closed,deadline_passed"


def test_a_declared_child_may_be_the_beneficiary_but_not_another_workers(
    world: World, terminal: TestTerminal
) -> None:
    enrolled = _enroll(terminal, dependents=[child()])
    number = enrolled["registration_number"]
    [dependent] = enrolled["worker"]["dependents"]
    other = _enroll(terminal, cin="BK998877", dependents=[child(first_name="Sara")])
    [strangers] = other["worker"]["dependents"]

    mine = _deposit(terminal, number, dependent_id=dependent["id"])
    theirs = _deposit(terminal, number, dependent_id=strangers["id"])

    assert mine.status_code == 201, mine.text
    assert mine.json()["dependent_id"] == dependent["id"]
    assert _verified(world, mine.json()["slip"]["receipt"])["beneficiary"] == "dependent"
    assert theirs.status_code == 404
    assert theirs.json()["error"]["field"] == "dependent_id"


def test_care_dates_out_of_order_or_in_the_future_are_refused_naming_the_field(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(terminal)["registration_number"]
    yesterday = (today() - timedelta(days=1)).isoformat()
    tomorrow = (today() + timedelta(days=1)).isoformat()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"care_from": today().isoformat(), "care_to": yesterday}, "care_to"),
        ({"care_from": today().isoformat(), "care_to": tomorrow}, "care_to"),
        ({"care_from": tomorrow}, "care_from"),
        ({"care_from": "2026-02-30"}, "care_from"),
        ({"care_kind": "massage"}, "care_kind"),
        ({"amount_spent_centimes": 0}, "amount_spent_centimes"),
        ({"amount_spent_centimes": 12.5}, "amount_spent_centimes"),
        ({"documents": 0}, "documents"),
        ({"registration_number": "1234567890"}, "registration_number"),
    ]
    for fields, field in cases:
        refused = _deposit(terminal, number, **fields)
        assert refused.status_code == 422, (fields, refused.text)
        assert refused.json()["error"]["field"] == field
    assert _deposits(world) == []


def test_a_same_day_cancellation_with_a_supervisor_is_signed_once_and_sealed(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(terminal)["registration_number"]
    deposited = _deposit(terminal, number).json()
    path = f"/v1/deposits/{deposited['deposit_number']}/cancellation"

    cancelled = terminal.send("POST", path, APPROVAL)
    twice = terminal.send("POST", path, APPROVAL)

    assert cancelled.status_code == 201, cancelled.text
    body = cancelled.json()
    assert body["cancels"] == deposited["slip"]["number"]
    claims = _verified(world, body["receipt"]["receipt"])
    assert (claims["kind"], claims["deposit_number"]) == (
        "deposit_cancel",
        deposited["deposit_number"],
    )
    assert claims["approved_by"] == "sup.ca-01"
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "already_cancelled"
    with Session(world.services.engine) as session:
        [row] = session.exec(select(DepositCancellation)).all()
        assert row.reason == "envelope handed back"
        raw = session.exec(text("SELECT reason FROM deposit_cancellations")).one()[0]  # type: ignore[call-overload]
    assert "envelope" not in raw


def test_a_cancellation_needs_another_person_the_same_day_at_the_same_office(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    number = _enroll(terminal)["registration_number"]
    deposit_number = _deposit(terminal, number).json()["deposit_number"]
    path = f"/v1/deposits/{deposit_number}/cancellation"

    wrong = terminal.send(
        "POST", path, {**APPROVAL, "supervisor": {"username": "sup.ca-01", "password": "nope nope"}}
    )
    assert wrong.status_code == 401

    elsewhere = activated(world, clock, "CA-02")
    assert elsewhere.login("op.ca-02", PASSWORD).status_code == 201
    foreign = elsewhere.send(
        "POST", path, {**APPROVAL, "supervisor": {"username": "sup.ca-02", "password": PASSWORD}}
    )
    assert foreign.status_code == 404

    clock.advance(days=1)
    terminal.login("op.ca-01", PASSWORD)
    late = terminal.send("POST", path, APPROVAL)
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "cancellation_window_closed"
    with Session(world.services.engine) as session:
        assert session.exec(select(DepositCancellation)).all() == []


def test_a_deposit_signed_offline_is_taken_with_its_warnings_printed(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(terminal)["registration_number"]
    long_ago = (today() - timedelta(days=75)).isoformat()
    body = {
        "registration_number": number,
        "care_kind": "optical",
        "care_from": long_ago,
        "amount_spent_centimes": 120_000,
        "documents": 1,
    }

    # The counter could not ask the hub: the envelope is in the drawer already.
    queued = terminal.send("POST", "/v1/deposits", body, offline=True)

    assert queued.status_code == 201, queued.text
    assert [w["code"] for w in queued.json()["warnings"]] == ["rights_closed", "deadline_passed"]
    assert _deposits(world)[0].offline
