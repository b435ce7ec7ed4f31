"""Finance's screens over a reconciled day: the calendar, the queue with each row's reason,
bulk resolution with a clear conflict, uploads (refused with line and field, nothing
recorded; accepted, the day matched again), statements and formula-safe CSV exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest

from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.domain.roles import Role
from reconciliation.container import Reconciliation
from reconciliation.simulator_files import write_simulation
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World
from tests.support.backoffice import BackOffice
from tests.support.reconciliation import FINANCE, reconciled_day
from tests.support.terminal import TestTerminal


@pytest.fixture
def reconciled(
    world: World, terminal: TestTerminal, clock: FakeClock, tmp_path: Path
) -> tuple[date, Reconciliation]:
    services = world.services
    recon = Reconciliation.build(services.settings, services.engine, services.clock)
    day = reconciled_day(recon, terminal, clock, tmp_path, payments=6)
    return day, recon


def signed_in(world: World, username: str) -> BackOffice:
    office = BackOffice(world)
    assert office.sign_in(username).status_code == 303
    return office


def open_ids(recon: Reconciliation, day: date) -> list[int]:
    found = recon.exceptions.list(FINANCE, business_date=day, status="open", limit=1000)
    return [e.id for e in found]


def test_the_calendar_shows_each_days_state_and_collections(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    day, _ = reconciled
    office = signed_in(world, "cnss.finance")
    page = office.get(f"/finance/calendar?month={day:%Y-%m}")
    assert page.status_code == 200, page.text
    assert "écarts ouverts" in page.text
    assert "6 encaissements" in page.text
    assert "<svg" in page.text
    assert f"/back-office/finance/days/{day.isoformat()}" in page.text
    exported = office.get(f"/finance/calendar?month={day:%Y-%m}&format=csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["network"]: r["state"] for r in rows}["CASHPLUS"] == "exceptions"


def test_a_days_reconciliation_shows_settlements_and_versions(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    day, _ = reconciled
    page = signed_in(world, "cnss.auditor").get(f"/finance/days/{day.isoformat()}")
    assert page.status_code == 200, page.text
    assert f"QURB-STL-CASHPLUS-{day:%Y%m%d}" in page.text
    assert "Version 1" in page.text
    assert "reçu en moins" in page.text  # the short transfer, in the outcomes


def test_each_row_of_the_queue_says_why_it_is_an_exception(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    day, recon = reconciled
    [first, *_] = recon.exceptions.list(FINANCE, business_date=day, status="open")
    page = signed_in(world, "cnss.finance").get(f"/finance/exceptions?day={day}&status=open")
    assert page.status_code == 200
    assert "absent du grand livre" in page.text
    if first.registration_number:
        assert first.registration_number in page.text
    assert "CA-01" in page.text
    assert f'name="exception_id" value="{first.id}"' in page.text


def test_finance_resolves_two_exceptions_in_one_action(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    day, recon = reconciled
    before = open_ids(recon, day)
    chosen = before[:2]
    office = signed_in(world, "cnss.finance")
    back = f"/back-office/finance/exceptions?day={day}&status=open"
    done = office.form_post(
        f"/finance/exceptions?day={day}&status=open",
        "/finance/exceptions/work",
        {
            "exception_id": [str(i) for i in chosen],
            "to": "resolved",
            "reason_code": "cnss_booking_corrected",
            "comment": "CNSS rebooked both on D+1",
            "back": back,
        },
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == back + "&done=resolved&n=2"
    assert sorted(open_ids(recon, day)) == sorted(before[2:])
    worked = recon.exceptions.get(FINANCE, chosen[0])
    assert (worked.status, worked.worked_by) == ("resolved", "cnss.finance")
    notice = office.client.get(done.headers["location"])
    assert "2 écarts résolus." in notice.text


def test_two_people_working_the_same_exception_get_a_conflict_not_a_lost_update(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    day, recon = reconciled
    world.services.users.create(
        SYSTEM_ACTOR,
        username="cnss.finance2",
        full_name="Finance 2",
        role=Role.FINANCE,
        password=PASSWORD,
        office=None,
        network=None,
    )
    first, second = open_ids(recon, day)[:2]
    alice = signed_in(world, "cnss.finance")
    bob = signed_in(world, "cnss.finance2")
    queue = f"/finance/exceptions?day={day}"
    # Both open the queue before either acts.
    assert alice.get(queue).status_code == 200
    assert bob.get(queue).status_code == 200
    body = {"to": "resolved", "reason_code": "other", "comment": "checked"}
    ok = alice.form_post(queue, "/finance/exceptions/work", {**body, "exception_id": [first]})
    assert ok.status_code == 303
    late = bob.form_post(
        queue,
        "/finance/exceptions/work",
        {**body, "to": "written_off", "exception_id": [second, first]},
    )
    assert late.status_code == 409
    assert "a déjà traité cet écart entre-temps" in late.text
    assert "cnss.finance" in late.text  # who did
    assert recon.exceptions.get(FINANCE, first).status == "resolved"
    assert recon.exceptions.get(FINANCE, second).status == "open"  # all or none


def test_auditors_read_the_queue_but_find_no_way_to_work_it(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    day, recon = reconciled
    office = signed_in(world, "cnss.auditor")
    page = office.get(f"/finance/exceptions?day={day}")
    assert page.status_code == 200
    assert 'name="exception_id"' not in page.text
    assert "Résoudre" not in page.text
    token = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert token is not None
    refused = office.post(
        "/finance/exceptions/work",
        {
            "csrf_token": token.group(1),
            "exception_id": [open_ids(recon, day)[0]],
            "to": "resolved",
            "reason_code": "other",
            "comment": "x",
        },
    )
    assert refused.status_code == 403
    assert office.get("/finance/uploads").status_code == 403


def test_a_network_admin_has_no_finance_screens(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    office = signed_in(world, "admin.cashplus")
    assert office.get("/finance/exceptions").status_code == 403
    assert "Écarts" not in office.get("/").text


def test_a_refused_ledger_shows_line_and_field_and_records_nothing(
    world: World, reconciled: tuple[date, Reconciliation], tmp_path: Path
) -> None:
    day, recon = reconciled
    files = write_simulation(
        recon, day, tmp_path / "again", rates="none", seed=9, camt_version="04"
    )
    ledger = next(p for p in files if p.name.startswith("CNSS_") and f"{day:%Y%m%d}" in p.name)
    rows = ledger.read_bytes().decode("utf-8-sig").split("\r\n")
    cells = rows[2].split(";")
    cells[rows[0].split(";").index("MONTANT")] = "douze"
    rows[2] = ";".join(cells)
    versions = len(recon.reconciler.versions(day))
    office = signed_in(world, "cnss.finance")
    token = re.search(r'name="csrf_token" value="([^"]*)"', office.get("/finance/uploads").text)
    assert token is not None
    refused = office.post(
        "/finance/uploads",
        {"csrf_token": token.group(1), "kind": "ledger"},
        files={"file": (ledger.name, "\r\n".join(rows).encode(), "text/csv")},
    )
    assert refused.status_code == 422, refused.text
    assert "Fichier refusé." in refused.text
    assert "MONTANT" in refused.text
    assert "line 3" in refused.text
    assert "Rien n&#39;a été enregistré" in refused.text
    assert len(recon.reconciler.versions(day)) == versions


def test_an_accepted_upload_shows_what_it_held_and_matches_the_day_again(
    world: World, reconciled: tuple[date, Reconciliation], tmp_path: Path
) -> None:
    day, recon = reconciled
    files = write_simulation(
        recon, day, tmp_path / "fixed", rates="none", seed=9, camt_version="04"
    )
    ledger = next(p for p in files if p.name.startswith("CNSS_") and f"{day:%Y%m%d}" in p.name)
    office = signed_in(world, "cnss.finance")
    token = re.search(r'name="csrf_token" value="([^"]*)"', office.get("/finance/uploads").text)
    assert token is not None
    done = office.post(
        "/finance/uploads",
        {"csrf_token": token.group(1), "kind": "ledger"},
        files={"file": (ledger.name, ledger.read_bytes(), "text/csv")},
    )
    assert done.status_code == 200, done.text
    assert "Fichier enregistré." in done.text
    assert "version 2" in done.text
    assert [v.version for v in recon.reconciler.versions(day)] == [1, 2]
    day_page = office.get(f"/finance/days/{day.isoformat()}")
    assert "Nouveau fichier du grand livre" in day_page.text


def test_statements_are_viewed_printed_and_downloaded(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    day, recon = reconciled
    reference = f"QURB-STL-CASHPLUS-{day:%Y%m%d}"
    office = signed_in(world, "cnss.finance")
    listed = office.get(f"/finance/statements?day={day}")
    assert reference in listed.text
    shown = office.get(f"/finance/statements/{reference}")
    assert shown.status_code == 200
    assert "data-print" in shown.text
    jws = office.get(f"/finance/statements/{reference}.jws")
    assert jws.text == recon.settlements.get(FINANCE, reference).statement_jws
    assert "attachment" in jws.headers["content-disposition"]
    table = list(
        csv.DictReader(io.StringIO(office.get(f"/finance/statements/{reference}.csv").text))
    )
    assert table[-1]["office"] == "TOTAL"


def test_the_exported_queue_is_formula_safe(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    day, recon = reconciled
    first = open_ids(recon, day)[0]
    recon.exceptions.work(
        FINANCE.__class__(user_id=0, username="x", role=Role.FINANCE),
        first,
        to="resolved",
        reason_code="other",
        comment='=HYPERLINK("http://evil")',
    )
    exported = signed_in(world, "cnss.finance").get(f"/finance/exceptions?day={day}&format=csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(exported.text))}
    assert rows[str(first)]["comment"].startswith("'=")


def test_a_file_larger_than_an_api_body_reaches_the_upload_and_is_read(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    """A day's ledger is megabytes: the API's 64 KiB body cap must not refuse it before it is
    read (a bad one is then refused for what it holds, not for its size)."""
    office = signed_in(world, "cnss.finance")
    token = re.search(r'name="csrf_token" value="([^"]*)"', office.get("/finance/uploads").text)
    assert token is not None
    big = b"DATE_VALEUR;MONTANT\r\n" + b"2026-12-05;12,00\r\n" * 8_000  # 150 KB
    refused = office.post(
        "/finance/uploads",
        {"csrf_token": token.group(1), "kind": "ledger"},
        files={"file": ("CNSS_ENCAISSEMENTS_CASHPLUS_20261205.csv", big, "text/csv")},
    )
    assert refused.status_code == 422, refused.text[:300]
    assert "Fichier refusé." in refused.text
