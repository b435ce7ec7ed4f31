"""Writes queued offline are judged at the time the terminal signed them: a token that
expired while the network was down does not lose the collection, a sign-out before it does."""

from __future__ import annotations

import pytest

from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World
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


# -- the session's lifetime bounds what may be signed offline (issue 16, item 2) ----------
# An offline write is accepted only if its ``created`` lies inside the session's life: from
# sign-in to sign-out, password reset, suspension or expiry. Reads are never offline.


def _enrolled(terminal: TestTerminal) -> str:
    response = terminal.send("POST", "/v1/workers", worker_payload())
    assert response.status_code == 201, response.text
    number: str = response.json()["registration_number"]
    return number


def _collection(number: str) -> dict[str, object]:
    return {"registration_number": number, "amount_centimes": 1000}


def test_an_offline_collection_signed_long_before_the_session_began_is_refused(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    number = _enrolled(terminal)
    assert terminal.login("op.ca-01", PASSWORD).status_code == 201  # a fresh token
    days_before = int(clock().timestamp()) - 71 * 3600
    for method, path, body in (
        ("POST", "/v1/contributions", _collection(number)),
        ("PATCH", f"/v1/workers/{number}", {"cin": "BE123456", "address": "4 av. Hassan II"}),
    ):
        response = terminal.send(method, path, body, offline=True, created=days_before)
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "token_expired"


def test_an_offline_collection_signed_just_after_sign_in_is_accepted_despite_clock_error(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    number = _enrolled(terminal)
    # The terminal's clock runs a minute late: its first queued write reads "before sign-in".
    created = int(clock().timestamp()) - 60
    response = terminal.send(
        "POST", "/v1/contributions", _collection(number), offline=True, created=created
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("end", ["sign-out", "password reset", "suspension"])
def test_after_the_session_ends_only_what_was_signed_before_the_end_is_accepted(
    world: World, terminal: TestTerminal, clock: FakeClock, end: str
) -> None:
    number = _enrolled(terminal)
    token = terminal.token
    clock.advance(minutes=5)
    before_end = int(clock().timestamp()) - 1
    clock.advance(minutes=1)
    if end == "sign-out":
        assert terminal.send("DELETE", "/v1/sessions/current").status_code == 204
    elif end == "password reset":
        reset = world.client.put(
            "/v1/admin/users/op.ca-01/password",
            headers=world.auth("admin.cashplus"),
            json={"password": "a brand new password"},
        )
        assert reset.status_code == 200, reset.text
    else:
        suspended = world.client.post(
            "/v1/admin/users/op.ca-01/suspend", headers=world.auth("admin.cashplus")
        )
        assert suspended.status_code == 200, suspended.text
    terminal.token = token
    after_end = int(clock().timestamp()) + 1
    clock.advance(minutes=30)
    refused = terminal.send(
        "POST", "/v1/contributions", _collection(number), offline=True, created=after_end
    )
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"]["code"] in {"token_expired", "token_invalid"}
    queued = terminal.send(
        "POST", "/v1/contributions", _collection(number), offline=True, created=before_end
    )
    if end == "suspension":
        # A suspended operator's queued writes wait for the account to be reinstated.
        assert queued.status_code == 401, queued.text
    else:
        assert queued.status_code == 201, queued.text


def test_a_lookup_by_cin_is_never_answered_offline(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    _enrolled(terminal)
    created = int(clock().timestamp()) - 30
    response = terminal.send(
        "POST", "/v1/workers/lookup", {"cin": "BE123456"}, offline=True, created=created
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("validation_failed", "Qurb-Offline")
    assert "BE123456" not in response.text
    online = terminal.send("POST", "/v1/workers/lookup", {"cin": "BE123456"})
    assert online.status_code == 200, online.text
