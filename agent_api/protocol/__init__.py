"""Qurb wire protocol: request signatures, digests, keys, Merkle proofs and checkpoints.

Shared by the server and the terminal client, so it depends only on the standard library,
``cryptography`` and ``http-sfv``. Modules:

* ``errors`` — :class:`ProtocolError` and its subclasses, each with a stable ``code``;
* ``encoding`` — strict base64 / base64url;
* ``keys`` — Ed25519 keys, ``keyid``, JWK and RFC 7638 thumbprints;
* ``structured`` — RFC 8941 structured fields, parsed by ``http-sfv``, with each member's text;
* ``digest`` — RFC 9530 ``Content-Digest`` (sha-256);
* ``message_components`` — a request and the values of its RFC 9421 components;
* ``http_signatures`` — generic RFC 9421 with Ed25519: base, sign, parse, verify with a key;
* ``signature_fast_path`` — the terminals' canonical signature shape, read without a parser;
* ``signature_profile`` — the Qurb profile: what a request must cover and carry, its one
  check (``check_request``) and the terminal's ``prepare_signed_headers``;
* ``signatures`` — the names callers import, from the three modules above;
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
    OfflineFlagError,
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
    QurbSignature,
    SignedRequest,
    check_coverage,
    check_created,
    check_request,
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
    "OfflineFlagError",
    "OpenedNote",
    "ParsedSignature",
    "ProofError",
    "ProtocolError",
    "QurbSignature",
    "SignatureCoverageError",
    "SignatureInvalidError",
    "SignatureMissingError",
    "SignatureStaleError",
    "SignedRequest",
    "check_coverage",
    "check_created",
    "check_request",
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
