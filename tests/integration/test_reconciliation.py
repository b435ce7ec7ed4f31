"""The daily run on a real database: a day made through the API, closed and settled, the
files CNSS and the bank would send simulated from it, imported and matched. Reconciliation
finds exactly what was injected, re-running changes nothing, and corrected files make a new
version that keeps the old one and carries finance's work over."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from agent_api.errors import ValidationFailed
from reconciliation.container import Reconciliation
from reconciliation.formats import parse_ledger, write_ledger
from reconciliation.model import BankOutcome
from reconciliation.simulation import truth_from_json
from reconciliation.simulator_files import write_simulation
from reconciliation.tables import LedgerFile, ReconciliationException, ReconciliationRun
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World, activated
from tests.support.reconciliation import FINANCE, close_and_settle, enroll, pay, reverse, today
from tests.support.terminal import TestTerminal

BANK_KINDS = {o.value for o in BankOutcome}


@pytest.fixture
def recon(world: World) -> Reconciliation:
    services = world.services
    return Reconciliation.build(services.settings, services.engine, services.clock)


@pytest.fixture
def settled_day(
    world: World, terminal: TestTerminal, clock: FakeClock, recon: Reconciliation
) -> date:
    """Twelve collections over both networks (one worker pays three times), one reversed."""
    wafa = activated(world, clock, "WA-01")
    assert wafa.login("op.wa-01", PASSWORD).status_code == 201
    regular = enroll(terminal)
    for amount in (5_000, 6_000, 7_000):
        pay(terminal, regular, amount, "CA-01")
    for n in range(5):
        pay(terminal, enroll(terminal), 10_000 + n * 111, "CA-01")
    mistaken = pay(terminal, enroll(terminal), 4_400, "CA-01")
    reverse(terminal, mistaken.receipt, "sup.ca-01")
    for n in range(3):
        pay(wafa, enroll(wafa), 20_000 + n, "WA-01")
    day = today(clock)
    close_and_settle(recon, day)
    return day


def _simulate(recon: Reconciliation, day: date, out: Path, rates: str, seed: int = 7) -> None:
    written = write_simulation(recon, day, out, rates=rates, seed=seed, camt_version="08")
    for path in written:
        if path.name.startswith("CNSS_"):
            recon.inputs.import_ledger(path.read_bytes(), name=path.name, by="test")
        elif path.suffix == ".xml":
            recon.inputs.import_bank(path.read_bytes(), name=path.name, by="test")


def _exceptions(world: World) -> list[ReconciliationException]:
    with Session(world.services.engine) as session:
        return list(session.exec(select(ReconciliationException)).all())


def test_files_that_agree_with_the_hub_reconcile_without_an_exception(
    world: World, recon: Reconciliation, settled_day: date, tmp_path: Path
) -> None:
    _simulate(recon, settled_day, tmp_path, "none")
    run = recon.reconciler.run(settled_day, by="test")
    assert (run.version, run.exceptions) == (1, 0)
    cashplus = run.summary["CASHPLUS"]
    assert cashplus["hub_lines"] == 10  # nine collections and the reversal
    assert cashplus["ledger_centimes"] == cashplus["hub_centimes"]
    assert cashplus["bank_outcome"] == "exact"
    assert cashplus["bank_received_centimes"] == cashplus["net_centimes"]
    assert _exceptions(world) == []


@pytest.mark.parametrize(
    "rates",
    [
        "missing_in_ledger=0.3,duplicate=0.3,amount_mismatch=0.3",
        "missing_in_hub=0.5,cross_day=0.3,no_reference=0.5,merged=1",
        "split=0.5,bank_short=1,bank_unexpected=1",
        "bank_missing=1,bank_remittance_only=1",
    ],
)
def test_reconciliation_finds_exactly_the_injected_discrepancies(
    world: World, recon: Reconciliation, settled_day: date, tmp_path: Path, rates: str
) -> None:
    _simulate(recon, settled_day, tmp_path, rates, seed=11)
    truth = truth_from_json((tmp_path / f"truth_{settled_day:%Y%m%d}.json").read_text())
    run = recon.reconciler.run(settled_day, by="test")
    found = [
        (e.source, e.kind, e.hub_references.split(), e.entry_ids.split(), e.difference_centimes)
        for e in _exceptions(world)
    ]
    expected = [
        (
            ("bank", f.kind, [f.reference] if f.reference else [], sorted(f.bank_references))
            if f.kind in BANK_KINDS
            else ("ledger", f.kind, sorted(f.hub_references), sorted(f.entry_ids))
        )
        + (f.difference_centimes,)
        for f in truth
    ]
    assert truth, "the rates chosen inject something on this day"
    assert sorted(found, key=repr) == sorted(expected, key=repr)
    assert run.exceptions == len(truth)


def test_running_again_on_the_same_files_gives_the_same_version(
    world: World, recon: Reconciliation, settled_day: date, tmp_path: Path
) -> None:
    _simulate(recon, settled_day, tmp_path, "missing_in_ledger=0.5")
    first = recon.reconciler.run(settled_day, by="test")
    again = recon.reconciler.run(settled_day, by="test")
    assert (again.version, again.created_now, again.summary) == (1, False, first.summary)
    with Session(world.services.engine) as session:
        assert len(session.exec(select(ReconciliationRun)).all()) == 1


def test_a_corrected_ledger_file_makes_a_new_version_and_keeps_the_old_one(
    world: World, recon: Reconciliation, settled_day: date, tmp_path: Path
) -> None:
    _simulate(recon, settled_day, tmp_path, "missing_in_ledger=0.4,duplicate=0.4", seed=3)
    first = recon.reconciler.run(settled_day, by="test")
    listed = recon.exceptions.list(FINANCE, business_date=settled_day, network="CASHPLUS")
    missing = next(e for e in listed if e.kind == "missing_in_ledger")
    duplicate = next(e for e in listed if e.kind == "duplicate")
    recon.exceptions.work(
        FINANCE, missing.id, to="resolved", reason_code="cnss_booking_corrected", comment="asked"
    )
    # CNSS re-exports CASHPLUS's day without the line it had booked twice.
    path = tmp_path / f"CNSS_ENCAISSEMENTS_CASHPLUS_{settled_day:%Y%m%d}.csv"
    original = parse_ledger(path.read_bytes())
    kept = [e for e in original.entries if e.entry_id not in duplicate.entry_ids]
    recon.inputs.import_ledger(write_ledger(kept), name=path.name, by="test")

    second = recon.reconciler.run(settled_day, by="test")

    assert (second.version, second.created_now) == (2, True)
    assert second.exceptions == first.exceptions - 1
    versions = recon.reconciler.versions(settled_day)
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].summary == first.summary
    now = recon.exceptions.list(FINANCE, business_date=settled_day, network="CASHPLUS")
    assert all(e.version == 2 for e in now)
    assert not any(e.kind == "duplicate" and e.entry_ids == duplicate.entry_ids for e in now)
    [carried] = [e for e in now if e.carried_from == missing.id]
    assert (carried.status, carried.reason_code) == ("resolved", "cnss_booking_corrected")
    old = recon.exceptions.list(FINANCE, business_date=settled_day, current_only=False)
    assert any(e.id == duplicate.id and e.version == 1 and not e.current for e in old)
    with Session(world.services.engine) as session:
        assert len(session.exec(select(LedgerFile)).all()) >= 2


def test_a_ledger_file_whose_trailer_disagrees_is_refused_whole(
    world: World, recon: Reconciliation, settled_day: date, tmp_path: Path
) -> None:
    write_simulation(recon, settled_day, tmp_path, rates="none", seed=1, camt_version="08")
    path = tmp_path / f"CNSS_ENCAISSEMENTS_CASHPLUS_{settled_day:%Y%m%d}.csv"
    lines = path.read_bytes().split(b"\r\n")
    trailer = next(i for i, line in enumerate(lines) if line.startswith(b"TOTAL;"))
    parts = lines[trailer].split(b";")
    parts[1] = str(int(parts[1]) + 1).encode()
    lines[trailer] = b";".join(parts)
    with pytest.raises(ValidationFailed) as refused:
        recon.inputs.import_ledger(b"\r\n".join(lines), name=path.name, by="test")
    assert refused.value.code == "ledger_file_refused"
    assert "count" in refused.value.message.lower() or "trailer" in refused.value.message.lower()
    with Session(world.services.engine) as session:
        assert session.exec(select(LedgerFile)).all() == []


def test_importing_the_same_file_twice_records_it_once(
    world: World, recon: Reconciliation, settled_day: date, tmp_path: Path
) -> None:
    written = write_simulation(
        recon, settled_day, tmp_path, rates="none", seed=1, camt_version="02"
    )
    ledger = next(p for p in written if p.name.startswith("CNSS_"))
    first = recon.inputs.import_ledger(ledger.read_bytes(), name=ledger.name, by="test")
    second = recon.inputs.import_ledger(ledger.read_bytes(), name=ledger.name, by="test")
    assert (first.imported_now, second.imported_now) == (True, False)
    statement = next(p for p in written if p.suffix == ".xml")
    assert recon.inputs.import_bank(statement.read_bytes(), name=statement.name, by="t").lines
    assert json.loads((tmp_path / f"truth_{settled_day:%Y%m%d}.json").read_text()) is not None
