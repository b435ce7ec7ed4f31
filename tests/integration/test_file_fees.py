"""A network's fee per reimbursement file: set by the CNSS admin from its network's page for
a day to come, and on the settlement statement of each day as files handled (deposits of
that day not cancelled) × the fee in force, due to the network, in integer centimes. A
network without a fee has no line."""

from __future__ import annotations

import html
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.errors import ValidationFailed
from agent_api.persistence.tables import AuditLeaf, Network, NetworkFileFee
from agent_api.services.registry.file_fees import FileFees
from reconciliation.container import Reconciliation
from reconciliation.report_html import statement_html
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World, activated
from tests.support.backoffice import BackOffice
from tests.support.reconciliation import close_and_settle, enroll, today
from tests.support.terminal import TestTerminal
from tests.support.workers import today as real_today

APPROVAL = {
    "reason": "envelope handed back",
    "supervisor": {"username": "sup.ca-01", "password": PASSWORD},
}


@pytest.fixture
def recon(world: World) -> Reconciliation:
    services = world.services
    return Reconciliation.build(services.settings, services.engine, services.clock)


def _deposit(terminal: TestTerminal, worker: str) -> str:
    response = terminal.send(
        "POST",
        "/v1/deposits",
        {
            "registration_number": worker,
            "care_kind": "pharmacy",
            "care_from": real_today().isoformat(),
            "amount_spent_centimes": 34_250,
            "documents": 3,
        },
    )
    assert response.status_code == 201, response.text
    number: str = response.json()["deposit_number"]
    return number


def _cnss_admin(world: World) -> BackOffice:
    office = BackOffice(world)
    assert office.sign_in("cnss.admin").status_code == 303
    return office


def _set_fee(office: BackOffice, network: str, day: str, dirhams: str) -> Any:
    page = f"/cnss/networks/{network}"
    return office.form_post(
        page, page + "/file-fee", {"fee_effective_from": day, "fee_centimes": dirhams}
    )


def test_a_network_paid_per_file_is_owed_its_files_of_the_day_times_its_fee(
    world: World, terminal: TestTerminal, clock: FakeClock, recon: Reconciliation
) -> None:
    tomorrow = today(clock) + timedelta(days=1)
    admin = _cnss_admin(world)
    assert _set_fee(admin, "CASHPLUS", tomorrow.isoformat(), "4,75").status_code == 303
    clock.advance(days=1)
    assert terminal.login("op.ca-01", PASSWORD).status_code == 201
    other = activated(world, clock, "WA-01")
    assert other.login("op.wa-01", PASSWORD).status_code == 201
    worker = enroll(terminal)
    taken = [_deposit(terminal, worker) for _ in range(3)]
    cancelled = terminal.send("POST", f"/v1/deposits/{taken[0]}/cancellation", APPROVAL)
    assert cancelled.status_code == 201, cancelled.text
    _deposit(other, enroll(other))

    settled = close_and_settle(recon, tomorrow)

    cashplus, wafacash = settled["CASHPLUS"], settled["WAFACASH"]
    # Two files stand (one was handed back): 2 × 4,75 MAD, due to the network, apart from
    # what it owes CNSS for its collections.
    assert (cashplus.files_handled, cashplus.file_fee_centimes) == (2, 475)
    assert cashplus.file_fees_centimes == 950
    assert cashplus.statement["file_fees"] == {
        "files_handled": 2,
        "fee_centimes": 475,
        "amount_centimes": 950,
    }
    assert cashplus.net_centimes == cashplus.gross_centimes - cashplus.reversed_centimes - (
        cashplus.commission_centimes
    )
    # WAFACASH handled a file but is not paid per file: 0, and no line anywhere.
    assert (wafacash.files_handled, wafacash.file_fees_centimes) == (1, 0)
    assert "Dossiers traités" in statement_html(cashplus.statement, cashplus.statement_jws)
    assert "9,50" in statement_html(cashplus.statement, cashplus.statement_jws)
    assert "Dossiers traités" not in statement_html(wafacash.statement, wafacash.statement_jws)
    assert "الملفات المعالجة" in statement_html(cashplus.statement, cashplus.statement_jws, "ar")

    finance = BackOffice(world)
    finance.sign_in("cnss.finance")
    page = finance.get(f"/finance/statements/{cashplus.reference}")
    assert "Dossiers traités" in page.text
    assert "9,50" in page.text
    assert "Dossiers traités" not in finance.get(f"/finance/statements/{wafacash.reference}").text
    exported = finance.get(f"/finance/statements/{cashplus.reference}.csv").text
    total = next(line for line in exported.splitlines() if ",TOTAL," in line)
    assert total.endswith(",2,475,950")


