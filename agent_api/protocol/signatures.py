"""HTTP Message Signatures (RFC 9421) with Ed25519, and the Qurb request-signing profile.

The generic part implements one signature per request, algorithm ``ed25519`` (RFC 9421
§3.3.6), over the derived components ``@method``, ``@target-uri``, ``@authority``,
``@scheme``, ``@request-target``, ``@path`` and ``@query`` (§2.2) and plain header fields
(§2.1). Component parameters (``sf``, ``key``, ``bs``, ``req``, ``tr``) are not supported
and are refused.

The Qurb profile on top of it (see docs/protocol-signatures-draft.md) always covers
``"@method" "@path" "@query"``, then whichever of ``content-digest``, ``idempotency-key``,
``authorization`` and ``qurb-offline`` the request carries, with the parameters
``created``, ``keyid`` and ``alg="ed25519"`` in that order, under the label ``qurb``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .digest import content_digest, verify_content_digest
from .encoding import b64_encode
from .errors import (
    KeyFormatError,
    MalformedSignatureError,
    SignatureCoverageError,
    SignatureInvalidError,
    SignatureMissingError,
    SignatureStaleError,
)
from .keys import public_key_from_raw
from .structured import (
    BareItem,
    InnerList,
    Item,
    Parameters,
    StructuredFieldError,
    Token,
    parse_dictionary,
    serialize_inner_list,
    serialize_key,
    serialize_string,
)

__all__ = [
    "ALG_ED25519",
    "DERIVED_COMPONENTS",
    "ED25519_SIGNATURE_SIZE",
    "QURB_LABEL",
    "QURB_OPTIONAL_COMPONENTS",
    "QURB_REQUIRED_COMPONENTS",
    "HeaderSource",
    "Headers",
    "ParsedSignature",
    "SignedRequest",
    "check_coverage",
    "check_created",
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

QURB_LABEL = "qurb"
ALG_ED25519 = "ed25519"
ED25519_SIGNATURE_SIZE = 64
QURB_REQUIRED_COMPONENTS: tuple[str, ...] = ("@method", "@path", "@query")
QURB_OPTIONAL_COMPONENTS: tuple[str, ...] = (
    "content-digest",
    "idempotency-key",
    "qurb-token-digest",
    "qurb-offline",
)
# Never covered: the operator token is a bearer secret, and every signed request is archived
# in the audit log. The signature covers the token's digest instead (as DPoP's ``ath``).
QURB_UNCOVERABLE_COMPONENTS: tuple[str, ...] = ("authorization",)
_SIGNATURE_PARAMS = "@signature-params"
_DEFAULT_PORTS = {"http": "80", "https": "443"}
# RFC 9112 §5.2: obs-fold (OWS CRLF RWS) is replaced by a single space (RFC 9421 §2.1 step 3).
_OBS_FOLD = re.compile(r"[ \t]*\r?\n[ \t]+")
# RFC 9110 §5.1 field-name = token.
_FIELD_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+")
_INTEGER_PARAMS = ("created", "expires")
_STRING_PARAMS = ("keyid", "alg", "nonce", "tag")

HeaderSource = Mapping[str, str] | Iterable[tuple[str, str]]


class Headers:
    """An immutable, order-preserving, case-insensitive multimap of header fields.

    Repeated fields are kept as separate lines so that RFC 9421 §2.1 can combine them.
    Built from a mapping (its ``items()`` are used, so frameworks whose header mappings
    yield duplicate names keep them) or from ``(name, value)`` pairs.
    """

    __slots__ = ("_by_name", "_fields")

    def __init__(self, fields: HeaderSource | None = None) -> None:
        pairs: Iterable[tuple[str, str]]
        if fields is None:
            pairs = ()
        elif isinstance(fields, Mapping):
            pairs = fields.items()
        else:
            pairs = fields
        self._fields: tuple[tuple[str, str], ...] = tuple(
            (str(name), str(value)) for name, value in pairs
        )
        # Looked up a dozen times a request: indexed once by lowercased name.
        self._by_name: dict[str, list[str]] = {}
        for key, value in self._fields:
            self._by_name.setdefault(key.lower(), []).append(value)

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name``, in message order."""
        return list(self._by_name.get(name.lower(), ()))

    def get(self, name: str) -> str | None:
        """All values of ``name`` joined with ``", "`` (RFC 9110 §5.3), or ``None``."""
        values = self.get_all(name)
        return ", ".join(values) if values else None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self.get_all(name))

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        # Values may hold bearer tokens: show names only.
        return f"Headers({[name for name, _ in self._fields]!r})"

    def replaced(self, name: str, value: str | None) -> Headers:
        """A copy where every ``name`` line is replaced by one ``value`` line (None drops it)."""
        wanted = name.lower()
        kept = [(key, val) for key, val in self._fields if key.lower() != wanted]
        if value is not None:
            kept.append((name, value))
        return Headers(kept)

    def added(self, name: str, value: str) -> Headers:
        """A copy with one more ``name: value`` line at the end."""
        return Headers([*self._fields, (name, value)])


