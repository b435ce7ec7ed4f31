"""AMO reimbursement files per office and network in the back office: a network admin sees
its own network's deposits of a day and its slips with where each file is, never another
network's; CNSS finance and the CNSS admin see every network; one slip lists its deposits
with each file's stage, the worker by registration number only."""

from __future__ import annotations

import csv
import io

import pytest

from reconciliation.container import Reconciliation
from tests.integration.conftest import PASSWORD, World
from tests.support.backoffice import BackOffice
from tests.support.claims import TrackedDay, deposit, tracked_day
from tests.support.terminal import TestTerminal
from tests.support.workers import today

APPROVAL = {
    "reason": "envelope handed back",
    "supervisor": {"username": "sup.ca-01", "password": PASSWORD},
}


@pytest.fixture
def day(world: World, terminal: TestTerminal) -> TrackedDay:
    services = world.services
    recon = Reconciliation.build(services.settings, services.engine, services.clock)
    tracked = tracked_day(terminal, recon.claims)
    deposit(terminal, tracked.worker)  # still at the office
    handed_back = deposit(terminal, tracked.worker)
    cancelled = terminal.send("POST", f"/v1/deposits/{handed_back}/cancellation", APPROVAL)
    assert cancelled.status_code == 201, cancelled.text
    return tracked


def _as(world: World, username: str) -> BackOffice:
    office = BackOffice(world)
    assert office.sign_in(username).status_code == 303
    return office


def _section(html: str, table_id: str) -> str:
    return html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]


def test_a_network_admin_sees_its_offices_files_of_the_day_and_where_each_is(
    world: World, day: TrackedDay
) -> None:
    admin = _as(world, "admin.cashplus")

    page = admin.get(f"/deposits?day={today().isoformat()}")
    exported = admin.get(f"/deposits?day={today().isoformat()}&format=csv")
    slips = admin.get(f"/deposits?day={today().isoformat()}&list=slips&format=csv")

    assert page.status_code == 200
    assert "CA-01" in _section(page.text, "deposit-offices")
    (row,) = csv.DictReader(io.StringIO(exported.text))
    assert (row["network"], row["office"]) == ("CASHPLUS", "CA-01")
    # 7 deposited, 1 handed back; of the 5 sent: 2 received (one found after being missing),
    # 1 missing, 1 reimbursed (150,00 MAD), 1 refused; 1 still at the office.
    figures = {k: int(row[k]) for k in row if k not in ("business_date", "network", "office")}
    assert figures == {
        "deposits": 7,
        "cancelled": 1,
        "documents": 12,
        "at_office": 1,
        "sent": 0,
        "received": 2,
        "missing": 1,
        "reimbursed": 1,
        "refused": 1,
        "reimbursed_centimes": 15_000,
    }
    (slip,) = csv.DictReader(io.StringIO(slips.text))
    assert (slip["slip"], slip["acknowledged"], slip["deposits"]) == (day.slip, "yes", "5")
    assert day.slip in _section(page.text, "deposit-slips")


def test_a_network_admin_never_sees_another_networks_files(world: World, day: TrackedDay) -> None:
    other = _as(world, "admin.wafacash")

    page = other.get(f"/deposits?day={today().isoformat()}&network=CASHPLUS")
    slip = other.get(f"/deposits/slips/{day.slip}")
    slip_file = other.get(f"/deposits/slips/{day.slip}?format=csv")

    assert page.status_code == 200
    assert "CA-01" not in page.text
    assert day.slip not in page.text
    assert (slip.status_code, slip_file.status_code) == (404, 404)
    assert day.missing not in slip.text


def test_cnss_finance_and_admin_see_every_network_and_may_keep_to_one(
    world: World, day: TrackedDay
) -> None:
    for username in ("cnss.finance", "cnss.admin"):
        office = _as(world, username)
        everyone = office.get(f"/deposits?day={today().isoformat()}")
        wafacash = office.get(f"/deposits?day={today().isoformat()}&network=WAFACASH")
        assert "CA-01" in _section(everyone.text, "deposit-offices")
        assert "CA-01" not in _section(wafacash.text, "deposit-offices")
    auditor = _as(world, "cnss.auditor")
    assert auditor.get("/deposits").status_code == 403


def test_a_slip_lists_its_deposits_with_each_files_stage_in_french_and_arabic(
    world: World, day: TrackedDay
) -> None:
    admin = _as(world, "admin.cashplus")

    page = admin.get(f"/deposits/slips/{day.slip}")
    arabic = admin.get(f"/deposits/slips/{day.slip}?lang=ar")
    exported = admin.get(f"/deposits/slips/{day.slip}?format=csv")

    listed = _section(page.text, "slip-deposits")
    for number in (day.received, day.missing, day.paid, day.refused, day.found_later):
        assert number in listed
    assert "enveloppe manquante" in listed
    assert "remboursé" in listed
    assert "150,00" in listed
    assert "R01" in listed
    assert day.worker in listed
    assert "Fatima" not in page.text
    assert 'dir="rtl"' in arabic.text
    assert "ظرف مفقود" in arabic.text
    stages = {r["deposit"]: r["stage"] for r in csv.DictReader(io.StringIO(exported.text))}
    assert stages == {
        day.received: "received",
        day.missing: "not_received",
        day.paid: "reimbursed",
        day.refused: "refused",
        day.found_later: "received",
    }
