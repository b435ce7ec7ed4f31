"""A business day made through the real API, for the reconciliation tests: enrolled workers,
collections at counters of both networks, a reversal; then closed and settled."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from agent_api.clock import CASABLANCA
from agent_api.domain.roles import Actor, Role
from reconciliation.container import Reconciliation
from reconciliation.simulator_files import write_simulation
from tests.conftest import FakeClock
from tests.support.terminal import TestTerminal
from tests.support.workers import worker_payload

FINANCE = Actor(user_id=0, username="finance.test", role=Role.FINANCE)
SUPERVISOR_PASSWORD = "correct horse battery"


@dataclass
class Collected:
    receipt: str
    registration_number: str
    amount_centimes: int
    office: str
    jws: str = ""  # the signed receipt, as the network keeps it


@dataclass
class Day:
    business_date: date
    collections: list[Collected] = field(default_factory=list)
    reversed: list[str] = field(default_factory=list)  # receipt numbers of the reversals


_cins = itertools.count(100_000)


def enroll(terminal: TestTerminal) -> str:
    """A new worker (a new CIN each time)."""
    response = terminal.send("POST", "/v1/workers", worker_payload(cin=f"BK{next(_cins)}"))
    assert response.status_code == 201, response.text
    number: str = response.json()["registration_number"]
    return number


def pay(terminal: TestTerminal, number: str, amount: int, office: str) -> Collected:
    response = terminal.send(
        "POST", "/v1/contributions", {"registration_number": number, "amount_centimes": amount}
    )
    assert response.status_code == 201, response.text
    receipt = response.json()["receipt"]
    return Collected(receipt["number"], number, amount, office, receipt["receipt"])


def reverse(terminal: TestTerminal, receipt: str, supervisor: str) -> str:
    """Reverses ``receipt``; the reversal's receipt number."""
    number: str = reverse_signed(terminal, receipt, supervisor)["number"]
    return number


def reverse_signed(terminal: TestTerminal, receipt: str, supervisor: str) -> dict[str, str]:
    """Reverses ``receipt``; the reversal's receipt (``number`` and the signed ``receipt``)."""
    response = terminal.send(
        "POST",
        f"/v1/contributions/{receipt}/reversal",
        {
            "reason": "wrong amount",
            "supervisor": {"username": supervisor, "password": SUPERVISOR_PASSWORD},
        },
    )
    assert response.status_code == 201, response.text
    signed: dict[str, str] = response.json()["receipt"]
    return signed


def today(clock: FakeClock) -> date:
    return clock().astimezone(CASABLANCA).date()


def close_and_settle(r: Reconciliation, day: date) -> dict[str, Any]:
    r.closer.close(day, by="test")
    return {s.network: s for s in r.settler.settle(day, by="test")}


def reconciled_day(
    recon: Reconciliation, terminal: TestTerminal, clock: FakeClock, tmp_path: Path, payments: int
) -> date:
    """Today at CA-01: ``payments`` collections, closed, settled, and reconciled against the
    simulator's ledger and camt.053 files with lines CNSS never booked and a short transfer."""
    for n in range(payments):
        pay(terminal, enroll(terminal), 8_000 + n, "CA-01")
    day = today(clock)
    close_and_settle(recon, day)
    rates = "missing_in_ledger=1,bank_short=1"
    for path in write_simulation(recon, day, tmp_path, rates=rates, seed=5, camt_version="04"):
        if path.name.startswith("CNSS_"):
            recon.inputs.import_ledger(path.read_bytes(), name=path.name, by="test")
        elif path.suffix == ".xml":
            recon.inputs.import_bank(path.read_bytes(), name=path.name, by="test")
    recon.reconciler.run(day, by="test")
    return day
