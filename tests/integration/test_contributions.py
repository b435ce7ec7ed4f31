"""Collecting contributions at the counter: allocation to the right months, receipts anyone
can verify, same-day reversals with a supervisor, health rights and certificates."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from agent_api.persistence.tables import AccountAllocation, Contribution, Reversal
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World, activated
from tests.support.terminal import TestTerminal
from tests.support.workers import month_offset, this_month, worker_payload

ARTISAN_DUE = (244_530 * 637 + 5_000) // 10_000  # 0.75 × SMIG 2025 at 6.37 %


def _enroll(terminal: TestTerminal, **fields: Any) -> str:
    response = terminal.send("POST", "/v1/workers", worker_payload(**fields))
    assert response.status_code == 201, response.text
    number: str = response.json()["registration_number"]
    return number


def _pay(terminal: TestTerminal, number: str, amount: int, **extra: Any) -> Any:
    body = {"registration_number": number, "amount_centimes": amount, **extra}
    return terminal.send("POST", "/v1/contributions", body)


def _sum(world: World, column: Any) -> int:
    with Session(world.services.engine) as session:
        return int(session.exec(select(func.coalesce(func.sum(column), 0))).one())


def test_the_quote_lists_each_month_and_the_total(world: World, terminal: TestTerminal) -> None:
    number = _enroll(terminal, coverage_start=month_offset(-2))
    quote = terminal.send("GET", f"/v1/workers/{number}/quote?through={month_offset(1)}")
    assert quote.status_code == 200, quote.text
    body = quote.json()
    assert [line["month"][:7] for line in body["lines"]] == [
        month_offset(-2),
        month_offset(-1),
        month_offset(0),
        month_offset(1),
    ]
    assert {line["due_centimes"] for line in body["lines"]} == {ARTISAN_DUE}
    assert body["total_centimes"] == 4 * ARTISAN_DUE


@pytest.mark.parametrize(
    ("through", "field"),
    [(month_offset(-1), "through"), (month_offset(13), "through"), ("2026-13", "through")],
)
def test_a_quote_through_the_past_or_beyond_the_horizon_is_refused(
    world: World, terminal: TestTerminal, through: str, field: str
) -> None:
    number = _enroll(terminal)
    response = terminal.send("GET", f"/v1/workers/{number}/quote?through={through}")
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


def test_a_payment_goes_to_the_oldest_month_and_the_receipt_verifies_offline(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(terminal, coverage_start=month_offset(-1))
    response = _pay(terminal, number, ARTISAN_DUE + 5_000, payer_phone="0661223344")
    assert response.status_code == 201, response.text
    body = response.json()
    assert [(a["month"][:7], a["amount_centimes"]) for a in body["allocations"]] == [
        (month_offset(-1), ARTISAN_DUE),
        (month_offset(0), 5_000),
    ]
    assert body["receipt"]["number"].startswith("R-CASHPLUS-")
    # Verified with a generic JOSE library and the published key alone.
    jwks = world.client.get("/v1/keys").json()
    token = body["receipt"]["receipt"]
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(token, key, algorithms=["EdDSA"])
    assert claims["amount_centimes"] == ARTISAN_DUE + 5_000
    assert claims["registration_number"] == number
    assert claims["office"] == "CA-01"
    assert claims["months"][0]["month"] == month_offset(-1)
    assert claims["receipt_number"] == body["receipt"]["number"]


def test_a_surplus_prepays_future_months_and_keeps_rights_open(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(terminal)
    response = _pay(terminal, number, 6 * ARTISAN_DUE)
    assert response.status_code == 201, response.text
    assert len(response.json()["allocations"]) == 6
    rights = terminal.send("GET", f"/v1/workers/{number}/rights").json()["rights"]
    assert rights["status"] == "open"
    assert rights["covered_through"][:7] == month_offset(5)


def test_more_than_owed_through_the_horizon_is_refused_with_the_maximum(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(terminal)
    response = _pay(terminal, number, 14 * ARTISAN_DUE)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "amount_centimes"
    assert error["maximum_centimes"] == 13 * ARTISAN_DUE  # an integer, like every amount
    assert _sum(world, Contribution.amount_centimes) == 0


@pytest.mark.parametrize("amount", [0, -100, 12.5, "100", 10**12])
def test_absurd_amounts_are_refused_and_nothing_is_written(
    world: World, terminal: TestTerminal, amount: Any
) -> None:
    number = _enroll(terminal)
    response = _pay(terminal, number, amount)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "amount_centimes"
    assert _sum(world, Contribution.amount_centimes) == 0


def test_unknown_or_malformed_registration_numbers_are_refused(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(terminal)
    masked = number[:6] + "****"
    assert _pay(terminal, masked, 1000).json()["error"]["field"] == "registration_number"
    wrong_digit = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert _pay(terminal, wrong_digit, 1000).status_code == 422


def test_a_cpu_subject_pays_through_the_tax_not_here(world: World, terminal: TestTerminal) -> None:
    number = _enroll(terminal, category="CPU", bracket="STANDARD", document_number="12345678")
    response = _pay(terminal, number, 1000)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_collected_at_counter"


def test_a_same_day_reversal_with_a_supervisor_restores_the_account(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(terminal)
    paid = _pay(terminal, number, ARTISAN_DUE).json()
    reversal = terminal.send(
        "POST",
        f"/v1/contributions/{paid['receipt']['number']}/reversal",
        {"reason": "wrong worker", "supervisor": {"username": "sup.ca-01", "password": PASSWORD}},
    )
    assert reversal.status_code == 201, reversal.text
    assert reversal.json()["reverses"] == paid["receipt"]["number"]
    assert _sum(world, AccountAllocation.amount_centimes) == 0
    quote = terminal.send("GET", f"/v1/workers/{number}/quote").json()
    assert quote["total_centimes"] == ARTISAN_DUE
    day = terminal.send("GET", f"/v1/offices/current/day?business_date={paid['business_date']}")
    summary = day.json()
    assert (summary["count"], summary["gross_centimes"], summary["net_centimes"]) == (
        1,
        ARTISAN_DUE,
        0,
    )


def test_a_reversal_needs_a_supervisor_of_this_office_not_the_operator(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(terminal)
    receipt = _pay(terminal, number, 1000).json()["receipt"]["number"]
    path = f"/v1/contributions/{receipt}/reversal"
    wrong_password = terminal.send(
        "POST",
        path,
        {"reason": "mistake", "supervisor": {"username": "sup.ca-01", "password": "not it at all"}},
    )
    assert wrong_password.status_code == 401
    # The operator's own right password and another office's supervisor's get the very answer
    # a wrong password gets: the approval is no oracle of anyone's password.
    for username in ("op.ca-01", "sup.ca-02"):
        refused = terminal.send(
            "POST",
            path,
            {"reason": "mistake", "supervisor": {"username": username, "password": PASSWORD}},
        )
        assert refused.status_code == 401
        assert refused.json() == wrong_password.json()
    assert wrong_password.json()["error"]["field"] == "supervisor"
    assert _sum(world, Reversal.amount_centimes) == 0


def test_a_collection_is_reversed_once_and_a_reversal_never(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(terminal)
    receipt = _pay(terminal, number, 1000).json()["receipt"]["number"]
    approve = {"reason": "mistake", "supervisor": {"username": "sup.ca-01", "password": PASSWORD}}
    first = terminal.send("POST", f"/v1/contributions/{receipt}/reversal", approve)
    assert first.status_code == 201
    twice = terminal.send("POST", f"/v1/contributions/{receipt}/reversal", approve)
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "already_reversed"
    of_reversal = terminal.send(
        "POST", f"/v1/contributions/{first.json()['receipt']['number']}/reversal", approve
    )
    assert of_reversal.status_code == 409
    assert of_reversal.json()["error"]["code"] == "not_a_collection"


def test_a_reversal_on_another_day_is_refused_with_an_explanation(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    number = _enroll(terminal)
    receipt = _pay(terminal, number, 1000).json()["receipt"]["number"]
    clock.advance(days=1)
    terminal.login("op.ca-01", PASSWORD)
    response = terminal.send(
        "POST",
        f"/v1/contributions/{receipt}/reversal",
        {"reason": "late", "supervisor": {"username": "sup.ca-01", "password": PASSWORD}},
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "reversal_window_closed"
    assert "CNSS finance" in error["message"]


def test_another_office_cannot_reverse_or_see_this_offices_collections(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    number = _enroll(terminal)
    paid = _pay(terminal, number, 1000).json()
    other = activated(world, clock, "CA-02")
    assert other.login("op.ca-02", PASSWORD).status_code == 201
    response = other.send(
        "POST",
        f"/v1/contributions/{paid['receipt']['number']}/reversal",
        {"reason": "x" * 5, "supervisor": {"username": "sup.ca-02", "password": PASSWORD}},
    )
    assert response.status_code == 404
    listed = other.send("GET", f"/v1/contributions?business_date={paid['business_date']}")
    assert listed.json()["items"] == []
    own = terminal.send("GET", f"/v1/contributions?business_date={paid['business_date']}")
    assert [i["receipt_number"] for i in own.json()["items"]] == [paid["receipt"]["number"]]


def test_a_retried_collection_is_collected_once(world: World, terminal: TestTerminal) -> None:
    number = _enroll(terminal)
    body = {"registration_number": number, "amount_centimes": 5_000}
    first = terminal.send("POST", "/v1/contributions", body, sequence=500)
    retry = terminal.send("POST", "/v1/contributions", body, sequence=500)
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    assert _sum(world, Contribution.amount_centimes) == 5_000


def test_certificates_are_signed_and_numbered(world: World, terminal: TestTerminal) -> None:
    number = _enroll(terminal)
    _pay(terminal, number, ARTISAN_DUE)
    for kind in ("rights", "payments"):
        response = terminal.send("POST", f"/v1/workers/{number}/certificates", {"kind": kind})
        assert response.status_code == 201, response.text
        token = response.json()["receipt"]["receipt"]
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["certificate"] == kind
        assert claims["registration_number"] == number
    rights = jwt.decode(
        terminal.send("POST", f"/v1/workers/{number}/certificates", {"kind": "rights"}).json()[
            "receipt"
        ]["receipt"],
        options={"verify_signature": False},
    )
    assert rights["status"] == "open"


def test_fishing_days_become_dues_with_a_daily_minimum_and_a_monthly_cap(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(
        terminal,
        category="FISHING_WORKER",
        bracket="ALGAE_HARVESTER",
        document_number="LM-44521",
        coverage_start=month_offset(-1),
    )
    month = month_offset(-1)
    days = [{"date": f"{month}-{d:02d}", "earnings_centimes": 50_000} for d in range(1, 4)]
    days.append({"date": f"{month}-04", "earnings_centimes": 100})  # below the daily minimum
    response = terminal.send(
        "POST",
        "/v1/declarations/daily",
        {"registration_number": number, "declared_by": "Coopérative Al Amal", "days": days},
    )
    assert response.status_code == 201, response.text
    declared = response.json()
    amounts = [d["contribution_centimes"] for d in declared["days"]]
    assert amounts[:3] == [(50_000 * 637 + 5_000) // 10_000] * 3
    assert amounts[3] == (12_540 * 637 + 5_000) // 10_000
    quote = terminal.send("GET", f"/v1/workers/{number}/quote").json()
    assert quote["total_centimes"] == declared["total_centimes"]
    too_many = [{"date": f"{month}-{d:02d}", "earnings_centimes": 1000} for d in range(5, 28)]
    refused = terminal.send(
        "POST",
        "/v1/declarations/daily",
        {"registration_number": number, "declared_by": "Coopérative Al Amal", "days": too_many},
    )
    assert refused.status_code == 422
    assert "26" in refused.json()["error"]["message"]
    again = terminal.send(
        "POST",
        "/v1/declarations/daily",
        {"registration_number": number, "declared_by": "Coopérative Al Amal", "days": days[:1]},
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "day_already_declared"


def test_a_worker_behind_on_dues_has_suspended_rights(world: World, terminal: TestTerminal) -> None:
    number = _enroll(terminal, coverage_start=month_offset(-6))
    rights = terminal.send("GET", f"/v1/workers/{number}/rights").json()["rights"]
    assert rights["status"] == "suspended"
    assert rights["oldest_unpaid"][:7] == month_offset(-6)
    paid = _pay(terminal, number, 7 * ARTISAN_DUE).json()
    assert paid["rights"]["status"] == "waiting"
    assert paid["rights"]["reopens"][:7] == month_offset(3)
    assert this_month() in paid["rights"]["reason"]


def test_a_wrong_supervisor_password_names_the_supervisor_not_the_operators_session(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll(terminal)
    receipt = _pay(terminal, number, 1000).json()["receipt"]["number"]
    refused = terminal.send(
        "POST",
        f"/v1/contributions/{receipt}/reversal",
        {"reason": "mistake", "supervisor": {"username": "sup.ca-01", "password": "wrong one"}},
    )
    assert refused.status_code == 401
    error = refused.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_credentials", "supervisor")
    assert "supervisor" in error["message"]
    # The operator is still signed in: the very next request goes through.
    assert _pay(terminal, number, 1000).status_code == 201