@dataclass(frozen=True)
class SignedRequest:
    """The parts of an HTTP request that a signature can cover.

    ``path`` and ``query`` are the raw, still percent-encoded target path and query string
    (without the ``?``) as sent on the wire (RFC 9421 §2.2.6-2.2.7 use them undecoded).
    An empty ``query`` means "no query"; ``@query`` is then ``?`` either way (§2.2.7).
    ``authority`` defaults to the ``Host`` header.
    """

    method: str
    path: str
    query: str = ""
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    scheme: str = "https"
    authority: str | None = None

    @classmethod
    def from_target_uri(
        cls,
        method: str,
        target_uri: str,
        headers: HeaderSource | None = None,
        body: bytes = b"",
    ) -> SignedRequest:
        """Build a request from an absolute target URI such as ``https://h/p?q``."""
        parts = urlsplit(target_uri)
        if not parts.scheme or not parts.netloc:
            raise ValueError("the target URI must be absolute")
        # Userinfo is not part of the authority HTTP sends (RFC 9110 §4.2.4).
        authority = parts.netloc.rpartition("@")[2]
        return cls(
            method=method,
            path=parts.path,
            query=parts.query,
            headers=Headers(headers),
            body=body,
            scheme=parts.scheme,
            authority=authority,
        )


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
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def _str_param(self, name: str) -> str | None:
        value = self.params.get(name)
        return value if isinstance(value, str) else None

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


def _check_components(components: Sequence[str]) -> None:
    """Structural rules on the covered component list (RFC 9421 §2, §2.3, §2.5)."""
    seen: set[str] = set()
    for name in components:
        if name == _SIGNATURE_PARAMS:
            # §2.3: @signature-params is always the last line and never listed.
            raise MalformedSignatureError("@signature-params cannot be a covered component")
        if name in seen:
            # §2: each component identifier occurs only once.
            raise MalformedSignatureError(f"component {name!r} is covered twice")
        seen.add(name)
        if name.startswith("@"):
            if name not in DERIVED_COMPONENTS:
                raise MalformedSignatureError(f"derived component {name!r} is not supported")
        elif not _FIELD_NAME.fullmatch(name):
            # §2.1: field components are lowercased field names.
            raise MalformedSignatureError(f"component {name!r} is not a lowercase field name")


def _printable(value: str, name: str) -> str:
    """§2.2: derived values are printable ASCII and spaces, without edge whitespace."""
    if any(not (" " <= char <= "~") for char in value) or value != value.strip(" "):
        raise SignatureInvalidError(f"the value of {name} is not printable ASCII")
    return value


def _authority(request: SignedRequest) -> str:
    """§2.2.3: host lowercased, default port removed (RFC 9110 §4.2.3)."""
    authority = request.authority
    if authority is None:
        authority = request.headers.get("host")
    if authority is None or not authority.strip():
        raise SignatureInvalidError("@authority cannot be derived: no authority and no Host header")
    authority = authority.strip().lower()
    # A colon inside a bracketed IPv6 literal is not a port separator.
    if not authority.endswith("]"):
        host, sep, port = authority.rpartition(":")
        is_port = bool(sep) and (host.endswith("]") or ":" not in host)
        # An empty port means the default one (RFC 3986 §3.2.3).
        if is_port and port in ("", _DEFAULT_PORTS.get(request.scheme.lower())):
            authority = host
    return _printable(authority, "@authority")


