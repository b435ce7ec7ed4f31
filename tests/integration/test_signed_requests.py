"""Every terminal request is signed (RFC 9421): each way a signature can be wrong is refused
with its own stable code, and none of them reveals a secret."""

from __future__ import annotations

import json
import secrets

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent_api.protocol.digest import content_digest
from agent_api.protocol.signatures import (
    QURB_REQUIRED_COMPONENTS,
    Headers,
    SignedRequest,
    sign_request,
)
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World
from tests.support.terminal import TestTerminal

SIGN_IN = {"username": "op.ca-01", "password": PASSWORD, "salt": secrets.token_urlsafe(16)}


def _error(response: object) -> str:
    code: str = response.json()["error"]["code"]  # type: ignore[attr-defined]
    return code


def test_unsigned_request_is_refused(world: World, terminal: TestTerminal) -> None:
    response = world.client.post("/v1/sessions", json=SIGN_IN, headers={"Idempotency-Key": "9"})
    assert response.status_code == 401
    assert _error(response) == "signature_missing"


def test_a_body_changed_after_signing_fails_the_digest(
    world: World, terminal: TestTerminal
) -> None:
    raw = json.dumps(SIGN_IN).encode()
    headers = terminal.signed_headers("POST", "/v1/sessions", raw, sequence=50)
    tampered = raw.replace(b"op.ca-01", b"op.ca-02")
    response = world.client.post("/v1/sessions", content=tampered, headers=headers)
    assert response.status_code == 400
    assert _error(response) == "digest_mismatch"


def test_a_changed_digest_header_breaks_the_signature(world: World, terminal: TestTerminal) -> None:
    raw = json.dumps(SIGN_IN).encode()
    tampered = raw.replace(b"op.ca-01", b"op.ca-02")
    headers = terminal.signed_headers("POST", "/v1/sessions", raw, sequence=50)
    other = terminal.signed_headers("POST", "/v1/sessions", tampered, sequence=50)
    headers["Content-Digest"] = other["Content-Digest"]
    response = world.client.post("/v1/sessions", content=tampered, headers=headers)
    assert response.status_code == 401
    assert _error(response) == "signature_invalid"


@pytest.mark.parametrize("order", ["bogus first", "bogus last"])
def test_a_digest_field_naming_sha256_twice_is_refused_though_signed(
    world: World, terminal: TestTerminal, clock: FakeClock, order: str
) -> None:
    """Two sha-256 members, one of them the body's: the server used to check the last and
    the audit log kept both, leaving an auditor to guess which one was trusted."""
    raw = json.dumps(SIGN_IN).encode()
    bogus = content_digest(b"another body")
    real = content_digest(raw)
    digest = f"{bogus}, {real}" if order == "bogus first" else f"{real}, {bogus}"
    headers = {"Content-Digest": digest, "Idempotency-Key": "70"}
    request = SignedRequest("POST", "/v1/sessions", "", Headers(headers), raw)
    headers |= sign_request(
        request,
        terminal.key,
        components=[*QURB_REQUIRED_COMPONENTS, "content-digest", "idempotency-key"],
        created=int(clock().timestamp()),
        keyid=terminal.keyid,
    )
    headers["Content-Type"] = "application/json"
    response = world.client.post("/v1/sessions", content=raw, headers=headers)
    assert response.status_code == 400, response.text
    assert _error(response) == "digest_mismatch"
    assert "twice" in response.json()["error"]["message"]


def test_a_changed_sequence_number_breaks_the_signature(
    world: World, terminal: TestTerminal
) -> None:
    raw = json.dumps(SIGN_IN).encode()
    headers = terminal.signed_headers("POST", "/v1/sessions", raw, sequence=50)
    headers["Idempotency-Key"] = "51"
    response = world.client.post("/v1/sessions", content=raw, headers=headers)
    assert response.status_code == 401
    assert _error(response) == "signature_invalid"


def test_a_request_sent_to_another_path_fails(world: World, terminal: TestTerminal) -> None:
    headers = terminal.signed_headers(
        "DELETE", "/v1/sessions/other", b"", sequence=50, token=terminal.token
    )
    response = world.client.delete("/v1/sessions/current", headers=headers)
    assert response.status_code == 401
    assert _error(response) == "signature_invalid"


