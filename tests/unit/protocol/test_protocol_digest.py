"""RFC 9530 Content-Digest with sha-256."""

from __future__ import annotations

import pytest

from agent_api.protocol.digest import content_digest, parse_content_digest, verify_content_digest
from agent_api.protocol.errors import DigestMismatchError, DigestMissingError

# RFC 9530 Appendix B.1 (and RFC 9421 Appendix B.2): the 18-byte body {"hello": "world"}.
HELLO = b'{"hello": "world"}'
HELLO_SHA256 = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
HELLO_SHA512 = (
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHW"
    "XvJwew==:"
)


def test_rfc9530_example_sha256_content_digest() -> None:
    assert content_digest(HELLO) == HELLO_SHA256
    verify_content_digest(HELLO_SHA256, HELLO)


def test_the_empty_body_has_the_sha256_of_the_empty_string() -> None:
    assert content_digest(b"") == "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"


def test_a_sha256_member_next_to_other_algorithms_is_found() -> None:
    header = f"{HELLO_SHA512},  {HELLO_SHA256}"
    assert set(parse_content_digest(header)) == {"sha-512", "sha-256"}
    verify_content_digest(header, HELLO)


def test_a_different_body_is_a_mismatch() -> None:
    with pytest.raises(DigestMismatchError) as caught:
        verify_content_digest(HELLO_SHA256, HELLO + b"\n")
    assert caught.value.code == "digest_mismatch"
    assert "hello" not in str(caught.value)


@pytest.mark.parametrize("header", [None, HELLO_SHA512, ""])
def test_no_sha256_member_is_a_missing_digest(header: str | None) -> None:
    with pytest.raises(DigestMissingError) as caught:
        verify_content_digest(header, HELLO)
    assert caught.value.code == "digest_missing"


@pytest.mark.parametrize(
    "header", ["sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", "sha-256", "SHA-256=:AA==:"]
)
def test_malformed_digest_fields_are_refused(header: str) -> None:
    with pytest.raises(DigestMismatchError):
        verify_content_digest(header, HELLO)


def test_a_truncated_digest_does_not_match() -> None:
    with pytest.raises(DigestMismatchError):
        verify_content_digest("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDU:", HELLO)


@pytest.mark.parametrize(
    "header",
    [
        # The last member matches the body: RFC 8941 alone would keep it and accept.
        f"sha-256=:{'A' * 43}=:, {HELLO_SHA256}",
        f"{HELLO_SHA256}, {HELLO_SHA256}",
        f"{HELLO_SHA256}, {HELLO_SHA512}, sha-512=:AA==:",
    ],
)
def test_an_algorithm_named_twice_is_refused_even_when_one_member_matches(header: str) -> None:
    with pytest.raises(DigestMismatchError) as caught:
        verify_content_digest(header, HELLO)
    assert "twice" in caught.value.message


def test_a_digest_field_padded_past_1024_characters_is_refused_before_it_is_parsed() -> None:
    # Parsing time grows faster than the field, and nothing is authenticated yet.
    padded = f"{HELLO_SHA256}, pad=:{'A' * 1200}:"
    with pytest.raises(DigestMismatchError) as caught:
        verify_content_digest(padded, HELLO)
    assert "longer than 1024" in caught.value.message
