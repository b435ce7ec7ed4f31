"""Every back-office endpoint × every back-office role × own and other network.

The matrix is generated from the app's own endpoint list, so an endpoint added without a row
here fails ``test_matrix_covers_every_admin_endpoint``. Expected: no token at all gets 401; a
role the endpoint does not allow gets 403; a network admin reaching into another network gets
404 (never a hint that the object exists) or, for lists, only its own network's rows;
everything else succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from agent_api.clock import CASABLANCA
from agent_api.domain.roles import Role
from agent_api.http.app import agent_endpoints
from tests.integration.conftest import World
from tests.support.terminal import TestTerminal
from tests.support.workers import month_offset

Own = bool
Request = tuple[str, dict[str, Any] | None]


def _net(own: Own) -> str:
    return "CASHPLUS" if own else "WAFACASH"


def _office(own: Own) -> str:
    return "CA-01" if own else "WA-01"


def _terminal(world: World, own: Own) -> int:
    return world.terminal_ids[_office(own)]


def _user(own: Own) -> str:
    return f"op.{_office(own).lower()}"


T = "/v1/admin/terminals"


def day_offset(world: World, days: int) -> str:
    """A business date ``days`` after the service's today (a rule's first day is ahead)."""
    now = world.services.clock().astimezone(CASABLANCA).date()
    return (now + timedelta(days=days)).isoformat()


def _security_events(world: World, own: Own) -> Request:
    """A failed activation on each network's terminal gives each network an event."""
    for office in ("CA-01", "WA-01"):
        wrong = f"{world.terminal_ids[office]}-0000-0000-0000"
        TestTerminal(world.client).activate(wrong)
    return (f"/v1/admin/security-events?terminal_id={_terminal(world, own)}", None)


def _signed_size(world: World) -> int:
    """The size of a checkpoint signed now over the world's leaves (a bare world has some:
    its registry's writes), so that the proofs and entries asked for exist."""
    size = world.services.audit.checkpoint().size
    assert 1 <= size < 256, size  # one partial entry bundle holds them all
    return size


