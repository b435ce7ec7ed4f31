"""Request signatures, under the names callers have always imported.

The code lives in three modules, each holding one thing:

* :mod:`.message_components` and :mod:`.http_signatures` — generic RFC 9421 with Ed25519:
  the components, the signature base, signing, reading and verifying with a given key;
* :mod:`.signature_fast_path` — the terminals' canonical shape, read without the general
  RFC 8941 parser;
* :mod:`.signature_profile` — the Qurb profile, whose one check
  (:func:`~.signature_profile.check_request`) the server runs on every signed request.

Here the label of :func:`parse_signature` and the label and components of
:func:`sign_request` default to the Qurb profile's, as they always did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from . import http_signatures
from .http_signatures import (
    ALG_ED25519,
    ED25519_SIGNATURE_SIZE,
    ParsedSignature,
    signature_base,
    signature_params_value,
    verify_signature,
)
from .message_components import (
    DERIVED_COMPONENTS,
    Headers,
    HeaderSource,
    SignedRequest,
    component_value,
)
from .signature_profile import (
    QURB_LABEL,
    QURB_OPTIONAL_COMPONENTS,
    QURB_REQUIRED_COMPONENTS,
    QURB_UNCOVERABLE_COMPONENTS,
    WRITE_METHODS,
    QurbSignature,
    check_coverage,
    check_created,
    check_offline_flag,
    check_request,
    check_token_digest,
    prepare_signed_headers,
    token_digest,
    verify_body_digest,
    verify_qurb_request,
)
from .structured import BareItem

__all__ = [
    "ALG_ED25519",
    "DERIVED_COMPONENTS",
    "ED25519_SIGNATURE_SIZE",
    "QURB_LABEL",
    "QURB_OPTIONAL_COMPONENTS",
    "QURB_REQUIRED_COMPONENTS",
    "QURB_UNCOVERABLE_COMPONENTS",
    "WRITE_METHODS",
    "HeaderSource",
    "Headers",
    "ParsedSignature",
    "QurbSignature",
    "SignedRequest",
    "check_coverage",
    "check_created",
    "check_offline_flag",
    "check_request",
    "check_token_digest",
    "component_value",
    "parse_signature",
    "prepare_signed_headers",
    "sign_request",
    "signature_base",
    "signature_params_value",
    "token_digest",
    "verify_body_digest",
    "verify_qurb_request",
    "verify_signature",
]


def parse_signature(headers: Headers | HeaderSource, label: str = QURB_LABEL) -> ParsedSignature:
    """:func:`.http_signatures.parse_signature`, the label ``qurb`` unless told otherwise."""
    return http_signatures.parse_signature(headers, label)


def sign_request(
    request: SignedRequest,
    private_key: Ed25519PrivateKey,
    *,
    label: str = QURB_LABEL,
    components: Sequence[str] = QURB_REQUIRED_COMPONENTS,
    created: int,
    keyid: str,
    alg: str | None = ALG_ED25519,
    expires: int | None = None,
    nonce: str | None = None,
    tag: str | None = None,
    extra_params: Mapping[str, BareItem] | None = None,
) -> dict[str, str]:
    """:func:`.http_signatures.sign_request`, with the Qurb label and required components
    unless told otherwise."""
    return http_signatures.sign_request(
        request,
        private_key,
        label=label,
        components=components,
        created=created,
        keyid=keyid,
        alg=alg,
        expires=expires,
        nonce=nonce,
        tag=tag,
        extra_params=extra_params,
    )
