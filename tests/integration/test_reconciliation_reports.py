"""The report finance reads, on a real day: the money per network with the ledger and the bank
in their own columns, every exception with what it takes to work it (also a receipt number
the hub never issued), French by default and Arabic on request, times in Casablanca."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest

from reconciliation.container import Reconciliation
from reconciliation.formats import parse_ledger, write_ledger
from reconciliation.model import LedgerEntry
from reconciliation.reports import render
from reconciliation.simulator_files import write_simulation
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World, activated
from tests.support.reconciliation import FINANCE, Collected, close_and_settle, enroll, pay, today
from tests.support.terminal import TestTerminal

NEVER_ISSUED = "R-CASHPLUS-99999999"
UNKNOWN_WORKER = "0000000999"


@pytest.fixture
def recon(world: World) -> Reconciliation:
    services = world.services
    return Reconciliation.build(services.settings, services.engine, services.clock)


@dataclass(frozen=True)
class Day:
    day: date
    dropped: Collected  # the collection CNSS's file misses
    extra: LedgerEntry  # the line quoting a receipt number the hub never issued
    file: str  # CASHPLUS's ledger file


@pytest.fixture
def worked_day(
    world: World, terminal: TestTerminal, clock: FakeClock, recon: Reconciliation, tmp_path: Path
) -> Day:
    """CASHPLUS at two offices, every transfer short; CNSS's file misses a CA-02 collection,
    books a CA-01 one twice and holds a 123,45 MAD line quoting a receipt number the hub
    never issued."""
    second = activated(world, clock, "CA-02")
    assert second.login("op.ca-02", PASSWORD).status_code == 201
    for n in range(3):
        pay(terminal, enroll(terminal), 10_000 + n, "CA-01")
    dropped = pay(second, enroll(second), 7_500, "CA-02")
    day = today(clock)
    close_and_settle(recon, day)
    written = write_simulation(
        recon, day, tmp_path, rates="bank_short=1", seed=3, camt_version="08"
    )
    name = f"CNSS_ENCAISSEMENTS_CASHPLUS_{day:%Y%m%d}.csv"
    entries = parse_ledger((tmp_path / name).read_bytes()).entries
    kept = [e for e in entries if e.reference != dropped.receipt]
    twice = next(e for e in kept if e.sens == "C")
    kept.append(replace(twice, entry_id=f"{twice.entry_id}-BIS"))
    extra = LedgerEntry(
        "E-NEVER-1", day, "CASHPLUS", NEVER_ISSUED, UNKNOWN_WORKER, f"{day:%m/%Y}", 12_345, "C"
    )
    ledger = parse_ledger(write_ledger([*kept, extra]))
    extra = replace(extra, line=ledger.entries[-1].line)
    recon.inputs.import_ledger(write_ledger([*kept, extra]), name=name, by="test")
    for path in written:
        if path.suffix == ".xml":
            recon.inputs.import_bank(path.read_bytes(), name=path.name, by="test")
        elif path.name.startswith("CNSS_") and path.name != name:
            recon.inputs.import_ledger(path.read_bytes(), name=path.name, by="test")
    recon.reconciler.run(day, by="test")
    return Day(day, dropped, extra, name)


def _csv(recon: Reconciliation, day: date) -> list[dict[str, str]]:
    text, _ = render(recon.reports.day(FINANCE, day), "csv")
    return list(csv.DictReader(io.StringIO(text)))


def _html(recon: Reconciliation, day: date, lang: str = "fr", network: str | None = None) -> str:
    text, _ = render(recon.reports.day(FINANCE, day, network=network), "html", lang)
    return text


def _exception(rows: list[dict[str, str]], kind: str) -> dict[str, str]:
    [found] = [r for r in rows if r["line"] == "exception" and r["kind"] == kind]
    return found


def test_the_csv_network_total_keeps_the_ledger_and_the_bank_results_apart(
    recon: Reconciliation, worked_day: Day
) -> None:
    rows = _csv(recon, worked_day.day)
    [cashplus] = [r for r in rows if r["line"] == "network_total" and r["network"] == "CASHPLUS"]
    settlement = recon.settler.settle(worked_day.day, networks=["CASHPLUS"], by="test")[0]
    hub = 10_000 + 10_001 + 10_002 + 7_500
    ledger = hub - 7_500 + 12_345 + int(_exception(rows, "duplicate")["ledger_centimes"])
    short = int(_exception(rows, "short")["received_minus_net_due_centimes"])
    assert short < 0
    assert {k: int(v) for k, v in cashplus.items() if k.endswith("_centimes")} == {
        "hub_centimes": hub,
        "ledger_centimes": ledger,
        "ledger_minus_hub_centimes": ledger - hub,
        "net_due_centimes": settlement.net_centimes,
        "received_centimes": settlement.net_centimes + short,
        "received_minus_net_due_centimes": short,
    }
    [total] = [r for r in rows if r["line"] == "grand_total"]
    networks = [r for r in rows if r["line"] == "network_total"]
    for column in ("hub_centimes", "ledger_minus_hub_centimes", "received_minus_net_due_centimes"):
        assert int(total[column]) == sum(int(r[column]) for r in networks)


def test_a_receipt_number_the_hub_never_issued_shows_in_the_csv_and_the_html(
    recon: Reconciliation, worked_day: Day
) -> None:
    row = _exception(_csv(recon, worked_day.day), "missing_in_hub")
    assert row["quoted_references"] == NEVER_ISSUED
    assert row["hub_references"] == ""
    assert row["registration_number"] == UNKNOWN_WORKER
    assert row["ledger_lines"] == f"{worked_day.file}:{worked_day.extra.line}"
    assert (row["ledger_centimes"], row["ledger_minus_hub_centimes"]) == ("12345", "12345")
    page = _html(recon, worked_day.day)
    assert NEVER_ISSUED in _table_after(page, "Écarts du grand livre")


def test_each_exception_names_the_worker_office_value_date_and_where_to_find_it(
    recon: Reconciliation, worked_day: Day
) -> None:
    rows = _csv(recon, worked_day.day)
    missing = _exception(rows, "missing_in_ledger")
    assert missing["registration_number"] == worked_day.dropped.registration_number
    assert missing["offices"] == "CA-02"
    assert missing["hub_references"] == worked_day.dropped.receipt
    extra = _exception(rows, "missing_in_hub")
    assert extra["value_dates"] == worked_day.day.isoformat()
    short = _exception(rows, "short")
    assert short["settlement_reference"] == f"QURB-STL-CASHPLUS-{worked_day.day:%Y%m%d}"
    assert re.fullmatch(r"\S+@\d{4}-\d{2}-\d{2}", short["bank_entries"])
    assert short["ledger_centimes"] == short["hub_centimes"] == ""

    ledger = _table_after(_html(recon, worked_day.day), "Écarts du grand livre")
    assert worked_day.dropped.registration_number in ledger
    assert "CA-02" in ledger
    assert f"{worked_day.day:%d/%m/%Y}" in ledger
    assert f"{worked_day.file}</bdi> : ligne {worked_day.extra.line}" in ledger
    bank = _table_after(_html(recon, worked_day.day), "Écarts bancaires")
    assert short["bank_entries"].split("@")[0] in bank


def test_the_html_report_is_in_french_with_its_sign_convention_totals_and_local_time(
    recon: Reconciliation, worked_day: Day
) -> None:
    page = _html(recon, worked_day.day)
    assert page.startswith('<!DOCTYPE html>\n<html lang="fr" dir="ltr">')
    assert "Convention de signe : écart = montant constaté − montant attendu" in page
    for section in ("Synthèse par réseau", "Lignes du grand livre CNSS", "Virements bancaires"):
        assert f"<h2>{section}</h2>" in page
    assert "Total général" in _table_after(page, "Synthèse par réseau")
    assert "absent du grand livre" in page
    assert "reçu en moins" in page
    english = ("Network", "Outcome", "Count", "Reconciled", "missing in", "bank short", "open<")
    assert [w for w in english if w in page] == []
    run = recon.reconciler.versions(worked_day.day)[-1]
    words = re.sub(r"<[^>]+>", "", page)
    assert re.search(r"Rapproché le \d\d/\d\d/\d{4} à \d\d:\d\d \(heure de Casablanca\)", words)
    assert run.created_at.isoformat() not in page


def test_the_html_report_and_statement_come_in_arabic_right_to_left(
    world: World, recon: Reconciliation, worked_day: Day
) -> None:
    page = _html(recon, worked_day.day, "ar")
    assert page.startswith('<!DOCTYPE html>\n<html lang="ar" dir="rtl">')
    assert "الخلاصة حسب الشبكة" in page
    assert "غير موجود في المنصة" in page
    assert "Réseau" not in page
    base = f"/v1/finance/reconciliations/{worked_day.day}/report?format=html"
    served = world.client.get(f"{base}&lang=ar", headers=world.auth("cnss.finance"))
    assert served.status_code == 200
    assert 'dir="rtl"' in served.text
    unknown = world.client.get(f"{base}&lang=en", headers=world.auth("cnss.finance"))
    assert unknown.status_code == 422
    statement = world.client.get(
        f"/v1/finance/settlements/QURB-STL-CASHPLUS-{worked_day.day:%Y%m%d}/statement.html?lang=ar",
        headers=world.auth("cnss.finance"),
    )
    assert 'dir="rtl"' in statement.text
    assert "كشف التسوية" in statement.text
    french = world.client.get(
        f"/v1/finance/settlements/QURB-STL-CASHPLUS-{worked_day.day:%Y%m%d}/statement.html",
        headers=world.auth("cnss.finance"),
    ).text
    assert "Relevé de règlement" in french
    assert "Net dû à la CNSS" in french


def _table_after(page: str, heading: str) -> str:
    """The HTML of the first table after the ``<h2>`` that starts with ``heading``."""
    start = page.index(f"<h2>{heading}")
    return page[start : page.index("</table>", start)]


def test_every_ledger_exception_reads_ledger_minus_hub_as_its_difference(
    recon: Reconciliation, worked_day: Day
) -> None:
    rows = [r for r in _csv(recon, worked_day.day) if r["source"] == "ledger"]
    assert {r["kind"] for r in rows} == {"missing_in_ledger", "missing_in_hub", "duplicate"}
    for r in rows:
        difference = int(r["ledger_centimes"]) - int(r["hub_centimes"])
        assert int(r["ledger_minus_hub_centimes"]) == difference, r["kind"]
    duplicate = _exception(rows, "duplicate")
    assert duplicate["hub_centimes"] == "0"
    assert duplicate["hub_references"] != ""
