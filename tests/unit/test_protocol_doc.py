"""docs/protocol.md is what other teams implement: its worked examples must be exactly what
the reference implementation produces. This test reads them from the document itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent_api.protocol.keys import (
    keyid,
    load_private_key_pem,
    public_key_raw,
    rotation_proof_message,
)
from agent_api.protocol.signatures import (
    Headers,
    SignedRequest,
    parse_signature,
    prepare_signed_headers,
    signature_base,
)

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
BODY = b'{"registration_number":"1234567894","amount_centimes":21800}'


def _example_key_pem() -> bytes:
    match = re.search(r"-----BEGIN PRIVATE KEY-----\n.*?\n-----END PRIVATE KEY-----\n", DOC, re.S)
    assert match is not None
    return match.group(0).encode()


def _section(title: str) -> str:
    start = DOC.index(title)
    following = DOC.find("\n### ", start + 1)
    end = DOC.find("\n## ", start + 1)
    stops = [i for i in (following, end) if i != -1]
    return DOC[start : min(stops)]


def _blocks(section: str) -> tuple[str, dict[str, str]]:
    base, headers = re.findall(r"```(?:http)?\n(.*?)\n```", section, re.S)[:2]
    parsed = dict(line.split(": ", 1) for line in headers.splitlines())
    return base, parsed


@pytest.mark.parametrize(
    ("title", "sequence", "created", "offline"),
    [("### 11.1", "42", 1767225600, None), ("### 11.2", "43", 1767225660, "1")],
)
def test_the_documented_example_is_what_the_implementation_signs(
    title: str, sequence: str, created: int, offline: str | None
) -> None:
    key = load_private_key_pem(_example_key_pem())
    documented_base, documented_headers = _blocks(_section(title))
    headers = prepare_signed_headers(
        method="POST",
        path="/v1/contributions",
        body=BODY,
        private_key=key,
        keyid=keyid(public_key_raw(key)),
        created=created,
        idempotency_key=sequence,
        authorization="Bearer example-token-not-real",
        offline=offline,
    )
    assert headers == documented_headers
    request = SignedRequest("POST", "/v1/contributions", "", Headers(headers), BODY)
    parsed = parse_signature(request.headers)
    assert signature_base(parsed.components, parsed.params_raw, request).decode() == documented_base


def test_the_documented_keyid_is_the_example_keys() -> None:
    key = load_private_key_pem(_example_key_pem())
    assert f"**keyid**: `{keyid(public_key_raw(key))}`" in DOC


def test_the_documented_rotation_message_is_the_implementations() -> None:
    assert rotation_proof_message(17, "OLD", "NEW") == b"qurb-key-rotation\n17\nOLD\nNEW"
    assert "qurb-key-rotation\\n<terminal id in decimal>\\n<current keyid>\\n<new keyid>" in DOC


def test_every_error_code_the_service_uses_is_documented() -> None:
    codes = [
        "signature_missing",
        "signature_invalid",
        "signature_coverage",
        "signature_stale",
        "digest_mismatch",
        "unknown_key",
        "key_revoked",
        "token_invalid",
        "token_expired",
        "token_wrong_terminal",
        "idempotency_key_missing",
        "idempotency_key_reused",
        "idempotency_in_flight",
        "forbidden",
        "rate_limited",
    ]
    for code in codes:
        assert f"`{code}`" in DOC, code
