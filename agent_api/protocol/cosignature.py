"""C2SP tlog-cosignature, Ed25519 ``cosignature/v1``: a witness's timestamped statement that
a checkpoint is the largest consistent tree head it has seen for that log.

A cosignature is one more signature line on the checkpoint note (c2sp.org/signed-note):
``— <cosigner name> base64(key ID || timestamp || signature)``, where

- the key ID is SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4] (type 0x04, so a
  cosigner's line never matches a log key of the same name and bytes);
- the timestamp is the signing time as a big-endian u64 of POSIX seconds (at most 2^63-1);
- the Ed25519 signature covers ``cosignature/v1\\ntime <decimal>\\n`` followed by the whole
  checkpoint text (every line up to, not including, the blank line before the signatures).

The message does not name the cosigner, so one key must never serve two cosigners.
Cosigner keys use the vkey form with type 0x04: ``<name>+<hex key ID>+<base64(0x04 || key)>``.
"""

from __future__ import annotations

import hashlib
import hmac
import string
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .checkpoint import MAX_SIGNATURES, parse_note
from .encoding import b64_decode, b64_encode
from .errors import EncodingError, KeyFormatError, NoteError, NoteMalformedError
from .keys import generate_private_key, private_key_from_seed, public_key_from_raw, public_key_raw

__all__ = [
    "COSIGNATURE_TYPE",
    "Cosignature",
    "Cosigner",
    "CosignerKey",
    "cosign",
    "cosignatures",
    "cosigned_message",
    "cosigner_key_id",
    "require_quorum",
    "signature_lines",
]

# tlog-cosignature: the signature type byte of Ed25519 cosignature/v1 keys.
COSIGNATURE_TYPE = 0x04
_HEADER = b"cosignature/v1\n"
_KEY_ID_SIZE = 4
_TIMESTAMP_SIZE = 8
_SIGNATURE_SIZE = 64
# The spec caps the timestamp at 2^63 - 1 (it is read as a signed number by some verifiers).
MAX_TIMESTAMP = 2**63 - 1
_HEX = frozenset(string.hexdigits)
_PREFIX = "\u2014 "


def _check_name(name: str) -> None:
    """signed-note key names: non-empty, no Unicode spaces, no '+', no control characters."""
    if not name or "+" in name or any(char.isspace() for char in name):
        raise NoteMalformedError("a cosigner name must be non-empty, without spaces or '+'")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in name):
        raise NoteMalformedError("a cosigner name must not contain control characters")


def cosigner_key_id(name: str, public_raw: bytes) -> bytes:
    """SHA-256(name || 0x0A || 0x04 || public key)[:4] (tlog-cosignature, Ed25519)."""
    _check_name(name)
    material = name.encode("utf-8") + b"\n" + bytes([COSIGNATURE_TYPE]) + public_raw
    return hashlib.sha256(material).digest()[:_KEY_ID_SIZE]


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    """What an Ed25519 cosignature/v1 signs: header line, time line, the checkpoint text."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteMalformedError("a cosignature timestamp is between 0 and 2^63-1")
    if not checkpoint_text.endswith("\n"):
        raise NoteMalformedError("checkpoint text must end with a newline")
    return _HEADER + f"time {timestamp}\n".encode("ascii") + checkpoint_text.encode("utf-8")


@dataclass(frozen=True)
class CosignerKey:
    """A trusted witness: its name, 4-byte key ID and raw Ed25519 public key."""

    name: str
    key_id: bytes
    public_key: bytes

    @classmethod
    def from_public_key(cls, name: str, public_raw: bytes) -> CosignerKey:
        try:
            public_key_from_raw(public_raw)
        except KeyFormatError:
            raise NoteMalformedError("the cosigner key is not an Ed25519 public key") from None
        return cls(name, cosigner_key_id(name, public_raw), public_raw)

    @classmethod
    def from_string(cls, vkey: str) -> CosignerKey:
        """Parse ``<name>+<hex key ID>+<base64(0x04 || key)>``; the key ID must match."""
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteMalformedError("a witness key is <name>+<key id>+<key>")
        name, hex_id, encoded = parts
        _check_name(name)
        if len(hex_id) != 2 * _KEY_ID_SIZE or any(char not in _HEX for char in hex_id):
            raise NoteMalformedError("the key ID of a witness key is 8 hex digits")
        try:
            material = b64_decode(encoded)
        except EncodingError:
            raise NoteMalformedError("the key of a witness key is not base64") from None
        if len(material) != 33 or material[0] != COSIGNATURE_TYPE:
            raise NoteMalformedError(
                "a witness key is an Ed25519 cosignature/v1 key (type 0x04); a log key "
                "(type 0x01) cannot cosign"
            )
        key = cls.from_public_key(name, material[1:])
        if key.key_id != bytes.fromhex(hex_id):
            raise NoteMalformedError("the key ID does not match the witness name and key")
        return key

    def to_string(self) -> str:
        encoded = b64_encode(bytes([COSIGNATURE_TYPE]) + self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def verify(self, checkpoint_text: str, blob: bytes) -> int:
        """Verify ``timestamp || signature`` (the blob after the key ID) on the checkpoint
        text; return the timestamp. Raises :class:`NoteError` when it does not verify."""
        if len(blob) != _TIMESTAMP_SIZE + _SIGNATURE_SIZE:
            raise NoteError(f"the cosignature by {self.name!r} has the wrong length")
        timestamp = int.from_bytes(blob[:_TIMESTAMP_SIZE], "big")
        if timestamp > MAX_TIMESTAMP:
            raise NoteError(f"the cosignature by {self.name!r} has an impossible timestamp")
        message = cosigned_message(checkpoint_text, timestamp)
        try:
            public_key_from_raw(self.public_key).verify(blob[_TIMESTAMP_SIZE:], message)
        except InvalidSignature:
            raise NoteError(f"the cosignature by {self.name!r} does not verify") from None
        return timestamp


@dataclass(frozen=True)
class Cosigner:
    """A witness's Ed25519 private key with the name it cosigns under."""

    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        _check_name(self.name)

    @classmethod
    def generate(cls, name: str) -> Cosigner:
        return cls(name, generate_private_key())

    @property
    def key_id(self) -> bytes:
        return cosigner_key_id(self.name, public_key_raw(self.private_key))

    def key(self) -> CosignerKey:
        return CosignerKey.from_public_key(self.name, public_key_raw(self.private_key))

    def to_string(self) -> str:
        """``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x04 || seed)>``: secret, keep it 0600."""
        seed = self.private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        encoded = b64_encode(bytes([COSIGNATURE_TYPE]) + seed)
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def from_string(cls, skey: str) -> Cosigner:
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise NoteMalformedError("a cosigner key is PRIVATE+KEY+<name>+<key id>+<key>")
        _, _, name, hex_id, encoded = parts
        try:
            material = b64_decode(encoded)
        except EncodingError:
            raise NoteMalformedError("the cosigner key is not base64") from None
        if len(material) != 33 or material[0] != COSIGNATURE_TYPE:
            raise NoteMalformedError("a cosigner key is an Ed25519 key of type 0x04")
        cosigner = cls(name, private_key_from_seed(material[1:]))
        if not hmac.compare_digest(cosigner.key_id.hex(), hex_id.lower()):
            raise NoteMalformedError("the key ID does not match the cosigner name and key")
        return cosigner


