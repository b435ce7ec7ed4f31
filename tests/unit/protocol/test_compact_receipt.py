"""The compact form of a signed document (QC1: COSE_Sign1 over CBOR, Base45): it gives back
exactly the claims it was made from, verifies under the published key and no other, and a
flipped character or a foreign key is caught. Checked against pycose, an independent COSE
implementation, so the message is standard COSE_Sign1 and not only our own reading of it."""

from __future__ import annotations

import zlib
from typing import Any

import base45  # type: ignore[import-untyped]
import cbor2
import pytest
from pycose.algorithms import EdDSA
from pycose.headers import KID, Algorithm
from pycose.keys.okp import OKPKey
from pycose.messages.sign1message import Sign1Message

from agent_api.protocol.compact_receipt import (
    PREFIX,
    CompactInvalid,
    Ed25519CompactSigner,
    compact_sign,
    compact_verify,
    unverified_claims,
)
from agent_api.protocol.encoding import b64url_decode
from agent_api.protocol.keys import generate_private_key, private_key_from_seed, public_key_raw

ENVELOPE: dict[str, Any] = {
    "receipt_number": "R-CASHPLUS-00000184",
    "iat": 1773479526,
    "network": "CASHPLUS",
    "office": "CA-01",
    "terminal": 3,
    "operator": "op.ca-01",
    "signed_at": "2026-03-14T09:12:05+00:00",
    "recorded_at": "2026-03-14T09:12:06.204311+00:00",
    "log_index": 1042,
}
COLLECTION = {
    **ENVELOPE,
    "kind": "collection",
    "registration_number": "0000001234",
    "amount_centimes": 31154,
    "months": [
        {"month": "2026-03", "kind": "due", "amount_centimes": 15577},
        {"month": "2026-04", "kind": "due", "amount_centimes": 15577},
    ],
    "business_date": "2026-03-14",
}
DOCUMENTS: dict[str, dict[str, Any]] = {
    "collection": COLLECTION,
    "late collection": {**COLLECTION, "late": True, "signed_business_date": "2026-03-13"},
    "a year paid ahead": {
        **COLLECTION,
        "amount_centimes": 12 * 15577,
        "months": [
            {"month": f"2026-{m:02d}", "kind": "due", "amount_centimes": 15577}
            for m in range(1, 13)
        ],
    },
    "arrears with surcharges": {
        **COLLECTION,
        "amount_centimes": 2 * 15577 + 2 * 779 + 4000,
        "months": [
            {"month": "2025-11", "kind": "due", "amount_centimes": 15577},
            {"month": "2025-11", "kind": "surcharge", "amount_centimes": 779},
            {"month": "2025-12", "kind": "due", "amount_centimes": 15577},
            {"month": "2025-12", "kind": "surcharge", "amount_centimes": 779},
            {"month": "2026-01", "kind": "due", "amount_centimes": 4000},
        ],
    },
    "payments certificate": {
        **ENVELOPE,
        "kind": "certificate",
        "certificate": "payments",
        "registration_number": "0000001234",
        "name": "Fatima El Amrani",
        "months": [
            {
                "month": "2026-03",
                "due_centimes": 15577,
                "paid_centimes": 15577,
                "outstanding_centimes": 0,
                "surcharge_centimes": 0,
                "surcharge_paid_centimes": 0,
            }
        ],
        "paid_through": "2026-03",
        "unpaid_months": [],
        "gaps": [],
        "as_of": "2026-03",
    },
    "enrollment": {
        **ENVELOPE,
        "kind": "enrollment",
        "registration_number": "0000001234",
        "category": "ARTISAN",
        "bracket": "REGISTERED",
        "coverage_start": "2026-03",
        "signed_at": None,
    },
    "reversal": {
        **ENVELOPE,
        "kind": "reversal",
        "registration_number": "0000001234",
        "reverses": "R-CASHPLUS-00000183",
        "amount_centimes": 31154,
        "approved_by": "sup.ca-01",
        "business_date": "2026-03-14",
    },
    "rights certificate": {
        **ENVELOPE,
        "kind": "certificate",
        "certificate": "rights",
        "registration_number": "0000001234",
        "name": "Fatima El Amrani",
        "status": "open",
        "reason_code": "within_grace",
        "reason": "open within the grace period until 2026-06",
        "covered_through": "2026-02",
        "paid_through": "2026-04",
        "oldest_unpaid": "2026-03",
        "open_until": "2026-06",
        "coverage_starts": None,
        "reopens": None,
        "unpaid_months": ["2026-03"],
        "gaps": ["2026-03"],
        "as_of": "2026-03",
    },
    "new log claims": {
        **{k: v for k, v in COLLECTION.items() if k != "log_index"},
        "log_entry": "0123456789abcdef0123456789abcdef",
        "log_by": 1773479586,
    },
    "a document kind from later": {
        **ENVELOPE,
        "kind": "drawer_close",
        "counted": {"20000": 3, "coins": [1, 2]},
        "receipt_number": "R-OTHER-00000001",
        "recorded_at": "2026-03-14T10:12:06+01:00",
    },
}


@pytest.fixture(scope="module")
def signer() -> Ed25519CompactSigner:
    return Ed25519CompactSigner(private_key_from_seed(bytes(range(32))))


def keys_of(signer: Ed25519CompactSigner, seed: bytes = bytes(range(32))) -> dict[str, Any]:
    return {signer.kid: private_key_from_seed(seed).public_key()}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_a_compact_document_gives_back_exactly_its_claims(
    name: str, signer: Ed25519CompactSigner
) -> None:
    claims = DOCUMENTS[name]
    text = compact_sign(claims, signer)
    assert text.startswith(PREFIX)
    assert compact_verify(text, keys_of(signer)) == claims
    assert unverified_claims(text)[1] == claims