def _path(request: SignedRequest) -> str:
    """§2.2.6: the absolute path, an empty path being ``/`` (RFC 9110 §4.2.3)."""
    path = request.path or "/"
    if not path.startswith("/") or "?" in path or "#" in path:
        raise SignatureInvalidError("@path is not an absolute path without query or fragment")
    return _printable(path, "@path")


def _query(request: SignedRequest) -> str:
    if "#" in request.query:
        raise SignatureInvalidError("@query contains a fragment")
    return request.query


def _method(request: SignedRequest) -> str:
    """§2.2.1: the method is case-sensitive and taken as is."""
    if not request.method:
        raise SignatureInvalidError("@method is empty")
    return _printable(request.method, "@method")


def _scheme(request: SignedRequest) -> str:
    """§2.2.4: the scheme, lowercased."""
    return _printable(request.scheme.lower(), "@scheme")


def _query_component(request: SignedRequest) -> str:
    """§2.2.7: the query with its leading "?"; a missing or empty query is "?" alone."""
    return _printable("?" + _query(request), "@query")


def _query_suffix(request: SignedRequest) -> str:
    query = _query(request)
    return "?" + query if query else ""


def _request_target(request: SignedRequest) -> str:
    """§2.2.5, origin form: absolute path and query."""
    return _printable(_path(request) + _query_suffix(request), "@request-target")


def _target_uri(request: SignedRequest) -> str:
    """§2.2.2: the absolute target URI, rebuilt from scheme, authority, path and query."""
    uri = f"{_scheme(request)}://{_authority(request)}{_path(request)}{_query_suffix(request)}"
    return _printable(uri, "@target-uri")


_DERIVERS: dict[str, Callable[[SignedRequest], str]] = {
    "@method": _method,
    "@target-uri": _target_uri,
    "@authority": _authority,
    "@scheme": _scheme,
    "@request-target": _request_target,
    "@path": _path,
    "@query": _query_component,
}
# The derived components this module can compute (RFC 9421 §2.2, minus @query-param/@status).
DERIVED_COMPONENTS = frozenset(_DERIVERS)


def _derived_value(request: SignedRequest, name: str) -> str:
    """The value of a derived component (RFC 9421 §2.2.1-2.2.7)."""
    derive = _DERIVERS.get(name)
    if derive is None:
        raise MalformedSignatureError(f"derived component {name!r} is not supported")
    return derive(request)


def _field_value(request: SignedRequest, name: str) -> str:
    """RFC 9421 §2.1: trim each field line, unfold obs-fold, join lines with ", "."""
    lines = request.headers.get_all(name)
    if not lines:
        # §2.5: a covered field absent from the message is an error.
        raise SignatureInvalidError(f"covered header {name!r} is absent from the request")
    cleaned: list[str] = []
    for line in lines:
        value = _OBS_FOLD.sub(" ", line).strip(" \t")
        if "\r" in value or "\n" in value:
            # §2: component values never contain newlines.
            raise SignatureInvalidError(f"header {name!r} contains a line break")
        cleaned.append(value)
    return ", ".join(cleaned)


def component_value(request: SignedRequest, name: str) -> str:
    """The canonical value of one covered component of ``request``."""
    if name.startswith("@"):
        return _derived_value(request, name)
    return _field_value(request, name)


