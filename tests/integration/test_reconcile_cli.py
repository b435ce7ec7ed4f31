"""``qurb-reconcile`` and ``qurb-api demo-day`` against the database ``QURB_DATABASE_URL``
names: the daily run with an inbox, refused files set aside, reports written, exit codes."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from agent_api.clock import CASABLANCA
from auditor.cli import main as audit
from qurb.cli import main as qurb_api
from reconciliation.cli import main, next_run


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, key_dir: Path) -> None:
    monkeypatch.setenv("QURB_DATABASE_URL", database_url)
    monkeypatch.setenv("QURB_KEY_DIR", str(key_dir))
    monkeypatch.setenv("QURB_ENV", "test")
    monkeypatch.setenv("QURB_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("QURB_PASSWORD_MEMORY_KIB", "1024")


DAY = date(2026, 11, 20)


@pytest.fixture
def demo(env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The demo registry and a reconciled demo day, as ``make demo`` leaves them."""
    assert qurb_api(["seed-demo"]) == 0
    out = tmp_path / "demo"
    assert qurb_api(["demo-day", "--date", DAY.isoformat(), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "closed, settled and reconciled (version 1)" in printed
    return out


def test_the_demo_day_leaves_a_reconciled_day_with_its_reports(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = json.loads((demo / f"reconciliation-{DAY:%Y%m%d}.json").read_text())
    assert report["version"] == 1
    assert len(report["settlements"]) == 3
    assert report["exceptions"], "the demo shows exceptions for finance to work"
    truth = json.loads((demo / "inbox" / f"truth_{DAY:%Y%m%d}.json").read_text())
    assert len(report["exceptions"]) == len(truth if isinstance(truth, list) else truth["findings"])
    assert (demo / f"reconciliation-{DAY:%Y%m%d}.html").read_text().startswith("<!DOCTYPE html>")
    # Matching again on the same files changes nothing and says so; exceptions remain: exit 1.
    assert main(["match", "--date", DAY.isoformat()]) == 1
    assert "same result as version 1" in capsys.readouterr().out


def test_a_daily_run_with_a_refused_file_sets_it_aside_and_exits_2(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = demo / "inbox" / f"CNSS_ENCAISSEMENTS_CASHPLUS_{DAY:%Y%m%d}.csv"
    (inbox / good.name).write_bytes(good.read_bytes())
    broken = inbox / f"CNSS_ENCAISSEMENTS_WAFACASH_{DAY:%Y%m%d}.csv"
    broken.write_bytes(b"\xef\xbb\xbfnot;a;ledger\r\n")
    reports = tmp_path / "reports"
    status = main(
        ["run", "--date", DAY.isoformat(), "--inbox", str(inbox), "--reports", str(reports)]
    )
    # A refusal outranks the exceptions to work: the file must be sent again.
    assert status == 2
    assert (inbox / "done" / good.name).exists()
    assert (inbox / "refused" / broken.name).exists()
    reason = (inbox / "refused" / f"{broken.name}.error").read_text()
    assert reason.startswith(f"error: ledger_file_refused (not): {broken.name}, line 1: ")
    assert "header" in reason
    assert sorted(p.suffix for p in reports.iterdir()) == [".csv", ".html", ".json"]
    out = capsys.readouterr()
    assert "already closed" in out.out
    assert "already settled" in out.out
    assert out.err == reason


def test_a_daily_run_whose_files_are_all_read_exits_1_while_exceptions_remain(
    demo: Path, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = demo / "inbox" / f"CNSS_ENCAISSEMENTS_CASHPLUS_{DAY:%Y%m%d}.csv"
    (inbox / good.name).write_bytes(good.read_bytes())
    assert main(["run", "--date", DAY.isoformat(), "--inbox", str(inbox)]) == 1


@pytest.mark.usefixtures("env")
def test_an_unknown_network_is_refused_with_the_error_line_of_every_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["close", "--date", DAY.isoformat(), "--network", "NOPE"]) == 2
    assert capsys.readouterr().err == "error: unknown_network (network): unknown network: NOPE\n"
    assert main(["settle", "--date", DAY.isoformat(), "--network", "NOPE"]) == 2
    assert capsys.readouterr().err == "error: unknown_network (network): unknown network: NOPE\n"
    assert main(["import"]) == 2
    assert capsys.readouterr().err.startswith("error: validation_failed (--ledger): ")


@pytest.mark.usefixtures("env")
def test_matching_a_day_that_is_not_settled_is_refused_with_exit_code_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["match", "--date", "2026-01-05"]) == 2
    err = capsys.readouterr().err
    assert re.fullmatch(r"error: [a-z_]+( \([a-z_]+\))?: .+\n", err)
    assert "no network is settled for 2026-01-05" in err


def test_the_statement_and_a_network_report_print_as_asked(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["statement", "--date", DAY.isoformat(), "--network", "CASHPLUS"]) == 0
    statement = json.loads(capsys.readouterr().out)
    assert statement["statement"]["reference"] == f"QURB-STL-CASHPLUS-{DAY:%Y%m%d}"
    assert (
        main(["report", "--date", DAY.isoformat(), "--network", "CASHPLUS", "--format", "csv"]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("line,business_date,version,network")
    assert all(",CASHPLUS," in line for line in lines[1:])


def test_the_daemon_runs_at_the_next_local_time_across_midnight_and_clock_changes() -> None:
    evening = datetime(2026, 11, 21, 23, 30, tzinfo=CASABLANCA)
    due = next_run(evening.astimezone(UTC), time(2, 0))
    assert due == datetime(2026, 11, 22, 2, 0, tzinfo=CASABLANCA)
    early = datetime(2026, 11, 22, 1, 59, tzinfo=CASABLANCA)
    assert next_run(early, time(2, 0)).date() == date(2026, 11, 22)
    exactly = datetime(2026, 11, 22, 2, 0, tzinfo=CASABLANCA)
    assert next_run(exactly, time(2, 0)).date() == date(2026, 11, 23)


def test_the_demo_leaves_a_log_an_auditor_exports_and_verifies_clean(
    demo: Path, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "log.json"
    assert audit(["export", "--database-url", database_url, "--output", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document["checkpoints"], "closing the demo day signed a checkpoint"
    note = document["checkpoints"][-1]["note"]
    key_name = note.split("\n", 1)[0]
    vkey = _log_key(key_name)
    capsys.readouterr()
    assert audit(["verify", str(out), "--key", vkey]) == 0
    printed = capsys.readouterr().out
    assert "3 settlements checked" in printed
    assert printed.rstrip().endswith("clean")


def _log_key(origin: str) -> str:
    from agent_api.services.container import audit_log_of  # noqa: PLC0415
    from agent_api.settings import Settings  # noqa: PLC0415

    settings = Settings.from_env()
    log = audit_log_of(settings, lambda: None, lambda: datetime.now(UTC))  # type: ignore[arg-type, return-value]
    assert log.origin == origin
    return log.verifier_key()
