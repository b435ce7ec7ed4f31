"""Schemas of the terminal API: activation, key rotation, operator sessions, published keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from agent_api.http.schemas.common import Input, Output
from agent_api.http.schemas.workers import Salted
from agent_api.protocol.encoding import b64url_decode
from agent_api.protocol.errors import ProtocolError


def _raw_key(value: str) -> str:
    try:
        raw = b64url_decode(value)
    except ProtocolError:
        raise ValueError("is not base64url without padding") from None
    if len(raw) != 32:
        raise ValueError("must be the raw 32-byte Ed25519 public key")
    return value


def _signature(value: str) -> str:
    try:
        raw = b64url_decode(value)
    except ProtocolError:
        raise ValueError("is not base64url without padding") from None
    if len(raw) != 64:
        raise ValueError("must be a 64-byte Ed25519 signature")
    return value


PublicKey = Annotated[str, AfterValidator(_raw_key)]
Signature = Annotated[str, AfterValidator(_signature)]


class ActivationIn(Input):
    activation_code: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    public_key: PublicKey = Field(description="raw Ed25519 public key, base64url, no padding")


class OfficeRef(Output):
    code: str
    name: str
    city: str


class NetworkRef(Output):
    code: str
    name: str


class JwkOut(Output):
    kty: str
    crv: str
    x: str
    kid: str
    use: str
    alg: str


class Jwks(Output):
    keys: list[JwkOut]


class ActivationOut(Output):
    terminal_id: int
    label: str
    keyid: str
    office: OfficeRef
    network: NetworkRef
    server_keys: Jwks = Field(description="the service's public keys, to cache for offline use")


class RotationIn(Input):
    public_key: PublicKey
    proof: Signature = Field(
        description="the new key's signature of the rotation message (docs/protocol.md)"
    )


class RotationOut(Output):
    terminal_id: int
    keyid: str
    previous_keyid: str


class OperatorSignInIn(Salted):
    """An operator's sign-in at their counter. The salt keeps the audit log's digest of this
    body from being an unsalted hash of a predictable username and its password, which a
    dictionary search would open (docs/protocol.md, "Salted bodies")."""

    username: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class OperatorSessionOut(Output):
    token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_at: datetime
    username: str
    full_name: str
    role: str
    office: str
    network: str
