"""What qurb-audit's commands read from their arguments alike: trusted log keys, and a
receipt (inline or ``@FILE``) verified against a saved ``GET /v1/keys``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jwt

from agent_api.protocol.checkpoint import NoteVerifier


def verifiers(keys: Sequence[str]) -> list[NoteVerifier]:
    """The trusted log vkeys given with ``--key``."""
    return [NoteVerifier.from_string(k.strip()) for k in keys]


def receipt_text(argument: str) -> str:
    """A receipt's compact JWS, given inline or as ``@FILE``."""
    if argument.startswith("@"):
        return Path(argument[1:]).read_text(encoding="utf-8").strip()
    return argument


def receipt_claims(token: str, jwks_path: Path) -> dict[str, Any]:
    """The receipt's claims once its signature verifies with its ``kid``'s key (raises
    ``jwt.InvalidTokenError`` otherwise, ``ValueError`` for a key not in the file)."""
    jwks = json.loads(jwks_path.read_text(encoding="utf-8"))
    kid = jwt.get_unverified_header(token).get("kid")
    matching = [k for k in jwks.get("keys", []) if k.get("kid") == kid]
    if not matching:
        raise ValueError(f"no key {kid} in {jwks_path}")
    key = jwt.PyJWK(matching[0]).key
    claims: dict[str, Any] = jwt.decode(token, key, algorithms=["EdDSA"])
    return claims
