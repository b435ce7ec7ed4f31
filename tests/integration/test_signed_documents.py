"""Every signed document the service issues carries exactly the claims docs/signed-documents.md
lists: receipts of each kind, both certificates, and the settlement statement. A claim added
to a document without its line in the doc fails here; so does a documented claim no document
carries any more.

The documents are issued through the real API and the real daily job (the claims are built
where each use case runs, over the database), then read back as a verifier would."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import jwt
import pytest

from reconciliation.container import Reconciliation
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.support.reconciliation import (
    SUPERVISOR_PASSWORD,
    close_and_settle,
    enroll,
    pay,
    reverse_signed,
    today,
)
from tests.support.signed_documents import document_key, documented_claims, paths_of
from tests.support.terminal import TestTerminal
from tests.support.workers import worker_payload


@pytest.fixture
def recon(world: World) -> Reconciliation:
    services = world.services
    return Reconciliation.build(services.settings, services.engine, services.clock)


def _issued(terminal: TestTerminal, clock: FakeClock, recon: Reconciliation) -> list[str]:
    """One document of every kind the service signs, a late collection among them."""
    enrolled = terminal.send("POST", "/v1/workers", worker_payload(cin="SD123456"))
    assert enrolled.status_code == 201, enrolled.text
    number = enrolled.json()["registration_number"]
    issued = [enrolled.json()["receipt"]["receipt"]]
    issued.append(pay(terminal, number, 20_000, "CA-01").jws)
    undone = pay(terminal, number, 1_000, "CA-01")
    issued.append(reverse_signed(terminal, undone.receipt, "sup.ca-01")["receipt"])
    for kind in ("rights", "payments"):
        response = terminal.send("POST", f"/v1/workers/{number}/certificates", {"kind": kind})
        assert response.status_code == 201, response.text
        issued.append(response.json()["receipt"]["receipt"])
    # The drawer's close report, before the day closes.
    closed = terminal.send(
        "POST", "/v1/drawer-closes", {"counts": [{"denomination_centimes": 100, "quantity": 2}]}
    )
    assert closed.status_code == 201, closed.text
    issued.append(closed.json()["receipt"]["receipt"])
    deposited = terminal.send(
        "POST",
        "/v1/deposits",
        {
            "registration_number": number,
            "care_kind": "dental",
            "care_from": today(clock).isoformat(),
            "amount_spent_centimes": 9_000,
            "documents": 2,
        },
    )
    assert deposited.status_code == 201, deposited.text
    issued.append(deposited.json()["slip"]["receipt"])
    handed_back = terminal.send(
        "POST",
        f"/v1/deposits/{deposited.json()['deposit_number']}/cancellation",
        {
            "reason": "envelope handed back",
            "supervisor": {"username": "sup.ca-01", "password": SUPERVISOR_PASSWORD},
        },
    )
    assert handed_back.status_code == 201, handed_back.text
    issued.append(handed_back.json()["receipt"]["receipt"])
    settled = close_and_settle(recon, today(clock))
    issued.extend(s.statement_jws for s in settled.values())
    # The day is closed: this collection joins the next day, flagged late.
    issued.append(pay(terminal, number, 500, "CA-01").jws)
    return issued


def test_every_signed_document_carries_exactly_the_documented_claims(
    world: World, terminal: TestTerminal, clock: FakeClock, recon: Reconciliation
) -> None:
    documented = documented_claims()
    seen: dict[str, set[str]] = defaultdict(set)
    for jws in _issued(terminal, clock, recon):
        header = jwt.get_unverified_header(jws)
        payload = jwt.decode(jws, options={"verify_signature": False})
        key = document_key(header, payload)
        seen["header"] |= set(header)
        own = paths_of(payload)
        if key != "settlement":
            seen["envelope"] |= own & documented["envelope"]
            own -= documented["envelope"]
        seen[key] |= own
        undocumented = own - documented[key]
        assert not undocumented, f"{key} carries claims docs/signed-documents.md lacks"
        assert set(header) <= documented["header"], header
    kinds = {
        "enrollment",
        "collection",
        "reversal",
        "certificate:rights",
        "certificate:payments",
        "drawer_close",
        "deposit",
        "deposit_cancel",
    }
    assert kinds | {"settlement", "header", "envelope"} <= set(seen)
    for key, claims in documented.items():
        assert claims <= seen[key], f"documented for {key} but never issued: {claims - seen[key]}"


def test_a_certificate_says_when_it_was_signed(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    number = enroll(terminal)
    for kind in ("rights", "payments"):
        response = terminal.send("POST", f"/v1/workers/{number}/certificates", {"kind": kind})
        claims: dict[str, Any] = jwt.decode(
            response.json()["receipt"]["receipt"], options={"verify_signature": False}
        )
        assert claims["signed_at"] is not None
        assert datetime.fromisoformat(claims["signed_at"]) == clock.now
