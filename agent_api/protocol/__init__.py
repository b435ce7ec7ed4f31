"""Qurb wire protocol: request signatures, digests, keys, Merkle proofs and checkpoints.

Shared by the server and the terminal client, so it depends only on the standard library
and ``cryptography``. Modules:

* ``errors`` — :class:`ProtocolError` and its subclasses, each with a stable ``code``;
* ``encoding`` — strict base64 / base64url;
* ``keys`` — Ed25519 keys, ``keyid``, JWK and RFC 7638 thumbprints;
* ``structured`` — the RFC 8941 structured-field subset the signature headers use;
* ``digest`` — RFC 9530 ``Content-Digest`` (sha-256);
* ``signatures`` — RFC 9421 signatures with Ed25519 and the Qurb profile;
* ``merkle`` — RFC 6962 / RFC 9162 Merkle trees, proofs and a compact range;
* ``checkpoint`` — C2SP signed notes and tlog checkpoints.
"""

from __future__ import annotations

from .checkpoint import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    OpenedNote,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    sign_checkpoint,
    sign_note,
)
from .digest import content_digest, verify_content_digest
from .errors import (
    DigestMismatchError,
    DigestMissingError,
    MalformedSignatureError,
    NoteError,
    ProofError,
    ProtocolError,
    SignatureCoverageError,
    SignatureInvalidError,
    SignatureMissingError,
    SignatureStaleError,
)
from .keys import (
    generate_private_key,
    jwk_thumbprint_okp,
    keyid,
    load_private_key,
    public_jwk,
    public_key_raw,
    save_private_key,
)
from .merkle import CompactRange, inclusion_proof, leaf_hash, verify_consistency, verify_inclusion
from .signatures import (
    Headers,
    ParsedSignature,
    SignedRequest,
    check_coverage,
    check_created,
    parse_signature,
    prepare_signed_headers,
    sign_request,
    signature_base,
    verify_body_digest,
    verify_qurb_request,
    verify_signature,
)

__all__ = [
    "Checkpoint",
    "CompactRange",
    "DigestMismatchError",
    "DigestMissingError",
    "Headers",
    "MalformedSignatureError",
    "NoteError",
    "NoteSigner",
    "NoteVerifier",
    "OpenedNote",
    "ParsedSignature",
    "ProofError",
    "ProtocolError",
    "SignatureCoverageError",
    "SignatureInvalidError",
    "SignatureMissingError",
    "SignatureStaleError",
    "SignedRequest",
    "check_coverage",
    "check_created",
    "content_digest",
    "generate_private_key",
    "inclusion_proof",
    "jwk_thumbprint_okp",
    "keyid",
    "leaf_hash",
    "load_private_key",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint",
    "parse_signature",
    "prepare_signed_headers",
    "public_jwk",
    "public_key_raw",
    "save_private_key",
    "sign_checkpoint",
    "sign_note",
    "sign_request",
    "signature_base",
    "verify_body_digest",
    "verify_consistency",
    "verify_content_digest",
    "verify_inclusion",
    "verify_qurb_request",
    "verify_signature",
]
