"""The compact signed form of a hub-signed document, small enough for a QR on a 58 mm roll.

Built as the EU Digital COVID Certificate is, verified offline hundreds of millions of
times: the claims as CBOR (RFC 8949, with the small integer keys of ``compact_claims``),
signed as a COSE_Sign1 (RFC 9052 §4.2), zlib-compressed (RFC 1950), Base45-encoded
(RFC 9285) so that a QR code holds it in alphanumeric mode, behind the versioned prefix
``QC1:``. The protected header is ``{1 (alg): -8 (EdDSA), 4 (kid): <8 bytes>}``: the kid's
bytes begin the very RFC 7638 thumbprint whose base64url text is the JWS's ``kid``, so one
key of ``GET /v1/keys`` verifies both forms of a document, and they carry the same claims.

COSE_Sign1 is built here on cbor2 and cryptography rather than with pycose: signing is the
Sig_structure ``["Signature1", protected, b"", payload]`` (RFC 9052 §4.4) under Ed25519,
a few lines; pycose would bring its own key objects and ``ecdsa`` for one algorithm we use.
The tests check each message against pycose all the same.

``compact_sign(claims, signer)`` and ``compact_verify(text, keys)`` are the whole API: the
hub signs receipts, certificates and any later document (a drawer-close report, a deposit
slip) with the first; a terminal, an auditor or a test checks with the second.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any, Protocol

import base45  # type: ignore[import-untyped]
import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .compact_claims import decode_claims, encode_claims
from .encoding import b64url_decode
from .errors import EncodingError, ProtocolError
from .keys import jwk_thumbprint_okp, public_key_raw

__all__ = [
    "PREFIX",
    "CompactInvalid",
    "CompactSigner",
    "Ed25519CompactSigner",
    "compact_sign",
    "compact_verify",
    "unverified_claims",
]

PREFIX = "QC1:"
COSE_SIGN1_TAG = 18  # RFC 9052 §4.2
ALG_EDDSA = -8  # RFC 9053 §2.2
HEADER_ALG = 1
HEADER_KID = 4
# The kid is the first 8 bytes of the RFC 7638 thumbprint whose base64url text is the JWS's
# kid, as the DCC's kid is the first 8 bytes of its certificate's hash: the other 24 bytes
# would cost the collection receipt a QR version, and 8 bytes tell a hub's keys apart.
KID_BYTES = 8
# A document's QR holds a few hundred characters; a text far longer is not one of ours and
# is refused before anything is decompressed. Decompression stops at the same bound.
MAX_TEXT = 4000
MAX_PAYLOAD = 16_000


class CompactInvalid(ProtocolError):
    """A compact document that is not one, or whose signature does not hold. ``code``:
    ``compact_malformed`` (not a QC1 text, or broken inside), ``compact_unknown_key`` (its
    kid is not among the keys given) or ``compact_bad_signature``."""

    code = "compact_malformed"


class CompactSigner(Protocol):
    """What signs a compact document: the key's JWS ``kid`` and a raw Ed25519 signature."""

    @property
    def kid(self) -> str: ...

    def sign_bytes(self, data: bytes) -> bytes: ...


class Ed25519CompactSigner:
    """A :class:`CompactSigner` over a private key, its kid the RFC 7638 thumbprint."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self._kid = jwk_thumbprint_okp(public_key_raw(private_key))

    @property
    def kid(self) -> str:
        return self._kid

    def sign_bytes(self, data: bytes) -> bytes:
        return self._key.sign(data)


def _to_be_signed(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload], canonical=True)


def compact_sign(claims: Mapping[str, Any], signer: CompactSigner) -> str:
    """``QC1:`` + Base45(zlib(COSE_Sign1(CBOR(claims)))), signed by ``signer``.

    Deterministic: Ed25519 signatures and canonical CBOR are, so the same claims under the
    same key give the same text, which lets a stored receipt's compact form be made again."""
    protected = cbor2.dumps(
        {HEADER_ALG: ALG_EDDSA, HEADER_KID: b64url_decode(signer.kid)[:KID_BYTES]},
        canonical=True,
    )
    payload = cbor2.dumps(encode_claims(claims), canonical=True)
    signature = signer.sign_bytes(_to_be_signed(protected, payload))
    message = cbor2.dumps(
        cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]), canonical=True
    )
    packed = zlib.compress(message, 9)
    # The signature and the kid are random bytes: below ~200 bytes deflate rarely wins, and
    # its 6 bytes of framing cost a QR version. Sent as is then; the first byte tells which
    # (a zlib stream starts 0x78, a COSE_Sign1 tag 0xD2), as DCC verifiers read both.
    return PREFIX + str(base45.b45encode(min(packed, message, key=len)).decode("ascii"))


