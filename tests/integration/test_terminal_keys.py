"""Key rotation, revocation and suspension take effect on the very next request; the key
history is kept for auditors."""

from __future__ import annotations

from agent_api.protocol.encoding import b64url_encode
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World
from tests.support.terminal import TestTerminal


def _keys(world: World, terminal: TestTerminal) -> list[tuple[str, str]]:
    read = world.client.get(
        f"/v1/admin/terminals/{terminal.terminal_id}", headers=world.auth("cnss.auditor")
    ).json()
    return [(k["keyid"], k["status"]) for k in read["keys"]]


def test_rotation_replaces_the_key_and_keeps_the_old_one_in_history(
    world: World, terminal: TestTerminal
) -> None:
    old = terminal.keyid
    response = terminal.rotate()
    assert response.status_code == 201, response.text
    assert response.json() == {
        "terminal_id": terminal.terminal_id,
        "keyid": terminal.keyid,
        "previous_keyid": old,
    }
    assert _keys(world, terminal) == [(old, "retired"), (terminal.keyid, "active")]
    # The old token was bound to the old key: the operator signs in again with the new one.
    assert terminal.send("DELETE", "/v1/sessions/current").status_code == 401
    assert terminal.login("op.ca-01", PASSWORD).status_code == 201
    assert terminal.send("DELETE", "/v1/sessions/current").status_code == 204


def test_the_old_key_is_refused_after_rotation(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    old_key = terminal.key
    terminal.rotate()
    stale = TestTerminal(world.client, clock, old_key)
    stale.sequence = terminal.sequence
    response = stale.login("op.ca-01", PASSWORD)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "key_revoked"


def test_a_lost_rotation_answer_is_replayed_even_though_the_key_is_retired(
    world: World, terminal: TestTerminal
) -> None:
    old_key, sequence = terminal.key, terminal.sequence + 1
    first = terminal.rotate()
    new_key = terminal.key
    terminal.key, terminal.sequence = old_key, sequence - 1
    # Same signed write again: the terminal never saw the answer.
    body = first.request.content
    headers = terminal.signed_headers(
        "POST", "/v1/terminals/current/keys", body, sequence=sequence, token=terminal.token
    )
    retry = world.client.post("/v1/terminals/current/keys", content=body, headers=headers)
    assert retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    terminal.key = new_key


def test_rotation_needs_proof_of_the_new_key(world: World, terminal: TestTerminal) -> None:
    response = terminal.send(
        "POST",
        "/v1/terminals/current/keys",
        {"public_key": b64url_encode(b"\x01" * 32), "proof": b64url_encode(b"\x02" * 64)},
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "proof"
    assert len(_keys(world, terminal)) == 1


def test_revocation_refuses_the_very_next_request(world: World, terminal: TestTerminal) -> None:
    world.client.post(
        f"/v1/admin/terminals/{terminal.terminal_id}/revoke", headers=world.auth("admin.cashplus")
    )
    response = terminal.send("DELETE", "/v1/sessions/current")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "key_revoked"
    assert _keys(world, terminal) == [(terminal.keyid, "revoked")]
    events = world.client.get(
        "/v1/admin/security-events?kind=revoked_key_used", headers=world.auth("cnss.auditor")
    ).json()["items"]
    assert events[0]["terminal_id"] == terminal.terminal_id


def test_suspension_refuses_requests_until_reactivated(
    world: World, terminal: TestTerminal
) -> None:
    path = f"/v1/admin/terminals/{terminal.terminal_id}"
    world.client.post(path + "/suspend", headers=world.auth("admin.cashplus"))
    refused = terminal.login("op.ca-01", PASSWORD)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "terminal_suspended"
    world.client.post(path + "/reactivate", headers=world.auth("admin.cashplus"))
    assert terminal.login("op.ca-01", PASSWORD).status_code == 201


def test_a_suspended_office_stops_its_terminals(world: World, terminal: TestTerminal) -> None:
    world.client.post("/v1/admin/offices/CA-01/suspend", headers=world.auth("admin.cashplus"))
    response = terminal.login("op.ca-01", PASSWORD)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "office_suspended"
