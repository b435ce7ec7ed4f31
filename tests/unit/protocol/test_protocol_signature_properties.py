"""Property tests: Qurb signatures round-trip, and any change to a covered part is caught."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_api.protocol.errors import ProtocolError
from agent_api.protocol.keys import keyid, private_key_from_seed, public_key_raw
from agent_api.protocol.signatures import (
    QURB_OPTIONAL_COMPONENTS,
    WRITE_METHODS,
    Headers,
    SignedRequest,
    prepare_signed_headers,
    verify_qurb_request,
)

KEY = private_key_from_seed(bytes(range(32)))
PUBLIC = public_key_raw(KEY)
KEYID = keyid(PUBLIC)
WINDOW = 300
OFFLINE_WINDOW = 86_400
# Explicit examples only: no example database written into the working tree.
SETTINGS = settings(max_examples=150, deadline=None, database=None)

_UNRESERVED = string.ascii_letters + string.digits + "-._~"
_PATH_CHARS = _UNRESERVED + "/%:@!$&'()*+,;="
_QUERY_CHARS = _PATH_CHARS + "?"
_HEADER_NAMES = {
    "idempotency-key": "Idempotency-Key",
    "authorization": "Authorization",
    "qurb-token-digest": "Qurb-Token-Digest",
    "qurb-offline": "Qurb-Offline",
    "content-digest": "Content-Digest",
}


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    query: str
    body: bytes
    idempotency_key: str | None
    authorization: str | None
    offline: str | None
    created: int


cases = st.builds(
    Case,
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    path=st.text(alphabet=_PATH_CHARS, max_size=40).map(lambda tail: "/" + tail),
    query=st.text(alphabet=_QUERY_CHARS, max_size=40),
    body=st.binary(max_size=200),
    idempotency_key=st.none() | st.text(alphabet=_UNRESERVED, min_size=1, max_size=40),
    authorization=st.none()
    | st.text(alphabet=_UNRESERVED, min_size=1, max_size=40).map(lambda t: "Bearer " + t),
    offline=st.none() | st.just("1"),
    created=st.integers(min_value=1_600_000_000, max_value=2_000_000_000),
).map(lambda case: case if case.method in WRITE_METHODS else replace(case, offline=None))


def _signed(case: Case) -> SignedRequest:
    headers = prepare_signed_headers(
        method=case.method,
        path=case.path,
        query=case.query,
        body=case.body,
        private_key=KEY,
        keyid=KEYID,
        created=case.created,
        idempotency_key=case.idempotency_key,
        authorization=case.authorization,
        offline=case.offline,
    )
    return SignedRequest(
        method=case.method,
        path=case.path,
        query=case.query,
        headers=Headers(headers),
        body=case.body,
    )


def _verify(request: SignedRequest, now: int) -> None:
    verify_qurb_request(
        request,
        lambda kid: PUBLIC if kid == KEYID else None,
        now=now,
        window_seconds=WINDOW,
        offline_window_seconds=OFFLINE_WINDOW,
    )


def _failure_code(request: SignedRequest, now: int) -> str:
    with pytest.raises(ProtocolError) as caught:
        _verify(request, now)
    return caught.value.code


@SETTINGS
@given(case=cases)
def test_every_signed_request_verifies(case: Case) -> None:
    _verify(_signed(case), case.created)


@SETTINGS
@given(case=cases, skew=st.integers(min_value=-WINDOW, max_value=WINDOW))
def test_signed_requests_verify_anywhere_inside_the_window(case: Case, skew: int) -> None:
    _verify(_signed(case), case.created + skew)


@SETTINGS
@given(case=cases, other=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "get"]))
def test_changing_the_method_is_caught(case: Case, other: str) -> None:
    request = _signed(case)
    if other == case.method:
        other = "OPTIONS"
    # A write queued offline turned into a read is refused for its flag before its signature.
    flag_refused = case.offline is not None and other not in WRITE_METHODS
    expected = "validation_failed" if flag_refused else "signature_invalid"
    assert _failure_code(replace(request, method=other), case.created) == expected


@SETTINGS
@given(case=cases, extra=st.text(alphabet=_PATH_CHARS, min_size=1, max_size=5))
def test_changing_the_path_is_caught(case: Case, extra: str) -> None:
    request = _signed(case)
    changed = replace(request, path=request.path + extra)
    assert _failure_code(changed, case.created) == "signature_invalid"


@SETTINGS
@given(case=cases, extra=st.text(alphabet=_QUERY_CHARS, min_size=1, max_size=5))
def test_changing_the_query_is_caught(case: Case, extra: str) -> None:
    request = _signed(case)
    changed = replace(request, query=request.query + extra)
    assert _failure_code(changed, case.created) == "signature_invalid"


@SETTINGS
@given(case=cases, data=st.data())
def test_changing_or_dropping_a_covered_header_is_caught(case: Case, data: st.DataObject) -> None:
    request = _signed(case)
    present = [name for name in QURB_OPTIONAL_COMPONENTS if name in request.headers]
    if not present:
        return
    name = data.draw(st.sampled_from(present))
    value = request.headers.get(name)
    assert value is not None
    if name == "content-digest":
        # Swapping the digest for that of another body is caught by the digest check.
        changed = request.headers.replaced(_HEADER_NAMES[name], "sha-256=:" + "A" * 43 + "=:")
        assert _failure_code(replace(request, headers=changed), case.created) == ("digest_mismatch")
        return
    changed = request.headers.replaced(_HEADER_NAMES[name], value + "x")
    # Qurb-Offline holds only "1": another value is refused before the signature is checked.
    expected = "validation_failed" if name == "qurb-offline" else "signature_invalid"
    assert _failure_code(replace(request, headers=changed), case.created) == expected
    dropped = request.headers.replaced(_HEADER_NAMES[name], None)
    # A token without its signed digest is refused before the signature is even checked.
    expected = "signature_coverage" if name == "qurb-token-digest" else "signature_invalid"
    assert _failure_code(replace(request, headers=dropped), case.created) == expected


@SETTINGS
@given(case=cases)
def test_swapping_the_token_is_caught_though_the_token_itself_is_not_signed(case: Case) -> None:
    request = _signed(case)
    token = request.headers.get("authorization")
    if token is None:
        return
    swapped = request.headers.replaced("Authorization", token + "x")
    assert _failure_code(replace(request, headers=swapped), case.created) == "signature_invalid"


@SETTINGS
@given(case=cases, data=st.data())
def test_adding_an_unsigned_profile_header_is_a_coverage_failure(
    case: Case, data: st.DataObject
) -> None:
    request = _signed(case)
    absent = [name for name in QURB_OPTIONAL_COMPONENTS if name not in request.headers]
    if not absent:
        return
    name = data.draw(st.sampled_from(absent))
    changed = request.headers.added(_HEADER_NAMES[name], "sha-256=:AA==:")
    assert _failure_code(replace(request, headers=changed), case.created) == "signature_coverage"


@SETTINGS
@given(case=cases, extra=st.binary(min_size=1, max_size=16))
def test_changing_the_body_is_caught_by_the_digest(case: Case, extra: bytes) -> None:
    request = _signed(case)
    changed = replace(request, body=request.body + extra)
    expected = "digest_mismatch" if case.body else "digest_missing"
    assert _failure_code(changed, case.created) == expected


@SETTINGS
@given(case=cases, extra=st.binary(min_size=1, max_size=16))
def test_changing_the_body_and_its_digest_is_caught_by_the_signature(
    case: Case, extra: bytes
) -> None:
    if not case.body:
        return
    body = case.body + extra
    forged = _signed(replace(case, body=body)).headers.get("content-digest")
    assert forged is not None
    request = _signed(case)
    changed = replace(
        request, body=body, headers=request.headers.replaced("Content-Digest", forged)
    )
    assert _failure_code(changed, case.created) == "signature_invalid"


@SETTINGS
@given(
    case=cases,
    delta=st.integers(min_value=1, max_value=WINDOW).flatmap(lambda d: st.sampled_from([d, -d])),
)
def test_changing_created_is_caught(case: Case, delta: int) -> None:
    request = _signed(case)
    signature_input = request.headers.get("signature-input")
    assert signature_input is not None
    moved = re.sub(
        r";created=(\d+)", lambda m: f";created={int(m.group(1)) + delta}", signature_input
    )
    changed = replace(request, headers=request.headers.replaced("Signature-Input", moved))
    assert _failure_code(changed, case.created) == "signature_invalid"


@SETTINGS
@given(case=cases, late=st.integers(min_value=WINDOW + 1, max_value=10 * OFFLINE_WINDOW))
def test_old_signatures_are_stale_unless_signed_offline_and_within_the_offline_window(
    case: Case, late: int
) -> None:
    request = _signed(case)
    now = case.created + late
    if case.offline is not None and late <= OFFLINE_WINDOW:
        _verify(request, now)
    else:
        assert _failure_code(request, now) == "signature_stale"
    assert _failure_code(request, case.created - late) == "signature_stale"


@SETTINGS
@given(case=cases, value=st.sampled_from(["0", "yes", "queued-17", "11", " 1x"]))
def test_an_offline_flag_other_than_1_is_refused_naming_the_header(case: Case, value: str) -> None:
    request = _signed(replace(case, offline=value))
    with pytest.raises(ProtocolError) as caught:
        _verify(request, case.created)
    assert (caught.value.code, getattr(caught.value, "field", None)) == (
        "validation_failed",
        "Qurb-Offline",
    )


@SETTINGS
@given(case=cases, method=st.sampled_from(["GET", "HEAD", "OPTIONS"]))
def test_a_read_flagged_offline_is_refused_though_signed(case: Case, method: str) -> None:
    request = _signed(replace(case, method=method, offline="1"))
    assert _failure_code(request, case.created) == "validation_failed"
