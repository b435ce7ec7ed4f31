"""RFC 9421 published examples: the B.2.6 Ed25519 signature and §2 component values."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from agent_api.protocol.errors import SignatureInvalidError
from agent_api.protocol.keys import load_private_key_pem, public_key_raw
from agent_api.protocol.signatures import (
    Headers,
    SignedRequest,
    component_value,
    parse_signature,
    sign_request,
    signature_base,
    verify_signature,
)
from agent_api.protocol.structured import BareItem

# RFC 9421 Appendix B.1.4, test-key-ed25519 (a published test key that protects nothing).
TEST_KEY_ED25519_PRIVATE = (
    b"-----BEGIN PRIVATE KEY-----\n"
    b"MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n"
    b"-----END PRIVATE KEY-----\n"
)
TEST_KEY_ED25519_PUBLIC = (
    b"-----BEGIN PUBLIC KEY-----\n"
    b"MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n"
    b"-----END PUBLIC KEY-----\n"
)

# RFC 9421 Appendix B.2, the test-request message.
B2_BODY = b'{"hello": "world"}'
B2_HEADERS = Headers(
    [
        ("Host", "example.com"),
        ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
        ("Content-Type", "application/json"),
        (
            "Content-Digest",
            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyeal"
            "dVLvRwEmTHWXvJwew==:",
        ),
        ("Content-Length", "18"),
    ]
)
B2_REQUEST = SignedRequest(
    method="POST", path="/foo", query="param=Value&Pet=dog", headers=B2_HEADERS, body=B2_BODY
)

# RFC 9421 Appendix B.2.6, with the RFC 8792 line wrapping undone.
B26_COMPONENTS = ["date", "@method", "@path", "@authority", "content-type", "content-length"]
B26_PARAMS: dict[str, BareItem] = {"created": 1618884473, "keyid": "test-key-ed25519"}
B26_BASE = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
    '"@method": POST\n'
    '"@path": /foo\n'
    '"@authority": example.com\n'
    '"content-type": application/json\n'
    '"content-length": 18\n'
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" '
    '"content-length");created=1618884473;keyid="test-key-ed25519"'
).encode("ascii")
B26_SIGNATURE_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
B26_SIGNATURE = (
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPp"
    "BKRCw==:"
)


def _public_raw() -> bytes:
    key = serialization.load_pem_public_key(TEST_KEY_ED25519_PUBLIC)
    assert isinstance(key, Ed25519PublicKey)
    return public_key_raw(key)


def test_rfc9421_b14_private_and_public_test_keys_belong_together() -> None:
    private_key = load_private_key_pem(TEST_KEY_ED25519_PRIVATE)
    assert public_key_raw(private_key) == _public_raw()


def test_rfc9421_b26_signature_base_is_reproduced_exactly() -> None:
    assert signature_base(B26_COMPONENTS, B26_PARAMS, B2_REQUEST) == B26_BASE


def test_rfc9421_b26_ed25519_example_verifies() -> None:
    request = SignedRequest(
        method=B2_REQUEST.method,
        path=B2_REQUEST.path,
        query=B2_REQUEST.query,
        headers=B2_HEADERS.added("Signature-Input", B26_SIGNATURE_INPUT).added(
            "Signature", B26_SIGNATURE
        ),
        body=B2_BODY,
    )
    parsed = parse_signature(request.headers, label="sig-b26")
    assert parsed.components == tuple(B26_COMPONENTS)
    assert parsed.created == 1618884473
    assert parsed.keyid == "test-key-ed25519"
    assert signature_base(parsed.components, parsed.params_raw, request) == B26_BASE
    verify_signature(parsed, request, _public_raw())


def test_rfc9421_b26_signing_reproduces_the_published_headers() -> None:
    # Ed25519 is deterministic (RFC 8032 §5.1.6), so the published value must come back.
    headers = sign_request(
        B2_REQUEST,
        load_private_key_pem(TEST_KEY_ED25519_PRIVATE),
        label="sig-b26",
        components=B26_COMPONENTS,
        created=1618884473,
        keyid="test-key-ed25519",
        alg=None,
    )
    assert headers == {"Signature-Input": B26_SIGNATURE_INPUT, "Signature": B26_SIGNATURE}


def test_rfc9421_b26_flipping_any_byte_of_the_base_fails() -> None:
    public_key = Ed25519PublicKey.from_public_bytes(_public_raw())
    signature = parse_signature(
        {"Signature-Input": B26_SIGNATURE_INPUT, "Signature": B26_SIGNATURE}, label="sig-b26"
    ).signature
    public_key.verify(signature, B26_BASE)
    for index in range(len(B26_BASE)):
        tampered = bytearray(B26_BASE)
        tampered[index] ^= 0x01
        with pytest.raises(InvalidSignature):
            public_key.verify(signature, bytes(tampered))


def test_rfc9421_b26_a_changed_covered_header_fails_verification() -> None:
    parsed = parse_signature(
        {"Signature-Input": B26_SIGNATURE_INPUT, "Signature": B26_SIGNATURE}, label="sig-b26"
    )
    request = SignedRequest(
        method="POST",
        path="/foo",
        query="param=Value&Pet=dog",
        headers=B2_HEADERS.replaced("Date", "Tue, 20 Apr 2021 02:07:56 GMT"),
        body=B2_BODY,
    )
    with pytest.raises(SignatureInvalidError) as caught:
        verify_signature(parsed, request, _public_raw())
    assert caught.value.code == "signature_invalid"


def test_rfc9421_section_2_5_example_signature_base_is_reproduced() -> None:
    components = [
        "@method",
        "@authority",
        "@path",
        "content-digest",
        "content-length",
        "content-type",
    ]
    params: dict[str, BareItem] = {"created": 1618884473, "keyid": "test-key-rsa-pss"}
    expected = (
        '"@method": POST\n'
        '"@authority": example.com\n'
        '"@path": /foo\n'
        '"content-digest": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu'
        "7BNNyealdVLvRwEmTHWXvJwew==:\n"
        '"content-length": 18\n'
        '"content-type": application/json\n'
        '"@signature-params": ("@method" "@authority" "@path" "content-digest" "content-length" '
        '"content-type");created=1618884473;keyid="test-key-rsa-pss"'
    ).encode("ascii")
    assert signature_base(components, params, B2_REQUEST) == expected


@pytest.mark.parametrize(
    ("component", "expected"),
    [
        ("@method", "POST"),
        ("@target-uri", "https://www.example.com/path?param=value"),
        ("@authority", "www.example.com"),
        ("@scheme", "https"),
        ("@request-target", "/path?param=value"),
        ("@path", "/path"),
        ("@query", "?param=value"),
    ],
)
def test_rfc9421_section_2_2_derived_component_values(component: str, expected: str) -> None:
    request = SignedRequest(
        method="POST",
        path="/path",
        query="param=value",
        headers=Headers({"Host": "www.example.com"}),
    )
    assert component_value(request, component) == expected


def test_rfc9421_section_2_2_7_query_keeps_percent_encoding() -> None:
    request = SignedRequest.from_target_uri(
        "POST", "https://www.example.com/path?param=value&foo=bar&baz=bat%2Dman"
    )
    assert component_value(request, "@query") == "?param=value&foo=bar&baz=bat%2Dman"


def test_rfc9421_section_2_2_7_absent_or_empty_query_is_a_lone_question_mark() -> None:
    for uri in ("https://h.example/path", "https://h.example/path?"):
        assert component_value(SignedRequest.from_target_uri("GET", uri), "@query") == "?"


def test_rfc9421_section_2_2_authority_is_lowercased_without_default_port() -> None:
    request = SignedRequest(
        method="GET", path="/", headers=Headers({"Host": "WWW.Example.COM:443"})
    )
    assert component_value(request, "@authority") == "www.example.com"
    other_port = SignedRequest(method="GET", path="/", authority="www.example.com:8443")
    assert component_value(other_port, "@authority") == "www.example.com:8443"
    ipv6 = SignedRequest(method="GET", path="/", scheme="http", authority="[2001:db8::1]:80")
    assert component_value(ipv6, "@authority") == "[2001:db8::1]"


def test_rfc9421_section_2_1_field_values_are_trimmed_unfolded_and_combined() -> None:
    request = SignedRequest(
        method="GET",
        path="/",
        headers=Headers(
            [
                ("X-OWS-Header", "   Leading and trailing whitespace.   "),
                ("X-Obs-Fold-Header", "Obsolete\r\n    line folding."),
                ("Cache-Control", "max-age=60"),
                ("Cache-Control", "   must-revalidate"),
                ("Example-Dict", " a=1,    b=2;x=1;y=2,   c=(a   b   c)"),
                ("X-Empty-Header", " "),
            ]
        ),
    )
    assert component_value(request, "x-ows-header") == "Leading and trailing whitespace."
    assert component_value(request, "x-obs-fold-header") == "Obsolete line folding."
    assert component_value(request, "cache-control") == "max-age=60, must-revalidate"
    assert component_value(request, "example-dict") == "a=1,    b=2;x=1;y=2,   c=(a   b   c)"
    assert component_value(request, "x-empty-header") == ""
