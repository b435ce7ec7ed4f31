"""What reading a terminal's signature costs: the general RFC 8941 parser against the fast path.

    python bench/sfv_parse.py [--rounds 20000]

Reads the ``Signature-Input`` and ``Signature`` of a real collection (as
``prepare_signed_headers`` makes them: five covered components, ``created``, ``keyid``,
``alg``) through :func:`parse_signature_general` (``http-sfv``) and through
:func:`parse_signature` (the canonical shape's regular expressions, falling back to the general
parser), and, for scale, the Ed25519 verification and the whole ``check_request`` of the
profile that every signed request pays anyway.

Prints one ``name=value`` a line, microseconds per call (best of 5 runs):
``sfv_parse_us_general``, ``sfv_parse_us_fast``, ``sfv_parse_fast_speedup``,
``signature_verify_us``, ``profile_check_us_fast`` and ``profile_check_us_general``.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent_api.protocol import http_signatures, signature_profile
from agent_api.protocol.keys import keyid, private_key_from_seed, public_key_raw
from agent_api.protocol.message_components import Headers, SignedRequest
from agent_api.protocol.signature_profile import check_request, prepare_signed_headers

BODY = b'{"registration_number":"1234567894","amount_centimes":21800}'
CREATED = 1_767_225_600


def _request() -> SignedRequest:
    key = private_key_from_seed(bytes(range(32)))
    headers = prepare_signed_headers(
        method="POST",
        path="/v1/contributions",
        body=BODY,
        private_key=key,
        keyid=keyid(public_key_raw(key)),
        created=CREATED,
        idempotency_key="42",
        authorization="Bearer example-token-not-real",
    )
    return SignedRequest("POST", "/v1/contributions", "", Headers(headers), BODY)


def _us(call: Callable[[], object], rounds: int) -> float:
    best = min(timeit.repeat(call, number=rounds, repeat=5))
    return best / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20_000)
    rounds = parser.parse_args().rounds
    request = _request()
    headers = request.headers
    public = public_key_raw(private_key_from_seed(bytes(range(32))))
    fast = http_signatures.parse_signature(headers, "qurb")
    general = http_signatures.parse_signature_general(headers, "qurb")
    assert fast == general, "the two readings disagree"

    general_us = _us(lambda: http_signatures.parse_signature_general(headers, "qurb"), rounds)
    fast_us = _us(lambda: http_signatures.parse_signature(headers, "qurb"), rounds)
    verify_us = _us(lambda: http_signatures.verify_signature(fast, request, public), rounds // 4)

    def check() -> None:
        check_request(request, now=CREATED, window_seconds=300)

    check_fast_us = _us(check, rounds // 4)
    with mock.patch.object(
        signature_profile, "parse_signature", http_signatures.parse_signature_general
    ):
        check_general_us = _us(check, rounds // 4)

    print(f"sfv_parse_us_general={general_us:.1f}")
    print(f"sfv_parse_us_fast={fast_us:.1f}")
    print(f"sfv_parse_fast_speedup={general_us / fast_us:.1f}")
    print(f"signature_verify_us={verify_us:.1f}")
    print(f"profile_check_us_fast={check_fast_us:.1f}")
    print(f"profile_check_us_general={check_general_us:.1f}")


if __name__ == "__main__":
    main()