def test_the_fee_of_a_day_is_the_last_one_set_on_or_before_it(
    world: World, terminal: TestTerminal, clock: FakeClock, recon: Reconciliation
) -> None:
    day = today(clock)
    with Session(world.services.engine) as session:
        network_id = session.exec(select(Network.id).where(Network.code == "CASHPLUS")).one()
        assert network_id is not None
        for offset, fee in ((-10, 300), (-2, 500), (1, 900)):
            session.add(
                NetworkFileFee(
                    network_id=network_id,
                    effective_from=day + timedelta(days=offset),
                    fee_centimes=fee,
                    announced_at=clock(),
                    announced_by="cnss.admin",
                )
            )
        session.commit()
    worker = enroll(terminal)
    _deposit(terminal, worker)

    cashplus = close_and_settle(recon, day)["CASHPLUS"]

    assert (cashplus.files_handled, cashplus.file_fee_centimes, cashplus.file_fees_centimes) == (
        1,
        500,
        500,
    )


def test_a_fee_is_set_for_a_day_to_come_and_a_refusal_names_its_field(
    world: World, clock: FakeClock
) -> None:
    admin = _cnss_admin(world)
    day = today(clock)

    on_today = _set_fee(admin, "CASHPLUS", day.isoformat(), "5")
    negative = _set_fee(admin, "CASHPLUS", (day + timedelta(days=2)).isoformat(), "-1")
    too_much = _set_fee(admin, "CASHPLUS", (day + timedelta(days=2)).isoformat(), "1000,01")
    arabic = admin.get("/cnss/networks/CASHPLUS?lang=ar")
    in_arabic = _set_fee(admin, "CASHPLUS", "someday", "5")

    assert on_today.status_code == 422
    assert 'name="fee_effective_from" type="text" value="' + day.isoformat() in on_today.text
    assert 'id="fee-from" name="fee_effective_from"' in on_today.text
    assert "Premier jour des frais" in html.unescape(on_today.text)
    assert negative.status_code == 422
    assert "Frais par dossier" in html.unescape(negative.text)
    assert too_much.status_code == 422
    assert arabic.status_code == 200
    assert "الأجرة عن كل ملف" in arabic.text
    assert in_arabic.status_code == 422
    assert "أول يوم للأجرة" in in_arabic.text
    with Session(world.services.engine) as session:
        assert session.exec(select(NetworkFileFee)).all() == []

    set_once = _set_fee(admin, "CASHPLUS", (day + timedelta(days=2)).isoformat(), "5")
    set_again = _set_fee(admin, "CASHPLUS", (day + timedelta(days=2)).isoformat(), "6,50")

    assert (set_once.status_code, set_again.status_code) == (303, 303)
    shown = admin.get("/cnss/networks/CASHPLUS").text
    assert "6,50" in shown
    with Session(world.services.engine) as session:
        rows = session.exec(select(NetworkFileFee)).all()
        leaves = session.exec(
            select(AuditLeaf)
            .where(AuditLeaf.kind == "file_fee_change")
            .order_by(col(AuditLeaf.leaf_index))
        ).all()
    assert [r.fee_centimes for r in rows] == [650]
    assert [json.loads(leaf.data)["replaced"] for leaf in leaves] == [False, True]


def test_a_day_begun_is_refused_by_the_service_and_a_network_admin_cannot_post(
    world: World, clock: FakeClock
) -> None:
    fees = FileFees(world.services.new_uow, world.services.clock)
    later = today(clock) + timedelta(days=3)
    with pytest.raises(ValidationFailed):
        fees.announce(SYSTEM_ACTOR, "CASHPLUS", effective_from=today(clock), fee_centimes=100)
    network_admin = BackOffice(world)
    network_admin.sign_in("admin.cashplus")
    page = "/cnss/networks/CASHPLUS"
    refused = network_admin.post(page + "/file-fee", {"fee_effective_from": later.isoformat()})
    assert refused.status_code == 403


def test_concurrent_settings_for_one_day_leave_one_fee_the_last_committed(
    world: World, clock: FakeClock
) -> None:
    fees = FileFees(world.services.new_uow, world.services.clock)
    day = today(clock) + timedelta(days=4)
    start = threading.Barrier(4)

    def announce(fee: int) -> int:
        start.wait()
        return fees.announce(
            SYSTEM_ACTOR, "CASHPLUS", effective_from=day, fee_centimes=fee
        ).fee_centimes

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(announce, (100, 200, 300, 400)))

    with Session(world.services.engine) as session:
        [row] = session.exec(select(NetworkFileFee)).all()
        leaves = session.exec(
            select(AuditLeaf)
            .where(AuditLeaf.kind == "file_fee_change")
            .order_by(col(AuditLeaf.leaf_index))
        ).all()
    facts = [json.loads(leaf.data) for leaf in leaves]
    assert sorted(f["replaced"] for f in facts) == [False, True, True, True]
    assert row.fee_centimes == facts[-1]["fee_centimes"]