def cosign(checkpoint_text: str, cosigner: Cosigner, timestamp: int) -> str:
    """The cosignature line (with its final newline) of ``cosigner`` on the checkpoint."""
    signature = cosigner.private_key.sign(cosigned_message(checkpoint_text, timestamp))
    blob = cosigner.key_id + timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + signature
    return f"{_PREFIX}{cosigner.name} {b64_encode(blob)}\n"


@dataclass(frozen=True)
class Cosignature:
    """A cosignature that verified: who, when (POSIX seconds) and its note line."""

    key: CosignerKey
    timestamp: int
    line: str


def cosignatures(
    note: str | bytes, trusted: Iterable[CosignerKey], *, not_after: int | None = None
) -> list[Cosignature]:
    """The valid cosignatures on a signed checkpoint note from the ``trusted`` witnesses.

    Lines from keys not trusted are ignored (signed-note); a line from a trusted key that does
    not verify, or whose timestamp is after ``not_after`` (the spec lets verifiers refuse
    cosignatures from the future), is not counted. Each witness counts once.
    """
    text, signatures = parse_note(note)
    by_id = {(key.name, key.key_id): key for key in trusted}
    found: dict[bytes, Cosignature] = {}
    for signature in signatures:
        key = by_id.get((signature.name, signature.key_id))
        if key is None or key.public_key in found:
            continue
        try:
            timestamp = key.verify(text, signature.signature)
        except NoteError:
            continue
        if not_after is not None and timestamp > not_after:
            continue
        blob = signature.key_id + signature.signature
        found[key.public_key] = Cosignature(
            key, timestamp, f"{_PREFIX}{key.name} {b64_encode(blob)}\n"
        )
    return list(found.values())


def require_quorum(
    note: str | bytes, trusted: Iterable[CosignerKey], quorum: int, *, not_after: int | None = None
) -> list[Cosignature]:
    """The valid cosignatures, if at least ``quorum`` distinct trusted witnesses gave one;
    otherwise :class:`NoteError` saying how many did and which were expected."""
    keys = list(trusted)
    if quorum > len(keys):
        raise ValueError(f"a quorum of {quorum} needs at least {quorum} witness keys")
    valid = cosignatures(note, keys, not_after=not_after)
    if len(valid) < quorum:
        names = ", ".join(sorted(key.name for key in keys)) or "none given"
        raise NoteError(
            f"cosigned by {len(valid)} of the trusted witnesses ({names}), "
            f"a quorum of {quorum} is required",
            code="quorum_not_met",
        )
    return valid


def signature_lines(lines: str) -> list[str]:
    """Split a block of note signature lines (an add-checkpoint response) into lines."""
    if not lines.endswith("\n"):
        raise NoteMalformedError("signature lines end with a newline")
    parts = [line + "\n" for line in lines[:-1].split("\n")]
    if len(parts) > MAX_SIGNATURES:
        raise NoteMalformedError("too many signature lines")
    for part in parts:
        if not part.startswith(_PREFIX):
            raise NoteMalformedError("a signature line starts with an em dash and a space")
    return parts
