"""A deposit slip and its cancellation receipt come with their compact form (QC1) for the
slip's QR, as a collection's receipt does: the same claims as the JWS, claim by claim, every
claim under its small integer key, the same text when the deposit is retried, and a QR the
58 mm roll prints (version 10 to 13 at level M, as receipts)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import base45  # type: ignore[import-untyped]
import cbor2
import jwt
import qrcode  # type: ignore[import-untyped]

from agent_api.protocol.compact_claims import KEYS, encode_claims
from agent_api.protocol.compact_receipt import compact_verify
from terminal_client.ticket import verification_link
from tests.integration.conftest import PASSWORD, World
from tests.support.terminal import TestTerminal
from tests.support.workers import child, today, worker_payload

APPROVAL = {
    "reason": "envelope handed back",
    "supervisor": {"username": "sup.ca-01", "password": PASSWORD},
}
SLIP_CLAIMS = (
    "deposit_number",
    "registration_number",
    "beneficiary",
    "dependent_id",
    "care_kind",
    "care_from",
    "care_to",
    "amount_spent_centimes",
    "documents",
    "deadline",
    "warnings",
    "business_date",
)


def _published(world: World) -> dict[str, Any]:
    jwks = world.client.get("/v1/keys").json()
    return {k["kid"]: jwt.PyJWK(k).key for k in jwks["keys"] if k.get("crv") == "Ed25519"}


def _enrolled(terminal: TestTerminal, **fields: Any) -> dict[str, Any]:
    response = terminal.send("POST", "/v1/workers", worker_payload(**fields))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _deposit(
    terminal: TestTerminal, number: str, *, sequence: int | None = None, **fields: Any
) -> Any:
    body = {
        "registration_number": number,
        "care_kind": "hospitalisation",
        "care_from": today().isoformat(),
        "amount_spent_centimes": 1_234_567,
        "documents": 12,
        **fields,
    }
    return terminal.send("POST", "/v1/deposits", body, sequence=sequence)


def _qr_version(text: str) -> int:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text.encode("utf-8"))
    code.make(fit=True)
    return int(code.version)


def _cbor_keys(compact: str) -> set[Any]:
    message = cbor2.loads(base45.b45decode(compact.removeprefix("QC1:")))
    return set(cbor2.loads(message.value[2]))


def test_a_slip_carries_a_compact_form_with_every_claim_of_its_jws(
    world: World, terminal: TestTerminal
) -> None:
    enrolled = _enrolled(terminal, dependents=[child()])
    [dependent] = enrolled["worker"]["dependents"]
    long_ago = (today() - timedelta(days=75)).isoformat()

    response = _deposit(
        terminal,
        enrolled["registration_number"],
        dependent_id=dependent["id"],
        care_from=long_ago,
        care_to=(today() - timedelta(days=70)).isoformat(),
        insist=True,
    )

    assert response.status_code == 201, response.text
    slip = response.json()["slip"]
    keys = _published(world)
    header = jwt.get_unverified_header(slip["receipt"])
    signed = jwt.decode(slip["receipt"], keys[header["kid"]], algorithms=["EdDSA"])
    compact = compact_verify(slip["compact"], keys)
    for name in (*SLIP_CLAIMS, "receipt_number", "kind", "office", "log_entry", "log_by"):
        assert compact[name] == signed[name], name
    assert compact == signed
    # The child was declared today: care before that was not a beneficiary's.
    assert compact["warnings"] == ["rights_closed", "deadline_passed", "beneficiary_not_declared"]
    assert compact["beneficiary"] == "dependent"
    # Each claim under its number: no name of a claim travels in the QR.
    assert all(isinstance(key, int) for key in _cbor_keys(slip["compact"]))


def test_a_retried_deposit_answers_the_same_compact_slip(
    world: World, terminal: TestTerminal
) -> None:
    number = _enrolled(terminal)["registration_number"]

    first = _deposit(terminal, number, sequence=41)
    again = _deposit(terminal, number, sequence=41)

    assert first.status_code == again.status_code == 201, first.text
    assert again.json()["slip"]["compact"] == first.json()["slip"]["compact"]
    assert again.json()["slip"]["compact"].startswith("QC1:")


def test_a_cancellation_receipt_carries_its_compact_form(
    world: World, terminal: TestTerminal
) -> None:
    number = _enrolled(terminal)["registration_number"]
    deposited = _deposit(terminal, number).json()

    cancelled = terminal.send(
        "POST", f"/v1/deposits/{deposited['deposit_number']}/cancellation", APPROVAL
    )

    assert cancelled.status_code == 201, cancelled.text
    receipt = cancelled.json()["receipt"]
    keys = _published(world)
    kid = jwt.get_unverified_header(receipt["receipt"])["kid"]
    signed = jwt.decode(receipt["receipt"], keys[kid], algorithms=["EdDSA"])
    claims = compact_verify(receipt["compact"], keys)
    assert claims == signed
    assert (claims["kind"], claims["deposit_number"], claims["cancels"]) == (
        "deposit_cancel",
        deposited["deposit_number"],
        deposited["slip"]["number"],
    )
    assert all(isinstance(key, int) for key in _cbor_keys(receipt["compact"]))


def test_the_fullest_slip_fits_a_qr_the_roll_prints(world: World, terminal: TestTerminal) -> None:
    enrolled = _enrolled(terminal, dependents=[child()])
    [dependent] = enrolled["worker"]["dependents"]
    slip = _deposit(
        terminal,
        enrolled["registration_number"],
        dependent_id=dependent["id"],
        care_from=(today() - timedelta(days=300)).isoformat(),
        care_to=(today() - timedelta(days=200)).isoformat(),
        insist=True,
    ).json()["slip"]
    claims = compact_verify(slip["compact"], _published(world))
    # The longest a slip gets: all three warnings, the largest amount and document count.
    fullest = {
        **claims,
        "warnings": ["rights_closed", "deadline_passed", "beneficiary_not_declared"],
        "amount_spent_centimes": 100_000_000,
        "documents": 200,
    }
    assert set(encode_claims(fullest)) <= set(KEYS.values())

    link = verification_link("https://qurb.cnss.ma", slip["compact"])

    assert _qr_version(link) <= 13
