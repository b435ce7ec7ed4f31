"""``qurb-api demo-day`` (and so ``make demo``) takes a day of reimbursement files at the
demo's counters: some with warnings the worker insisted on, one cancelled by a supervisor,
each office's transmittal slip, and CNSS's tracking file with a missing envelope first in
finance's queue and a refusal a worker's files show."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from agent_api.persistence.db import build_engine
from agent_api.persistence.tables import (
    Deposit,
    DepositCancellation,
    Transmittal,
    TransmittalItem,
    Worker,
)
from agent_api.services.container import Services
from agent_api.settings import Settings
from qurb.cli import main as qurb_api
from reconciliation.container import Reconciliation

DAY = date(2026, 11, 20)


@pytest.fixture
def demo(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    key_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[tuple[Services, Reconciliation, str]]:
    monkeypatch.setenv("QURB_DATABASE_URL", database_url)
    monkeypatch.setenv("QURB_KEY_DIR", str(key_dir))
    monkeypatch.setenv("QURB_ENV", "test")
    monkeypatch.setenv("QURB_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("QURB_PASSWORD_MEMORY_KIB", "1024")
    assert qurb_api(["seed-demo"]) == 0
    capsys.readouterr()
    out = tmp_path / "demo"
    assert qurb_api(["demo-day", "--date", DAY.isoformat(), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    settings = Settings.from_env()
    engine = build_engine(settings.database_url, pool_size=2)
    try:
        yield Services.build(settings, engine), Reconciliation.build(settings, engine), printed
    finally:
        engine.dispose()


def test_the_demo_day_deposits_files_insists_cancels_and_sends_each_offices_slip(
    demo: tuple[Services, Reconciliation, str],
) -> None:
    services, _, printed = demo
    with Session(services.engine) as session:
        deposits = session.exec(select(Deposit).where(Deposit.business_date == DAY)).all()
        cancelled = session.exec(select(DepositCancellation.deposit_id)).all()
        slips = session.exec(select(Transmittal).where(Transmittal.business_date == DAY)).all()
        sent = session.exec(select(TransmittalItem.deposit_id)).all()

    assert len(deposits) == 24  # four at each of the six demo offices
    assert 0 < len([d for d in deposits if d.warnings]) < len(deposits)
    assert len(slips) == len({d.office_id for d in deposits}) == 6
    assert set(sent) == {d.id for d in deposits}  # each in its office's slip
    # And one taken today, handed back with a supervisor's approval.
    [handed_back] = cancelled
    assert handed_back not in sent
    assert "24 reimbursement files deposited" in printed
    assert "1 more taken today and cancelled by a supervisor" in printed


def test_finance_sees_the_missing_envelope_first_and_a_worker_sees_the_refusal(
    demo: tuple[Services, Reconciliation, str],
) -> None:
    services, reconciliation, printed = demo

    queue = reconciliation.claims.queue()
    assert queue[0].kind == "missing_envelope"
    missing = queue[0].finding_key.split(":", 1)[1]
    with Session(services.engine) as session:
        owner = session.exec(
            select(Worker.registration_number)
            .join(Deposit, col(Deposit.worker_id) == col(Worker.id))
            .where(Deposit.number == missing)
        ).one()
    assert owner is not None
    [shown] = [
        line for line in printed.splitlines() if "a worker's files and their journey" in line
    ]
    worker = shown.split(": ")[1].split(" ")[0]
    journey = {view.stage: view for view in services.deposits.of_worker(worker)}
    refused = journey["refused"]
    assert refused.reason_code in {"R01", "R02", "R03"}
    assert refused.transmittal is not None
    assert refused.since is not None
    lost = services.deposits.of_worker(owner)
    assert [v.stage for v in lost if v.deposit_number == missing] == ["not_received"]
