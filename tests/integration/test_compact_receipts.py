"""Every receipt and certificate the API hands over carries its compact form (QC1) beside its
JWS: the same claims, signed by the same published key, each caught when a byte is changed;
and a receipt fetched again by its number comes with the very same compact text."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from agent_api.protocol.compact_receipt import (
    CompactInvalid,
    Ed25519CompactSigner,
    compact_sign,
    compact_verify,
)
from agent_api.protocol.keys import generate_private_key
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.support.reconciliation import pay, reverse_signed
from tests.support.terminal import TestTerminal
from tests.support.workers import worker_payload


def _receipts(terminal: TestTerminal) -> list[dict[str, Any]]:
    """The receipt object of one document of each kind, as the API returns it."""
    enrolled = terminal.send("POST", "/v1/workers", worker_payload(cin="CR123456"))
    assert enrolled.status_code == 201, enrolled.text
    number = enrolled.json()["registration_number"]
    found = [enrolled.json()["receipt"]]
    paid = terminal.send(
        "POST", "/v1/contributions", {"registration_number": number, "amount_centimes": 20_000}
    )
    assert paid.status_code == 201, paid.text
    found.append(paid.json()["receipt"])
    undone = pay(terminal, number, 1_000, "CA-01")
    found.append(reverse_signed(terminal, undone.receipt, "sup.ca-01"))
    for kind in ("rights", "payments"):
        response = terminal.send("POST", f"/v1/workers/{number}/certificates", {"kind": kind})
        assert response.status_code == 201, response.text
        found.append(response.json()["receipt"])
    return found


def _published(world: World) -> dict[str, Any]:
    """The receipt keys of GET /v1/keys, by kid."""
    jwks = world.client.get("/v1/keys").json()
    return {k["kid"]: jwt.PyJWK(k).key for k in jwks["keys"] if k.get("crv") == "Ed25519"}


def test_every_receipt_carries_a_compact_form_with_the_claims_of_its_jws(
    world: World, terminal: TestTerminal
) -> None:
    keys = _published(world)
    kinds = set()
    for receipt in _receipts(terminal):
        header = jwt.get_unverified_header(receipt["receipt"])
        claims = jwt.decode(receipt["receipt"], keys[header["kid"]], algorithms=["EdDSA"])
        assert compact_verify(receipt["compact"], keys) == claims
        kinds.add(claims.get("certificate", claims["kind"]))
    assert kinds == {"enrollment", "collection", "reversal", "rights", "payments"}


def _flipped(text: str) -> str:
    at = len(text) // 2
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


def test_a_changed_byte_fails_the_jws_and_the_compact_form_alike(
    world: World, terminal: TestTerminal
) -> None:
    keys = _published(world)
    receipt = _receipts(terminal)[1]
    key = keys[jwt.get_unverified_header(receipt["receipt"])["kid"]]
    with pytest.raises(jwt.InvalidTokenError):
        jwt.decode(_flipped(receipt["receipt"]), key, algorithms=["EdDSA"])
    with pytest.raises(CompactInvalid):
        compact_verify(_flipped(receipt["compact"]), keys)


def test_a_receipt_fetched_again_has_the_same_compact_form(
    world: World, terminal: TestTerminal
) -> None:
    receipt = _receipts(terminal)[1]
    again = terminal.send("GET", f"/v1/receipts/{receipt['number']}")
    assert again.status_code == 200, again.text
    assert again.json()["compact"] == receipt["compact"]


def test_the_public_page_learns_a_receipt_is_in_the_log_with_its_checkpoint(
    world: World, terminal: TestTerminal
) -> None:
    receipt = _receipts(terminal)[1]
    asked = {"compact": receipt["compact"]}
    before = world.client.post("/v1/receipt-standing", json=asked)
    assert before.status_code == 200, before.text
    assert before.json()["status"] in {"pending", "in_log"}
    world.services.audit.checkpoint()
    after = world.client.post("/v1/receipt-standing", json=asked).json()
    assert after["status"] == "in_log"
    assert after["checkpoint_size"] > after["index"]
    assert after["checkpoint"].startswith(world.services.settings.log_origin)
    assert after["cosignatures"] == 0
    assert "leaf" not in after  # nothing of what the log recorded beyond the receipt


def test_a_receipt_signed_by_another_key_gets_no_answer_about_the_log(
    world: World, terminal: TestTerminal
) -> None:
    claims = jwt.decode(_receipts(terminal)[1]["receipt"], options={"verify_signature": False})
    forged = compact_sign(claims, Ed25519CompactSigner(generate_private_key()))
    answer = world.client.post("/v1/receipt-standing", json={"compact": forged})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "compact"
    assert answer.json()["error"]["code"] == "compact_unknown_key"


def test_a_receipt_issued_by_a_clock_ahead_is_made_compact_again_all_the_same(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    clock.advance(minutes=30)  # the hub's clock ahead of this machine's: iat in the future
    receipt = _receipts(terminal)[1]
    assert world.services.receipts.compact_of(receipt["receipt"]) == receipt["compact"]
