"""Errors raised by the protocol package.

Every failure carries a stable, machine-readable ``code`` so that the HTTP layer can map it
to a problem response and a terminal can react to it without parsing prose. Messages are
for humans and logs: they name headers, components and parameters, but never carry key
material, bearer tokens, signature bytes or request bodies, because they end up in logs.
"""

from __future__ import annotations

__all__ = [
    "DigestMismatchError",
    "DigestMissingError",
    "EncodingError",
    "KeyFormatError",
    "MalformedSignatureError",
    "NoteError",
    "NoteMalformedError",
    "OfflineFlagError",
    "ProofError",
    "ProtocolError",
    "SignatureCoverageError",
    "SignatureInvalidError",
    "SignatureMissingError",
    "SignatureStaleError",
]


class ProtocolError(Exception):
    """Base class: a request, proof or note did not satisfy the protocol.

    ``code`` is stable across releases; subclasses fix it, and a caller may override it
    for a one-off condition with the ``code`` keyword.
    """

    code: str = "protocol_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class SignatureMissingError(ProtocolError):
    """``Signature`` or ``Signature-Input`` is absent, or lacks the expected label."""

    code = "signature_missing"


class MalformedSignatureError(ProtocolError):
    """A signature header (or a structured field inside it) cannot be parsed."""

    code = "malformed_signature"


class SignatureInvalidError(ProtocolError):
    """The signature does not verify, or its base cannot be rebuilt from the request."""

    code = "signature_invalid"


class SignatureCoverageError(ProtocolError):
    """The signature verifies (or might) but does not cover what the profile requires."""

    code = "signature_coverage"


class SignatureStaleError(ProtocolError):
    """The ``created`` (or ``expires``) parameter is missing or outside the accepted window."""

    code = "signature_stale"


class OfflineFlagError(ProtocolError):
    """``Qurb-Offline`` is not ``1``, or flags a read: only writes are queued offline.

    Not a signature failure: the server answers it as invalid input naming the header.
    """

    code = "validation_failed"
    field = "Qurb-Offline"


class DigestMismatchError(ProtocolError):
    """``Content-Digest`` does not match the body, or is not a valid digest field."""

    code = "digest_mismatch"


class DigestMissingError(ProtocolError):
    """A body was sent without a ``Content-Digest`` carrying a sha-256 member."""

    code = "digest_missing"


class EncodingError(ProtocolError):
    """Text that should be base64 / base64url is not, or is not in canonical form."""

    code = "malformed_encoding"


class KeyFormatError(ProtocolError):
    """Key bytes or a key file are not an Ed25519 key in the expected format."""

    code = "key_invalid"


class ProofError(ProtocolError):
    """A Merkle inclusion or consistency proof does not verify."""

    code = "proof_invalid"


class NoteError(ProtocolError):
    """A signed note (or checkpoint) is not signed by any trusted key, or a signature fails."""

    code = "note_invalid"


class NoteMalformedError(NoteError):
    """A signed note, verifier key or checkpoint body is not in the C2SP format."""

    code = "note_malformed"
