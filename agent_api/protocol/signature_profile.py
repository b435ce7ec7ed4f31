"""The Qurb request-signing profile of RFC 9421 (docs/protocol.md §2-§5 and §10).

A terminal signs every request under the label ``qurb`` with ``created``, ``keyid`` and
``alg="ed25519"``, always covering ``"@method" "@path" "@query"``, then whichever of
``content-digest``, ``idempotency-key``, ``qurb-token-digest`` and ``qurb-offline`` it sends,
in that order; never ``authorization``, a bearer secret, whose digest it covers instead.

:func:`check_request` is the profile's one check, everything a verifier can decide without
the terminal's key: the server calls it on every signed request (agent_api/http/signing.py)
and then verifies the signature with the key it finds for ``keyid``;
:func:`verify_qurb_request` does both for a caller that can look a key up at once.
:func:`prepare_signed_headers` is the terminal's side.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .digest import content_digest, verify_content_digest
from .errors import (
    MalformedSignatureError,
    OfflineFlagError,
    SignatureCoverageError,
    SignatureInvalidError,
    SignatureStaleError,
)
from .http_signatures import (
    ALG_ED25519,
    ParsedSignature,
    parse_signature,
    sign_request,
    verify_signature,
)
from .message_components import Headers, SignedRequest

__all__ = [
    "QURB_LABEL",
    "QURB_OPTIONAL_COMPONENTS",
    "QURB_REQUIRED_COMPONENTS",
    "QURB_UNCOVERABLE_COMPONENTS",
    "WRITE_METHODS",
    "QurbSignature",
    "check_coverage",
    "check_created",
    "check_offline_flag",
    "check_request",
    "check_token_digest",
    "prepare_signed_headers",
    "token_digest",
    "verify_body_digest",
    "verify_qurb_request",
]

QURB_LABEL = "qurb"
QURB_REQUIRED_COMPONENTS: tuple[str, ...] = ("@method", "@path", "@query")
QURB_OPTIONAL_COMPONENTS: tuple[str, ...] = (
    "content-digest",
    "idempotency-key",
    "qurb-token-digest",
    "qurb-offline",
)
# Never covered: the operator token is a bearer secret, and every signed request is archived
# in the audit log. The signature covers the token's digest instead (as DPoP's ``ath``).
QURB_UNCOVERABLE_COMPONENTS: tuple[str, ...] = ("authorization",)
# The methods that change something; only they may be queued offline (docs/protocol.md §5).
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_OWS = " \t"  # RFC 9110 §5.6.3; str.strip() would also take NEL (0x85) and NBSP (0xA0)


@dataclass(frozen=True)
class QurbSignature:
    """A request's signature that passed every profile check but the cryptographic one."""

    parsed: ParsedSignature
    keyid: str
    offline: bool  # signed while offline: judged against the offline window


def check_request(
    request: SignedRequest,
    *,
    now: int,
    window_seconds: int,
    offline_window_seconds: int | None = None,
) -> QurbSignature:
    """Every profile check that needs no key, in the order of docs/protocol.md §10.

    Parse (``signature_missing``, ``malformed_signature``), ``alg="ed25519"``, a ``keyid``,
    coverage and the token's digest, the ``Qurb-Offline`` flag, freshness (the offline window
    applies only to a request flagged offline, which coverage has by then proven signed),
    and the body's digest. What remains is :func:`.http_signatures.verify_signature` with
    the key registered for ``keyid``.
    """
    parsed = parse_signature(request.headers, QURB_LABEL)
    if parsed.alg != ALG_ED25519:
        raise SignatureInvalidError('the profile requires alg="ed25519"')
    keyid = parsed.keyid
    if not keyid:
        raise MalformedSignatureError("the keyid parameter is required")
    check_coverage(parsed, request)
    check_token_digest(request)
    offline = check_offline_flag(request)
    check_created(parsed, now, window_seconds, offline_window_seconds if offline else None)
    verify_body_digest(request)
    return QurbSignature(parsed, keyid, offline)


def verify_qurb_request(
    request: SignedRequest,
    resolve_key: Callable[[str], bytes | None],
    *,
    now: int,
    window_seconds: int,
    offline_window_seconds: int | None = None,
) -> ParsedSignature:
    """:func:`check_request`, then the Ed25519 check with the key ``resolve_key`` maps the
    ``keyid`` to (raw 32 bytes, ``None`` when unknown: ``signature_invalid``)."""
    checked = check_request(
        request,
        now=now,
        window_seconds=window_seconds,
        offline_window_seconds=offline_window_seconds,
    )
    public_key_raw = resolve_key(checked.keyid)
    if public_key_raw is None:
        raise SignatureInvalidError("the keyid is not known")
    verify_signature(checked.parsed, request, public_key_raw)
    return checked.parsed


