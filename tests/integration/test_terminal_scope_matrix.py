"""Every operator endpoint × counter role × the caller's own terminal or another office's.

Generated from the endpoint list: an operator endpoint without a row here fails
``test_matrix_covers_every_operator_endpoint``. A token is bound to the terminal that
obtained it, so "another office" means presenting an operator token on a terminal of
another office (or network): always refused, whatever the role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agent_api.domain.roles import Role
from agent_api.http.app import agent_endpoints
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World, activated
from tests.support.terminal import TestTerminal
from tests.support.workers import month_offset, today, worker_payload

Request = tuple[str, dict[str, Any] | None]


def _enrolled(home: TestTerminal) -> dict[str, Any]:
    response = home.send("POST", "/v1/workers", worker_payload(cin="HH445566"))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _rn(home: TestTerminal) -> str:
    number: str = _enrolled(home)["registration_number"]
    return number


def _receipt(home: TestTerminal) -> str:
    number = _rn(home)
    paid = home.send(
        "POST", "/v1/contributions", {"registration_number": number, "amount_centimes": 1000}
    )
    assert paid.status_code == 201, paid.text
    receipt: str = paid.json()["receipt"]["number"]
    return receipt


def _fisher(home: TestTerminal) -> str:
    response = home.send(
        "POST",
        "/v1/workers",
        worker_payload(
            cin="FF112233",
            category="FISHING_WORKER",
            bracket="SEAFARER",
            document_number="LM-1234",
            coverage_start=month_offset(-1),
        ),
    )
    assert response.status_code == 201, response.text
    number: str = response.json()["registration_number"]
    return number


def _deposit_body(home: TestTerminal) -> dict[str, Any]:
    return {
        "registration_number": _rn(home),
        "care_kind": "consultation",
        "care_from": today().isoformat(),
        "amount_spent_centimes": 20000,
        "documents": 2,
    }


def _deposit(home: TestTerminal) -> str:
    deposited = home.send("POST", "/v1/deposits", _deposit_body(home))
    assert deposited.status_code == 201, deposited.text
    number: str = deposited.json()["deposit_number"]
    return number


APPROVAL = {"reason": "mistake", "supervisor": {"username": "sup2.ca-01", "password": PASSWORD}}


# Each row gets the signed-in home terminal (for set-up) and the terminal that calls.
ROWS: dict[tuple[str, str], Callable[[TestTerminal, TestTerminal], Request]] = {
    ("POST", "/v1/terminals/current/keys"): lambda home, t: (
        "/v1/terminals/current/keys",
        t.rotation_body()[1],
    ),
    ("DELETE", "/v1/sessions/current"): lambda home, t: ("/v1/sessions/current", None),
    ("POST", "/v1/workers"): lambda home, t: ("/v1/workers", worker_payload()),
    ("POST", "/v1/workers/lookup"): lambda home, t: (
        "/v1/workers/lookup",
        {"cin": _enrolled(home) and "HH445566"},
    ),
    ("GET", "/v1/workers/{registration_number}"): lambda home, t: (
        f"/v1/workers/{_rn(home)}",
        None,
    ),
    ("PATCH", "/v1/workers/{registration_number}"): lambda home, t: (
        f"/v1/workers/{_rn(home)}",
        {"city": "Tanger"},
    ),
    ("GET", "/v1/workers/{registration_number}/history"): lambda home, t: (
        f"/v1/workers/{_rn(home)}/history",
        None,
    ),
    ("GET", "/v1/workers/{registration_number}/identity"): lambda home, t: (
        f"/v1/workers/{_rn(home)}/identity",
        None,
    ),
    ("POST", "/v1/workers/history"): lambda home, t: (
        "/v1/workers/history",
        {"cin": _enrolled(home) and "HH445566"},
    ),
    ("GET", "/v1/receipts/{number}"): lambda home, t: (
        f"/v1/receipts/{_enrolled(home)['receipt']['number']}",
        None,
    ),
    ("GET", "/v1/workers/{registration_number}/quote"): lambda home, t: (
        f"/v1/workers/{_rn(home)}/quote",
        None,
    ),
    ("POST", "/v1/contributions"): lambda home, t: (
        "/v1/contributions",
        {"registration_number": _rn(home), "amount_centimes": 1000},
    ),
    ("POST", "/v1/contributions/{receipt_number}/reversal"): lambda home, t: (
        f"/v1/contributions/{_receipt(home)}/reversal",
        APPROVAL,
    ),
    ("GET", "/v1/contributions"): lambda home, t: (
        f"/v1/contributions?business_date={today().isoformat()}",
        None,
    ),
    ("GET", "/v1/offices/current/day"): lambda home, t: (
        f"/v1/offices/current/day?business_date={today().isoformat()}",
        None,
    ),
    ("POST", "/v1/drawer-closes"): lambda home, t: (
        "/v1/drawer-closes",
        {"counts": [{"denomination_centimes": 10_000, "quantity": 1}]},
    ),
    ("GET", "/v1/offices/current/drawer-closes"): lambda home, t: (
        f"/v1/offices/current/drawer-closes?business_date={today().isoformat()}",
        None,
    ),
    ("GET", "/v1/workers/{registration_number}/rights"): lambda home, t: (
        f"/v1/workers/{_rn(home)}/rights",
        None,
    ),
    ("POST", "/v1/workers/{registration_number}/certificates"): lambda home, t: (
        f"/v1/workers/{_rn(home)}/certificates",
        {"kind": "rights"},
    ),
    ("POST", "/v1/deposits"): lambda home, t: ("/v1/deposits", _deposit_body(home)),
    ("POST", "/v1/deposits/{deposit_number}/cancellation"): lambda home, t: (
        f"/v1/deposits/{_deposit(home)}/cancellation",
        APPROVAL,
    ),
    ("GET", "/v1/workers/{registration_number}/deposits"): lambda home, t: (
        f"/v1/workers/{_rn(home)}/deposits",
        None,
    ),
    ("POST", "/v1/offices/current/transmittals"): lambda home, t: (
        _deposit(home) and "/v1/offices/current/transmittals",
        {},
    ),
    ("POST", "/v1/declarations/daily"): lambda home, t: (
        "/v1/declarations/daily",
        {
            "registration_number": _fisher(home),
            "declared_by": "Armement Atlas",
            "days": [{"date": f"{month_offset(-1)}-03", "earnings_centimes": 40000}],
        },
    ),
}
OPERATOR_ENDPOINTS = [e for e in agent_endpoints() if e.auth == "operator"]
USERS = {Role.OPERATOR: "op", Role.SUPERVISOR: "sup"}
PLACES = {"own": "CA-01", "other office": "CA-02", "other network": "WA-01"}
CASES = [
    pytest.param(e, role, place, id=f"{e.method} {e.template} {role.value} {place}")
    for e in OPERATOR_ENDPOINTS
    for role in USERS
    for place in PLACES
]


def test_matrix_covers_every_operator_endpoint() -> None:
    assert {(e.method, e.template) for e in OPERATOR_ENDPOINTS} == set(ROWS)


@pytest.mark.parametrize(("endpoint", "role", "place"), CASES)
def test_operator_endpoint_respects_role_and_terminal(
    world: World, clock: FakeClock, endpoint: Any, role: Role, place: str
) -> None:
    home = activated(world, clock, "CA-01")
    assert home.login(f"{USERS[role]}.ca-01", PASSWORD).status_code == 201
    caller = home if place == "own" else activated(world, clock, PLACES[place])
    caller.token = home.token
    path, body = ROWS[(endpoint.method, endpoint.template)](home, caller)
    response = caller.send(endpoint.method, path, body)
    # A token on another terminal is refused before its role is looked at.
    if place != "own":
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "token_wrong_terminal"
    elif role not in endpoint.roles:
        assert response.status_code == 403, response.text
    else:
        assert 200 <= response.status_code < 300, response.text


@pytest.mark.parametrize(
    ("username", "status", "code"),
    [
        ("op.ca-01", 201, None),
        ("sup.ca-01", 201, None),
        ("op.ca-02", 403, "wrong_office"),
        ("op.wa-01", 403, "wrong_office"),
        ("admin.cashplus", 403, "wrong_sign_in_path"),
        ("cnss.admin", 403, "wrong_sign_in_path"),
        ("cnss.auditor", 403, "wrong_sign_in_path"),
    ],
)
def test_sign_in_is_for_the_terminals_own_counter_staff(
    world: World, clock: FakeClock, username: str, status: int, code: str | None
) -> None:
    counter = activated(world, clock, "CA-01")
    response = counter.login(username, PASSWORD)
    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["error"]["code"] == code
