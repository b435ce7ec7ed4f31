"""C2SP signed notes (Ed25519) and transparency-log checkpoints.

A checkpoint (c2sp.org/tlog-checkpoint) is the note text ``origin\\nsize\\nbase64(root)\\n``
plus optional extension lines; a signed note (c2sp.org/signed-note) appends a blank line
and one line per signature: EM DASH (U+2014), space, key name, space,
base64(4-byte key ID || signature). For Ed25519 the key ID is the first four bytes of
SHA-256(key name || 0x0A || 0x01 || 32-byte public key).

Verifier keys use the textual form ``<name>+<8 hex digits of key ID>+<base64(0x01 || key)>``
that Go's golang.org/x/mod/sumdb/note introduced and witnesses share.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .encoding import b64_decode, b64_encode
from .errors import EncodingError, KeyFormatError, NoteError, NoteMalformedError
from .keys import private_key_from_seed, public_key_from_raw, public_key_raw
from .merkle import HASH_SIZE

__all__ = [
    "ED25519_TYPE",
    "MAX_SIGNATURES",
    "Checkpoint",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "OpenedNote",
    "add_signature_lines",
    "format_checkpoint",
    "note_key_id",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint",
    "parse_note",
    "sign_checkpoint",
    "sign_note",
]

# signed-note "Signature types": 0x01 is plain Ed25519 over the note text.
ED25519_TYPE = 0x01
# signed-note asks verifiers to cap signatures but accept at least 16.
MAX_SIGNATURES = 64
# Qurb's maximum merge delay: a leaf recorded at ``at`` promises (its ``by``, a receipt's
# ``log_by``) to be in a checkpoint signed within this many seconds. A verifier refuses a
# promise longer than this, and a leaf not in the first checkpoint signed after its ``by``.
MAX_MERGE_DELAY_SECONDS = 3600
_EM_DASH_PREFIX = "\u2014 "
_KEY_ID_SIZE = 4
_ED25519_SIGNATURE_SIZE = 64
_HEX = frozenset(string.hexdigits)


def _check_key_name(name: str) -> None:
    """signed-note: names are non-empty, with no Unicode spaces and no '+'."""
    if not name or "+" in name or any(char.isspace() for char in name):
        raise NoteMalformedError("a key name must be non-empty, without spaces or '+'")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in name):
        raise NoteMalformedError("a key name must not contain control characters")


def _check_text(text: str) -> None:
    """signed-note: UTF-8 text ending in a newline, no control characters but newline."""
    if not text.endswith("\n"):
        raise NoteMalformedError("note text must end with a newline")
    if any(ord(char) < 0x20 and char != "\n" for char in text):
        raise NoteMalformedError("note text contains control characters")


def note_key_id(name: str, public_raw: bytes) -> bytes:
    """Ed25519 key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4] (signed-note)."""
    _check_key_name(name)
    material = name.encode("utf-8") + b"\n" + bytes([ED25519_TYPE]) + public_raw
    return hashlib.sha256(material).digest()[:_KEY_ID_SIZE]


@dataclass(frozen=True)
class NoteVerifier:
    """A trusted Ed25519 note key: name, 4-byte key ID and raw public key."""

    name: str
    key_id: bytes
    public_key: bytes

    @classmethod
    def from_public_key(cls, name: str, public_raw: bytes) -> NoteVerifier:
        public_key_from_raw(public_raw)
        return cls(name, note_key_id(name, public_raw), public_raw)

    @classmethod
    def from_string(cls, vkey: str) -> NoteVerifier:
        """Parse ``<name>+<hex key ID>+<base64(0x01 || public key)>``.

        The key ID is recomputed and must match, so a typo cannot pair a name with
        someone else's key.
        """
        # The base64 part may itself contain '+': split at the first two only.
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise NoteMalformedError("a verifier key is <name>+<key id>+<key>")
        name, hex_id, encoded = parts
        _check_key_name(name)
        if len(hex_id) != 2 * _KEY_ID_SIZE or any(char not in _HEX for char in hex_id):
            raise NoteMalformedError("the key ID of a verifier key is 8 hex digits")
        try:
            material = b64_decode(encoded)
        except EncodingError:
            raise NoteMalformedError("the key of a verifier key is not base64") from None
        if len(material) != 33 or material[0] != ED25519_TYPE:
            raise NoteMalformedError("only Ed25519 verifier keys (type 0x01) are supported")
        try:
            verifier = cls.from_public_key(name, material[1:])
        except KeyFormatError:
            raise NoteMalformedError("the verifier key is not an Ed25519 public key") from None
        if verifier.key_id != bytes.fromhex(hex_id):
            raise NoteMalformedError("the key ID does not match the name and key")
        return verifier

    def to_string(self) -> str:
        """The ``<name>+<hex key ID>+<base64(0x01 || key)>`` form."""
        encoded = b64_encode(bytes([ED25519_TYPE]) + self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


@dataclass(frozen=True)
class NoteSigner:
    """An Ed25519 private key with the name it signs notes under."""

    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        _check_key_name(self.name)

    @property
    def key_id(self) -> bytes:
        return note_key_id(self.name, public_key_raw(self.private_key))

    def verifier(self) -> NoteVerifier:
        return NoteVerifier.from_public_key(self.name, public_key_raw(self.private_key))

    @classmethod
    def from_string(cls, skey: str) -> NoteSigner:
        """Parse Go's ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`` form."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise NoteMalformedError("a signer key is PRIVATE+KEY+<name>+<key id>+<key>")
        _, _, name, hex_id, encoded = parts
        try:
            material = b64_decode(encoded)
        except EncodingError:
            raise NoteMalformedError("the key of a signer key is not base64") from None
        if len(material) != 33 or material[0] != ED25519_TYPE:
            raise NoteMalformedError("only Ed25519 signer keys (type 0x01) are supported")
        signer = cls(name, private_key_from_seed(material[1:]))
        if signer.key_id.hex() != hex_id.lower():
            raise NoteMalformedError("the key ID does not match the name and key")
        return signer


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key ID and the algorithm's signature bytes."""

    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class OpenedNote:
    """A note whose text was verified by at least one trusted key."""

    text: str
    verified_by: tuple[str, ...]


