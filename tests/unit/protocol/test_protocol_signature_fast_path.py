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


# Signature-Inputs assembled member by member, so that many of them parse: the pieces above
# rarely make a whole one, and agreement matters most on what is accepted.
_GOOD_COMPONENTS = ('"@method"', '"@path"', '"@query"', '"content-digest"', '"idempotency-key"')
_BAD_COMPONENTS = ('"Upper"', '"@method";x', '%"@path"', "tok", '"a\\"b"', '"@method"')
_GOOD_VALUES = ("=1796208848", "=0", "=-5", '="abc"', '="ed25519"')
_BAD_VALUES = ("=007", "=?1", "=1.5", "=:AA==:", "=tok", "", "=@1", '=%"a"', '=""', "=-0")
_KEYS = ("created", "keyid", "alg", "expires", "nonce", "tag", "x")
_items = st.lists(st.sampled_from(_GOOD_COMPONENTS), unique=True, max_size=5) | st.lists(
    st.sampled_from(_GOOD_COMPONENTS + _BAD_COMPONENTS), max_size=6
)
_params = st.lists(
    st.tuples(st.sampled_from(_KEYS), st.sampled_from(_GOOD_VALUES)), unique_by=lambda p: p[0]
) | st.lists(st.tuples(st.sampled_from(_KEYS), st.sampled_from(_GOOD_VALUES + _BAD_VALUES)))
_assembled = st.builds(
    lambda label, opening, items, separator, params: (
        f"{label}={opening}{separator.join(items)})" + "".join(f";{k}{v}" for k, v in params)
    ),
    st.sampled_from(["qurb", "qurb", "qurb", "other"]),
    st.sampled_from(["(", "(", "( "]),
    _items,
    st.sampled_from([" ", " ", "  "]),
    _params,
)
_good_signatures = st.sampled_from([SIGNATURE, "qurb=:AAAA:"]) | _signatures


@SETTINGS
@given(_assembled, _good_signatures)
def test_assembled_signature_inputs_read_the_same_both_ways(
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
