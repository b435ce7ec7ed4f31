"""The Qurb request-signing profile: headers, parsing, coverage and freshness policy.

The worked examples here are the ones printed in docs/protocol.md §11 (which
tests/unit/test_protocol_doc.py regenerates from the document itself).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agent_api.protocol.errors import ProtocolError
from agent_api.protocol.keys import keyid, load_private_key_pem, public_key_raw
from agent_api.protocol.signatures import (
    Headers,
    ParsedSignature,
    SignedRequest,
    check_coverage,
    check_created,
    check_request,
    parse_signature,
    prepare_signed_headers,
    signature_base,
    verify_qurb_request,
)

# RFC 9421 Appendix B.1.4 test-key-ed25519, reused as the documented example key.
EXAMPLE_KEY = load_private_key_pem(
    b"-----BEGIN PRIVATE KEY-----\n"
    b"MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n"
    b"-----END PRIVATE KEY-----\n"
)
EXAMPLE_PUBLIC = public_key_raw(EXAMPLE_KEY)
EXAMPLE_KEYID = "sWwtG-rRJiY5dk_bDuTTd0WZM2vUk0BM2ksRNsWfIGI"
EXAMPLE_BODY = b'{"registration_number":"1234567894","amount_centimes":21800}'
EXAMPLE_CREATED = 1767225600
TOKEN = "Bearer example-token-not-real"
TOKEN_DIGEST = "sha-256=:Qd0SsOnuOcqFibqj8SrxQYoBJQ95jii0rt5kLGGthKE=:"
EXAMPLE_HEADERS = {
    "Content-Digest": "sha-256=:EtQ+HIldUVJUn3gSmixQPJ5IOQJZdrawMzZHrR+Z8Xg=:",
    "Idempotency-Key": "42",
    "Authorization": TOKEN,
    "Qurb-Token-Digest": TOKEN_DIGEST,
    "Signature-Input": (
        'qurb=("@method" "@path" "@query" "content-digest" "idempotency-key" "qurb-token-digest")'
        ';created=1767225600;keyid="sWwtG-rRJiY5dk_bDuTTd0WZM2vUk0BM2ksRNsWfIGI";alg="ed25519"'
    ),
    "Signature": (
        "qurb=:2qfgOvyKcG9dB0eVqNi+qzL1C6tXoQBC7w2kxRm+6q5YBd3auS53ylQYWF9szeaC5RGISjQRN/xO5JFD4"
        "golDw==:"
    ),
}
EXAMPLE_BASE = (
    '"@method": POST\n'
    '"@path": /v1/contributions\n'
    '"@query": ?\n'
    '"content-digest": sha-256=:EtQ+HIldUVJUn3gSmixQPJ5IOQJZdrawMzZHrR+Z8Xg=:\n'
    '"idempotency-key": 42\n'
    '"qurb-token-digest": sha-256=:Qd0SsOnuOcqFibqj8SrxQYoBJQ95jii0rt5kLGGthKE=:\n'
    '"@signature-params": ("@method" "@path" "@query" "content-digest" "idempotency-key" '
    '"qurb-token-digest");created=1767225600;keyid="sWwtG-rRJiY5dk_bDuTTd0WZM2vUk0BM2ksRNsWfIGI"'
    ';alg="ed25519"'
).encode("ascii")
OFFLINE_HEADERS = {
    "Content-Digest": "sha-256=:EtQ+HIldUVJUn3gSmixQPJ5IOQJZdrawMzZHrR+Z8Xg=:",
    "Idempotency-Key": "43",
    "Authorization": TOKEN,
    "Qurb-Token-Digest": TOKEN_DIGEST,
    "Qurb-Offline": "1",
    "Signature-Input": (
        'qurb=("@method" "@path" "@query" "content-digest" "idempotency-key" "qurb-token-digest"'
        ' "qurb-offline");created=1767225660'
        ';keyid="sWwtG-rRJiY5dk_bDuTTd0WZM2vUk0BM2ksRNsWfIGI";alg="ed25519"'
    ),
    "Signature": (
        "qurb=:J+DTp99+r5/s0TAP7BR9dIest3w2BQCZRyGxMW/fNVlBqKTBKZTS+dZEuR1ZaGXFf0Pyczqf+GJ5edRsL"
        "WVoBw==:"
    ),
}
WINDOW = 300
OFFLINE_WINDOW = 72 * 3600


def _resolve(kid: str) -> bytes | None:
    return EXAMPLE_PUBLIC if kid == EXAMPLE_KEYID else None


def _example_request(headers: Headers | None = None, body: bytes = EXAMPLE_BODY) -> SignedRequest:
    return SignedRequest(
        method="POST",
        path="/v1/contributions",
        query="",
        headers=headers if headers is not None else Headers(EXAMPLE_HEADERS),
        body=body,
    )


def _verify(request: SignedRequest, now: int = EXAMPLE_CREATED) -> ParsedSignature:
    return verify_qurb_request(
        request,
        _resolve,
        now=now,
        window_seconds=WINDOW,
        offline_window_seconds=OFFLINE_WINDOW,
    )


def _code(action: Callable[[], object]) -> str:
    with pytest.raises(ProtocolError) as caught:
        action()
    message = str(caught.value)
    # Messages go to logs: never a token, a body or a signature.
    assert "example-token-not-real" not in message
    assert "1234567894" not in message
    assert "1SeI1YVYoon9" not in message
    return caught.value.code


def test_the_documented_keyid_is_the_sha256_of_the_public_key() -> None:
    assert keyid(EXAMPLE_PUBLIC) == EXAMPLE_KEYID


def test_the_documented_worked_example_is_reproduced_byte_for_byte() -> None:
    headers = prepare_signed_headers(
        method="POST",
        path="/v1/contributions",
        query="",
        body=EXAMPLE_BODY,
        private_key=EXAMPLE_KEY,
        keyid=EXAMPLE_KEYID,
        created=EXAMPLE_CREATED,
        idempotency_key="42",
        authorization=TOKEN,
    )
    assert headers == EXAMPLE_HEADERS
    assert list(headers) == list(EXAMPLE_HEADERS)
    request = _example_request()
    parsed = parse_signature(request.headers)
    assert signature_base(parsed.components, parsed.params_raw, request) == EXAMPLE_BASE
    assert _verify(request).keyid == EXAMPLE_KEYID


def test_the_documented_offline_example_is_reproduced_and_accepted_late() -> None:
    headers = prepare_signed_headers(
        method="POST",
        path="/v1/contributions",
        body=EXAMPLE_BODY,
        private_key=EXAMPLE_KEY,
        keyid=EXAMPLE_KEYID,
        created=1767225660,
        idempotency_key="43",
        authorization=TOKEN,
        offline="1",
    )
    assert headers == OFFLINE_HEADERS
    request = SignedRequest(
        method="POST", path="/v1/contributions", headers=Headers(headers), body=EXAMPLE_BODY
    )
    _verify(request, now=1767225660 + 48 * 3600)
    assert _code(lambda: _verify(request, now=1767225660 + 73 * 3600)) == "signature_stale"


def test_a_request_without_body_is_signed_without_content_digest() -> None:
    headers = prepare_signed_headers(
        method="GET", path="/v1/ping", private_key=EXAMPLE_KEY, keyid=EXAMPLE_KEYID, created=1
    )
    assert set(headers) == {"Signature-Input", "Signature"}
    assert headers["Signature-Input"].startswith('qurb=("@method" "@path" "@query");created=1;')


def test_missing_signature_headers_or_label_are_signature_missing() -> None:
    base = Headers(EXAMPLE_HEADERS)
    assert _code(lambda: _verify(_example_request(base.replaced("Signature", None)))) == (
        "signature_missing"
    )
    no_input = base.replaced("Signature-Input", None)
    assert _code(lambda: _verify(_example_request(no_input))) == "signature_missing"
    relabelled = base.replaced(
        "Signature-Input", EXAMPLE_HEADERS["Signature-Input"].replace("qurb=", "other=", 1)
    )
    assert _code(lambda: _verify(_example_request(relabelled))) == "signature_missing"


def test_other_signatures_and_split_header_lines_are_tolerated() -> None:
    headers = (
        Headers(EXAMPLE_HEADERS)
        .replaced("Signature-Input", 'proxy=("@method");created=1')
        .added("Signature-Input", EXAMPLE_HEADERS["Signature-Input"])
        .replaced("Signature", "proxy=:AAAA:")
        .added("Signature", EXAMPLE_HEADERS["Signature"])
    )
    _verify(_example_request(headers))


@pytest.mark.parametrize(
    "signature_input",
    [
        'qurb=( "@method" "@path" "@query");created=1767225600',  # not canonical
        'qurb=("@method" "@path" "@query");created=1767225600;created=1767225600',
        'qurb=("@method";req "@path" "@query");created=1767225600',
        'qurb=("@method" "@method" "@query");created=1767225600',
        'qurb=("@method" "@signature-params");created=1767225600',
        'qurb=("@method" "Authorization");created=1767225600',
        'qurb=("@method" "@status");created=1767225600',
        'qurb=("@method" @path);created=1767225600',
        'qurb=("@method");created="1767225600"',
        'qurb=("@method");keyid=abc',
        "qurb=:AAAA:",
        'qurb=("@method"',
    ],
)
def test_unusable_signature_input_is_malformed(signature_input: str) -> None:
    headers = Headers(EXAMPLE_HEADERS).replaced("Signature-Input", signature_input)
    assert _code(lambda: parse_signature(headers)) == "malformed_signature"


def test_a_received_signature_without_created_is_stale() -> None:
    without_created = EXAMPLE_HEADERS["Signature-Input"].replace(";created=1767225600", "")
    headers = Headers(EXAMPLE_HEADERS).replaced("Signature-Input", without_created)
    assert _code(lambda: _verify(_example_request(headers))) == "signature_stale"


@pytest.mark.parametrize("signature", ["qurb=abc", "qurb=(:AAAA:)", "qurb=:AAAA", "qurb=?1"])
def test_unusable_signature_value_is_malformed(signature: str) -> None:
    headers = Headers(EXAMPLE_HEADERS).replaced("Signature", signature)
    assert _code(lambda: parse_signature(headers)) == "malformed_signature"


def test_a_signature_of_the_wrong_length_is_invalid() -> None:
    headers = Headers(EXAMPLE_HEADERS).replaced("Signature", "qurb=:AAAA:")
    assert _code(lambda: _verify(_example_request(headers))) == "signature_invalid"


def test_coverage_requires_method_path_and_query() -> None:
    request = _example_request()
    for missing in ("@method", "@path", "@query"):
        parsed = ParsedSignature(
            label="qurb",
            components=tuple(c for c in ("@method", "@path", "@query") if c != missing),
            params={},
            signature=b"",
            params_raw="",
        )
        with pytest.raises(ProtocolError) as caught:
            check_coverage(parsed, request)
        assert caught.value.code == "signature_coverage"
        assert missing in caught.value.message


def test_coverage_requires_every_profile_header_that_is_present() -> None:
    signed = prepare_signed_headers(
        method="POST",
        path="/v1/contributions",
        query="",
        body=EXAMPLE_BODY,
        private_key=EXAMPLE_KEY,
        keyid=EXAMPLE_KEYID,
        created=EXAMPLE_CREATED,
    )
    for name, value in (
        ("Authorization", TOKEN),
        ("Idempotency-Key", "k-1"),
        ("Qurb-Offline", "1"),
    ):
        request = _example_request(Headers(signed).added(name, value))
        with pytest.raises(ProtocolError) as caught:
            _verify(request)
        assert caught.value.code == "signature_coverage"
        assert name.lower() in caught.value.message


def test_a_body_without_content_digest_is_refused() -> None:
    signed = prepare_signed_headers(
        method="POST",
        path="/v1/contributions",
        query="",
        private_key=EXAMPLE_KEY,
        keyid=EXAMPLE_KEYID,
        created=EXAMPLE_CREATED,
    )
    request = _example_request(Headers(signed), body=EXAMPLE_BODY)
    assert _code(lambda: _verify(request)) == "digest_missing"


def test_a_body_that_does_not_match_its_digest_is_refused() -> None:
    request = _example_request(body=EXAMPLE_BODY.replace(b"21800", b"91800"))
    assert _code(lambda: _verify(request)) == "digest_mismatch"


def test_an_unknown_keyid_or_a_foreign_algorithm_is_invalid() -> None:
    request = _example_request()
    with pytest.raises(ProtocolError) as caught:
        verify_qurb_request(request, lambda _: None, now=EXAMPLE_CREATED, window_seconds=WINDOW)
    assert caught.value.code == "signature_invalid"
    headers = Headers(EXAMPLE_HEADERS).replaced(
        "Signature-Input", EXAMPLE_HEADERS["Signature-Input"].replace("ed25519", "rsa-pss-sha512")
    )
    assert _code(lambda: _verify(_example_request(headers))) == "signature_invalid"


def test_the_profile_requires_alg_and_keyid() -> None:
    no_alg = EXAMPLE_HEADERS["Signature-Input"].replace(';alg="ed25519"', "")
    headers = Headers(EXAMPLE_HEADERS).replaced("Signature-Input", no_alg)
    assert _code(lambda: _verify(_example_request(headers))) == "signature_invalid"
    no_keyid = EXAMPLE_HEADERS["Signature-Input"].replace(f';keyid="{EXAMPLE_KEYID}"', "")
    headers = Headers(EXAMPLE_HEADERS).replaced("Signature-Input", no_keyid)
    assert _code(lambda: _verify(_example_request(headers))) == "malformed_signature"


def _parsed(**params: int) -> ParsedSignature:
    return ParsedSignature("qurb", ("@method",), dict(params), b"", "")


def test_created_must_be_present() -> None:
    assert _code(lambda: check_created(_parsed(), 1000, 300)) == "signature_stale"


@pytest.mark.parametrize(
    ("created", "accepted"),
    [(700, True), (699, False), (1300, True), (1301, False), (1000, True)],
)
def test_online_window_is_symmetric_and_inclusive(created: int, accepted: bool) -> None:
    parsed = _parsed(created=created)
    if accepted:
        check_created(parsed, 1000, 300)
    else:
        assert _code(lambda: check_created(parsed, 1000, 300)) == "signature_stale"


def test_offline_window_extends_the_past_but_not_the_future() -> None:
    now = 100_000
    check_created(_parsed(created=now - 3600), now, 300, offline_window_seconds=7200)
    assert _code(
        lambda: check_created(_parsed(created=now - 7201), now, 300, offline_window_seconds=7200)
    ) == ("signature_stale")
    assert _code(
        lambda: check_created(_parsed(created=now + 301), now, 300, offline_window_seconds=7200)
    ) == ("signature_stale")
    # A shorter offline window never narrows the online one.
    check_created(_parsed(created=now - 300), now, 300, offline_window_seconds=60)


def test_an_expired_signature_is_stale() -> None:
    parsed = _parsed(created=1000, expires=1010)
    check_created(parsed, 1005, 300)
    assert _code(lambda: check_created(parsed, 1011, 300)) == "signature_stale"


def test_offline_window_needs_the_signed_offline_header() -> None:
    late = EXAMPLE_CREATED + 3600
    assert _code(lambda: _verify(_example_request(), now=late)) == "signature_stale"


def test_headers_are_case_insensitive_and_combine_repeated_lines() -> None:
    headers = Headers([("X-A", "1"), ("x-a", "2"), ("Other", "3")])
    assert headers.get("X-a") == "1, 2"
    assert headers.get_all("x-A") == ["1", "2"]
    assert "OTHER" in headers
    assert "missing" not in headers
    assert "3" not in repr(headers)


def test_the_profile_check_names_the_key_and_tells_an_offline_write_apart() -> None:
    # What the server gets back before it looks the key up (agent_api/http/signing.py).
    online = check_request(_example_request(), now=EXAMPLE_CREATED, window_seconds=WINDOW)
    assert (online.keyid, online.offline) == (EXAMPLE_KEYID, False)
    queued = _example_request(Headers(OFFLINE_HEADERS))
    a_day_later = 1767225660 + 86_400
    checked = check_request(
        queued, now=a_day_later, window_seconds=WINDOW, offline_window_seconds=OFFLINE_WINDOW
    )
    assert (checked.keyid, checked.offline) == (EXAMPLE_KEYID, True)
    # Without an offline window the same queued write is judged as an online one.
    stale = _code(lambda: check_request(queued, now=a_day_later, window_seconds=WINDOW))
    assert stale == "signature_stale"


def test_a_queued_write_replayed_as_a_read_is_refused_for_its_offline_flag() -> None:
    queued = _example_request(Headers(OFFLINE_HEADERS))
    as_read = SignedRequest("GET", queued.path, "", queued.headers, queued.body)
    assert _code(lambda: _verify(as_read, 1767225660)) == "validation_failed"


def test_a_signature_input_past_4096_characters_is_refused_unread() -> None:
    # A terminal's is about 300 characters; parsing time grows faster than the field.
    long_keyid = 'qurb=("@method" "@path" "@query");created=1767225600;keyid="' + "k" * 4100 + '"'
    headers = Headers({**EXAMPLE_HEADERS, "Signature-Input": long_keyid})
    with pytest.raises(ProtocolError) as caught:
        parse_signature(headers)
    assert caught.value.code == "malformed_signature"
    assert "Signature-Input is longer than 4096" in caught.value.message
    padding = ", x=:" + "A" * 4100 + ":"  # a well-formed second member
    padded = Headers({**EXAMPLE_HEADERS, "Signature": EXAMPLE_HEADERS["Signature"] + padding})
    assert _code(lambda: parse_signature(padded)) == "malformed_signature"
