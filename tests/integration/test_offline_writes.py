"""Writes queued offline are judged at the time the terminal signed them: a token that
expired while the network was down does not lose the collection, a sign-out before it does."""

from __future__ import annotations

from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.support.terminal import TestTerminal
from tests.support.workers import worker_payload


def test_an_offline_write_signed_while_the_token_was_valid_is_accepted_later(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    signed = int(clock().timestamp()) + 3600
    clock.advance(hours=10)  # the operator token (8 h) has expired meanwhile
    response = terminal.send("POST", "/v1/workers", worker_payload(), offline=True, created=signed)
    assert response.status_code == 201, response.text


def test_an_online_write_with_an_expired_token_is_still_refused(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    clock.advance(hours=10)
    response = terminal.send("POST", "/v1/workers", worker_payload())
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


def test_an_offline_write_signed_after_sign_out_is_refused(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    token = terminal.token
    clock.advance(minutes=10)
    assert terminal.send("DELETE", "/v1/sessions/current").status_code == 204
    terminal.token = token
    response = terminal.send(
        "POST",
        "/v1/workers",
        worker_payload(),
        offline=True,
        created=int(clock().timestamp()) + 60,
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"
