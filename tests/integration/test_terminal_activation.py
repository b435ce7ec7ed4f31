"""Activating a terminal: its key registered with a one-time code, proven by its signature."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import Session, select

from agent_api.persistence.tables import SecurityEvent, TerminalKey
from agent_api.protocol.encoding import b64url_encode
from agent_api.protocol.keys import public_key_raw
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.support.terminal import TestTerminal


def test_activation_registers_the_key_and_returns_office_network_and_server_keys(
    world: World, clock: FakeClock
) -> None:
    counter = TestTerminal(world.client, clock)
    response = counter.activate(world.activation_codes["CA-01"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["terminal_id"] == world.terminal_ids["CA-01"]
    assert body["keyid"] == counter.keyid
    assert body["office"]["code"] == "CA-01"
    assert body["network"]["code"] == "CASHPLUS"
    assert len(body["server_keys"]["keys"]) == 2
    read = world.client.get(
        f"/v1/admin/terminals/{body['terminal_id']}", headers=world.auth("cnss.admin")
    ).json()
    assert read["status"] == "active"
    assert [(k["keyid"], k["status"]) for k in read["keys"]] == [(counter.keyid, "active")]


def test_an_activation_code_works_once(world: World, clock: FakeClock) -> None:
    code = world.activation_codes["CA-01"]
    assert TestTerminal(world.client, clock).activate(code).status_code == 201
    second = TestTerminal(world.client, clock).activate(code)
    assert second.status_code == 401
    assert second.json()["error"]["code"] == "activation_code_invalid"


def test_a_retried_activation_returns_the_original_answer(world: World, clock: FakeClock) -> None:
    counter = TestTerminal(world.client, clock)
    first = counter.activate(world.activation_codes["CA-01"])
    counter.sequence -= 1  # the terminal never saw the answer and sends the same write again
    retry = counter.activate(world.activation_codes["CA-01"])
    assert retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()


def test_an_expired_code_is_refused(world: World, clock: FakeClock) -> None:
    clock.advance(seconds=world.services.settings.activation_code_ttl_seconds + 1)
    response = TestTerminal(world.client, clock).activate(world.activation_codes["CA-01"])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "activation_code_expired"


def test_wrong_codes_use_up_the_attempts_and_then_even_the_right_code_fails(
    world: World, clock: FakeClock
) -> None:
    code = world.activation_codes["CA-01"]
    terminal_id = code.split("-", 1)[0]
    wrong = f"{terminal_id}-0000-0000-0000"
    for _ in range(world.services.settings.max_activation_attempts):
        refused = TestTerminal(world.client, clock).activate(wrong)
        assert refused.json()["error"]["code"] == "activation_code_invalid"
    exhausted = TestTerminal(world.client, clock).activate(code)
    assert exhausted.status_code == 401
    assert exhausted.json()["error"]["code"] == "activation_code_exhausted"
    with Session(world.services.engine) as session:
        kinds = session.exec(select(SecurityEvent.kind)).all()
    assert kinds.count("activation_failed") == world.services.settings.max_activation_attempts


def test_activation_must_be_signed_by_the_key_it_registers(world: World, clock: FakeClock) -> None:
    counter = TestTerminal(world.client, clock)
    other = public_key_raw(Ed25519PrivateKey.generate())
    response = counter.send(
        "POST",
        "/v1/terminals/activate",
        {"activation_code": world.activation_codes["CA-01"], "public_key": b64url_encode(other)},
        authenticated=False,
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_invalid"


def test_a_malformed_public_key_or_code_is_named(world: World, clock: FakeClock) -> None:
    counter = TestTerminal(world.client, clock)
    bad_key = counter.send(
        "POST",
        "/v1/terminals/activate",
        {"activation_code": world.activation_codes["CA-01"], "public_key": "AAAA"},
        authenticated=False,
    )
    assert bad_key.status_code == 422
    assert bad_key.json()["error"]["field"] == "public_key"
    bad_code = counter.send(
        "POST",
        "/v1/terminals/activate",
        {"activation_code": "hello", "public_key": b64url_encode(counter.public_raw)},
        authenticated=False,
    )
    assert bad_code.json()["error"]["field"] == "activation_code"


def test_a_revoked_terminal_cannot_activate(world: World, clock: FakeClock) -> None:
    terminal_id = world.terminal_ids["CA-01"]
    world.client.post(f"/v1/admin/terminals/{terminal_id}/revoke", headers=world.auth("cnss.admin"))
    response = TestTerminal(world.client, clock).activate(world.activation_codes["CA-01"])
    assert response.status_code == 401
    with Session(world.services.engine) as session:
        assert session.exec(select(TerminalKey)).all() == []
