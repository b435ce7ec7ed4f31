"""A day of AMO reimbursement files as the back office sees it: deposits at CA-01, their
transmittal slip, and CNSS's tracking files (a missing envelope, a refusal, a payment, an
envelope missing then found, a deposit number the hub never issued)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from agent_api.domain.claims import TrackingStatus as S
from reconciliation.claims import ClaimsTracking
from reconciliation.formats.tracking import TrackingEvent, write_tracking
from tests.support.terminal import TestTerminal
from tests.support.workers import today, worker_payload


@dataclass(frozen=True)
class TrackedDay:
    worker: str
    received: str
    missing: str
    paid: str
    refused: str
    found_later: str
    slip: str
    business_date: str
    unknown: str = "D-CASHPLUS-99999999"


def deposit(terminal: TestTerminal, worker: str, amount: int = 20_000) -> str:
    return deposited(terminal, worker, amount)["deposit_number"]  # type: ignore[no-any-return]


def deposited(terminal: TestTerminal, worker: str, amount: int = 20_000) -> dict[str, Any]:
    """The deposit's answer: its number and the business day it joined."""
    response = terminal.send(
        "POST",
        "/v1/deposits",
        {
            "registration_number": worker,
            "care_kind": "consultation",
            "care_from": today().isoformat(),
            "amount_spent_centimes": amount,
            "documents": 2,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def event(event_id: str, status: S, **fields: Any) -> TrackingEvent:
    base: dict[str, Any] = {
        "event_id": event_id,
        "event_date": date(2026, 12, 3),
        "network": "CASHPLUS",
        "slip_number": None,
        "deposit_number": None,
        "registration_number": "1234567894",
        "cnss_file_number": None,
        "status": status,
        "reimbursed_centimes": None,
        "reason_code": None,
        "reason_text": None,
    }
    if status not in (S.SLIP_RECEIVED, S.NOT_RECEIVED):
        base["cnss_file_number"] = f"AMO-{event_id}"
    if status is S.SLIP_RECEIVED:
        base["registration_number"] = None
    return TrackingEvent(**{**base, **fields})


def apply(tracking: ClaimsTracking, *events: TrackingEvent, name: str) -> None:
    tracking.apply(write_tracking(list(events)), source=f"CNSS_SUIVI_DOSSIERS_CASHPLUS_{name}.csv")


def tracked_day(terminal: TestTerminal, tracking: ClaimsTracking) -> TrackedDay:
    response = terminal.send("POST", "/v1/workers", worker_payload())
    assert response.status_code == 201, response.text
    worker = response.json()["registration_number"]
    answers = [deposited(terminal, worker, 20_000 + n) for n in range(5)]
    numbers = [a["deposit_number"] for a in answers]
    # The deposits' business day (tomorrow's when today is already closed).
    on = answers[0]["business_date"]
    slip = terminal.send("POST", "/v1/offices/current/transmittals", {"business_date": on})
    assert slip.status_code == 201, slip.text
    received, missing, paid, refused, found_later = numbers
    day = TrackedDay(
        worker, received, missing, paid, refused, found_later, slip.json()["number"], on
    )
    apply(
        tracking,
        event("V1", S.SLIP_RECEIVED, slip_number=day.slip),
        event("V2", S.RECEIVED, slip_number=day.slip, deposit_number=day.received),
        event("V3", S.NOT_RECEIVED, slip_number=day.slip, deposit_number=day.missing),
        event("V4", S.REIMBURSED, deposit_number=day.paid, reimbursed_centimes=15_000),
        event(
            "V5",
            S.REFUSED,
            deposit_number=day.refused,
            reason_code="R01",
            reason_text="Droits fermés",
        ),
        event("V6", S.NOT_RECEIVED, slip_number=day.slip, deposit_number=day.found_later),
        event("V7", S.RECEIVED, deposit_number=day.unknown),
        name="f1",
    )
    apply(
        tracking,
        event("V8", S.RECEIVED, deposit_number=day.found_later, event_date=date(2026, 12, 4)),
        name="f2",
    )
    return day
