"""The canonical shape of a signature is read without the general RFC 8941 parser (http-sfv);
whatever the two fields hold, the result is the general parser's: the same signature, or the
same refusal."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agent_api.protocol import http_signatures as sig
from agent_api.protocol.errors import ProtocolError
from agent_api.protocol.message_components import Headers
from agent_api.protocol.signature_fast_path import read_canonical

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
        ";x=@1767225600",
        ';x=%"caf%c3%a9"',
        ';keyid=%"abc"',
        '%"@method"',
        ";x=-1.25",
        '"@method";x=1.0',
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


def _general(fields: Headers) -> object:
    """What the general parser alone answers."""
    try:
        return sig.parse_signature_general(fields, "qurb")
    except ProtocolError as exc:
        return (type(exc), str(exc))


def _outcome(fields: Headers) -> object:
    """What parse_signature answers: through the fast path whenever it applies."""
    try:
        return sig.parse_signature(fields, "qurb")
    except ProtocolError as exc:
        return (type(exc), str(exc))


@SETTINGS
@given(st.lists(_pieces, max_size=12).map("".join), _signatures)
def test_the_canonical_reading_agrees_with_the_general_parser(
    signature_input: str, signature: str
) -> None:
    fields = Headers([("Signature-Input", signature_input), ("Signature", signature)])
    assert _outcome(fields) == _general(fields)


def test_a_terminals_signature_takes_the_canonical_reading() -> None:
    signature_input = (
        'qurb=("@method" "@path" "@query" "content-digest" "idempotency-key");'
        'created=1796208848;keyid="abc";alg="ed25519"'
    )
    assert read_canonical(signature_input, SIGNATURE, "qurb") is not None
    fields = Headers([("Signature-Input", signature_input), ("Signature", SIGNATURE)])
    parsed = sig.parse_signature(fields, "qurb")
    assert parsed == _general(fields)
    assert parsed.created == 1796208848
    assert parsed.keyid == "abc"


def test_a_shape_the_fast_path_does_not_know_goes_to_the_general_parser() -> None:
    # Not canonical (a space after "("): refused, with the general parser's reason.
    signature_input = 'qurb=( "@method" "@path" "@query");created=1796208848;keyid="abc"'
    assert read_canonical(signature_input, SIGNATURE, "qurb") is None
    fields = Headers([("Signature-Input", signature_input), ("Signature", SIGNATURE)])
    assert _outcome(fields) == _general(fields)
    assert "canonical" in str(_outcome(fields))
