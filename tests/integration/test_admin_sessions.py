"""Back-office sign-in: tokens, sign-out, lockout, and who may sign in here at all."""

from __future__ import annotations

import threading
from collections.abc import Callable

import jwt
import pytest

from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World
from tests.support.terminal import TestTerminal


def test_sign_in_returns_a_short_lived_eddsa_token_with_the_required_claims(world: World) -> None:
    response = world.client.post(
        "/v1/admin/sessions", json={"username": "admin.cashplus", "password": PASSWORD}
    )
    assert response.status_code == 201
    body = response.json()
    header = jwt.get_unverified_header(body["token"])
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert header["alg"] == "EdDSA"
    assert header["kid"]
    assert claims["aud"] == "qurb-admin"
    assert claims["sub"] == "admin.cashplus"
    assert claims["role"] == "network_admin"
    assert claims["network"] == "CASHPLUS"
    assert claims["exp"] - claims["iat"] == world.services.settings.admin_token_ttl_seconds
    assert set(claims) >= {"iss", "jti"}


def test_wrong_password_and_unknown_user_get_the_same_answer(world: World) -> None:
    wrong = world.client.post(
        "/v1/admin/sessions", json={"username": "cnss.admin", "password": "not the password"}
    )
    unknown = world.client.post(
        "/v1/admin/sessions", json={"username": "nobody.here", "password": "not the password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert "not the password" not in wrong.text


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    world: World, clock: FakeClock
) -> None:
    for _ in range(world.services.settings.max_failed_logins):
        world.client.post(
            "/v1/admin/sessions", json={"username": "cnss.finance", "password": "wrong password"}
        )
    locked = world.client.post(
        "/v1/admin/sessions", json={"username": "cnss.finance", "password": PASSWORD}
    )
    assert locked.status_code == 423
    assert locked.json()["error"]["code"] == "account_locked"
    clock.advance(seconds=world.services.settings.lockout_seconds + 1)
    assert (
        world.client.post(
            "/v1/admin/sessions", json={"username": "cnss.finance", "password": PASSWORD}
        ).status_code
        == 201
    )


def test_admin_can_unlock_a_locked_account(world: World) -> None:
    for _ in range(world.services.settings.max_failed_logins):
        world.client.post(
            "/v1/admin/sessions", json={"username": "admin.wafacash", "password": "wrong password"}
        )
    read = world.client.get("/v1/admin/users/admin.wafacash", headers=world.auth("cnss.admin"))
    assert read.json()["locked"] is True
    world.client.post("/v1/admin/users/admin.wafacash/unlock", headers=world.auth("cnss.admin"))
    assert (
        world.client.post(
            "/v1/admin/sessions", json={"username": "admin.wafacash", "password": PASSWORD}
        ).status_code
        == 201
    )


def test_counter_staff_cannot_sign_in_to_the_back_office_and_their_password_is_not_told(
    world: World,
) -> None:
    right = world.client.post(
        "/v1/admin/sessions", json={"username": "op.ca-01", "password": PASSWORD}
    )
    wrong = world.client.post(
        "/v1/admin/sessions", json={"username": "op.ca-01", "password": "not the password"}
    )
    assert right.status_code == wrong.status_code == 401
    assert right.json() == wrong.json()
    assert right.json()["error"]["code"] == "invalid_credentials"
    assert "terminal" in right.json()["error"]["message"]


def test_wrong_passwords_on_the_back_office_path_never_lock_a_counter_operator(
    world: World, terminal: TestTerminal
) -> None:
    for _ in range(world.services.settings.max_failed_logins * 2):
        refused = world.client.post(
            "/v1/admin/sessions", json={"username": "op.ca-01", "password": "guess"}
        )
        assert refused.status_code == 401
    at_the_counter = terminal.login("op.ca-01", PASSWORD)
    assert at_the_counter.status_code == 201, at_the_counter.text
    read = world.client.get("/v1/admin/users/op.ca-01", headers=world.auth("cnss.admin"))
    assert read.json()["locked"] is False


@pytest.mark.parametrize("username", ["cnss.finance", "nobody.here"])
def test_a_username_tried_too_often_is_refused_without_hashing_whether_or_not_it_exists(
    world: World, username: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = world.services.settings
    # Above the lockout for an existing account (423 comes first), below the source's limit.
    limit = settings.sign_in_per_username
    for source in range(limit):
        world.client.post(
            "/v1/admin/sessions",
            json={"username": username, "password": f"guess {source}"},
        )
    hashed: list[str] = []
    verify = world.services.hasher.verify

    def spy(password_hash: str | None, password: str) -> bool:
        hashed.append(password)
        return verify(password_hash, password)

    monkeypatch.setattr(world.services.hasher, "verify", spy)
    throttled = world.client.post(
        "/v1/admin/sessions", json={"username": username, "password": PASSWORD}
    )
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "rate_limited"
    assert 0 < int(throttled.headers["Retry-After"]) <= settings.sign_in_window_seconds
    assert hashed == []


def test_a_source_trying_many_usernames_is_refused_and_the_window_lets_it_in_again(
    world: World, clock: FakeClock, record_property: Callable[[str, object], None]
) -> None:
    settings = world.services.settings
    answers: dict[int, int] = {}
    for n in range(settings.sign_in_per_source + 5):
        status = world.client.post(
            "/v1/admin/sessions", json={"username": f"user.{n}", "password": "guess"}
        ).status_code
        answers[status] = answers.get(status, 0) + 1
    record_property("sign_in_flood_answers", answers)
    assert answers == {401: settings.sign_in_per_source, 429: 5}
    clock.advance(seconds=settings.sign_in_window_seconds)
    assert (
        world.client.post(
            "/v1/admin/sessions", json={"username": "cnss.admin", "password": PASSWORD}
        ).status_code
        == 201
    )


def test_successful_sign_ins_do_not_use_up_the_sources_attempts(world: World) -> None:
    for _ in range(world.services.settings.sign_in_per_source + 5):
        world.sign_in("cnss.auditor")


def test_passwords_are_hashed_on_threads_of_their_own_not_the_request_threads(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    verify = world.services.hasher.verify

    def spy(password_hash: str | None, password: str) -> bool:
        threads.append(threading.current_thread().name)
        return verify(password_hash, password)

    monkeypatch.setattr(world.services.hasher, "verify", spy)
    world.sign_in("cnss.admin")
    world.client.post("/v1/admin/sessions", json={"username": "nobody", "password": "guess"})
    assert len(threads) == 2
    assert all(name.startswith("password") for name in threads), threads


def test_signed_out_token_is_refused_on_the_next_request(world: World) -> None:
    headers = world.auth("cnss.auditor")
    assert world.client.delete("/v1/admin/sessions/current", headers=headers).status_code == 204
    after = world.client.get("/v1/admin/networks", headers=headers)
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "token_expired"


def test_suspending_a_user_ends_their_session_at_once(world: World) -> None:
    victim = world.auth("admin.wafacash")
    world.client.post("/v1/admin/users/admin.wafacash/suspend", headers=world.auth("cnss.admin"))
    assert world.client.get("/v1/admin/networks", headers=victim).status_code == 401


def test_changed_password_ends_old_sessions_and_the_new_one_works(world: World) -> None:
    old = world.auth("admin.wafacash")
    world.client.put(
        "/v1/admin/users/admin.wafacash/password",
        headers=world.auth("cnss.admin"),
        json={"password": "a brand new password"},
    )
    assert world.client.get("/v1/admin/networks", headers=old).status_code == 401
    world.sign_in("admin.wafacash", "a brand new password")


def test_expired_token_is_refused(world: World, clock: FakeClock) -> None:
    headers = world.auth("cnss.admin")
    clock.advance(seconds=world.services.settings.admin_token_ttl_seconds + 1)
    response = world.client.get("/v1/admin/networks", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(
            lambda t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"), id="bad-sig"
        ),
        pytest.param(lambda t: "x" + t, id="garbage"),
        pytest.param(lambda t: "", id="empty"),
    ],
)
def test_tampered_tokens_are_refused(world: World, mangle: object) -> None:
    assert callable(mangle)
    token = mangle(world.sign_in("cnss.admin"))
    response = world.client.get("/v1/admin/networks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_alg_none_and_hmac_confusion_tokens_are_refused(world: World) -> None:
    token = world.sign_in("cnss.admin")
    claims = jwt.decode(token, options={"verify_signature": False})
    kid = jwt.get_unverified_header(token)["kid"]
    unsigned = jwt.encode(claims, key="", algorithm="none", headers={"kid": kid})
    # HS256 keyed with the public key bytes: the classic algorithm-confusion forgery.
    public = world.services.signer.public_raw
    hmac_forged = jwt.encode(claims, key=public, algorithm="HS256", headers={"kid": kid})
    for forged in (unsigned, hmac_forged):
        response = world.client.get(
            "/v1/admin/networks", headers={"Authorization": f"Bearer {forged}"}
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "token_invalid"


def test_request_without_token_is_refused(world: World) -> None:
    response = world.client.get("/v1/admin/networks")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_missing"