def _inflated(packed: bytes) -> bytes:
    inflater = zlib.decompressobj()
    message = inflater.decompress(packed, MAX_PAYLOAD)
    if inflater.unconsumed_tail or not inflater.eof:
        raise CompactInvalid("the compact document is truncated or too large")
    return message


def _open(text: str) -> tuple[bytes, bytes, bytes, bytes]:
    """The kid, the Sig_structure's two parts and the signature of a compact text."""
    text = text.strip()
    if len(text) > MAX_TEXT or not text.startswith(PREFIX):
        raise CompactInvalid("not a compact Qurb document (QC1:)")
    try:
        packed = base45.b45decode(text[len(PREFIX) :])
        message = _inflated(packed) if packed[:1] == b"\x78" else packed
        tagged = cbor2.loads(message)
    except (ValueError, zlib.error, cbor2.CBORDecodeError):
        raise CompactInvalid("the compact document is damaged") from None
    if not isinstance(tagged, cbor2.CBORTag) or tagged.tag != COSE_SIGN1_TAG:
        raise CompactInvalid("not a COSE_Sign1 message")
    parts = tagged.value
    if not (isinstance(parts, list | tuple) and len(parts) == 4):
        raise CompactInvalid("not a COSE_Sign1 message")
    protected, _unprotected, payload, signature = parts
    if not all(isinstance(p, bytes) for p in (protected, payload, signature)):
        raise CompactInvalid("not a COSE_Sign1 message")
    try:
        header = cbor2.loads(protected)
    except (ValueError, cbor2.CBORDecodeError):
        raise CompactInvalid("the protected header is damaged") from None
    if not isinstance(header, Mapping):
        raise CompactInvalid("the protected header is damaged")
    kid = header.get(HEADER_KID)
    if header.get(HEADER_ALG) != ALG_EDDSA or not isinstance(kid, bytes):
        raise CompactInvalid("the protected header is not EdDSA with a kid")
    return kid, protected, payload, signature


def _claims(payload: bytes) -> dict[str, Any]:
    try:
        encoded = cbor2.loads(payload)
        if not isinstance(encoded, Mapping):
            raise ValueError
        return decode_claims(encoded)
    except (ValueError, TypeError, OverflowError, cbor2.CBORDecodeError):
        raise CompactInvalid("the claims are damaged") from None


def compact_verify(text: str, keys: Mapping[str, Ed25519PublicKey]) -> dict[str, Any]:
    """The claims of ``text`` once its signature holds under the key its kid names
    (``keys``: JWS kid → public key, as ``GET /v1/keys`` publishes them); else CompactInvalid."""
    kid, protected, payload, signature = _open(text)
    key = next((k for name, k in keys.items() if _kid_bytes(name) == kid), None)
    if key is None:
        raise CompactInvalid("signed by a key that is not published", code="compact_unknown_key")
    try:
        key.verify(signature, _to_be_signed(protected, payload))
    except InvalidSignature:
        raise CompactInvalid("the signature does not hold", code="compact_bad_signature") from None
    return _claims(payload)


def _kid_bytes(kid: str) -> bytes | None:
    try:
        return b64url_decode(kid)[:KID_BYTES]
    except EncodingError:
        return None


def unverified_claims(text: str) -> tuple[bytes, dict[str, Any]]:
    """The kid's bytes and the claims of ``text`` WITHOUT checking the signature: for printing
    a document already verified, or for showing what a forged one pretends."""
    kid, _protected, payload, _signature = _open(text)
    return kid, _claims(payload)
