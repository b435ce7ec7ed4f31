"""``Content-Digest`` (RFC 9530) with the sha-256 algorithm.

The request signature covers the ``Content-Digest`` header rather than the body itself
(RFC 9421 §7.2.8 recommends exactly this), so the body is bound to the signature by
recomputing its digest and comparing it with the covered header.
"""

from __future__ import annotations

import hashlib
import hmac

from .encoding import b64_encode
from .errors import DigestMismatchError, DigestMissingError
from .structured import Item, RepeatedKeyError, StructuredFieldError, parse_dictionary

__all__ = ["SHA256_KEY", "content_digest", "parse_content_digest", "verify_content_digest"]

# The key registered for SHA-256 in the IANA "Hash Algorithms for HTTP Digest Fields"
# registry that RFC 9530 establishes.
SHA256_KEY = "sha-256"
# A sha-512 member is 98 characters; a field past this bound is refused before it is parsed
# (RFC 8941 parsing time grows faster than the field, and nothing is authenticated yet).
MAX_FIELD_LENGTH = 1024


def content_digest(body: bytes) -> str:
    """The ``Content-Digest`` value for ``body``: ``sha-256=:<base64>:`` (RFC 9530 §2)."""
    return f"{SHA256_KEY}=:{b64_encode(hashlib.sha256(body).digest())}:"


def parse_content_digest(header_value: str) -> dict[str, bytes]:
    """Parse a ``Content-Digest`` Dictionary into algorithm -> digest bytes.

    RFC 9530 §2: every member value is a Byte Sequence keyed by algorithm. Parameters carry
    no meaning here and are ignored; a member of another type makes the field invalid.

    An algorithm named twice is refused, where RFC 8941 would keep the last: the audit log
    keeps the header as sent, and a field holding two sha-256 digests, one checked against
    the body and one not, would leave an auditor to guess which one the server trusted.
    """
    if len(header_value) > MAX_FIELD_LENGTH:
        raise DigestMismatchError(f"Content-Digest is longer than {MAX_FIELD_LENGTH} characters")
    try:
        members = parse_dictionary(header_value, refuse_repeats=True)
    except RepeatedKeyError:
        raise DigestMismatchError("Content-Digest names the same algorithm twice") from None
    except StructuredFieldError:
        raise DigestMismatchError("Content-Digest is not a valid structured dictionary") from None
    digests: dict[str, bytes] = {}
    for key, member in members.items():
        value = member.value
        if not isinstance(value, Item) or not isinstance(value.value, bytes):
            raise DigestMismatchError("Content-Digest members must be byte sequences")
        digests[key] = value.value
    return digests


def verify_content_digest(header_value: str | None, body: bytes) -> None:
    """Check that ``header_value`` carries a sha-256 digest equal to SHA-256(``body``).

    Raises :class:`DigestMissingError` when there is no header or no sha-256 member (other
    algorithms are not trusted for integrity here), :class:`DigestMismatchError` when the header
    is malformed or the digest differs. The comparison runs in constant time.
    """
    if header_value is None:
        raise DigestMissingError("Content-Digest header is required")
    digests = parse_content_digest(header_value)
    received = digests.get(SHA256_KEY)
    if received is None:
        raise DigestMissingError("Content-Digest has no sha-256 member")
    expected = hashlib.sha256(body).digest()
    if not hmac.compare_digest(received, expected):
        raise DigestMismatchError("Content-Digest sha-256 does not match the body")
