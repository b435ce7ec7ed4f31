"""HTTP Message Signatures (RFC 9421) with Ed25519: the generic part, no Qurb policy.

One signature per request, algorithm ``ed25519`` (RFC 9421 §3.3.6), over the components
of :mod:`.message_components`. This module builds the signature base (§2.5), signs (§3.1),
reads a labelled signature out of ``Signature-Input`` and ``Signature`` (§4) and verifies it
with a given key (§3.2). Which components must be covered, which parameters are required,
how fresh a signature must be and how keys are found belong to a profile: the Qurb one is
:mod:`.signature_profile`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .encoding import b64_encode
from .errors import (
    KeyFormatError,
    MalformedSignatureError,
    SignatureInvalidError,
    SignatureMissingError,
)
from .keys import public_key_from_raw
from .message_components import (
    SIGNATURE_PARAMS,
    Headers,
    HeaderSource,
    SignedRequest,
    check_components,
    component_value,
)
from .signature_fast_path import read_canonical
from .structured import (
    BareItem,
    InnerList,
    Item,
    Parameters,
    StructuredFieldError,
    parse_dictionary,
    serialize_inner_list,
    serialize_key,
    serialize_string,
)

__all__ = [
    "ALG_ED25519",
    "ED25519_SIGNATURE_SIZE",
    "MAX_SIGNATURE_FIELD_LENGTH",
    "ParsedSignature",
    "check_param_types",
    "parse_signature",
    "parse_signature_general",
    "sign_request",
    "signature_base",
    "signature_params_value",
    "verify_signature",
]

ALG_ED25519 = "ed25519"
ED25519_SIGNATURE_SIZE = 64
# A terminal's Signature-Input is about 300 characters. RFC 8941 parsing in Python costs time
# that grows faster than the field (http-sfv slices as it goes): ~9 ms at 16 KB, ~110 ms at
# 64 KB, before anything is authenticated. A field past this bound is refused unread.
MAX_SIGNATURE_FIELD_LENGTH = 4096
_INTEGER_PARAMS = ("created", "expires")
_STRING_PARAMS = ("keyid", "alg", "nonce", "tag")


@dataclass(frozen=True)
class ParsedSignature:
    """One signature taken from ``Signature-Input`` and ``Signature``.

    ``params_raw`` is the member text exactly as received; it is what the signature base
    uses for ``@signature-params`` (RFC 9421 §3.2 step 7). Parsing guarantees it is the
    canonical RFC 8941 serialization of ``components`` and ``params``.
    """

    label: str
    components: tuple[str, ...]
    params: Mapping[str, BareItem]
    signature: bytes
    params_raw: str

    def _int_param(self, name: str) -> int | None:
        value = self.params.get(name)
        return value if type(value) is int else None

    def _str_param(self, name: str) -> str | None:
        value = self.params.get(name)
        return value if type(value) is str else None

    @property
    def created(self) -> int | None:
        return self._int_param("created")

    @property
    def expires(self) -> int | None:
        return self._int_param("expires")

    @property
    def keyid(self) -> str | None:
        return self._str_param("keyid")

    @property
    def alg(self) -> str | None:
        return self._str_param("alg")

    @property
    def nonce(self) -> str | None:
        return self._str_param("nonce")


def check_param_types(params: Mapping[str, BareItem]) -> None:
    """RFC 9421 §2.3: created/expires are Integers; keyid, alg, nonce, tag are Strings
    (not Tokens, Display Strings, Booleans or Decimals)."""
    for name in _INTEGER_PARAMS:
        if name in params and type(params[name]) is not int:
            raise MalformedSignatureError(f"signature parameter {name!r} must be an integer")
    for name in _STRING_PARAMS:
        if name in params and type(params[name]) is not str:
            raise MalformedSignatureError(f"signature parameter {name!r} must be a string")


def signature_params_value(components: Sequence[str], params: Mapping[str, BareItem]) -> str:
    """Serialize ``(components);params`` as an Inner List (RFC 9421 §2.3), params in order."""
    check_components(components)
    inner = InnerList(tuple(Item(name) for name in components), dict(params))
    try:
        return serialize_inner_list(inner)
    except StructuredFieldError as exc:
        raise MalformedSignatureError(
            f"signature parameters cannot be serialized: {exc.message}"
        ) from None


def signature_base(
    components: Sequence[str],
    params: Mapping[str, BareItem] | str,
    request: SignedRequest,
) -> bytes:
    """Build the signature base of RFC 9421 §2.5 as US-ASCII bytes.

    ``params`` is either a mapping of signature parameters, serialized in its iteration
    order, or a string taken verbatim as the already-serialized ``@signature-params``
    value (what a verifier received in ``Signature-Input``). Lines are joined by LF and the
    ``@signature-params`` line comes last, without a trailing newline.
    """
    check_components(components)
    params_value = params if isinstance(params, str) else signature_params_value(components, params)
    lines = [f"{serialize_string(name)}: {component_value(request, name)}" for name in components]
    lines.append(f"{serialize_string(SIGNATURE_PARAMS)}: {params_value}")
    try:
        return "\n".join(lines).encode("ascii")
    except UnicodeEncodeError:
        # §2.5: the signature base is a US-ASCII string.
        raise SignatureInvalidError("a covered component is not US-ASCII") from None


def sign_request(
    request: SignedRequest,
    private_key: Ed25519PrivateKey,
    *,
    label: str,
    components: Sequence[str],
    created: int,
    keyid: str,
    alg: str | None = ALG_ED25519,
    expires: int | None = None,
    nonce: str | None = None,
    tag: str | None = None,
    extra_params: Mapping[str, BareItem] | None = None,
) -> dict[str, str]:
    """Sign ``request`` and return the ``Signature-Input`` and ``Signature`` headers.

    Parameters are serialized in the order ``created, keyid, alg, expires, nonce, tag``
    followed by ``extra_params``; ``None`` values are left out (``alg=None`` reproduces
    RFC 9421 Appendix B.2.6, which omits it). The content digest is not computed here:
    cover ``content-digest`` and set the header first.
    """
    serialize_key(label)
    if alg is not None and alg != ALG_ED25519:
        raise ValueError("only the ed25519 algorithm is implemented")
    params: Parameters = {"created": created, "keyid": keyid}
    optional: dict[str, BareItem | None] = {
        "alg": alg,
        "expires": expires,
        "nonce": nonce,
        "tag": tag,
    }
    params.update({name: value for name, value in optional.items() if value is not None})
    for name, value in (extra_params or {}).items():
        if name in params:
            raise ValueError(f"signature parameter {name!r} is given twice")
        params[name] = value
    check_param_types(params)
    params_value = signature_params_value(components, params)
    base = signature_base(components, params_value, request)
    signature = private_key.sign(base)
    return {
        "Signature-Input": f"{label}={params_value}",
        "Signature": f"{label}=:{b64_encode(signature)}:",
    }


def _fields(headers: Headers | HeaderSource) -> tuple[str, str]:
    fields = headers if isinstance(headers, Headers) else Headers(headers)
    input_value = fields.get("signature-input")
    signature_value = fields.get("signature")
    if input_value is None or signature_value is None:
        raise SignatureMissingError("the Signature and Signature-Input headers are both required")
    for name, value in (("Signature-Input", input_value), ("Signature", signature_value)):
        if len(value) > MAX_SIGNATURE_FIELD_LENGTH:
            raise MalformedSignatureError(
                f"{name} is longer than {MAX_SIGNATURE_FIELD_LENGTH} characters"
            )
    return input_value, signature_value


def parse_signature(headers: Headers | HeaderSource, label: str) -> ParsedSignature:
    """Extract the signature labelled ``label`` (RFC 9421 §3.2 steps 1-3, §4.1, §4.2).

    The canonical single-member shape terminals send is read by
    :func:`.signature_fast_path.read_canonical`; any other goes through
    :func:`parse_signature_general`, whose answer the fast one always agrees with.
    """
    input_value, signature_value = _fields(headers)
    quick = read_canonical(input_value, signature_value, label)
    if quick is None:
        return _parse_general(input_value, signature_value, label)
    check_components(quick.components)
    check_param_types(quick.params)
    return ParsedSignature(label, quick.components, quick.params, quick.signature, quick.params_raw)


def parse_signature_general(headers: Headers | HeaderSource, label: str) -> ParsedSignature:
    """:func:`parse_signature` through the general RFC 8941 parser only.

    Raises :class:`SignatureMissingError` when a header or the label is absent and
    :class:`MalformedSignatureError` when the fields do not parse, when a covered component
    carries parameters or is not a String, or when the ``Signature-Input`` member is not the
    canonical serialization of what it encodes (the signature base would then be ambiguous).
    """
    return _parse_general(*_fields(headers), label)


def _parse_general(input_value: str, signature_value: str, label: str) -> ParsedSignature:
    inputs = parse_dictionary(input_value)
    signatures = parse_dictionary(signature_value)
    if label not in inputs or label not in signatures:
        raise SignatureMissingError(f"no signature labelled {label!r}")
    member = inputs[label]
    inner = member.value
    if not isinstance(inner, InnerList):
        raise MalformedSignatureError("a Signature-Input member must be an inner list")
    components: list[str] = []
    for item in inner.items:
        if type(item.value) is not str:
            raise MalformedSignatureError("covered components must be strings")
        if item.params:
            raise MalformedSignatureError("component parameters are not supported")
        components.append(item.value)
    check_components(components)
    check_param_types(inner.params)
    if serialize_inner_list(inner) != member.raw:
        raise MalformedSignatureError(
            "the Signature-Input member is not in canonical RFC 8941 form"
        )
    signature_item = signatures[label].value
    if not isinstance(signature_item, Item) or type(signature_item.value) is not bytes:
        raise MalformedSignatureError("a Signature member must be a byte sequence")
    return ParsedSignature(
        label=label,
        components=tuple(components),
        params=dict(inner.params),
        signature=signature_item.value,
        params_raw=member.raw,
    )


def verify_signature(
    parsed: ParsedSignature, request: SignedRequest, public_key_raw: bytes
) -> None:
    """Rebuild the signature base from ``request`` and check the Ed25519 signature.

    RFC 9421 §3.2 step 6.4: an ``alg`` parameter, when present, must agree with the key's
    algorithm. Any failure raises :class:`SignatureInvalidError`.
    """
    if parsed.alg is not None and parsed.alg != ALG_ED25519:
        raise SignatureInvalidError("the alg parameter is not ed25519")
    if len(parsed.signature) != ED25519_SIGNATURE_SIZE:
        raise SignatureInvalidError("an ed25519 signature is 64 bytes")
    try:
        public_key = public_key_from_raw(public_key_raw)
    except KeyFormatError:
        raise SignatureInvalidError("the verification key is not an Ed25519 public key") from None
    base = signature_base(parsed.components, parsed.params_raw, request)
    try:
        public_key.verify(parsed.signature, base)
    except InvalidSignature:
        raise SignatureInvalidError("the signature does not verify") from None
