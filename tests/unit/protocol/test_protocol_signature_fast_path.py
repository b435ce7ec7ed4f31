"""The canonical shape of a signature is read without the general RFC 8941 parser; whatever
the two fields hold, the result is the general parser's: the same signature, or the same
refusal."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agent_api.protocol import signatures as sig
from agent_api.protocol.errors import ProtocolError
from agent_api.protocol.structured import StructuredFieldError

SETTINGS = settings(max_examples=400, deadline=None, database=None)
SIGNATURE = "qurb=:" + "A" * 86 + "==:"

# Pieces a Signature-Input is made of, canonical or not: near-misses are the point.
_pieces = st.sampled_from(
    [
        "qurb",
        "other",
        "=",
        "(",
        ")",
        " ",
        "  ",
        '"@method"',
        '"@path"',
        '"@query"',
        '"content-digest"',
        '"idempotency-key"',
        '"@method";x',
        '"a)b"',
        '"a;b"',
        '"q\\"x"',
        '"Upper"',
        ";created=1796208848",
        ";created=0",
        ";created=007",
        ";created=-0",
        ";created=-5",
        ";created=1234567890123456",
        ';created="1796208848"',
        ";keyid=7",
        ';expires="x"',
        ";nonce=5",
        ';keyid="J3b_Yaov6f2gZsTWJAthHGM2ZVNtv8A0va9TDTC8liE"',
        ';alg="ed25519"',
        ";alg=ed25519",
        ";flag",
        ";x=?1",
        ";x=1.5",
        ";x=:AA==:",
        ", ",
        ",",
        "qurb=()",
    ]
)
_signatures = st.sampled_from(
    [
        SIGNATURE,
        "qurb=:AAAA:",
        "qurb=:AA:",
        "qurb=:AA==:",
        "qurb=:A=A=:",
        "qurb=:!!!!:",
        "other=:AAAA:",
        SIGNATURE + ", other=:AAAA:",
        "qurb=:AAAA:;x=1",
    ]
)


def _general(fields: sig.Headers) -> object:
    """What parse_signature answers through the general parser only."""
    saved = sig._parse_canonical
    sig._parse_canonical = lambda *_: None
    try:
        return _outcome(fields)
    finally:
        sig._parse_canonical = saved


def _outcome(fields: sig.Headers) -> object:
    try:
        return sig.parse_signature(fields)
    except (ProtocolError, StructuredFieldError) as exc:
        return (type(exc), str(exc))


@SETTINGS
@given(st.lists(_pieces, max_size=12).map("".join), _signatures)
def test_the_canonical_reading_agrees_with_the_general_parser(
    signature_input: str, signature: str
) -> None:
    fields = sig.Headers([("Signature-Input", signature_input), ("Signature", signature)])
    assert _outcome(fields) == _general(fields)


def test_a_terminals_signature_takes_the_canonical_reading() -> None:
    signature_input = (
        'qurb=("@method" "@path" "@query" "content-digest" "idempotency-key");'
        'created=1796208848;keyid="abc";alg="ed25519"'
    )
    fast = sig._parse_canonical(signature_input, SIGNATURE, "qurb")
    assert fast is not None
    fields = sig.Headers([("Signature-Input", signature_input), ("Signature", SIGNATURE)])
    assert fast == _general(fields)
    assert fast.created == 1796208848
    assert fast.keyid == "abc"
