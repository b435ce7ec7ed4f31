"""Reading and verifying a receipt offline.

A receipt is a compact JWS (RFC 7515) signed with EdDSA (RFC 8037) by the CNSS receipt key.
Anyone holding the published key set (``GET /v1/keys``, cached at activation) can check it
without calling the server; only a JWS typed as a receipt counts (the key set also holds
the session-token key).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# The one name needed from cryptography: the verification itself goes through the protocol
# package's key helpers, which depend on it already.
from cryptography.exceptions import InvalidSignature

from agent_api.protocol.encoding import b64url_decode
from agent_api.protocol.errors import EncodingError, KeyFormatError
from agent_api.protocol.keys import public_key_from_raw, public_raw_from_b64url

RECEIPT_TYPE = "qurb-receipt+jwt"
_ED25519_SIGNATURE_SIZE = 64


class ReceiptInvalid(Exception):
    """The receipt does not verify; ``reason`` says why, in English, for logs and support."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- reading and verifying ------------------------------------------------------------------


def _parts(jws: str) -> tuple[str, str, str]:
    parts = jws.strip().split(".")
    if len(parts) != 3:
        raise ReceiptInvalid("not a compact JWS: it needs three dot-separated parts")
    return parts[0], parts[1], parts[2]


def _json_object(part: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode(part))
    except (EncodingError, ValueError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ReceiptInvalid(f"the {what} is not base64url-encoded JSON") from None
    if not isinstance(value, dict):
        raise ReceiptInvalid(f"the {what} is not a JSON object")
    return value


def decode_unverified(jws: str) -> dict[str, Any]:
    """The receipt's claims, without checking the signature: for display only."""
    return _json_object(_parts(jws)[1], "payload")


def _public_key(jwks: Mapping[str, Any], kid: str) -> bytes:
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        raise ReceiptInvalid("the cached key set has no 'keys' list")
    jwk = next((k for k in keys if isinstance(k, Mapping) and k.get("kid") == kid), None)
    if jwk is None:
        raise ReceiptInvalid(f"key {kid!r} is not in the published key set")
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ReceiptInvalid(f"key {kid!r} is not an Ed25519 key")
    if jwk.get("use", "sig") != "sig" or jwk.get("alg", "EdDSA") != "EdDSA":
        raise ReceiptInvalid(f"key {kid!r} is not published for EdDSA signatures")
    try:
        return public_raw_from_b64url(str(jwk.get("x", "")))
    except KeyFormatError:
        raise ReceiptInvalid(f"key {kid!r} has a malformed 'x'") from None


def verify_receipt(jws: str, jwks: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``jws`` against the cached JWKS and return its claims, or raise ReceiptInvalid.

    The algorithm is pinned to EdDSA (so ``alg: none`` and HMAC tricks fail, RFC 8725 §3.1)
    and the type to ``qurb-receipt+jwt``: the JWKS also holds the session-token key, and a
    session token must never pass for a receipt (RFC 8725 §3.11).
    """
    header_part, payload_part, signature_part = _parts(jws)
    header = _json_object(header_part, "header")
    if header.get("alg") != "EdDSA":
        raise ReceiptInvalid(f"algorithm {header.get('alg')!r} is refused; receipts use EdDSA")
    if header.get("typ") != RECEIPT_TYPE:
        raise ReceiptInvalid(f"type {header.get('typ')!r} is not a receipt")
    if "crit" in header:
        raise ReceiptInvalid("the header has critical extensions this terminal does not know")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise ReceiptInvalid("the header names no key (kid)")
    public_raw = _public_key(jwks, kid)
    claims = _json_object(payload_part, "payload")
    try:
        signature = b64url_decode(signature_part)
    except EncodingError:
        raise ReceiptInvalid("the signature is not base64url") from None
    if len(signature) != _ED25519_SIGNATURE_SIZE:
        raise ReceiptInvalid("an Ed25519 signature is 64 bytes")
    try:
        signed = f"{header_part}.{payload_part}".encode("ascii")
        public_key_from_raw(public_raw).verify(signature, signed)
    except InvalidSignature:
        raise ReceiptInvalid("the signature does not match: the receipt was altered") from None
    return claims


# -- the text ticket ---------------------------------------------------------------------------