def sign_note(text: str, signers: NoteSigner | Sequence[NoteSigner]) -> str:
    """Sign ``text`` with each signer and return the complete signed note."""
    _check_text(text)
    chosen = [signers] if isinstance(signers, NoteSigner) else list(signers)
    if not chosen:
        raise ValueError("at least one signer is needed")
    message = text.encode("utf-8")
    lines = []
    for signer in chosen:
        blob = signer.key_id + signer.private_key.sign(message)
        lines.append(f"{_EM_DASH_PREFIX}{signer.name} {b64_encode(blob)}\n")
    return text + "\n" + "".join(lines)


def add_signature_lines(note: str, lines: Iterable[str]) -> str:
    """The signed note with more signature lines (cosignatures) after its own, each once.

    signed-note lets any party append signatures: the text they cover is unchanged.
    """
    _, existing = parse_note(note)
    present = set(note[note.rfind("\n\n") + 2 :].splitlines(keepends=True))
    added = [line for line in dict.fromkeys(lines) if line not in present]
    for line in added:
        _parse_signature_line(line.removesuffix("\n"))
    if len(existing) + len(added) > MAX_SIGNATURES:
        raise NoteMalformedError("too many signatures on the note")
    return note + "".join(added)


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(_EM_DASH_PREFIX):
        raise NoteMalformedError("a signature line starts with an em dash and a space")
    name, sep, encoded = line[len(_EM_DASH_PREFIX) :].partition(" ")
    if not sep:
        raise NoteMalformedError("a signature line is '\u2014 <name> <signature>'")
    _check_key_name(name)
    try:
        blob = b64_decode(encoded)
    except EncodingError:
        raise NoteMalformedError("a note signature is not base64") from None
    if len(blob) <= _KEY_ID_SIZE:
        raise NoteMalformedError("a note signature is too short")
    return NoteSignature(name, blob[:_KEY_ID_SIZE], blob[_KEY_ID_SIZE:])


