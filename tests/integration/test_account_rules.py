"""The account rules a worker and an operator read (docs/account.md): a reversed payment's
hole, prepaid months on the payments certificate, the prepayment horizon, fishing workers
without declared days, and what the rights answer says."""

from __future__ import annotations

from typing import Any

import jwt

from tests.integration.conftest import PASSWORD, World
from tests.support.terminal import TestTerminal
from tests.support.workers import month_offset, this_month, worker_payload

ARTISAN_DUE = (244_530 * 637 + 5_000) // 10_000  # 0.75 × SMIG 2025 at 6.37 %
APPROVAL = {"reason": "wrong amount", "supervisor": {"username": "sup.ca-01", "password": PASSWORD}}


def _enroll(terminal: TestTerminal, **fields: Any) -> dict[str, Any]:
    response = terminal.send("POST", "/v1/workers", worker_payload(**fields))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _pay(terminal: TestTerminal, number: str, amount: int) -> Any:
    body = {"registration_number": number, "amount_centimes": amount}
    return terminal.send("POST", "/v1/contributions", body)


def _certificate(terminal: TestTerminal, number: str, kind: str) -> dict[str, Any]:
    response = terminal.send("POST", f"/v1/workers/{number}/certificates", {"kind": kind})
    assert response.status_code == 201, response.text
    claims: dict[str, Any] = jwt.decode(
        response.json()["receipt"]["receipt"], options={"verify_signature": False}
    )
    return claims


def _rights(terminal: TestTerminal, number: str) -> dict[str, Any]:
    response = terminal.send("GET", f"/v1/workers/{number}/rights")
    assert response.status_code == 200, response.text
    rights: dict[str, Any] = response.json()["rights"]
    return rights


# -- item 2: a reversal of an earlier collection after a later one -----------------------------


def test_a_month_reversed_after_the_next_was_paid_is_shown_unpaid_and_filled_first(
    world: World, terminal: TestTerminal
) -> None:
    """December paid, then January, then December's payment reversed: January stays
    paid as its receipt says; December is owed, shown as a gap everywhere, and the next
    payment goes to it."""
    december, january = month_offset(0), month_offset(1)
    number = _enroll(terminal, coverage_start=december)["registration_number"]
    first = _pay(terminal, number, ARTISAN_DUE).json()
    second = _pay(terminal, number, ARTISAN_DUE).json()
    assert [a["month"][:7] for a in second["allocations"]] == [january]
    reversal = terminal.send(
        "POST", f"/v1/contributions/{first['receipt']['number']}/reversal", APPROVAL
    )
    assert reversal.status_code == 201, reversal.text

    rights = _rights(terminal, number)
    assert rights["status"] == "open"
    assert rights["reason_code"] == "within_grace"
    assert (rights["paid_through"], rights["gaps"]) == (january, [december])
    assert rights["unpaid_months"] == [december]
    assert f"{december} unpaid although {january} is paid" in rights["reason"]

    quote = terminal.send("GET", f"/v1/workers/{number}/quote?through={january}").json()
    assert (quote["paid_through"], quote["gaps"]) == (january, [december])
    assert [(line["month"][:7], line["outstanding_centimes"]) for line in quote["lines"]] == [
        (december, ARTISAN_DUE),
        (january, 0),
    ]

    on_rights = _certificate(terminal, number, "rights")
    assert (on_rights["paid_through"], on_rights["gaps"]) == (january, [december])
    assert on_rights["reason_code"] == "within_grace"
    on_payments = _certificate(terminal, number, "payments")
    assert on_payments["gaps"] == [december]
    months = {m["month"]: m for m in on_payments["months"]}
    assert months[december]["outstanding_centimes"] == ARTISAN_DUE
    assert months[january]["paid_centimes"] == ARTISAN_DUE

    refill = _pay(terminal, number, ARTISAN_DUE).json()
    assert [a["month"][:7] for a in refill["allocations"]] == [december]
    assert refill["rights"]["gaps"] == []
    assert refill["rights"]["covered_through"][:7] == january
    assert refill["rights"]["reason_code"] == "paid_up"


# -- item 3: prepaid months on the payments certificate -----------------------------------------