def check_coverage(
    parsed: ParsedSignature,
    request: SignedRequest,
    required_always: Sequence[str] = QURB_REQUIRED_COMPONENTS,
    required_if_present: Sequence[str] = QURB_OPTIONAL_COMPONENTS,
) -> None:
    """Coverage policy (RFC 9421 §3.2.1): demand coverage of the components that matter.

    Raises :class:`SignatureCoverageError` naming the first missing component.
    """
    covered = set(parsed.components)
    for name in QURB_UNCOVERABLE_COMPONENTS:
        if name in covered:
            raise SignatureCoverageError(
                f"the signature must not cover {name!r}: cover 'qurb-token-digest' instead"
            )
    for name in required_always:
        if name not in covered:
            raise SignatureCoverageError(f"the signature must cover {name!r}")
    for name in required_if_present:
        if name in request.headers and name not in covered:
            raise SignatureCoverageError(f"header {name!r} is present but not covered")


def token_digest(authorization: str) -> str:
    """``Qurb-Token-Digest``: the RFC 9530 ``sha-256`` form of the ``Authorization`` value's
    SHA-256, what a signature covers in place of the token."""
    digest = base64.b64encode(hashlib.sha256(authorization.strip().encode()).digest()).decode()
    return f"sha-256=:{digest}:"


def check_token_digest(request: SignedRequest) -> None:
    """A request carrying a token must carry (and, by :func:`check_coverage`, sign) the
    digest of exactly that token."""
    authorization = request.headers.get("authorization")
    if authorization is None:
        return
    stated = request.headers.get("qurb-token-digest")
    if stated is None:
        raise SignatureCoverageError(
            "a request with an authorization token must send and sign Qurb-Token-Digest"
        )
    # Compared as bytes: hmac.compare_digest refuses str holding non-ASCII with a TypeError,
    # and a header decoded from the wire may hold any Latin-1 character.
    if not hmac.compare_digest(stated.strip(_OWS).encode(), token_digest(authorization).encode()):
        raise SignatureInvalidError("Qurb-Token-Digest is not the digest of the token sent")


def check_offline_flag(request: SignedRequest) -> bool:
    """Whether the request is a write queued offline: ``Qurb-Offline: 1``, on writes only.

    Raises :class:`OfflineFlagError` for any other value, or for the flag on a read: a read
    answers with what is true now, never with what was true when it was queued.
    """
    value = request.headers.get("qurb-offline")
    if value is None:
        return False
    if value.strip(_OWS) != "1":
        raise OfflineFlagError("must be 1 when present")
    if request.method not in WRITE_METHODS:
        raise OfflineFlagError("only writes are queued offline")
    return True


def check_created(
    parsed: ParsedSignature,
    now: int,
    window_seconds: int,
    offline_window_seconds: int | None = None,
) -> None:
    """Freshness policy on ``created`` (and ``expires``) (RFC 9421 §2.3, §7.2.2).

    Online: ``now - window <= created <= now + window``. When an offline window is passed
    (the caller has established that the request is an offline replay), the lower bound
    becomes ``now - max(window, offline_window)``; the future bound stays ``window``.
    An ``expires`` in the past is refused too.
    """
    created = parsed.created
    if created is None:
        raise SignatureStaleError("the created parameter is required")
    if created > now + window_seconds:
        raise SignatureStaleError("created is too far in the future")
    allowed_age = window_seconds
    if offline_window_seconds is not None:
        allowed_age = max(window_seconds, offline_window_seconds)
    if created < now - allowed_age:
        raise SignatureStaleError("created is older than the accepted window")
    expires = parsed.expires
    if expires is not None and expires < now:
        raise SignatureStaleError("the signature has expired")


def verify_body_digest(request: SignedRequest) -> None:
    """Bind the body to the covered ``Content-Digest`` (RFC 9530, RFC 9421 §7.2.8).

    A non-empty body needs the header; a header sent with an empty body is checked too.
    """
    header = request.headers.get("content-digest")
    if header is None and not request.body:
        return
    verify_content_digest(header, request.body)


def prepare_signed_headers(
    *,
    method: str,
    path: str,
    query: str = "",
    body: bytes = b"",
    private_key: Ed25519PrivateKey,
    keyid: str,
    created: int,
    idempotency_key: str | None = None,
    authorization: str | None = None,
    offline: str | None = None,
    label: str = QURB_LABEL,
) -> dict[str, str]:
    """All headers a Qurb terminal adds to a request, signature included.

    ``Content-Digest`` is added when ``body`` is non-empty; ``Idempotency-Key`` and
    ``Qurb-Offline`` when given (sent and signed exactly as passed); ``Authorization`` when
    given, sent as passed but never signed: ``Qurb-Token-Digest`` (its SHA-256) is signed in
    its place. The signature covers ``"@method" "@path" "@query"`` followed by whichever of
    ``content-digest``, ``idempotency-key``, ``qurb-token-digest``, ``qurb-offline`` are
    present, in that fixed order.
    """
    headers: dict[str, str] = {}
    if body:
        headers["Content-Digest"] = content_digest(body)
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    if authorization is not None:
        headers["Authorization"] = authorization
        headers["Qurb-Token-Digest"] = token_digest(authorization)
    if offline is not None:
        headers["Qurb-Offline"] = offline
    present = Headers(headers)
    components = [
        *QURB_REQUIRED_COMPONENTS,
        *(name for name in QURB_OPTIONAL_COMPONENTS if name in present),
    ]
    request = SignedRequest(method=method, path=path, query=query, headers=present, body=body)
    headers.update(
        sign_request(
            request,
            private_key,
            label=label,
            components=components,
            created=created,
            keyid=keyid,
        )
    )
    return headers
