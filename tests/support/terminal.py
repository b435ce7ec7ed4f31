"""A terminal for tests: holds an Ed25519 key and a sequence counter and signs every request
exactly as docs/protocol.md says, through any httpx-style client (Starlette's test client or
httpx against a real server)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent_api.protocol.encoding import b64url_encode
from agent_api.protocol.keys import keyid, public_key_raw, rotation_proof_message
from agent_api.protocol.signatures import prepare_signed_headers

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# The bodies that carry personal data or a password, and so a salt (docs/protocol.md,
# "Salted bodies"); a collection carries one only with a payer's phone (``needs_salt``).
SALTED = re.compile(
    r"^(POST /v1/workers(/lookup|/history)?|PATCH /v1/workers/[0-9]+"
    r"|POST /v1/sessions|POST /v1/contributions/[^/]+/reversal"
    r"|POST /v1/deposits(/[^/]+/cancellation)?)$"
)
COLLECTION = "POST /v1/contributions"


def needs_salt(method: str, path: str, body: object) -> bool:
    """Whether the service refuses this body without a salt, as the counter decides it."""
    if not isinstance(body, dict) or "salt" in body:
        return False
    request = f"{method} {path.partition('?')[0]}"
    return bool(SALTED.match(request)) or (request == COLLECTION and "payer_phone" in body)


class HttpResponse(Protocol):
    status_code: int
    headers: Any
    text: str

    def json(self) -> Any: ...


class HttpClient(Protocol):
    def request(
        self, method: str, url: str, *, content: bytes | None = ..., headers: Any = ...
    ) -> Any: ...


class TestTerminal:
    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(
        self,
        client: HttpClient,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        key: Ed25519PrivateKey | None = None,
    ) -> None:
        self.client = client
        self.clock = clock
        self.key = key or Ed25519PrivateKey.generate()
        self.sequence = 0
        self.token: str | None = None
        self.terminal_id: int | None = None
        self._salt_key = os.urandom(32)

    def salt_for(self, method: str, path: str, body: dict[str, Any]) -> str:
        """The salt this terminal adds to a personal body, as the counter does: 128 bits a
        search cannot guess (keyed by a secret of this terminal), and the same for the same
        body, so that a test resending a body resends the same bytes, as the outbox does."""
        message = f"{method} {path} ".encode() + json.dumps(body, sort_keys=True).encode()
        mac = hmac.new(self._salt_key, message, hashlib.sha256).digest()
        return b64url_encode(mac[:16])

    @property
    def public_raw(self) -> bytes:
        return public_key_raw(self.key)

    @property
    def keyid(self) -> str:
        return keyid(self.public_raw)

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence

    def signed_headers(
        self,
        method: str,
        path: str,
        raw: bytes,
        *,
        sequence: int | str | None = None,
        token: str | None = None,
        offline: bool = False,
        created: int | None = None,
    ) -> dict[str, str]:
        path_only, _, query = path.partition("?")
        headers = prepare_signed_headers(
            method=method,
            path=path_only,
            query=query,
            body=raw,
            private_key=self.key,
            keyid=self.keyid,
            created=created if created is not None else int(self.clock().timestamp()),
            idempotency_key=str(sequence) if sequence is not None else None,
            authorization=f"Bearer {token}" if token else None,
            offline="1" if offline else None,
        )
        if raw:
            headers["Content-Type"] = "application/json"
        return headers

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        sequence: int | None = None,
        authenticated: bool = True,
        offline: bool = False,
        created: int | None = None,
        raw: bytes | None = None,
        salted: bool = True,
    ) -> Any:
        """Sign and send. A body with personal data or a password gets its salt unless it
        has one or ``salted`` is false (to show what the service does without it)."""
        if salted and needs_salt(method, path, body):
            body = {**body, "salt": self.salt_for(method, path, body)}
        content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        if method in WRITES and sequence is None:
            sequence = self.next_sequence()
        headers = self.signed_headers(
            method,
            path,
            content,
            sequence=sequence,
            token=self.token if authenticated else None,
            offline=offline,
            created=created,
        )
        return self.client.request(method, path, content=content, headers=headers)

    def activate(self, code: str) -> Any:
        response = self.send(
            "POST",
            "/v1/terminals/activate",
            {"activation_code": code, "public_key": b64url_encode(self.public_raw)},
            authenticated=False,
        )
        if response.status_code == 201:
            self.terminal_id = response.json()["terminal_id"]
        return response

    def login(self, username: str, password: str) -> Any:
        response = self.send(
            "POST",
            "/v1/sessions",
            {"username": username, "password": password},
            authenticated=False,
        )
        if response.status_code == 201:
            self.token = response.json()["token"]
        return response

    def rotation_body(self) -> tuple[Ed25519PrivateKey, dict[str, str]]:
        """A fresh key and the body that rotates this terminal to it (with its proof)."""
        new_key = Ed25519PrivateKey.generate()
        new_raw = public_key_raw(new_key)
        assert self.terminal_id is not None
        proof = new_key.sign(rotation_proof_message(self.terminal_id, self.keyid, keyid(new_raw)))
        return new_key, {"public_key": b64url_encode(new_raw), "proof": b64url_encode(proof)}

    def rotate(self) -> Any:
        new_key, body = self.rotation_body()
        response = self.send("POST", "/v1/terminals/current/keys", body)
        if response.status_code == 201:
            self.key = new_key
        return response
