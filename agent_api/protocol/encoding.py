"""Base64 and base64url codecs with strict decoding.

Identifiers derived from keys (``keyid``, JWK ``x``, thumbprints) use base64url without
padding (RFC 4648 §5, as RFC 7515 §2 uses it); signed notes, checkpoints and structured-field
byte sequences use standard base64 with padding (RFC 4648 §4). Decoding is strict and
canonical: one value has exactly one accepted spelling, so two parties can never disagree
about whether two identifiers are equal.
"""

from __future__ import annotations

import base64
import binascii
import re

from .errors import EncodingError

__all__ = ["b64_decode", "b64_encode", "b64url_decode", "b64url_encode"]

_B64URL_CHARS = re.compile(r"[A-Za-z0-9_-]*")
_B64_CHARS = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def b64url_encode(data: bytes) -> str:
    """Encode ``data`` as base64url without ``=`` padding (RFC 4648 §5, RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url, refusing padding, foreign characters and non-canonical input.

    Non-canonical input (non-zero bits in the unused tail of the last character) is refused
    because it would let two different strings name the same bytes (RFC 4648 §3.5).
    """
    if not _B64URL_CHARS.fullmatch(text):
        raise EncodingError("base64url text has padding or characters outside the alphabet")
    # A length of 1 mod 4 cannot be produced by any byte string (RFC 4648 §4 groups).
    if len(text) % 4 == 1:
        raise EncodingError("base64url text has an impossible length")
    padded = text + "=" * (-len(text) % 4)
    try:
        data = base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EncodingError("base64url text does not decode") from exc
    if b64url_encode(data) != text:
        raise EncodingError("base64url text is not in canonical form")
    return data


def b64_encode(data: bytes) -> str:
    """Encode ``data`` as standard base64 with padding (RFC 4648 §4)."""
    return base64.b64encode(data).decode("ascii")


def b64_decode(text: str) -> bytes:
    """Decode padded standard base64 strictly: alphabet, padding and canonical form enforced."""
    if len(text) % 4 != 0 or not _B64_CHARS.fullmatch(text):
        raise EncodingError("base64 text is not padded standard base64")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EncodingError("base64 text does not decode") from exc
    if b64_encode(data) != text:
        raise EncodingError("base64 text is not in canonical form")
    return data