ROWS: dict[tuple[str, str], Callable[[World, Own], Request]] = {
    ("DELETE", "/v1/admin/sessions/current"): lambda w, o: ("/v1/admin/sessions/current", None),
    ("POST", "/v1/admin/networks"): lambda w, o: (
        "/v1/admin/networks",
        {
            "code": "NEWNET",
            "name": "New",
            "commission_fixed_centimes": 0,
            "commission_bps": 0,
            "settlement_account": "022780000000000000123458",
        },
    ),
    ("GET", "/v1/admin/networks"): lambda w, o: ("/v1/admin/networks", None),
    ("GET", "/v1/admin/networks/{code}"): lambda w, o: (f"/v1/admin/networks/{_net(o)}", None),
    ("GET", "/v1/admin/networks/{code}/commission-rules"): lambda w, o: (
        f"/v1/admin/networks/{_net(o)}/commission-rules",
        None,
    ),
    ("POST", "/v1/admin/networks/{code}/commission-rules"): lambda w, o: (
        f"/v1/admin/networks/{_net(o)}/commission-rules",
        {"effective_from": day_offset(w, 2), "fixed_centimes": 150, "basis_points": 25},
    ),
    ("POST", "/v1/admin/networks/{code}/suspend"): lambda w, o: (
        f"/v1/admin/networks/{_net(o)}/suspend",
        None,
    ),
    ("POST", "/v1/admin/networks/{code}/reactivate"): lambda w, o: (
        f"/v1/admin/networks/{_net(o)}/reactivate",
        None,
    ),
    ("POST", "/v1/admin/offices"): lambda w, o: (
        "/v1/admin/offices",
        {"code": "NEW-01", "network": _net(o), "name": "n", "city": "c", "region": "r"},
    ),
    ("GET", "/v1/admin/offices"): lambda w, o: (f"/v1/admin/offices?network={_net(o)}", None),
    ("GET", "/v1/admin/offices/{code}"): lambda w, o: (f"/v1/admin/offices/{_office(o)}", None),
    ("POST", "/v1/admin/offices/{code}/suspend"): lambda w, o: (
        f"/v1/admin/offices/{_office(o)}/suspend",
        None,
    ),
    ("POST", "/v1/admin/offices/{code}/reactivate"): lambda w, o: (
        f"/v1/admin/offices/{_office(o)}/reactivate",
        None,
    ),
    ("POST", T): lambda w, o: (T, {"office": _office(o), "label": "Guichet 9"}),
    ("GET", T): lambda w, o: (f"{T}?office={_office(o)}", None),
    ("GET", T + "/{terminal_id}"): lambda w, o: (f"{T}/{_terminal(w, o)}", None),
    ("POST", T + "/{terminal_id}/suspend"): lambda w, o: (f"{T}/{_terminal(w, o)}/suspend", None),
    ("POST", T + "/{terminal_id}/reactivate"): lambda w, o: (
        f"{T}/{_terminal(w, o)}/reactivate",
        None,
    ),
    ("POST", T + "/{terminal_id}/revoke"): lambda w, o: (f"{T}/{_terminal(w, o)}/revoke", None),
    ("POST", T + "/{terminal_id}/activation-code"): lambda w, o: (
        f"{T}/{_terminal(w, o)}/activation-code",
        None,
    ),
    ("POST", "/v1/admin/users"): lambda w, o: (
        "/v1/admin/users",
        {
            "username": "op.new",
            "full_name": "New",
            "role": "operator",
            "password": "a long enough password",
            "office": _office(o),
        },
    ),
    ("GET", "/v1/admin/users"): lambda w, o: (f"/v1/admin/users?office={_office(o)}", None),
    ("GET", "/v1/admin/users/{username}"): lambda w, o: (f"/v1/admin/users/{_user(o)}", None),
    ("POST", "/v1/admin/users/{username}/suspend"): lambda w, o: (
        f"/v1/admin/users/{_user(o)}/suspend",
        None,
    ),
    ("POST", "/v1/admin/users/{username}/reactivate"): lambda w, o: (
        f"/v1/admin/users/{_user(o)}/reactivate",
        None,
    ),
    ("POST", "/v1/admin/users/{username}/unlock"): lambda w, o: (
        f"/v1/admin/users/{_user(o)}/unlock",
        None,
    ),
    ("GET", "/v1/admin/security-events"): _security_events,
    ("GET", "/v1/admin/tariff/rates"): lambda w, o: ("/v1/admin/tariff/rates", None),
    # The audit log is national: the auditor reads all of it, no one else any of it.
    ("GET", "/v1/audit/leaves"): lambda w, o: ("/v1/audit/leaves?start=0&end=2", None),
    ("GET", "/v1/audit/checkpoints"): lambda w, o: ("/v1/audit/checkpoints", None),
    ("GET", "/v1/audit/terminal-keys"): lambda w, o: ("/v1/audit/terminal-keys", None),
    ("GET", "/v1/audit/receipts/{number}/proof"): lambda w, o: (
        "/v1/audit/receipts/R-CASHPLUS-00000001/proof",
        None,
    ),
    ("GET", "/v1/audit/tile/entries/{bundle}"): lambda w, o: (
        f"/v1/audit/tile/entries/000.p/{_signed_size(w)}",
        None,
    ),
    # Proofs are for sizes up to the latest checkpoint: the world's leaves signed first.
    ("GET", "/v1/audit/proofs/inclusion"): lambda w, o: (
        f"/v1/audit/proofs/inclusion?index=0&size={_signed_size(w)}",
        None,
    ),
    ("GET", "/v1/audit/proofs/consistency"): lambda w, o: (
        f"/v1/audit/proofs/consistency?old=1&new={_signed_size(w)}",
        None,
    ),
    ("GET", "/v1/admin/surcharge-waivers"): lambda w, o: ("/v1/admin/surcharge-waivers", None),
    ("POST", "/v1/admin/surcharge-waivers"): lambda w, o: (
        "/v1/admin/surcharge-waivers",
        {
            "starts_on": "2026-12-01",
            "ends_on": "2027-01-31",
            "categories": ["ARTISAN"],
            "reason": "Campagne de régularisation",
        },
    ),
    ("POST", "/v1/admin/tariff/rates"): lambda w, o: (
        "/v1/admin/tariff/rates",
        {
            "category": "ARTISAN",
            "bracket": "REGISTERED",
            "effective_from": month_offset(3),
            "base_centimes": 250000,
            "rate_bps": 637,
        },
    ),
    ("POST", "/v1/admin/tariff/categories"): lambda w, o: (
        "/v1/admin/tariff/categories",
        {"code": "GUIDE", "label_fr": "Guides", "label_ar": "المرشدون"},
    ),
    ("POST", "/v1/admin/tariff/categories/{category}/brackets"): lambda w, o: (
        "/v1/admin/tariff/categories/ARTISAN/brackets",
        {"code": "APPRENTICE", "label": "Apprenti"},
    ),
    ("PUT", "/v1/admin/users/{username}/password"): lambda w, o: (
        f"/v1/admin/users/{_user(o)}/password",
        {"password": "another long password"},
    ),
}

