"""The finance endpoints: settlements for finance, auditors and the network itself; the
exceptions queue that only finance may work; reports a finance team can send as they are."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from qurb.finance import ENDPOINTS
from reconciliation.container import Reconciliation
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.support.reconciliation import reconciled_day
from tests.support.terminal import TestTerminal

ROLES = {
    "cnss.finance": "finance",
    "cnss.auditor": "auditor",
    "cnss.admin": "cnss_admin",
    "admin.cashplus": "network_admin",
}


@pytest.fixture
def reconciled(
    world: World, terminal: TestTerminal, clock: FakeClock, tmp_path: Path
) -> tuple[date, Reconciliation]:
    """A CASHPLUS day with differences: lines CNSS never booked, a short transfer."""
    services = world.services
    recon = Reconciliation.build(services.settings, services.engine, services.clock)
    day = reconciled_day(recon, terminal, clock, tmp_path, payments=6)
    return day, recon


def _open(world: World, day: date) -> list[dict[str, Any]]:
    response = world.client.get(
        f"/v1/finance/exceptions?date={day}&status=open", headers=world.auth("cnss.finance")
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_finance_resolves_an_exception_with_a_reason_and_who_and_when_are_kept(
    world: World, reconciled: tuple[date, Reconciliation], clock: FakeClock
) -> None:
    day, _ = reconciled
    exception = _open(world, day)[0]
    path = f"/v1/finance/exceptions/{exception['id']}/resolve"
    body = {"reason_code": "cnss_booking_corrected", "comment": "CNSS rebooked it on D+1"}
    done = world.client.post(path, json=body, headers=world.auth("cnss.finance"))
    assert done.status_code == 200, done.text
    worked = done.json()
    assert (worked["status"], worked["reason_code"], worked["worked_by"]) == (
        "resolved",
        "cnss_booking_corrected",
        "cnss.finance",
    )
    assert worked["actions"][0]["by"] == "cnss.finance"
    assert worked["worked_at"] is not None
    again = world.client.post(path, json=body, headers=world.auth("cnss.finance"))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_worked"
    assert exception["id"] not in [e["id"] for e in _open(world, day)]


def test_auditors_read_the_queue_but_cannot_change_it(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    day, _ = reconciled
    exception = _open(world, day)[0]
    read = world.client.get(
        f"/v1/finance/exceptions/{exception['id']}", headers=world.auth("cnss.auditor")
    )
    assert read.status_code == 200
    for action in ("resolve", "write-off"):
        refused = world.client.post(
            f"/v1/finance/exceptions/{exception['id']}/{action}",
            json={"reason_code": "other", "comment": "trying"},
            headers=world.auth("cnss.auditor"),
        )
        assert refused.status_code == 403
    assert exception["id"] in [e["id"] for e in _open(world, day)]


def test_a_write_off_needs_a_known_reason_and_a_comment(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    day, _ = reconciled
    exception = _open(world, day)[0]
    path = f"/v1/finance/exceptions/{exception['id']}/write-off"
    unknown = world.client.post(
        path, json={"reason_code": "because", "comment": "x"}, headers=world.auth("cnss.finance")
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["field"] == "reason_code"
    empty = world.client.post(
        path,
        json={"reason_code": "unrecoverable", "comment": "  "},
        headers=world.auth("cnss.finance"),
    )
    assert empty.status_code == 422
    assert empty.json()["error"]["field"] == "comment"
    done = world.client.post(
        path,
        json={"reason_code": "unrecoverable", "comment": "office closed"},
        headers=world.auth("cnss.finance"),
    )
    assert done.json()["status"] == "written_off"


def test_a_network_reads_its_own_settlement_and_not_anothers(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    day, _ = reconciled
    own = f"/v1/finance/settlements/QURB-STL-CASHPLUS-{day:%Y%m%d}"
    other = f"/v1/finance/settlements/QURB-STL-WAFACASH-{day:%Y%m%d}"
    assert world.client.get(own, headers=world.auth("admin.cashplus")).status_code == 200
    assert world.client.get(other, headers=world.auth("admin.cashplus")).status_code == 404
    listed = world.client.get(
        f"/v1/finance/settlements?date={day}", headers=world.auth("admin.cashplus")
    ).json()["items"]
    assert [s["network"] for s in listed] == ["CASHPLUS"]
    page = world.client.get(f"{own}/statement.html", headers=world.auth("admin.cashplus"))
    assert page.headers["content-type"].startswith("text/html")
    assert f"QURB-STL-CASHPLUS-{day:%Y%m%d}" in page.text
    exceptions = world.client.get("/v1/finance/exceptions", headers=world.auth("admin.cashplus"))
    assert exceptions.status_code == 403


def test_the_day_report_comes_as_json_csv_and_html_with_totals_and_exceptions(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    day, _ = reconciled
    base = f"/v1/finance/reconciliations/{day}/report"
    as_json = world.client.get(base, headers=world.auth("cnss.finance")).json()
    assert as_json["version"] == 1
    assert {e["kind"] for e in as_json["exceptions"]} >= {"missing_in_ledger", "short"}
    text = world.client.get(f"{base}?format=csv", headers=world.auth("cnss.finance")).text
    rows = list(csv.DictReader(io.StringIO(text)))
    totals = [r for r in rows if r["line"] == "network_total"]
    assert {r["network"] for r in totals} >= {"CASHPLUS"}
    assert len([r for r in rows if r["line"] == "exception"]) == len(as_json["exceptions"])
    page = world.client.get(
        f"{base}?format=html&network=CASHPLUS", headers=world.auth("cnss.auditor")
    )
    assert page.status_code == 200
    assert "MAD" in page.text
    assert "absent du grand livre" in page.text
    missing = world.client.get(
        f"/v1/finance/reconciliations/{date(2020, 1, 1)}/report", headers=world.auth("cnss.finance")
    )
    assert missing.status_code == 404
    bad = world.client.get(
        "/v1/finance/reconciliations/yesterday/report", headers=world.auth("cnss.finance")
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "day"


def test_every_finance_endpoint_admits_exactly_its_roles(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    """One reconciled day, every endpoint × every back-office role (and no token at all)."""
    day, _ = reconciled
    reference = f"QURB-STL-CASHPLUS-{day:%Y%m%d}"
    for endpoint in ENDPOINTS:
        for username, role in ROLES.items():
            exception_id = _open(world, day)[0]["id"]
            path = (
                endpoint.template.replace("{day}", day.isoformat())
                .replace("{reference}", reference)
                .replace("{exception_id}", str(exception_id))
            )
            body = (
                {"reason_code": "other", "comment": "matrix"} if endpoint.method == "POST" else None
            )
            response = world.client.request(
                endpoint.method, path, json=body, headers=world.auth(username)
            )
            where = f"{endpoint.method} {endpoint.template} as {role}"
            if any(r.value == role for r in endpoint.roles):
                assert 200 <= response.status_code < 300, (where, response.text)
            else:
                assert response.status_code == 403, (where, response.text)
            anonymous = world.client.request(endpoint.method, path, json=body)
            assert anonymous.status_code == 401, where
