"""The message components a signature covers (RFC 9421 §2): a request, and each value.

:class:`Headers` keeps every field line as received so that §2.1 can combine repeated
fields; :class:`SignedRequest` holds the parts of a request a signature can cover;
:func:`component_value` derives ``@method``, ``@target-uri``, ``@authority``, ``@scheme``,
``@request-target``, ``@path`` and ``@query`` (§2.2) and plain header fields (§2.1).
:func:`check_components` holds the rules on a covered list; component parameters (``sf``,
``key``, ``bs``, ``req``, ``tr``) are not supported, and the parser refuses them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .errors import MalformedSignatureError, SignatureInvalidError

__all__ = [
    "DERIVED_COMPONENTS",
    "SIGNATURE_PARAMS",
    "HeaderSource",
    "Headers",
    "SignedRequest",
    "check_components",
    "component_value",
]

SIGNATURE_PARAMS = "@signature-params"
_DEFAULT_PORTS = {"http": "80", "https": "443"}
# RFC 9112 §5.2: obs-fold (OWS CRLF RWS) is replaced by a single space (RFC 9421 §2.1 step 3).
_OBS_FOLD = re.compile(r"[ \t]*\r?\n[ \t]+")
# RFC 9110 §5.1 field-name = token.
_FIELD_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+")

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


def check_components(components: Sequence[str]) -> None:
    """Structural rules on the covered component list (RFC 9421 §2, §2.3, §2.5)."""
    seen: set[str] = set()
    for name in components:
        if name == SIGNATURE_PARAMS:
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