def test_the_payments_certificate_shows_the_due_of_prepaid_months_as_the_quote_does(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(terminal)["registration_number"]
    assert _pay(terminal, number, 3 * ARTISAN_DUE).status_code == 201
    claims = _certificate(terminal, number, "payments")
    shown = [(m["month"], m["due_centimes"], m["paid_centimes"]) for m in claims["months"]]
    assert shown == [(month_offset(i), ARTISAN_DUE, ARTISAN_DUE) for i in range(3)]
    quote = terminal.send("GET", f"/v1/workers/{number}/quote?through={month_offset(2)}").json()
    assert [line["due_centimes"] for line in quote["lines"]] == [ARTISAN_DUE] * 3


# -- item 4: a fishing worker without declared days ----------------------------------------------


def test_a_fishing_worker_without_declared_days_is_told_to_declare_them_first(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(
        terminal, category="FISHING_WORKER", bracket="SEAFARER", document_number="LM-44521"
    )["registration_number"]
    response = _pay(terminal, number, 10_000)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("no_declared_days", "amount_centimes")
    assert "no fishing days are declared yet" in error["message"]
    assert "declared first" in error["message"]
    assert error["maximum_centimes"] == 0


# -- item 5: the prepayment horizon --------------------------------------------------------------


def test_the_horizon_is_the_current_month_and_twelve_ahead_in_the_quote_and_the_collection(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(terminal)["registration_number"]
    horizon = month_offset(12)
    quote = terminal.send("GET", f"/v1/workers/{number}/quote?through={horizon}").json()
    assert quote["horizon"] == horizon
    assert quote["total_centimes"] == 13 * ARTISAN_DUE
    beyond = terminal.send("GET", f"/v1/workers/{number}/quote?through={month_offset(13)}")
    assert beyond.status_code == 422
    assert horizon in beyond.json()["error"]["message"]

    refused = _pay(terminal, number, quote["total_centimes"] + 1)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["maximum_centimes"] == quote["total_centimes"]
    assert isinstance(error["maximum_centimes"], int)

    paid = _pay(terminal, number, quote["total_centimes"])
    assert paid.status_code == 201, paid.text
    assert paid.json()["allocations"][-1]["month"][:7] == horizon
    assert paid.json()["rights"]["paid_through"] == horizon


def test_the_error_schema_declares_the_maximum_as_an_integer(world: World) -> None:
    document = world.client.get("/openapi.json").json()
    detail = document["components"]["schemas"]["ErrorDetail"]["properties"]
    assert {"type": "integer"} in detail["maximum_centimes"]["anyOf"]


# -- item 6: what the rights answer says ---------------------------------------------------------


def test_a_worker_who_paid_nothing_yet_is_open_within_the_grace_until_a_month(
    world: World, terminal: TestTerminal
) -> None:
    enrolled = _enroll(terminal)
    assert enrolled["rights"]["reason_code"] == "within_grace"
    assert enrolled["suspended_from_enrollment"] is False
    rights = _rights(terminal, enrolled["registration_number"])
    assert (rights["status"], rights["open_until"]) == ("open", month_offset(3))
    assert f"until {month_offset(3)}" in rights["reason"]
    assert rights["unpaid_months"] == [this_month()]


def test_a_worker_whose_coverage_starts_later_is_told_it_has_not_started(
    world: World, terminal: TestTerminal
) -> None:
    enrolled = _enroll(terminal, coverage_start=month_offset(2))
    rights = _rights(terminal, enrolled["registration_number"])
    assert rights["reason_code"] == "not_started"
    assert rights["coverage_starts"] == month_offset(2)
    assert "every due" not in rights["reason"]
    assert f"starts in {month_offset(2)}" in rights["reason"]
    certificate = _certificate(terminal, enrolled["registration_number"], "rights")
    assert certificate["reason_code"] == "not_started"
    assert certificate["coverage_starts"] == month_offset(2)


def test_an_enrollment_starting_beyond_the_grace_in_the_past_says_it_is_suspended(
    world: World, terminal: TestTerminal
) -> None:
    enrolled = _enroll(terminal, coverage_start=month_offset(-4))
    assert enrolled["suspended_from_enrollment"] is True
    assert enrolled["rights"]["reason_code"] == "suspended"
    assert enrolled["rights"]["oldest_unpaid"][:7] == month_offset(-4)
    assert "waiting period of 3 months" in enrolled["rights"]["reason"]
    paid = _pay(terminal, enrolled["registration_number"], 5 * ARTISAN_DUE).json()
    assert paid["rights"]["reason_code"] == "waiting"
    assert paid["rights"]["reopens"][:7] == month_offset(3)


def test_an_enrollment_starting_exactly_the_grace_in_the_past_is_not_suspended(
    world: World, terminal: TestTerminal
) -> None:
    enrolled = _enroll(terminal, coverage_start=month_offset(-3))
    assert enrolled["suspended_from_enrollment"] is False
    assert enrolled["rights"]["reason_code"] == "within_grace"
    assert enrolled["rights"]["open_until"] == this_month()
