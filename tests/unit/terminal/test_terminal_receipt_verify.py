"""Receipts verify offline against the cached key set, and anything else is refused."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent_api.protocol.encoding import b64url_encode
from agent_api.protocol.keys import (
    generate_private_key,
    jwk_thumbprint_okp,
    public_jwk,
    public_key_raw,
)
from terminal_client.receipts import ReceiptInvalid, decode_unverified, verify_receipt

CLAIMS: dict[str, Any] = {
    "receipt_number": "R-CAS-00000042",
    "kind": "collection",
    "registration_number": "123456789",
    "amount_centimes": 21800,
    "months": [{"month": "2026-10", "kind": "due", "amount_centimes": 21800}],
    "network": "CAS",
    "office": "CAS-01",
    "terminal": 7,
    "operator": "amina.b",
    "signed_at": "2026-11-22T13:05:11+00:00",
    "recorded_at": "2026-11-22T13:05:12+00:00",
    "business_date": "2026-11-22",
    "log_index": None,
}


def _kid(key: Ed25519PrivateKey) -> str:
    return jwk_thumbprint_okp(public_key_raw(key))


def _part(value: dict[str, Any]) -> str:
    return b64url_encode(json.dumps(value, separators=(",", ":")).encode())


def sign(claims: dict[str, Any], key: Ed25519PrivateKey, **header: Any) -> str:
    """A compact JWS made by hand (RFC 7515 §7.1), independent of the code under test."""
    full = {"alg": "EdDSA", "kid": _kid(key), "typ": "qurb-receipt+jwt", **header}
    signing_input = f"{_part(full)}.{_part(claims)}"
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"


@pytest.fixture
def receipt_key() -> Ed25519PrivateKey:
    return generate_private_key()


@pytest.fixture
def jwks(receipt_key: Ed25519PrivateKey) -> dict[str, Any]:
    token_key = generate_private_key()  # the server publishes its session-token key too
    return {
        "keys": [
            public_jwk(public_key_raw(token_key), _kid(token_key)),
            public_jwk(public_key_raw(receipt_key), _kid(receipt_key)),
        ]
    }


def test_a_receipt_signed_with_a_published_key_verifies_offline(
    receipt_key: Ed25519PrivateKey, jwks: dict[str, Any]
) -> None:
    assert verify_receipt(sign(CLAIMS, receipt_key), jwks) == CLAIMS


def test_a_receipt_signed_like_the_server_does_verifies(
    receipt_key: Ed25519PrivateKey, jwks: dict[str, Any]
) -> None:
    # agent_api.services.writes.receipts signs with PyJWT; the terminal must accept exactly that.
    jws = jwt.encode(
        CLAIMS,
        receipt_key,
        algorithm="EdDSA",
        headers={"kid": _kid(receipt_key), "typ": "qurb-receipt+jwt"},
    )
    assert verify_receipt(jws, jwks)["amount_centimes"] == 21800


def test_a_receipt_with_a_changed_amount_is_refused(
    receipt_key: Ed25519PrivateKey, jwks: dict[str, Any]
) -> None:
    header, _, signature = sign(CLAIMS, receipt_key).split(".")
    forged = f"{header}.{_part({**CLAIMS, 'amount_centimes': 2180000})}.{signature}"
    with pytest.raises(ReceiptInvalid, match="signature does not match"):
        verify_receipt(forged, jwks)


def test_a_receipt_from_a_key_not_in_the_published_set_is_refused(
    jwks: dict[str, Any],
) -> None:
    with pytest.raises(ReceiptInvalid, match="not in the published key set"):
        verify_receipt(sign(CLAIMS, generate_private_key()), jwks)


def test_a_receipt_claiming_a_published_kid_but_signed_by_another_key_is_refused(
    receipt_key: Ed25519PrivateKey, jwks: dict[str, Any]
) -> None:
    impostor = sign(CLAIMS, generate_private_key(), kid=_kid(receipt_key))
    with pytest.raises(ReceiptInvalid, match="signature does not match"):
        verify_receipt(impostor, jwks)


def test_an_unsigned_receipt_with_alg_none_is_refused(
    receipt_key: Ed25519PrivateKey, jwks: dict[str, Any]
) -> None:
    header = {"alg": "none", "kid": _kid(receipt_key), "typ": "qurb-receipt+jwt"}
    with pytest.raises(ReceiptInvalid, match="algorithm 'none' is refused"):
        verify_receipt(f"{_part(header)}.{_part(CLAIMS)}.", jwks)


def test_a_session_token_signed_with_a_published_key_is_not_a_receipt(
    jwks: dict[str, Any], receipt_key: Ed25519PrivateKey
) -> None:
    token = jwt.encode(CLAIMS, receipt_key, algorithm="EdDSA", headers={"kid": _kid(receipt_key)})
    with pytest.raises(ReceiptInvalid, match="'JWT' is not a receipt"):
        verify_receipt(token, jwks)


def test_a_receipt_with_critical_extensions_is_refused(
    receipt_key: Ed25519PrivateKey, jwks: dict[str, Any]
) -> None:
    with pytest.raises(ReceiptInvalid, match="critical"):
        verify_receipt(sign(CLAIMS, receipt_key, crit=["exp"]), jwks)


def test_a_key_published_for_another_curve_is_refused(receipt_key: Ed25519PrivateKey) -> None:
    jwk = {**public_jwk(public_key_raw(receipt_key), _kid(receipt_key)), "crv": "X25519"}
    with pytest.raises(ReceiptInvalid, match="not an Ed25519 key"):
        verify_receipt(sign(CLAIMS, receipt_key), {"keys": [jwk]})


def test_an_empty_key_cache_refuses_every_receipt(receipt_key: Ed25519PrivateKey) -> None:
    with pytest.raises(ReceiptInvalid, match="no 'keys' list"):
        verify_receipt(sign(CLAIMS, receipt_key), {})


@pytest.mark.parametrize(
    "text",
    ["", "abc", "a.b", "a.b.c.d", "!!.!!.!!", "e30.e30.AAAA", f"{_part({'alg': 'EdDSA'})}.W10.x"],
)
def test_text_that_is_not_a_receipt_is_refused_cleanly(text: str, jwks: dict[str, Any]) -> None:
    with pytest.raises(ReceiptInvalid):
        verify_receipt(text, jwks)


def test_a_receipts_claims_can_be_read_without_the_key(receipt_key: Ed25519PrivateKey) -> None:
    assert decode_unverified(sign(CLAIMS, receipt_key)) == CLAIMS


def test_reading_a_non_receipt_without_the_key_is_refused_cleanly() -> None:
    with pytest.raises(ReceiptInvalid, match="base64url-encoded JSON"):
        decode_unverified("a.b!.c")
