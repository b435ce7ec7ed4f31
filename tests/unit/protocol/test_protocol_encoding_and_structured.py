"""Strict base64 codecs and the RFC 8941 structured-field subset."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agent_api.protocol.encoding import b64_decode, b64_encode, b64url_decode, b64url_encode
from agent_api.protocol.errors import EncodingError
from agent_api.protocol.structured import (
    InnerList,
    Item,
    StructuredFieldError,
    Token,
    parse_dictionary,
    serialize_inner_list,
    serialize_string,
)


def test_base64url_round_trips_without_padding() -> None:
    for size in range(40):
        data = bytes(range(256))[:size]
        text = b64url_encode(data)
        assert "=" not in text
        assert b64url_decode(text) == data


@pytest.mark.parametrize("text", ["AAE=", "AA+B", "AA/B", "AA B", "A", "AB", "é"])
def test_base64url_refuses_padding_foreign_characters_and_non_canonical_text(text: str) -> None:
    with pytest.raises(EncodingError):
        b64url_decode(text)


def test_standard_base64_round_trips_and_is_strict() -> None:
    assert b64_decode(b64_encode(b"\xfb\xff")) == b"\xfb\xff"
    for bad in ("+/8", "-_8=", "AB==", "AAE=\n", "A==="):
        with pytest.raises(EncodingError):
            b64_decode(bad)


def test_dictionary_members_keep_their_exact_text() -> None:
    members = parse_dictionary(
        'sig1=("@method" "@path");created=1;keyid="k", sig2=:AAEC:;x=?1, flag'
    )
    assert members["sig1"].raw == '("@method" "@path");created=1;keyid="k"'
    assert members["sig1"].value == InnerList(
        (Item("@method"), Item("@path")), {"created": 1, "keyid": "k"}
    )
    assert members["sig2"].value == Item(b"\x00\x01\x02", {"x": True})
    assert members["flag"].value == Item(True)


def test_dictionary_whitespace_follows_rfc8941() -> None:
    # OWS (SP / HTAB) around commas and around the whole value; SP inside inner lists and
    # after ';'.
    members = parse_dictionary(' \ta=1 ,\tb=( "x"  "y" ); p=2\t')
    assert members["a"].value == Item(1)
    assert members["b"].value == InnerList((Item("x"), Item("y")), {"p": 2})
    assert members["b"].raw == '( "x"  "y" ); p=2'


def test_dictionary_byte_sequences_must_be_padded_as_the_protocol_says() -> None:
    # docs/protocol.md §4: standard base64 with "=" padding. RFC 8941 §4.2.7 lets a parser
    # refuse unpadded sequences; http-sfv does.
    assert parse_dictionary("d=:AAE=:")["d"].value == Item(b"\x00\x01")
    with pytest.raises(StructuredFieldError):
        parse_dictionary("d=:AAE:")


# The examples of RFC 8941 §3.2 (Dictionaries) and §3.1.2 (Parameters), as published.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'en="Applepie", da=:w4ZibGV0w6ZydGU=:',
            {"en": Item("Applepie"), "da": Item("Æbletærte".encode())},
        ),
        (
            "a=?0, b, c; foo=bar",
            {"a": Item(False), "b": Item(True), "c": Item(True, {"foo": Token("bar")})},
        ),
        (
            "rating=1.5, feelings=(joy sadness)",
            {
                "rating": Item(Decimal("1.5")),
                "feelings": InnerList((Item(Token("joy")), Item(Token("sadness")))),
            },
        ),
        (
            "a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid",
            {
                "a": InnerList((Item(1), Item(2))),
                "b": Item(3),
                "c": Item(4, {"aa": Token("bb")}),
                "d": InnerList((Item(5), Item(6)), {"valid": True}),
            },
        ),
    ],
)
def test_the_published_rfc8941_dictionary_examples_parse(
    text: str, expected: dict[str, object]
) -> None:
    assert {key: member.value for key, member in parse_dictionary(text).items()} == expected


@pytest.mark.parametrize(
    "text",
    [
        "A=1",  # uppercase key
        "a=1,",  # trailing comma
        "a=1 b=2",  # missing comma
        "a=(1 2",  # unterminated inner list
        'a=("x"\t"y")',  # HTAB inside an inner list
        'a="unterminated',
        'a="bad \\n escape"',
        "a=:not base64!:",
        "a=:AA=A:",
        "a=1.5.2",
        "a=1234567890123456",  # 16 digits
        "a=?2",
        "a=@",
        "a=1;B=2",
        "a=é",
    ],
)
def test_malformed_dictionaries_are_refused_as_malformed_signature(text: str) -> None:
    with pytest.raises(StructuredFieldError) as caught:
        parse_dictionary(text)
    assert caught.value.code == "malformed_signature"


def test_strings_escape_quotes_and_backslashes_both_ways() -> None:
    serialized = serialize_string('say "hi" \\ bye')
    assert serialized == '"say \\"hi\\" \\\\ bye"'
    assert parse_dictionary("s=" + serialized)["s"].value == Item('say "hi" \\ bye')
    with pytest.raises(StructuredFieldError):
        serialize_string("line\nbreak")


def test_serialization_is_canonical_rfc8941() -> None:
    inner = InnerList(
        (Item("@method"), Item("content-digest")),
        {"created": 1618884473, "keyid": "k", "alg": "ed25519", "flag": True, "t": Token("a/b")},
    )
    text = serialize_inner_list(inner)
    assert text == (
        '("@method" "content-digest");created=1618884473;keyid="k";alg="ed25519";flag;t=a/b'
    )
    assert parse_dictionary("x=" + text)["x"].value == inner
    with pytest.raises(StructuredFieldError):
        serialize_inner_list(InnerList((Item("x"),), {"created": 10**15}))  # 16 digits
