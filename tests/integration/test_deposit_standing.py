"""The public page's question about a deposit slip (``POST /v1/receipt-standing``): the holder
of the very slip the hub stored learns where the file is (at the office, cancelled, sent in
slip B-…, CNSS's latest word with its amount or its reason, dated) besides whether the slip
is in the audit log; an altered slip, a slip the hub did not store and any other receipt
learn nothing of a file; and the answer is the same whoever asks."""

from __future__ import annotations

from datetime import date
from typing import Any

import jwt
import pytest

from agent_api.domain.claims import TrackingStatus
from reconciliation.container import Reconciliation
from reconciliation.formats.tracking import TrackingEvent, write_tracking
from tests.integration.conftest import PASSWORD, World
from tests.support.reconciliation import pay
from tests.support.terminal import TestTerminal
from tests.support.workers import today, worker_payload

STANDING = "/v1/receipt-standing"


@pytest.fixture
def recon(world: World) -> Reconciliation:
    services = world.services
    return Reconciliation.build(services.settings, services.engine, services.clock)


def _worker(terminal: TestTerminal) -> str:
    response = terminal.send("POST", "/v1/workers", worker_payload())
    assert response.status_code == 201, response.text
    number: str = response.json()["registration_number"]
    return number


def _deposited(terminal: TestTerminal, worker: str) -> dict[str, Any]:
    response = terminal.send(
        "POST",
        "/v1/deposits",
        {
            "registration_number": worker,
            "care_kind": "imaging",
            "care_from": today().isoformat(),
            "amount_spent_centimes": 45_000,
            "documents": 4,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _asked(world: World, compact: str, **headers: str) -> dict[str, Any]:
    answer = world.client.post(STANDING, json={"compact": compact}, headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _tracked(recon: Reconciliation, status: TrackingStatus, **fields: Any) -> None:
    event = TrackingEvent(
        **{
            "event_id": "V1",
            "event_date": date(2026, 12, 9),
            "network": "CASHPLUS",
            "slip_number": None,
            "deposit_number": None,
            "registration_number": None,
            "cnss_file_number": "AMO26-0088123",
            "status": status,
            "reimbursed_centimes": None,
            "reason_code": None,
            "reason_text": None,
            **fields,
        }
    )
    recon.claims.apply(write_tracking([event]), source="CNSS_SUIVI_DOSSIERS_CASHPLUS_1.csv")


def test_the_holder_of_a_slip_learns_its_file_is_at_the_office_then_sent(
    world: World, terminal: TestTerminal
) -> None:
    deposited = _deposited(terminal, _worker(terminal))
    compact = deposited["slip"]["compact"]

    before = _asked(world, compact)
    sent = terminal.send("POST", "/v1/offices/current/transmittals", {})
    assert sent.status_code == 201, sent.text
    after = _asked(world, compact)

    assert before["status"] in ("in_log", "pending")
    assert before["deposit"] == {
        "stage": "at_office",
        "dated": deposited["business_date"],
        "transmittal": None,
        "reimbursed_centimes": None,
        "reason_code": None,
    }
    assert after["deposit"]["stage"] == "sent"
    assert after["deposit"]["transmittal"] == sent.json()["number"]
    assert after["deposit"]["dated"] == sent.json()["business_date"]


def test_a_reimbursed_file_says_the_amount_and_a_refused_one_its_reason_code(
    world: World, terminal: TestTerminal, recon: Reconciliation
) -> None:
    worker = _worker(terminal)
    paid, refused = _deposited(terminal, worker), _deposited(terminal, worker)
    assert terminal.send("POST", "/v1/offices/current/transmittals", {}).status_code == 201

    _tracked(
        recon,
        TrackingStatus.REIMBURSED,
        deposit_number=paid["deposit_number"],
        registration_number=worker,
        reimbursed_centimes=31_500,
    )
    _tracked(
        recon,
        TrackingStatus.REFUSED,
        event_id="V2",
        deposit_number=refused["deposit_number"],
        registration_number=worker,
        reason_code="R02",
        reason_text="délai de dépôt dépassé",
    )

    reimbursed = _asked(world, paid["slip"]["compact"])["deposit"]
    rejected = _asked(world, refused["slip"]["compact"])["deposit"]
    assert (reimbursed["stage"], reimbursed["reimbursed_centimes"]) == ("reimbursed", 31_500)
    assert reimbursed["dated"] == "2026-12-09"
    assert (rejected["stage"], rejected["reason_code"]) == ("refused", "R02")
    # CNSS's own words are about a person's care: sealed at rest, never on a public answer.
    assert (
        "délai"
        not in world.client.post(STANDING, json={"compact": refused["slip"]["compact"]}).text
    )


def test_a_cancelled_deposit_says_so_with_the_day_of_its_cancellation(
    world: World, terminal: TestTerminal
) -> None:
    deposited = _deposited(terminal, _worker(terminal))
    cancelled = terminal.send(
        "POST",
        f"/v1/deposits/{deposited['deposit_number']}/cancellation",
        {
            "reason": "envelope handed back",
            "supervisor": {"username": "sup.ca-01", "password": PASSWORD},
        },
    )
    assert cancelled.status_code == 201, cancelled.text

    file = _asked(world, deposited["slip"]["compact"])["deposit"]

    assert (file["stage"], file["dated"]) == ("cancelled", cancelled.json()["business_date"])
    # The cancellation receipt is a receipt in the log, not a file: no journey of its own.
    answer = _asked(world, cancelled.json()["receipt"]["compact"])
    assert answer["status"] in ("in_log", "pending")
    assert answer["deposit"] is None


def test_an_altered_or_unstored_slip_and_other_receipts_learn_nothing_of_a_file(
    world: World, terminal: TestTerminal
) -> None:
    worker = _worker(terminal)
    deposited = _deposited(terminal, worker)
    compact = deposited["slip"]["compact"]
    flipped = compact[:40] + ("A" if compact[40] != "A" else "B") + compact[41:]
    # Signed by the hub's own key, but not the slip it stored: a larger amount.
    claims = jwt.decode(deposited["slip"]["receipt"], options={"verify_signature": False})
    inflated = world.services.receipts.compact({**claims, "amount_spent_centimes": 9_999_999})
    collection = pay(terminal, worker, 20_000, "CA-01")

    altered = world.client.post(STANDING, json={"compact": flipped})
    unstored = _asked(world, inflated)
    paid = _asked(world, world.services.receipts.compact_of(collection.jws) or "")

    assert altered.status_code == 422
    assert "deposit" not in altered.text
    assert unstored == {**unstored, "status": "not_found", "deposit": None}
    assert paid["status"] in ("in_log", "pending")
    assert paid["deposit"] is None


def test_the_file_is_told_the_same_to_anyone_signed_in_or_not(
    world: World, terminal: TestTerminal
) -> None:
    compact = _deposited(terminal, _worker(terminal))["slip"]["compact"]
    callers = [
        {},
        world.auth("cnss.auditor"),
        world.auth("admin.cashplus"),
        {"authorization": f"Bearer {terminal.token}"},
        {"authorization": "Bearer not-a-token"},
    ]

    answers = [world.client.post(STANDING, json={"compact": compact}, headers=h) for h in callers]

    assert {a.status_code for a in answers} == {200}
    assert len({a.text for a in answers}) == 1
    assert answers[0].json()["deposit"]["stage"] == "at_office"
