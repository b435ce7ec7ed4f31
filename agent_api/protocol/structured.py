"""RFC 8941 Structured Field Values for the signature headers, parsed by ``http-sfv``.

``Signature-Input`` is a Dictionary whose members are Inner Lists of Strings with
parameters (RFC 9421 §4.1); ``Signature`` is a Dictionary of Byte Sequences (§4.2);
``Content-Digest`` is a Dictionary of Byte Sequences (RFC 9530 §2). The grammar — keys,
items, inner lists, parameters, every bare type — is ``http-sfv``'s, the implementation kept
by the RFC's author. This module adds what the protocol needs on top of it:

* the exact text of every Dictionary member, because the Qurb profile builds
  ``@signature-params`` from the member as received and refuses one that is not canonical
  (docs/protocol.md §3); the library's own Dictionary parser keeps no offsets, so the
  Dictionary loop (RFC 8941 §4.2.2) is walked here with the library's key and member parsers;
* an opt-in refusal of repeated keys, for a field whose every member is evidence kept as sent;
* plain frozen values (:class:`Item`, :class:`InnerList`) that compare with their parameters;
* errors that are :class:`MalformedSignatureError` with a stable code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from http_sfv.item import InnerList as _SfvInnerList
from http_sfv.item import Item as _SfvItem
from http_sfv.item import Parameters as _SfvParameters
from http_sfv.list import parse_item_or_inner_list
from http_sfv.types import Token
from http_sfv.util import discard_http_ows, parse_key, ser_key

from .errors import MalformedSignatureError

__all__ = [
    "BareItem",
    "DictionaryMember",
    "InnerList",
    "Item",
    "Member",
    "Parameters",
    "RepeatedKeyError",
    "StructuredFieldError",
    "Token",
    "parse_dictionary",
    "serialize_inner_list",
    "serialize_key",
    "serialize_string",
]


class StructuredFieldError(MalformedSignatureError):
    """A structured field value cannot be parsed, or a value cannot be serialized."""


class RepeatedKeyError(StructuredFieldError):
    """A Dictionary parsed with ``refuse_repeats`` names a key twice."""


# Token is http-sfv's sf-token (RFC 8941 §3.3.4), a str kept apart from sf-string, which
# prints quoted. bool first: bool is a subclass of int and must not be mistaken for an
# Integer. Decimals, Dates and Display Strings (RFC 9651) parse, and the signature checks
# refuse them wherever they expect another type.
BareItem = bool | int | float | Decimal | str | bytes | datetime
Parameters = dict[str, BareItem]


@dataclass(frozen=True)
class Item:
    """An Item: a bare value and its parameters (RFC 8941 §3.3)."""

    value: BareItem
    params: Parameters = field(default_factory=dict)


@dataclass(frozen=True)
class InnerList:
    """An Inner List: Items in parentheses, followed by parameters (RFC 8941 §3.1.1)."""

    items: tuple[Item, ...]
    params: Parameters = field(default_factory=dict)


Member = Item | InnerList


@dataclass(frozen=True)
class DictionaryMember:
    """A parsed Dictionary member value together with the exact text it came from."""

    value: Member
    raw: str


_OWS = " \t"
_COMMA = ord(",")


def _reason(exc: BaseException) -> str:
    """The library wraps its errors in bare ValueErrors: the innermost one says what failed."""
    while exc.__cause__ is not None and not str(exc):
        exc = exc.__cause__
    return str(exc) or "invalid value"


def _from_library(member: _SfvItem | _SfvInnerList) -> Member:
    if isinstance(member, _SfvInnerList):
        return InnerList(tuple(_item(item) for item in member), dict(member.params))
    return _item(member)


def _item(item: _SfvItem) -> Item:
    return Item(item.value, dict(item.params))


def parse_dictionary(text: str, *, refuse_repeats: bool = False) -> dict[str, DictionaryMember]:
    """Parse a Dictionary field value (RFC 8941 §4.2 with §4.2.2).

    Leading and trailing whitespace is discarded (§4.2 steps 2 and 4; HTTP already strips
    OWS around field values). Several field lines must be joined with ``", "`` beforehand,
    as RFC 9110 §5.3 allows. RFC 8941 keeps the last of repeated keys; ``refuse_repeats``
    refuses them instead, for a field whose every member is evidence kept as sent.
    """
    try:
        # RFC 8941 §4.2 step 1: the input must be ASCII.
        data = text.strip(_OWS).encode("ascii")
    except UnicodeEncodeError:
        raise StructuredFieldError("structured field contains non-ASCII characters") from None
    members: dict[str, DictionaryMember] = {}
    pos = 0
    try:
        while pos < len(data):
            used, key = parse_key(data[pos:])
            pos += used
            if refuse_repeats and key in members:
                raise RepeatedKeyError(f"structured field: the key {key!r} appears twice")
            start = pos
            value: Member
            if data[pos : pos + 1] == b"=":
                pos += 1
                start = pos
                used, parsed = parse_item_or_inner_list(data[pos:])
                value = _from_library(parsed)
            else:
                # A bare key is Boolean true with optional parameters (§4.2.2).
                params = _SfvParameters()
                used = params.parse(data[pos:])
                value = Item(True, dict(params))
            pos += used
            # A repeated key overwrites the earlier value (§4.2.2).
            members[key] = DictionaryMember(value, data[start:pos].decode("ascii"))
            pos += discard_http_ows(data[pos:])
            if pos == len(data):
                break
            if data[pos] != _COMMA:
                raise ValueError(f"expected ',' after the member {key!r}")
            pos += 1
            pos += discard_http_ows(data[pos:])
            if pos == len(data):
                raise ValueError("trailing comma in dictionary")
    except StructuredFieldError:
        raise
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise StructuredFieldError(f"structured field: {_reason(exc)} at offset {pos}") from None
    return members


def _library_item(item: Item) -> _SfvItem:
    out = _SfvItem(item.value)
    out.params.update(item.params)
    return out


def _serialize(what: object) -> str:
    try:
        return str(what)
    except (ValueError, TypeError, IndexError) as exc:
        raise StructuredFieldError(f"cannot serialize: {_reason(exc)}") from None


def serialize_key(key: str) -> str:
    """RFC 8941 §4.1.1.3."""
    if not key:
        raise StructuredFieldError("cannot serialize: an empty key")
    try:
        return str(ser_key(key))
    except ValueError as exc:
        raise StructuredFieldError(f"cannot serialize: {_reason(exc)}") from None


def serialize_string(value: str) -> str:
    """RFC 8941 §4.1.6: printable ASCII, with '"' and '\\' escaped."""
    return _serialize(_SfvItem(str(value)))


def serialize_inner_list(inner: InnerList) -> str:
    """RFC 8941 §4.1.1.1: items separated by a single space, then the parameters."""
    out = _SfvInnerList([_library_item(item) for item in inner.items])
    out.params.update(inner.params)
    return _serialize(out)