ADMIN_ENDPOINTS = [e for e in agent_endpoints() if e.auth == "admin"]
USERNAMES = {
    Role.CNSS_ADMIN: "cnss.admin",
    Role.FINANCE: "cnss.finance",
    Role.AUDITOR: "cnss.auditor",
    Role.NETWORK_ADMIN: "admin.cashplus",
}
# Endpoints about the caller itself: there is no other network's object to reach for.
UNSCOPED = {
    ("DELETE", "/v1/admin/sessions/current"),
    # The tariff is national data: the same for every network.
    ("GET", "/v1/admin/tariff/rates"),
    ("POST", "/v1/admin/tariff/rates"),
    ("GET", "/v1/audit/leaves"),
    ("GET", "/v1/audit/checkpoints"),
    ("GET", "/v1/audit/terminal-keys"),
    ("GET", "/v1/audit/proofs/inclusion"),
    ("GET", "/v1/audit/proofs/consistency"),
    ("GET", "/v1/audit/tile/entries/{bundle}"),
    ("GET", "/v1/admin/surcharge-waivers"),
    ("POST", "/v1/admin/surcharge-waivers"),
    ("POST", "/v1/admin/tariff/categories"),
    ("POST", "/v1/admin/tariff/categories/{category}/brackets"),
}
# Endpoints about an object this bare world does not hold (a receipt): the role check is
# what is tested, the answer being "not found" once the role is admitted.
NEEDS_DATA = {("GET", "/v1/audit/receipts/{number}/proof")}
CASES = [
    pytest.param(
        e, role, own, id=f"{e.method} {e.template} {role.value} {'own' if own else 'other'}"
    )
    for e in ADMIN_ENDPOINTS
    for role in USERNAMES
    for own in (
        (True, False)
        if role == Role.NETWORK_ADMIN and (e.method, e.template) not in UNSCOPED | NEEDS_DATA
        else (True,)
    )
]


def test_matrix_covers_every_admin_endpoint() -> None:
    assert {(e.method, e.template) for e in ADMIN_ENDPOINTS} == set(ROWS)


@pytest.mark.parametrize(
    "endpoint", ADMIN_ENDPOINTS, ids=[f"{e.method} {e.template}" for e in ADMIN_ENDPOINTS]
)
def test_admin_endpoint_refuses_a_request_without_a_token(world: World, endpoint: Any) -> None:
    """No token, no answer: not even that the object exists (entry bundles included)."""
    path, body = ROWS[(endpoint.method, endpoint.template)](world, True)
    response = world.client.request(endpoint.method, path, json=body)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "token_missing"


def _networks_in(body: dict[str, Any]) -> set[str]:
    return {item.get("network", item.get("code")) for item in body["items"]}


@pytest.mark.parametrize(("endpoint", "role", "own"), CASES)
def test_admin_endpoint_respects_role_and_scope(
    world: World, endpoint: Any, role: Role, own: bool
) -> None:
    path, body = ROWS[(endpoint.method, endpoint.template)](world, own)
    response = world.client.request(
        endpoint.method, path, json=body, headers=world.auth(USERNAMES[role])
    )
    if role not in endpoint.roles:
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"
        return
    if (endpoint.method, endpoint.template) in NEEDS_DATA:
        assert response.status_code == 404, response.text
        return
    if (endpoint.method, endpoint.template) in UNSCOPED:
        assert 200 <= response.status_code < 300, response.text
        return
    if endpoint.method == "GET" and "{" not in endpoint.path:
        assert response.status_code == 200, response.text
        networks = _networks_in(response.json())
        if role == Role.NETWORK_ADMIN:
            assert networks <= {"CASHPLUS"}
            if own:
                assert networks == {"CASHPLUS"}
        else:
            assert networks
        return
    if not own:
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
        return
    assert 200 <= response.status_code < 300, response.text
