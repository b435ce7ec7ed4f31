"""Operators sign in on a terminal; the token works only on that terminal, only until it ends."""

from __future__ import annotations

import jwt
from sqlmodel import Session, select

from agent_api.persistence.tables import UserSession
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World, activated
from tests.support.terminal import TestTerminal


def test_sign_in_gives_an_eddsa_token_bound_to_the_terminal_key(
    world: World, terminal: TestTerminal
) -> None:
    assert terminal.token is not None
    claims = jwt.decode(terminal.token, options={"verify_signature": False})
    header = jwt.get_unverified_header(terminal.token)
    assert header["alg"] == "EdDSA"
    assert claims["cnf"] == {"jkt": terminal.keyid}
    assert claims["aud"] == "qurb-terminal"
    assert claims["sub"] == "op.ca-01"
    assert claims["role"] == "operator"
    assert claims["office"] == "CA-01"
    assert claims["exp"] - claims["iat"] <= 12 * 3600
    assert {"iss", "jti"} <= set(claims)


def test_the_token_verifies_with_the_published_jwks(world: World, terminal: TestTerminal) -> None:
    jwks = world.client.get("/v1/keys").json()
    assert terminal.token is not None
    kid = jwt.get_unverified_header(terminal.token)["kid"]
    key = jwt.PyJWKSet.from_dict(jwks)[kid]
    claims = jwt.decode(terminal.token, key, algorithms=["EdDSA"], audience="qurb-terminal")
    assert claims["sub"] == "op.ca-01"


def test_a_token_presented_by_another_terminal_is_refused(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    thief = activated(world, clock, "CA-02")
    thief.token = terminal.token
    response = thief.send("DELETE", "/v1/sessions/current")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_wrong_terminal"


def test_an_admin_token_is_useless_on_a_terminal(world: World, terminal: TestTerminal) -> None:
    terminal.token = world.sign_in("cnss.admin")
    response = terminal.send("DELETE", "/v1/sessions/current")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


def test_an_operator_of_another_office_cannot_sign_in_here(
    world: World, terminal: TestTerminal
) -> None:
    for username in ("op.ca-02", "sup.wa-01"):
        response = terminal.login(username, PASSWORD)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "wrong_office"


def test_back_office_users_cannot_sign_in_on_a_terminal(
    world: World, terminal: TestTerminal
) -> None:
    response = terminal.login("admin.cashplus", PASSWORD)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "wrong_sign_in_path"


def test_supervisor_signs_in_with_the_supervisor_role(world: World, terminal: TestTerminal) -> None:
    response = terminal.login("sup.ca-01", PASSWORD)
    assert response.status_code == 201
    assert response.json()["role"] == "supervisor"


def test_sign_out_ends_the_token_at_once(world: World, terminal: TestTerminal) -> None:
    assert terminal.send("DELETE", "/v1/sessions/current").status_code == 204
    after = terminal.send("DELETE", "/v1/sessions/current")
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "token_expired"


def test_an_expired_operator_token_is_refused(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    clock.advance(seconds=world.services.settings.operator_token_ttl_seconds + 1)
    response = terminal.send("DELETE", "/v1/sessions/current")
    assert response.json()["error"]["code"] == "token_expired"


def test_a_terminal_trying_passwords_is_throttled(world: World, terminal: TestTerminal) -> None:
    limit = world.services.settings.terminal_login_failures
    usernames = ["op.ca-01", "sup.ca-01"]
    for attempt in range(limit):
        terminal.login(usernames[attempt % 2], f"wrong password {attempt}")
    throttled = terminal.login("op.ca-01", PASSWORD)
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "rate_limited"


def test_the_operator_account_locks_after_repeated_failures(
    world: World, terminal: TestTerminal
) -> None:
    for attempt in range(world.services.settings.max_failed_logins):
        terminal.login("op.ca-01", f"wrong password {attempt}")
    locked = terminal.login("op.ca-01", PASSWORD)
    assert locked.status_code == 423
    assert locked.json()["error"]["code"] == "account_locked"


def test_a_retried_sign_in_returns_the_same_session(world: World, terminal: TestTerminal) -> None:
    first = terminal.login("sup.ca-01", PASSWORD)
    terminal.sequence -= 1
    retry = terminal.login("sup.ca-01", PASSWORD)
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["token"] == first.json()["token"]
    with Session(world.services.engine) as session:
        sessions = session.exec(select(UserSession).where(UserSession.audience == "qurb-terminal"))
        assert len(sessions.all()) == 2  # the fixture's operator and this one supervisor
