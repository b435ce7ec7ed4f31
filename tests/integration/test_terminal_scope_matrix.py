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
from tests.support.workers import worker_payload

Request = tuple[str, dict[str, Any] | None]


def _enrolled(home: TestTerminal) -> dict[str, Any]:
    response = home.send("POST", "/v1/workers", worker_payload(cin="HH445566"))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _rn(home: TestTerminal) -> str:
    number: str = _enrolled(home)["registration_number"]
    return number


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
    ("GET", "/v1/receipts/{number}"): lambda home, t: (
        f"/v1/receipts/{_enrolled(home)['receipt']['number']}",
        None,
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
    if role not in endpoint.roles:
        assert response.status_code == 403, response.text
    elif place != "own":
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "token_wrong_terminal"
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
