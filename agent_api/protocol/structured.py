"""The subset of RFC 8941 Structured Field Values that HTTP Message Signatures use.

``Signature-Input`` is a Dictionary whose members are Inner Lists of Strings with
parameters (RFC 9421 §4.1); ``Signature`` is a Dictionary of Byte Sequences (§4.2);
``Content-Digest`` is a Dictionary of Byte Sequences (RFC 9530 §2). This module parses
those shapes following the algorithms of RFC 8941 §4.2 and serializes them following
§4.1. Decimals are not supported: no field handled here uses them.

The parser also records, for every dictionary member, the exact text it was parsed from,
because RFC 9421 §3.2 step 7 rebuilds ``@signature-params`` from the received
``Signature-Input`` member.
"""

from __future__ import annotations

import base64
import binascii
import string
from collections.abc import Mapping
from dataclasses import dataclass, field

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
    "serialize_bare_item",
    "serialize_dictionary",
    "serialize_inner_list",
    "serialize_item",
    "serialize_key",
    "serialize_member",
    "serialize_parameters",
    "serialize_string",
]


class StructuredFieldError(MalformedSignatureError):
    """A structured field value cannot be parsed, or a value cannot be serialized."""


class RepeatedKeyError(StructuredFieldError):
    """A Dictionary parsed with ``refuse_repeats`` names a key twice."""


class Token(str):
    """An sf-token (RFC 8941 §3.3.4), kept apart from sf-string, which prints quoted."""

    __slots__ = ()


# bool first: bool is a subclass of int and must not be mistaken for an Integer.
BareItem = bool | int | str | bytes
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


_INTEGER_MAX = 999_999_999_999_999  # RFC 8941 §3.3.1: at most 15 digits.
_LCALPHA = frozenset(string.ascii_lowercase)
_KEY_FIRST = _LCALPHA | {"*"}
_KEY_REST = _LCALPHA | frozenset(string.digits) | {"_", "-", ".", "*"}
_ALPHA = frozenset(string.ascii_letters)
# RFC 9110 §5.6.2 tchar, plus ":" and "/" which RFC 8941 §3.3.4 adds for tokens.
_TCHAR = _ALPHA | frozenset(string.digits) | frozenset("!#$%&'*+-.^_`|~")
_TOKEN_REST = _TCHAR | {":", "/"}
_TOKEN_FIRST = _ALPHA | {"*"}
_BASE64_CHARS = frozenset(string.ascii_letters + string.digits + "+/=")
_OWS = " \t"