def test_signature_that_does_not_cover_a_present_header_is_refused(
    world: World, terminal: TestTerminal
) -> None:
    raw = json.dumps(SIGN_IN).encode()
    headers = terminal.signed_headers("POST", "/v1/sessions", raw)  # no Idempotency-Key signed
    headers["Idempotency-Key"] = "60"
    response = world.client.post("/v1/sessions", content=raw, headers=headers)
    assert response.status_code == 401
    assert _error(response) == "signature_coverage"


def test_write_without_idempotency_key_is_refused(world: World, terminal: TestTerminal) -> None:
    raw = json.dumps(SIGN_IN).encode()
    headers = terminal.signed_headers("POST", "/v1/sessions", raw)
    response = world.client.post("/v1/sessions", content=raw, headers=headers)
    assert response.status_code == 400
    assert _error(response) == "idempotency_key_missing"


@pytest.mark.parametrize("key", ["0", "-3", "abc", "007", "99999999999999999999"])
def test_malformed_idempotency_keys_are_refused_naming_the_header(
    world: World, terminal: TestTerminal, key: str
) -> None:
    raw = json.dumps(SIGN_IN).encode()
    headers = terminal.signed_headers("POST", "/v1/sessions", raw, sequence=key)
    response = world.client.post("/v1/sessions", content=raw, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "Idempotency-Key"


def test_stale_and_future_signatures_are_refused(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    now = int(clock().timestamp())
    window = world.services.settings.signature_window_seconds
    for created in (now - window - 1, now + window + 1):
        response = terminal.send(
            "POST", "/v1/sessions", SIGN_IN, created=created, authenticated=False
        )
        assert response.status_code == 401
        assert _error(response) == "signature_stale"


def test_offline_writes_are_accepted_within_the_longer_window_only(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    now = int(clock().timestamp())
    two_hours_ago = now - 2 * 3600
    accepted = terminal.send(
        "POST", "/v1/sessions", SIGN_IN, created=two_hours_ago, offline=True, authenticated=False
    )
    assert accepted.status_code == 201, accepted.text
    too_old = now - world.services.settings.offline_window_seconds - 1
    refused = terminal.send(
        "POST", "/v1/sessions", SIGN_IN, created=too_old, offline=True, authenticated=False
    )
    assert _error(refused) == "signature_stale"


def test_unknown_key_is_refused(world: World, clock: FakeClock) -> None:
    stranger = TestTerminal(world.client, clock, Ed25519PrivateKey.generate())
    response = stranger.send("POST", "/v1/sessions", SIGN_IN, authenticated=False)
    assert response.status_code == 401
    assert _error(response) == "unknown_key"


def test_a_signature_by_another_key_under_this_keyid_is_refused(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    impostor = TestTerminal(world.client, clock)
    raw = json.dumps(SIGN_IN).encode()
    headers = impostor.signed_headers("POST", "/v1/sessions", raw, sequence=70)
    headers["Signature-Input"] = headers["Signature-Input"].replace(impostor.keyid, terminal.keyid)
    response = world.client.post("/v1/sessions", content=raw, headers=headers)
    assert response.status_code == 401
    assert _error(response) == "signature_invalid"


def test_refusals_never_echo_secrets(world: World, terminal: TestTerminal) -> None:
    response = terminal.send(
        "POST",
        "/v1/sessions",
        {"username": "op.ca-01", "password": "Sup3r-Secret-Guess"},
        authenticated=False,
    )
    assert response.status_code == 401
    assert "Sup3r-Secret-Guess" not in response.text
    assert terminal.token is not None
    garbage = terminal.token[:-3] + "xyz"
    terminal.token = garbage
    refused = terminal.send("DELETE", "/v1/sessions/current")
    assert refused.status_code == 401
    assert garbage not in refused.text


def test_refusals_are_counted_by_code(world: World, terminal: TestTerminal) -> None:
    world.client.post("/v1/sessions", json=SIGN_IN, headers={"Idempotency-Key": "9"})
    metrics = world.client.get("/metrics").text
    assert 'qurb_refusals_total{code="signature_missing"}' in metrics