def test_the_same_claims_under_the_same_key_give_the_same_text(
    signer: Ed25519CompactSigner,
) -> None:
    # What lets a stored receipt's compact form be made again for a reprint.
    assert compact_sign(COLLECTION, signer) == compact_sign(
        dict(reversed(COLLECTION.items())), signer
    )


def test_a_collection_receipt_stays_within_a_qr_of_version_10_at_level_m(
    signer: Ed25519CompactSigner,
) -> None:
    # Version 10-M holds 311 alphanumeric characters: the link's scheme, host and path
    # ("HTTPS://QURB.CNSS.MA/V#", 23) and the '#' in a byte segment leave about 280.
    assert len(compact_sign(COLLECTION, signer)) <= 275


def test_a_year_paid_ahead_costs_no_more_than_two_months(signer: Ed25519CompactSigner) -> None:
    year = compact_sign(DOCUMENTS["a year paid ahead"], signer)
    assert len(year) <= len(compact_sign(COLLECTION, signer)) + 3


def test_a_run_of_months_no_payment_could_make_is_not_expanded(
    signer: Ed25519CompactSigner,
) -> None:
    # Signed by the right key all the same: the bound is on what a verifier expands.
    protected = cbor2.dumps({1: -8, 4: b64url_decode(signer.kid)[:8]}, canonical=True)
    payload = cbor2.dumps({1: 1, 4: "CASHPLUS", 15: [[24312, 10**9, 4, 1]]}, canonical=True)
    structure = cbor2.dumps(["Signature1", protected, b"", payload], canonical=True)
    message = cbor2.CBORTag(18, [protected, {}, payload, signer.sign_bytes(structure)])
    text = PREFIX + base45.b45encode(cbor2.dumps(message)).decode()
    claims = compact_verify(text, keys_of(signer))
    assert claims["months"] == [
        [24312, 10**9, 4, 1]
    ]  # carried as it came, a billion months not made


def test_a_flipped_character_is_caught(signer: Ed25519CompactSigner) -> None:
    text = compact_sign(COLLECTION, signer)
    caught = 0
    for at in range(len(PREFIX), len(text)):
        flipped = text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]
        try:
            assert compact_verify(flipped, keys_of(signer)) != COLLECTION
        except CompactInvalid:
            caught += 1
        else:  # pragma: no cover - a forgery that verifies is the failure this test is for
            pytest.fail(f"a change at {at} verified")
    assert caught == len(text) - len(PREFIX)


def test_a_document_signed_by_another_key_with_our_kid_does_not_verify(
    signer: Ed25519CompactSigner,
) -> None:
    class Impostor:
        kid = signer.kid

        def sign_bytes(self, data: bytes) -> bytes:
            return generate_private_key().sign(data)

    with pytest.raises(CompactInvalid) as caught:
        compact_verify(compact_sign(COLLECTION, Impostor()), keys_of(signer))
    assert caught.value.code == "compact_bad_signature"


def test_a_document_under_an_unpublished_key_is_refused(signer: Ed25519CompactSigner) -> None:
    other = Ed25519CompactSigner(generate_private_key())
    with pytest.raises(CompactInvalid) as caught:
        compact_verify(compact_sign(COLLECTION, other), keys_of(signer))
    assert caught.value.code == "compact_unknown_key"


@pytest.mark.parametrize(
    "text",
    ["", "HC1:6BFOXN", PREFIX, PREFIX + "ZZZ", PREFIX + "0" * 5000, "QC1:" + "%%%%"],
)
def test_what_is_not_a_compact_document_is_refused_as_malformed(text: str) -> None:
    with pytest.raises(CompactInvalid) as caught:
        compact_verify(text, {})
    assert caught.value.code == "compact_malformed"


def _message(text: str) -> bytes:
    packed = base45.b45decode(text[len(PREFIX) :])
    return zlib.decompress(packed) if packed[:1] == b"\x78" else bytes(packed)


def test_pycose_reads_and_verifies_the_message(signer: Ed25519CompactSigner) -> None:
    text = compact_sign(COLLECTION, signer)
    tagged = cbor2.loads(_message(text))
    assert tagged.tag == 18  # COSE_Sign1, RFC 9052 §2
    # cbor2 6 hands a tag's array over as a tuple and its maps as frozendicts, which
    # pycose's decode() does not take: the same values, as a list and a dict, to the
    # constructor decode() calls.
    protected, unprotected, payload, signature = tagged.value
    message = Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)
    raw = public_key_raw(private_key_from_seed(bytes(range(32))))
    message.key = OKPKey(crv="Ed25519", x=raw)
    assert message.verify_signature()
    assert message.phdr_encoded  # alg and kid are protected, as RFC 9052 §3.1 asks
    assert message.payload is not None
    assert cbor2.loads(message.payload)[1] == 184  # receipt_number, as its digits


def test_a_message_pycose_signs_verifies_here(signer: Ed25519CompactSigner) -> None:
    ours = _message(compact_sign(COLLECTION, signer))
    kid = cbor2.loads(cbor2.loads(ours).value[0])[4]
    seed = bytes(range(32))
    theirs = Sign1Message(phdr={Algorithm: EdDSA, KID: kid}, payload=cbor2.loads(ours).value[2])
    theirs.key = OKPKey(crv="Ed25519", x=public_key_raw(private_key_from_seed(seed)), d=seed)
    text = PREFIX + base45.b45encode(zlib.compress(theirs.encode())).decode()
    assert compact_verify(text, keys_of(signer)) == COLLECTION