def parse_note(note: str | bytes) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text and signature lines, without verifying."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteMalformedError("a signed note must be UTF-8") from None
    if any(ord(char) < 0x20 and char != "\n" for char in note):
        raise NoteMalformedError("a signed note contains control characters")
    # The text ends at the last blank line; the text keeps its final newline.
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteMalformedError("a signed note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise NoteMalformedError("the signature block must end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteMalformedError("too many signatures on the note")
    return text, [_parse_signature_line(line) for line in lines]


def open_note(note: str | bytes, verifiers: Iterable[NoteVerifier]) -> OpenedNote:
    """Verify a signed note against trusted keys and return its text.

    Signatures whose (name, key ID) match no trusted key are ignored, as signed-note
    requires. A signature from a trusted key that fails rejects the whole note (the spec
    permits this; a forged line next to a good one is a red flag). At least one trusted
    signature must verify.
    """
    text, signatures = parse_note(note)
    trusted = {(verifier.name, verifier.key_id): verifier for verifier in verifiers}
    message = text.encode("utf-8")
    verified: list[str] = []
    for signature in signatures:
        verifier = trusted.get((signature.name, signature.key_id))
        if verifier is None:
            continue
        if len(signature.signature) != _ED25519_SIGNATURE_SIZE:
            raise NoteError(f"the signature by {signature.name!r} has the wrong length")
        try:
            public_key_from_raw(verifier.public_key).verify(signature.signature, message)
        except InvalidSignature:
            raise NoteError(f"the signature by {signature.name!r} does not verify") from None
        verified.append(signature.name)
    if not verified:
        raise NoteError("no signature from a trusted key")
    return OpenedNote(text, tuple(verified))


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint body: origin, tree size, root hash and extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise NoteMalformedError("the checkpoint origin must be one non-empty line")
        if self.size < 0:
            raise NoteMalformedError("the tree size cannot be negative")
        if len(self.root_hash) != HASH_SIZE:
            raise NoteMalformedError("the root hash is 32 bytes")
        for line in self.extensions:
            if not line or "\n" in line:
                raise NoteMalformedError("extension lines are single non-empty lines")

    def text(self) -> str:
        """The note text this checkpoint is signed as."""
        return format_checkpoint(self)


def format_checkpoint(checkpoint: Checkpoint) -> str:
    """tlog-checkpoint note text: origin, decimal size, base64 root, extensions, each + LF."""
    lines = [
        checkpoint.origin,
        str(checkpoint.size),
        b64_encode(checkpoint.root_hash),
        *checkpoint.extensions,
    ]
    return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse checkpoint note text (not a signed note: open it with :func:`open_note` first)."""
    if not text.endswith("\n"):
        raise NoteMalformedError("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteMalformedError("a checkpoint has at least three lines")
    origin, size_text, root_text, *extensions = lines
    # tlog-checkpoint: ASCII decimal, no leading zeroes unless the tree is empty.
    if not size_text.isascii() or not size_text.isdigit():
        raise NoteMalformedError("the tree size is not a decimal number")
    if len(size_text) > 1 and size_text.startswith("0"):
        raise NoteMalformedError("the tree size has leading zeroes")
    try:
        root_hash = b64_decode(root_text)
    except EncodingError:
        raise NoteMalformedError("the root hash is not base64") from None
    return Checkpoint(origin, int(size_text), root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signers: NoteSigner | Sequence[NoteSigner]) -> str:
    """Sign a checkpoint as a note; tlog-checkpoint wants the key name to be the origin."""
    return sign_note(format_checkpoint(checkpoint), signers)


def open_checkpoint(
    note: str | bytes, verifiers: Iterable[NoteVerifier], origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint, parse it and, if given, check its origin."""
    checkpoint = parse_checkpoint(open_note(note, verifiers).text)
    if origin is not None and checkpoint.origin != origin:
        raise NoteError("the checkpoint is for another log")
    return checkpoint
