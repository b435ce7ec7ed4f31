"""``qurb-reconcile simulate --claims``: the tracking files CNSS would send about a day's
deposits and their truth, written for ``qurb-reconcile tracking`` to apply."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from agent_api.clock import CASABLANCA
from reconciliation.cli import main
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.support.reconciliation import enroll
from tests.support.terminal import TestTerminal


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, key_dir: Path) -> None:
    monkeypatch.setenv("QURB_DATABASE_URL", database_url)
    monkeypatch.setenv("QURB_KEY_DIR", str(key_dir))
    monkeypatch.setenv("QURB_ENV", "test")


@pytest.mark.usefixtures("env")
def test_the_claims_files_of_a_day_apply_and_leave_each_deposit_where_the_truth_says(
    world: World,
    terminal: TestTerminal,
    clock: FakeClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    day = clock().astimezone(CASABLANCA).date()
    worker = enroll(terminal)
    for amount in (45_000, 1_234_567):
        deposited = terminal.send(
            "POST",
            "/v1/deposits",
            {
                "registration_number": worker,
                "care_kind": "laboratory",
                "care_from": day.isoformat(),
                "amount_spent_centimes": amount,
                "documents": 2,
                "insist": True,
            },
        )
        assert deposited.status_code == 201, deposited.text
    assert terminal.send("POST", "/v1/offices/current/transmittals", {}).status_code == 201
    out = tmp_path / "claims"

    args = ["simulate", "--claims", "--date", day.isoformat(), "--out", str(out)]
    assert main([*args, "--rates", "none", "--days", "2", "--seed", "3"]) == 0

    written = [Path(line) for line in capsys.readouterr().out.split()]
    assert [p.name for p in written] == [
        f"CNSS_SUIVI_DOSSIERS_CASHPLUS_{day + timedelta(days=1):%Y%m%d}.csv",
        f"CNSS_SUIVI_DOSSIERS_CASHPLUS_{day + timedelta(days=2):%Y%m%d}.csv",
        f"claims_truth_{day:%Y%m%d}.json",
    ]
    truth = json.loads(written[-1].read_text())
    assert [d["stage"] for d in truth["deposits"]] == ["reimbursed", "reimbursed"]
    assert truth["exceptions"] == []
    assert main(["tracking", *map(str, written[:-1])]) == 0  # nothing for finance
    shown = {
        v.deposit_number: (v.stage, v.reimbursed_centimes)
        for v in world.services.deposits.of_worker(worker)
    }
    assert shown == {
        d["deposit_number"]: (d["stage"], d["reimbursed_centimes"]) for d in truth["deposits"]
    }


@pytest.mark.usefixtures("env")
def test_an_unknown_fault_is_refused_with_the_error_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = ["simulate", "--claims", "--date", "2026-12-03", "--out", str(tmp_path)]
    assert main([*args, "--rates", "lost=0.5"]) == 2
    assert capsys.readouterr().err.startswith("error: validation_failed (rates): unknown fault")
