"""Ed25519 key handling: generation, PEM files, raw public keys and key identifiers.

Terminals hold one Ed25519 private key each (RFC 8032); the server only ever sees the raw
32-byte public key. Two identifiers are derived from that raw key:

* ``keyid`` — base64url(SHA-256(raw public key)), the value of the ``keyid`` signature
  parameter (RFC 9421 §2.3) in Qurb request signatures;
* the RFC 7638 JWK thumbprint, used as ``kid`` when keys are published as a JWKS.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .encoding import b64url_decode, b64url_encode
from .errors import EncodingError, KeyFormatError

__all__ = [
    "PUBLIC_KEY_SIZE",
    "SEED_SIZE",
    "generate_private_key",
    "jwk_thumbprint_okp",
    "keyid",
    "load_private_key",
    "load_private_key_pem",
    "private_key_from_seed",
    "private_key_to_pem",
    "public_jwk",
    "public_key_from_raw",
    "public_key_raw",
    "public_raw_from_b64url",
    "public_raw_to_b64url",
    "save_private_key",
]

PUBLIC_KEY_SIZE = 32
SEED_SIZE = 32


def generate_private_key() -> Ed25519PrivateKey:
    """Generate a fresh Ed25519 private key from the operating system's CSPRNG."""
    return Ed25519PrivateKey.generate()


def private_key_from_seed(seed: bytes) -> Ed25519PrivateKey:
    """Build a private key from its 32-byte seed (the RFC 8032 §5.1.5 secret key)."""
    if len(seed) != SEED_SIZE:
        raise KeyFormatError("an Ed25519 seed is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key_to_pem(key: Ed25519PrivateKey, passphrase: bytes | None = None) -> bytes:
    """Serialize ``key`` as PKCS#8 PEM, encrypted with ``passphrase`` when one is given."""
    encryption: serialization.KeySerializationEncryption
    if passphrase:
        encryption = serialization.BestAvailableEncryption(passphrase)
    else:
        encryption = serialization.NoEncryption()
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=encryption,
    )


def load_private_key_pem(data: bytes, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """Load a PKCS#8 PEM private key and insist that it is Ed25519.

    The underlying error is not chained into the message: it may quote the PEM.
    """
    try:
        key = serialization.load_pem_private_key(data, password=passphrase or None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyFormatError(
            "not a PKCS#8 PEM private key, or the passphrase is wrong or missing"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFormatError("the private key is not an Ed25519 key")
    return key


def save_private_key(
    path: str | os.PathLike[str], key: Ed25519PrivateKey, passphrase: bytes | None = None
) -> None:
    """Write ``key`` as PEM to ``path``, readable by the owner only (mode 0600).

    The file is created with restrictive permissions from the start rather than chmod-ed
    afterwards, so there is no window in which another user can read it.
    """
    pem = private_key_to_pem(key, passphrase)
    fd = os.open(os.fspath(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def load_private_key(
    path: str | os.PathLike[str], passphrase: bytes | None = None
) -> Ed25519PrivateKey:
    """Read a PEM private key written by :func:`save_private_key` (or by OpenSSL)."""
    return load_private_key_pem(Path(path).read_bytes(), passphrase)


def public_key_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """Return the raw 32-byte public key (RFC 8032 §5.1.5 encoding) of ``key``."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )


def public_key_from_raw(raw: bytes) -> Ed25519PublicKey:
    """Build a public key object from its raw 32 bytes."""
    if len(raw) != PUBLIC_KEY_SIZE:
        raise KeyFormatError("an Ed25519 public key is 32 bytes")
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise KeyFormatError("the bytes are not an Ed25519 public key") from None


def public_raw_to_b64url(raw: bytes) -> str:
    """Encode a raw public key as unpadded base64url (the JWK ``x`` form, RFC 8037 §2)."""
    if len(raw) != PUBLIC_KEY_SIZE:
        raise KeyFormatError("an Ed25519 public key is 32 bytes")
    return b64url_encode(raw)


def public_raw_from_b64url(text: str) -> bytes:
    """Decode an unpadded base64url public key, checking that it is 32 bytes."""
    try:
        raw = b64url_decode(text)
    except EncodingError:
        raise KeyFormatError("the public key is not canonical unpadded base64url") from None
    if len(raw) != PUBLIC_KEY_SIZE:
        raise KeyFormatError("an Ed25519 public key is 32 bytes")
    return raw


def keyid(public_raw: bytes) -> str:
    """Qurb key identifier: base64url-no-pad(SHA-256(raw 32-byte public key)).

    Hashing the raw key (not a DER or JWK form) keeps the derivation trivial for terminals
    written in other languages.
    """
    if len(public_raw) != PUBLIC_KEY_SIZE:
        raise KeyFormatError("an Ed25519 public key is 32 bytes")
    return b64url_encode(hashlib.sha256(public_raw).digest())


def jwk_thumbprint_okp(public_raw: bytes) -> str:
    """RFC 7638 thumbprint of the Ed25519 OKP JWK for ``public_raw``.

    RFC 7638 §3 keeps only the required members (for OKP, RFC 8037 §2 makes them ``crv``,
    ``kty`` and ``x``), in lexicographic order, serialized without whitespace (§3.3); the
    hash is SHA-256 and the result is base64url without padding.
    """
    members = {"crv": "Ed25519", "kty": "OKP", "x": public_raw_to_b64url(public_raw)}
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return b64url_encode(hashlib.sha256(canonical.encode("ascii")).digest())


def public_jwk(public_raw: bytes, kid: str, use: str = "sig") -> dict[str, str]:
    """The public JWK (RFC 7517, OKP per RFC 8037) to publish in a JWKS.

    ``alg`` is ``EdDSA`` (RFC 8037 §3.1), so JOSE libraries such as PyJWT accept it as is.
    """
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": public_raw_to_b64url(public_raw),
        "kid": kid,
        "use": use,
        "alg": "EdDSA",
    }


def rotation_proof_message(terminal_id: int, old_keyid: str, new_keyid: str) -> bytes:
    """What a terminal's next key signs to prove its possession when the terminal rotates to
    it (docs/protocol.md §8): four LF-separated lines, no final LF."""
    return f"qurb-key-rotation\n{terminal_id}\n{old_keyid}\n{new_keyid}".encode()