class _Parser:
    """A cursor over one field value; each method mirrors one RFC 8941 §4.2 algorithm."""

    def __init__(self, text: str) -> None:
        if not text.isascii():
            # RFC 8941 §4.2 step 1: the input must be ASCII.
            raise StructuredFieldError("structured field contains non-ASCII characters")
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> StructuredFieldError:
        return StructuredFieldError(f"structured field: {what} at offset {self.pos}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def skip(self, chars: str) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1

    def parse_dictionary(self, *, refuse_repeats: bool = False) -> dict[str, DictionaryMember]:
        """RFC 8941 §4.2.2; whitespace around commas is OWS (SP or HTAB)."""
        members: dict[str, DictionaryMember] = {}
        while not self.at_end():
            key = self.parse_key()
            if refuse_repeats and key in members:
                raise RepeatedKeyError(f"structured field: the key {key!r} appears twice")
            start = self.pos
            value: Member
            if self.peek() == "=":
                self.pos += 1
                start = self.pos
                value = self.parse_item_or_inner_list()
            else:
                # A bare key is Boolean true with optional parameters (§4.2.2).
                value = Item(True, self.parse_parameters())
            # A repeated key overwrites the earlier value (§4.2.2).
            members[key] = DictionaryMember(value, self.text[start : self.pos])
            self.skip(_OWS)
            if self.at_end():
                return members
            if self.peek() != ",":
                raise self.fail("expected ',' between dictionary members")
            self.pos += 1
            self.skip(_OWS)
            if self.at_end():
                raise self.fail("trailing comma in dictionary")
        return members

    def parse_item_or_inner_list(self) -> Member:
        if self.peek() == "(":
            return self.parse_inner_list()
        return self.parse_item()

    def parse_inner_list(self) -> InnerList:
        """RFC 8941 §4.2.1.2: only SP (not HTAB) may separate inner-list items."""
        self.pos += 1  # the opening parenthesis
        items: list[Item] = []
        while not self.at_end():
            self.skip(" ")
            if self.peek() == ")":
                self.pos += 1
                return InnerList(tuple(items), self.parse_parameters())
            items.append(self.parse_item())
            if self.peek() not in (" ", ")"):
                raise self.fail("expected space or ')' in inner list")
        raise self.fail("unterminated inner list")

    def parse_item(self) -> Item:
        value = self.parse_bare_item()
        return Item(value, self.parse_parameters())

    def parse_bare_item(self) -> BareItem:
        """RFC 8941 §4.2.3.1, minus Decimals."""
        char = self.peek()
        if char == "-" or (char != "" and char in string.digits):
            return self.parse_integer()
        if char == '"':
            return self.parse_string()
        if char in _TOKEN_FIRST:
            return self.parse_token()
        if char == ":":
            return self.parse_byte_sequence()
        if char == "?":
            return self.parse_boolean()
        raise self.fail("unrecognised bare item")

    def parse_parameters(self) -> Parameters:
        """RFC 8941 §4.2.3.2; later duplicates overwrite earlier ones."""
        params: Parameters = {}
        while self.peek() == ";":
            self.pos += 1
            self.skip(" ")
            key = self.parse_key()
            value: BareItem = True
            if self.peek() == "=":
                self.pos += 1
                value = self.parse_bare_item()
            params[key] = value
        return params

    def parse_key(self) -> str:
        """RFC 8941 §4.2.3.3."""
        if self.peek() not in _KEY_FIRST or self.at_end():
            raise self.fail("a key must start with a lowercase letter or '*'")
        start = self.pos
        self.pos += 1
        while not self.at_end() and self.text[self.pos] in _KEY_REST:
            self.pos += 1
        return self.text[start : self.pos]

    def parse_integer(self) -> int:
        """RFC 8941 §4.2.4, Integers only: an optional '-' and 1 to 15 digits."""
        start = self.pos
        if self.peek() == "-":
            self.pos += 1
        digits_start = self.pos
        while not self.at_end() and self.text[self.pos] in string.digits:
            self.pos += 1
        digits = self.text[digits_start : self.pos]
        if not digits:
            raise self.fail("integer without digits")
        if self.peek() == ".":
            raise self.fail("decimals are not supported")
        if len(digits) > 15:
            raise self.fail("integer longer than 15 digits")
        return int(self.text[start : self.pos])

    def parse_string(self) -> str:
        """RFC 8941 §4.2.5: printable ASCII; only \\" and \\\\ are escapes."""
        self.pos += 1  # the opening quote
        out: list[str] = []
        while not self.at_end():
            char = self.text[self.pos]
            self.pos += 1
            if char == "\\":
                if self.at_end() or self.text[self.pos] not in ('"', "\\"):
                    raise self.fail("invalid escape in string")
                out.append(self.text[self.pos])
                self.pos += 1
            elif char == '"':
                return "".join(out)
            elif not (" " <= char <= "~"):
                raise self.fail("control character in string")
            else:
                out.append(char)
        raise self.fail("unterminated string")

    def parse_token(self) -> Token:
        """RFC 8941 §4.2.6."""
        start = self.pos
        self.pos += 1
        while not self.at_end() and self.text[self.pos] in _TOKEN_REST:
            self.pos += 1
        return Token(self.text[start : self.pos])

    def parse_byte_sequence(self) -> bytes:
        """RFC 8941 §4.2.7; missing '=' padding is tolerated as the RFC recommends."""
        self.pos += 1  # the opening colon
        end = self.text.find(":", self.pos)
        if end < 0:
            raise self.fail("unterminated byte sequence")
        encoded = self.text[self.pos : end]
        if any(char not in _BASE64_CHARS for char in encoded):
            raise self.fail("byte sequence has characters outside base64")
        self.pos = end + 1
        stripped = encoded.rstrip("=")
        if "=" in stripped:
            raise self.fail("padding inside byte sequence")
        try:
            return base64.b64decode(stripped + "=" * (-len(stripped) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise self.fail("byte sequence does not decode") from None

    def parse_boolean(self) -> bool:
        """RFC 8941 §4.2.8."""
        self.pos += 1
        char = self.peek()
        if char not in ("0", "1"):
            raise self.fail("boolean must be ?0 or ?1")
        self.pos += 1
        return char == "1"


def parse_dictionary(text: str, *, refuse_repeats: bool = False) -> dict[str, DictionaryMember]:
    """Parse a Dictionary field value (RFC 8941 §4.2 with §4.2.2).

    Leading and trailing whitespace is discarded (§4.2 steps 2 and 4; HTTP already strips
    OWS around field values). Several field lines must be joined with ``", "`` beforehand,
    as RFC 9110 §5.3 allows. RFC 8941 keeps the last of repeated keys; ``refuse_repeats``
    refuses them instead, for a field whose every member is evidence kept as sent.
    """
    parser = _Parser(text.strip(_OWS))
    return parser.parse_dictionary(refuse_repeats=refuse_repeats)


def serialize_key(key: str) -> str:
    """RFC 8941 §4.1.1.3."""
    if not key or key[0] not in _KEY_FIRST or any(char not in _KEY_REST for char in key[1:]):
        raise StructuredFieldError("invalid structured-field key")
    return key


def serialize_string(value: str) -> str:
    """RFC 8941 §4.1.6: printable ASCII, with '"' and '\\' escaped."""
    if any(not (" " <= char <= "~") for char in value):
        raise StructuredFieldError("sf-string may only hold printable ASCII")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def serialize_bare_item(value: BareItem) -> str:
    """RFC 8941 §4.1.3.1 for Booleans, Integers, Tokens, Strings and Byte Sequences."""
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        if abs(value) > _INTEGER_MAX:
            raise StructuredFieldError("sf-integer out of range")
        return str(value)
    if isinstance(value, Token):
        if not value or value[0] not in _TOKEN_FIRST or any(c not in _TOKEN_REST for c in value):
            raise StructuredFieldError("invalid sf-token")
        return str(value)
    if isinstance(value, str):
        return serialize_string(value)
    return ":" + base64.b64encode(value).decode("ascii") + ":"


def serialize_parameters(params: Mapping[str, BareItem]) -> str:
    """RFC 8941 §4.1.1.2: Boolean true parameters are written as the bare key."""
    out: list[str] = []
    for key, value in params.items():
        out.append(";" + serialize_key(key))
        if value is not True:
            out.append("=" + serialize_bare_item(value))
    return "".join(out)


def serialize_item(item: Item) -> str:
    """RFC 8941 §4.1.3."""
    return serialize_bare_item(item.value) + serialize_parameters(item.params)


def serialize_inner_list(inner: InnerList) -> str:
    """RFC 8941 §4.1.1.1: items separated by a single space."""
    body = " ".join(serialize_item(item) for item in inner.items)
    return "(" + body + ")" + serialize_parameters(inner.params)


def serialize_member(member: Member) -> str:
    """Serialize a Dictionary member value (an Item or an Inner List)."""
    if isinstance(member, InnerList):
        return serialize_inner_list(member)
    return serialize_item(member)


def serialize_dictionary(members: Mapping[str, Member]) -> str:
    """RFC 8941 §4.1.2: members joined by ``", "``; Boolean true values print bare."""
    out: list[str] = []
    for key, member in members.items():
        if isinstance(member, Item) and member.value is True:
            out.append(serialize_key(key) + serialize_parameters(member.params))
        else:
            out.append(serialize_key(key) + "=" + serialize_member(member))
    return ", ".join(out)
