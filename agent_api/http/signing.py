"""Verifying terminal-signed requests (docs/protocol.md) before any handler runs.

The signature base is built from the request as received: the raw path and query string
from the ASGI scope and the exact body bytes, whose digest is recomputed here, never from
re-serialized JSON.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from agent_api.errors import MalformedRequest, ValidationFailed
from agent_api.protocol import signatures as sig
from agent_api.protocol.errors import OfflineFlagError
from agent_api.protocol.signature_profile import WRITE_METHODS, check_request
from agent_api.services.writes.idempotency import WriteContext
from agent_api.settings import Settings

MAX_SEQUENCE = 2**63 - 1  # a BIGINT
# A header's value as the server decodes it is Latin-1 text, where "²" or "٣" pass
# str.isdigit() and then crash int(): a sequence number is ASCII digits, no leading zero.
_SEQUENCE = re.compile(r"[1-9][0-9]{0,18}")
_OWS = " \t"  # RFC 9110 §5.6.3; str.strip() would also take NEL (0x85) and NBSP (0xA0)


@dataclass(frozen=True)
class CheckedSignature:
    """A request whose signature parameters, coverage, freshness and digest passed."""

    request: sig.SignedRequest
    parsed: sig.ParsedSignature
    keyid: str
    offline: bool
    sequence: int | None  # the Idempotency-Key, on writes

    def write_context(self, terminal_id: int, received_at: datetime) -> WriteContext:
        assert self.sequence is not None
        created = self.parsed.created
        assert created is not None
        return WriteContext(
            terminal_id=terminal_id,
            key=self.sequence,
            request_digest=request_digest(self.request),
            keyid=self.keyid,
            signed_at=datetime.fromtimestamp(created, UTC),
            received_at=received_at,
            offline=self.offline,
            evidence=self.evidence(),
        )

    def evidence(self) -> dict[str, Any]:
        """The signed request as the audit log keeps it: every covered component and the
        signature. The body is there as its RFC 9530 digest and the operator token as its
        digest (the signature covers both digests, never the secret), so a leaf holds no
        secret nor personal data and the signature still verifies from the leaf alone."""
        headers = self.request.headers
        covered = {
            name: headers.get(name) or ""
            for name in self.parsed.components
            if not name.startswith("@")
        }
        return {
            "method": self.request.method,
            "path": self.request.path,
            "query": self.request.query,
            "covered": covered,
            "signature_params": self.parsed.params_raw,
            "signature": base64.b64encode(self.parsed.signature).decode(),
            "keyid": self.keyid,
        }


def signed_request(request: Request, raw_body: bytes) -> sig.SignedRequest:
    scope = request.scope
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    path = raw_path.decode("latin-1").split("?", 1)[0]
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
    return sig.SignedRequest(
        method=scope["method"],
        path=path,
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=sig.Headers(headers),
        body=raw_body,
    )


def request_digest(request: sig.SignedRequest) -> str:
    """What makes two writes "the same request" for idempotency."""
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.query.encode()):
        digest.update(part)
        digest.update(b"\n")
    digest.update(request.body)
    return digest.hexdigest()


def check_signature(
    request: sig.SignedRequest, settings: Settings, now: datetime
) -> CheckedSignature:
    """Every check that needs no database: the Qurb profile's one check, then the sequence
    number a write must carry. Raises ProtocolError or a request error."""
    try:
        profiled = check_request(
            request,
            now=int(now.timestamp()),
            window_seconds=settings.signature_window_seconds,
            offline_window_seconds=settings.offline_window_seconds,
        )
    except OfflineFlagError as exc:
        raise ValidationFailed(f"{exc.field}: {exc.message}", field=exc.field) from None
    sequence = _sequence(request) if request.method in WRITE_METHODS else None
    return CheckedSignature(request, profiled.parsed, profiled.keyid, profiled.offline, sequence)


def _sequence(request: sig.SignedRequest) -> int:
    value = request.headers.get("idempotency-key")
    if value is None:
        raise MalformedRequest(
            "every write needs an Idempotency-Key: the terminal's sequence number",
            code="idempotency_key_missing",
        )
    text = value.strip(_OWS)
    if not _SEQUENCE.fullmatch(text) or int(text) > MAX_SEQUENCE:
        raise ValidationFailed(
            "Idempotency-Key: must be a positive whole number without leading zeros",
            field="Idempotency-Key",
        )
    return int(text)
