"""Typed secrets that never print, and the loading of the service's signing keys.

A ``Secret`` wraps a value so that ``repr``/``str``/logging show ``**********``; the value is
read with ``reveal()`` at the one place that needs it. Keys come from the environment or from
files (``QURB_<NAME>`` or ``QURB_<NAME>_FILE``), never from the database.
"""

from __future__ import annotations

import base64
import os
import secrets as _stdlib_secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# Values people paste while trying things out; production refuses them.
PLACEHOLDERS = frozenset(
    {"", "changeme", "change-me", "secret", "placeholder", "xxx", "todo", "dev", "test"}
)


@dataclass(frozen=True)
class Secret:
    """A secret value whose text form is masked."""

    _value: str

    def reveal(self) -> str:
        return self._value

    def is_placeholder(self) -> bool:
        return self._value.strip().lower() in PLACEHOLDERS

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"


def _b64decode_any(text: str) -> bytes:
    """Decode base64 or base64url, with or without padding."""
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    return base64.b64decode(cleaned, validate=True)


def parse_ed25519_private_key(text: str) -> Ed25519PrivateKey:
    """Read an Ed25519 private key given as PKCS#8 PEM or as base64 of the 32-byte seed."""
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(stripped.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the PEM key is not an Ed25519 private key")
        return key
    seed = _b64decode_any(stripped)
    if len(seed) != 32:
        raise ValueError("an Ed25519 seed is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def parse_symmetric_key(text: str, *, length: int = 32) -> bytes:
    """Read a symmetric key given as base64 (or base64url) of ``length`` bytes."""
    raw = _b64decode_any(text)
    if len(raw) != length:
        raise ValueError(f"the key must be {length} bytes once decoded")
    return raw


def new_ed25519_pem() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def new_symmetric_key_text(length: int = 32) -> str:
    return base64.b64encode(_stdlib_secrets.token_bytes(length)).decode()


def read_secret(env: Mapping[str, str], name: str) -> Secret | None:
    """``QURB_<NAME>`` or the content of the file ``QURB_<NAME>_FILE``; None when neither is set."""
    direct = env.get(f"QURB_{name}")
    if direct is not None:
        return Secret(direct)
    path = env.get(f"QURB_{name}_FILE")
    if path:
        return Secret(Path(path).read_text(encoding="utf-8"))
    return None


def write_private_file(path: Path, content: str) -> None:
    """Create ``path`` readable by its owner only (0600), as a private key file must be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
