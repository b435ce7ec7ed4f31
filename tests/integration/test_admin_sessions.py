"""Back-office sign-in: tokens, sign-out, lockout, and who may sign in here at all."""

from __future__ import annotations

import jwt
import pytest

from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World


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


def test_counter_staff_cannot_sign_in_to_the_back_office(world: World) -> None:
    response = world.client.post(
        "/v1/admin/sessions", json={"username": "op.ca-01", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "wrong_sign_in_path"


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