def signature_params_value(components: Sequence[str], params: Mapping[str, BareItem]) -> str:
    """Serialize ``(components);params`` as an Inner List (RFC 9421 §2.3), params in order."""
    _check_components(components)
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
    _check_components(components)
    params_value = params if isinstance(params, str) else signature_params_value(components, params)
    lines = [f"{serialize_string(name)}: {component_value(request, name)}" for name in components]
    lines.append(f"{serialize_string(_SIGNATURE_PARAMS)}: {params_value}")
    try:
        return "\n".join(lines).encode("ascii")
    except UnicodeEncodeError:
        # §2.5: the signature base is a US-ASCII string.
        raise SignatureInvalidError("a covered component is not US-ASCII") from None


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
    """Sign ``request`` and return the ``Signature-Input`` and ``Signature`` headers.

    Parameters are serialized in the order ``created, keyid, alg, expires, nonce, tag``
    followed by ``extra_params``; ``None`` values are left out (``alg=None`` reproduces
    RFC 9421 Appendix B.2.6, which omits it). The content digest is not computed here:
    cover ``content-digest`` and set the header first, or use
    :func:`prepare_signed_headers`.
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
    _check_param_types(params)
    params_value = signature_params_value(components, params)
    base = signature_base(components, params_value, request)
    signature = private_key.sign(base)
    return {
        "Signature-Input": f"{label}={params_value}",
        "Signature": f"{label}=:{b64_encode(signature)}:",
    }


def prepare_signed_headers(
    *,
    method: str,
    path: str,
    query: str = "",
    body: bytes = b"",
    private_key: Ed25519PrivateKey,
    keyid: str,
    created: int,
    idempotency_key: str | None = None,
    authorization: str | None = None,
    offline: str | None = None,
    label: str = QURB_LABEL,
) -> dict[str, str]:
    """All headers a Qurb terminal adds to a request, signature included.

    ``Content-Digest`` is added when ``body`` is non-empty; ``Idempotency-Key`` and
    ``Qurb-Offline`` when given (sent and signed exactly as passed); ``Authorization`` when
    given, sent as passed but never signed: ``Qurb-Token-Digest`` (its SHA-256) is signed in
    its place. The signature covers ``"@method" "@path" "@query"`` followed by whichever of
    ``content-digest``, ``idempotency-key``, ``qurb-token-digest``, ``qurb-offline`` are
    present, in that fixed order.
    """
    headers: dict[str, str] = {}
    if body:
        headers["Content-Digest"] = content_digest(body)
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    if authorization is not None:
        headers["Authorization"] = authorization
        headers["Qurb-Token-Digest"] = token_digest(authorization)
    if offline is not None:
        headers["Qurb-Offline"] = offline
    present = Headers(headers)
    components = [
        *QURB_REQUIRED_COMPONENTS,
        *(name for name in QURB_OPTIONAL_COMPONENTS if name in present),
    ]
    request = SignedRequest(method=method, path=path, query=query, headers=present, body=body)
    headers.update(
        sign_request(
            request,
            private_key,
            label=label,
            components=components,
            created=created,
            keyid=keyid,
        )
    )
    return headers


def _check_param_types(params: Mapping[str, BareItem]) -> None:
    """RFC 9421 §2.3: created/expires are Integers; keyid, alg, nonce, tag are Strings."""
    for name in _INTEGER_PARAMS:
        if name in params:
            value = params[name]
            if isinstance(value, bool) or not isinstance(value, int):
                raise MalformedSignatureError(f"signature parameter {name!r} must be an integer")
    for name in _STRING_PARAMS:
        if name in params:
            value = params[name]
            if not isinstance(value, str) or isinstance(value, Token):
                raise MalformedSignatureError(f"signature parameter {name!r} must be a string")


def parse_signature(headers: Headers | HeaderSource, label: str = QURB_LABEL) -> ParsedSignature:
    """Extract the signature labelled ``label`` (RFC 9421 §3.2 steps 1-3, §4.1, §4.2).

    Raises :class:`SignatureMissingError` when a header or the label is absent and
    :class:`MalformedSignatureError` when the fields do not parse, when a covered component
    carries parameters, or when the ``Signature-Input`` member is not the canonical
    serialization of what it encodes (the signature base would then be ambiguous).
    """
    fields = headers if isinstance(headers, Headers) else Headers(headers)
    input_value = fields.get("signature-input")
    signature_value = fields.get("signature")
    if input_value is None or signature_value is None:
        raise SignatureMissingError("the Signature and Signature-Input headers are both required")
    quick = _parse_canonical(input_value, signature_value, label)
    if quick is not None:
        return quick
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
        if not isinstance(item.value, str) or isinstance(item.value, Token):
            raise MalformedSignatureError("covered components must be strings")
        if item.params:
            raise MalformedSignatureError("component parameters are not supported")
        components.append(item.value)
    _check_components(components)
    _check_param_types(inner.params)
    if serialize_inner_list(inner) != member.raw:
        raise MalformedSignatureError(
            "the Signature-Input member is not in canonical RFC 8941 form"
        )
    signature_item = signatures[label].value
    if not isinstance(signature_item, Item) or not isinstance(signature_item.value, bytes):
        raise MalformedSignatureError("a Signature member must be a byte sequence")
    return ParsedSignature(
        label=label,
        components=tuple(components),
        params=dict(inner.params),
        signature=signature_item.value,
        params_raw=member.raw,
    )


# The one shape every conforming terminal sends: a single member whose inner list of
# strings and integer or string parameters is already in canonical RFC 8941 form, and a
# single byte-sequence member. Matched by these, a signature is read without the general
# parser (a tenth of a collection's CPU); anything else goes through it and gets its
# precise error. tests/unit/protocol checks both paths agree.
_KEY = r"[a-z*][a-z0-9_\-.*]*"
_STRING = r'"[ !#-\[\]-~]*"'
_VALUE = rf"0|-?[1-9][0-9]{{0,14}}|{_STRING}"
_CANONICAL_INPUT = re.compile(
    rf"(?P<label>{_KEY})=(?P<raw>\((?P<items>(?:{_STRING}(?: {_STRING})*)?)\)"
    rf"(?P<params>(?:;{_KEY}=(?:{_VALUE}))*))"
)
_CANONICAL_SIGNATURE = re.compile(rf"(?P<label>{_KEY})=:(?P<bytes>[A-Za-z0-9+/]*={{0,2}}):")
_ITEM = re.compile(_STRING)
_PARAM = re.compile(rf";({_KEY})=({_VALUE})")


def _parse_canonical(input_value: str, signature_value: str, label: str) -> ParsedSignature | None:
    """The signature, when both fields have the canonical single-member shape; else None."""
    matched = _CANONICAL_INPUT.fullmatch(input_value)
    signed = _CANONICAL_SIGNATURE.fullmatch(signature_value)
    if matched is None or signed is None or matched["label"] != label or signed["label"] != label:
        return None
    components = [item[1:-1] for item in _ITEM.findall(matched["items"])]
    params: dict[str, BareItem] = {}
    for key, value in _PARAM.findall(matched["params"]):
        if key in params:
            return None  # the general parser keeps the last, and refuses the form
        params[key] = value[1:-1] if value.startswith('"') else int(value)
    try:
        signature = base64.b64decode(signed["bytes"], validate=True)
    except ValueError:
        return None
    _check_components(components)
    _check_param_types(params)
    return ParsedSignature(
        label=label,
        components=tuple(components),
        params=params,
        signature=signature,
        params_raw=matched["raw"],
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


def check_coverage(
    parsed: ParsedSignature,
    request: SignedRequest,
    required_always: Sequence[str] = QURB_REQUIRED_COMPONENTS,
    required_if_present: Sequence[str] = QURB_OPTIONAL_COMPONENTS,
) -> None:
    """Profile policy (RFC 9421 §3.2.1): demand coverage of the components that matter.

    Raises :class:`SignatureCoverageError` naming the first missing component.
    """
    covered = set(parsed.components)
    for name in QURB_UNCOVERABLE_COMPONENTS:
        if name in covered:
            raise SignatureCoverageError(
                f"the signature must not cover {name!r}: cover 'qurb-token-digest' instead"
            )
    for name in required_always:
        if name not in covered:
            raise SignatureCoverageError(f"the signature must cover {name!r}")
    for name in required_if_present:
        if name in request.headers and name not in covered:
            raise SignatureCoverageError(f"header {name!r} is present but not covered")


def token_digest(authorization: str) -> str:
    """``Qurb-Token-Digest``: the RFC 9530 ``sha-256`` form of the ``Authorization`` value's
    SHA-256, what a signature covers in place of the token."""
    digest = base64.b64encode(hashlib.sha256(authorization.strip().encode()).digest()).decode()
    return f"sha-256=:{digest}:"


def check_token_digest(request: SignedRequest) -> None:
    """A request carrying a token must carry (and, by :func:`check_coverage`, sign) the
    digest of exactly that token."""
    authorization = request.headers.get("authorization")
    if authorization is None:
        return
    stated = request.headers.get("qurb-token-digest")
    if stated is None:
        raise SignatureCoverageError(
            "a request with an authorization token must send and sign Qurb-Token-Digest"
        )
    # Compared as bytes: hmac.compare_digest refuses str holding non-ASCII with a TypeError,
    # and a header decoded from the wire may hold any Latin-1 character.
    if not hmac.compare_digest(stated.strip(" \t").encode(), token_digest(authorization).encode()):
        raise SignatureInvalidError("Qurb-Token-Digest is not the digest of the token sent")


def check_created(
    parsed: ParsedSignature,
    now: int,
    window_seconds: int,
    offline_window_seconds: int | None = None,
) -> None:
    """Freshness policy on ``created`` (and ``expires``) (RFC 9421 §2.3, §7.2.2).

    Online: ``now - window <= created <= now + window``. When an offline window is passed
    (the caller has established that the request is an offline replay), the lower bound
    becomes ``now - max(window, offline_window)``; the future bound stays ``window``.
    An ``expires`` in the past is refused too.
    """
    created = parsed.created
    if created is None:
        raise SignatureStaleError("the created parameter is required")
    if created > now + window_seconds:
        raise SignatureStaleError("created is too far in the future")
    allowed_age = window_seconds
    if offline_window_seconds is not None:
        allowed_age = max(window_seconds, offline_window_seconds)
    if created < now - allowed_age:
        raise SignatureStaleError("created is older than the accepted window")
    expires = parsed.expires
    if expires is not None and expires < now:
        raise SignatureStaleError("the signature has expired")


def verify_body_digest(request: SignedRequest) -> None:
    """Bind the body to the covered ``Content-Digest`` (RFC 9530, RFC 9421 §7.2.8).

    A non-empty body needs the header; a header sent with an empty body is checked too.
    """
    header = request.headers.get("content-digest")
    if header is None and not request.body:
        return
    verify_content_digest(header, request.body)


def verify_qurb_request(
    request: SignedRequest,
    resolve_key: Callable[[str], bytes | None],
    *,
    now: int,
    window_seconds: int,
    offline_window_seconds: int | None = None,
    label: str = QURB_LABEL,
) -> ParsedSignature:
    """Run every Qurb profile check on a received request and return the signature.

    Order: parse, ``alg``/``keyid`` presence, coverage, freshness, body digest, key lookup,
    cryptographic check. ``resolve_key`` maps a ``keyid`` to the raw 32-byte public key
    (``None`` when unknown). The offline window applies only when the request carries a
    ``Qurb-Offline`` header, which coverage has by then proven to be signed.
    """
    parsed = parse_signature(request.headers, label)
    if parsed.alg != ALG_ED25519:
        raise SignatureInvalidError('the profile requires alg="ed25519"')
    keyid = parsed.keyid
    if not keyid:
        raise MalformedSignatureError("the keyid parameter is required")
    check_coverage(parsed, request)
    check_token_digest(request)
    offline = offline_window_seconds if "qurb-offline" in request.headers else None
    check_created(parsed, now, window_seconds, offline)
    verify_body_digest(request)
    public_key_raw = resolve_key(keyid)
    if public_key_raw is None:
        raise SignatureInvalidError("the keyid is not known")
    verify_signature(parsed, request, public_key_raw)
    return parsed
