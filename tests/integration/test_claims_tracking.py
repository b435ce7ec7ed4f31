"""CNSS's claims tracking files applied to the deposits: each event once whatever the
repeats, the same state whatever the order, a refused file leaving nothing, and what the
hub cannot square in the finance queue, a missing envelope first."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from agent_api.domain.claims import TrackingStatus
from agent_api.errors import ValidationFailed
from agent_api.persistence.tables import AuditLeaf
from agent_api.persistence.tables.tracking import TrackingEventRecord, TrackingFileRecord
from reconciliation.cli import main as reconcile
from reconciliation.container import Reconciliation
from reconciliation.formats.tracking import TrackingEvent, write_tracking
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.support.terminal import TestTerminal
from tests.support.workers import today, worker_payload
from tests.unit.reconciliation.test_tracking_format import EXAMPLE

S = TrackingStatus


@pytest.fixture
def claims(world: World) -> Reconciliation:
    services = world.services
    return Reconciliation.build(services.settings, services.engine, services.clock)


def _worker(terminal: TestTerminal) -> str:
    response = terminal.send("POST", "/v1/workers", worker_payload())
    assert response.status_code == 201, response.text
    number: str = response.json()["registration_number"]
    return number


def _sent(terminal: TestTerminal, worker: str, count: int) -> tuple[list[str], str]:
    """``count`` deposits of today, and the slip they left in."""
    deposits = []
    for n in range(count):
        response = terminal.send(
            "POST",
            "/v1/deposits",
            {
                "registration_number": worker,
                "care_kind": "consultation",
                "care_from": today().isoformat(),
                "amount_spent_centimes": 20_000 + n,
                "documents": 2,
            },
        )
        assert response.status_code == 201, response.text
        deposits.append(response.json()["deposit_number"])
    slip = terminal.send("POST", "/v1/offices/current/transmittals", {})
    assert slip.status_code == 201, slip.text
    return deposits, slip.json()["number"]


def _event(event_id: str, status: TrackingStatus, **fields: Any) -> TrackingEvent:
    base: dict[str, Any] = {
        "event_id": event_id,
        "event_date": date(2026, 12, 3),
        "network": "CASHPLUS",
        "slip_number": None,
        "deposit_number": None,
        "registration_number": "1234567894",
        "cnss_file_number": None,
        "status": status,
        "reimbursed_centimes": None,
        "reason_code": None,
        "reason_text": None,
    }
    if status not in (S.SLIP_RECEIVED, S.NOT_RECEIVED):
        base["cnss_file_number"] = f"AMO-{event_id}"
    if status is S.SLIP_RECEIVED:
        base["registration_number"] = None
    return TrackingEvent(**{**base, **fields})


def _apply(claims: Reconciliation, *events: TrackingEvent, name: str = "f1") -> Any:
    return claims.claims.apply(
        write_tracking(list(events)), source=f"CNSS_SUIVI_DOSSIERS_CASHPLUS_{name}.csv"
    )


def test_a_days_file_moves_each_deposit_and_puts_the_missing_envelope_first(
    world: World, terminal: TestTerminal, claims: Reconciliation
) -> None:
    worker = _worker(terminal)
    (received, missing, paid), slip = _sent(terminal, worker, 3)

    report = _apply(
        claims,
        _event("V1", S.SLIP_RECEIVED, slip_number=slip),
        _event("V2", S.RECEIVED, slip_number=slip, deposit_number=received),
        _event("V3", S.NOT_RECEIVED, slip_number=slip, deposit_number=missing),
        _event("V4", S.REIMBURSED, deposit_number=paid, reimbursed_centimes=103_480),
        _event("V5", S.RECEIVED, deposit_number="D-CASHPLUS-99999999"),
        _event("V6", S.RECEIVED, slip_number=slip, registration_number=worker),
    )

    assert (report.events, report.new_events, report.repeated_events) == (6, 6, 0)
    queue = claims.claims.queue()
    assert [e.kind for e in queue] == ["missing_envelope", "unreadable_label", "unknown_deposit"]
    assert missing in queue[0].detail
    assert "3 deposit(s) of this worker in that slip" in queue[1].detail
    state = claims.claims.state_of(paid)
    assert state is not None
    assert (state.status, state.reimbursed_centimes) == (S.REIMBURSED, 103_480)
    received_state = claims.claims.state_of(received)
    assert received_state is not None
    assert received_state.cnss_file_number == "AMO-V2"


def test_the_same_file_or_the_same_events_again_add_nothing(
    world: World, terminal: TestTerminal, claims: Reconciliation
) -> None:
    (deposit,), slip = _sent(terminal, _worker(terminal), 1)
    events = [
        _event("V1", S.SLIP_RECEIVED, slip_number=slip),
        _event("V2", S.NOT_RECEIVED, slip_number=slip, deposit_number=deposit),
    ]
    _apply(claims, *events)

    again = _apply(claims, *events)
    # The next day's file sends both again, with one event of its own.
    resent = _apply(claims, *events, _event("V8", S.SLIP_RECEIVED, slip_number=slip), name="f2")

    assert again.already_applied
    assert (resent.new_events, resent.repeated_events, resent.opened) == (1, 2, [])
    with Session(world.services.engine) as session:
        assert len(session.exec(select(TrackingEventRecord)).all()) == 3
    assert [e.kind for e in claims.claims.queue()] == ["missing_envelope"]


def test_an_envelope_found_later_clears_its_exception_whatever_the_order(
    world: World, terminal: TestTerminal, claims: Reconciliation
) -> None:
    (deposit,), slip = _sent(terminal, _worker(terminal), 1)
    found = _event("V9", S.RECEIVED, deposit_number=deposit, event_date=date(2026, 12, 5))
    missing = _event("V2", S.NOT_RECEIVED, slip_number=slip, deposit_number=deposit)
    paid = _event(
        "V10",
        S.REIMBURSED,
        deposit_number=deposit,
        event_date=date(2026, 12, 8),
        reimbursed_centimes=5_000,
    )

    # The reimbursement arrives first, then the batch's report, then the reception.
    first = _apply(claims, paid, name="a")
    second = _apply(claims, missing, _event("V1", S.SLIP_RECEIVED, slip_number=slip), name="b")
    third = _apply(claims, found, name="c")

    assert (first.opened, second.opened) == ([], [])  # reimbursed already: not missing
    assert third.cleared == []
    state = claims.claims.state_of(deposit)
    assert state is not None
    assert (state.status, state.reimbursed_centimes) == (S.REIMBURSED, 5_000)
    assert claims.claims.queue() == []


def test_a_missing_envelope_reported_then_found_is_cleared(
    world: World, terminal: TestTerminal, claims: Reconciliation
) -> None:
    (deposit,), slip = _sent(terminal, _worker(terminal), 1)
    _apply(claims, _event("V2", S.NOT_RECEIVED, slip_number=slip, deposit_number=deposit))
    assert [e.kind for e in claims.claims.queue()] == ["missing_envelope"]

    later = _apply(
        claims,
        _event("V9", S.RECEIVED, deposit_number=deposit, event_date=date(2026, 12, 5)),
        name="f2",
    )

    assert later.cleared == [f"missing_envelope:{deposit}"]
    assert claims.claims.queue() == []


def test_a_file_whose_trailer_disagrees_records_nothing(
    world: World, terminal: TestTerminal, claims: Reconciliation
) -> None:
    (deposit,), slip = _sent(terminal, _worker(terminal), 1)
    data = write_tracking([_event("V2", S.NOT_RECEIVED, slip_number=slip, deposit_number=deposit)])
    corrupt = data.replace(b"TOTAL;1;", b"TOTAL;2;")

    with pytest.raises(ValidationFailed) as refused:
        claims.claims.apply(corrupt, source="CNSS_SUIVI_DOSSIERS_CASHPLUS_20261203.csv")

    assert refused.value.code == "tracking_file_refused"
    with Session(world.services.engine) as session:
        assert session.exec(select(TrackingFileRecord)).all() == []
        assert session.exec(select(TrackingEventRecord)).all() == []
    assert claims.claims.queue() == []


def test_a_slip_cnss_never_mentions_becomes_an_exception_after_the_configured_days(
    world: World, terminal: TestTerminal, claims: Reconciliation, clock: FakeClock
) -> None:
    _, slip = _sent(terminal, _worker(terminal), 1)
    soon = _apply(claims, _event("V1", S.RECEIVED, deposit_number="D-CASHPLUS-99999998"))
    assert not any(key.startswith("unacknowledged_slip") for key in soon.opened)

    clock.advance(days=world.services.settings.transmittal_ack_days + 1)
    late = _apply(claims, _event("V2", S.RECEIVED, deposit_number="D-CASHPLUS-99999997"), name="2")
    assert f"unacknowledged_slip:{slip}" in late.opened

    acknowledged = _apply(claims, _event("V3", S.SLIP_RECEIVED, slip_number=slip), name="3")
    assert acknowledged.cleared == [f"unacknowledged_slip:{slip}"]


def test_the_audit_leaf_of_a_file_and_the_stored_reason_hold_no_personal_text(
    world: World, terminal: TestTerminal, claims: Reconciliation
) -> None:
    worker = _worker(terminal)
    (deposit,), _ = _sent(terminal, worker, 1)
    _apply(
        claims,
        _event(
            "V7",
            S.REFUSED,
            deposit_number=deposit,
            registration_number=worker,
            reason_code="R01",
            reason_text="droits fermés à la date des soins de Fatima",
        ),
    )
    with Session(world.services.engine) as session:
        leaf = session.exec(select(AuditLeaf).order_by(col(AuditLeaf.leaf_index).desc())).first()
        assert leaf is not None
        assert leaf.kind == "tracking_file"
        assert worker not in leaf.data
        assert json.loads(leaf.data)["new_events"] == 1
        stored = session.exec(text("SELECT reason_text FROM tracking_events")).one()[0]  # type: ignore[call-overload]
    assert "Fatima" not in stored
    state = claims.claims.state_of(deposit)
    assert state is not None
    assert (state.status, state.reason_code) == (S.REFUSED, "R01")


def test_nothing_is_known_of_a_deposit_cnss_has_not_mentioned(
    world: World, terminal: TestTerminal, claims: Reconciliation
) -> None:
    (deposit,), _ = _sent(terminal, _worker(terminal), 1)
    assert claims.claims.state_of(deposit) is None
    assert claims.claims.state_of("D-CASHPLUS-00000000") is None


def test_the_command_line_applies_the_documented_example_and_refuses_a_corrupt_file(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    key_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in {
        "QURB_DATABASE_URL": database_url,
        "QURB_KEY_DIR": str(key_dir),
        "QURB_ENV": "test",
        "QURB_PASSWORD_TIME_COST": "1",
        "QURB_PASSWORD_MEMORY_KIB": "1024",
    }.items():
        monkeypatch.setenv(name, value)
    good = tmp_path / "CNSS_SUIVI_DOSSIERS_CASHPLUS_20261203.csv"
    good.write_bytes(EXAMPLE)
    corrupt = tmp_path / "CNSS_SUIVI_DOSSIERS_CASHPLUS_20261204.csv"
    corrupt.write_bytes(EXAMPLE.replace(b"TOTAL;6;1 034,80", b"TOTAL;6;1 034,81"))

    assert reconcile(["tracking", str(corrupt)]) == 2
    refused = capsys.readouterr().err
    assert refused.startswith("error: tracking_file_refused (TOTAL): ")
    assert "line 8" in refused

    # Nothing in the example is the hub's: every number is unknown to it, one label unread.
    assert reconcile(["tracking", str(good)]) == 1
    printed = capsys.readouterr().out
    assert "6 events, 6 new, 0 sent before" in printed
    assert "unreadable_label" in printed
    assert "unknown_deposit" in printed
    assert reconcile(["tracking", str(good)]) == 1
    assert "already applied" in capsys.readouterr().out


def test_the_counter_follows_each_of_a_workers_files_on_its_journey(
    world: World, terminal: TestTerminal, claims: Reconciliation
) -> None:
    worker = _worker(terminal)

    def stages() -> dict[str, Any]:
        response = terminal.send("GET", f"/v1/workers/{worker}/deposits")
        assert response.status_code == 200, response.text
        return {line["deposit_number"]: line for line in response.json()["items"]}

    (missing, refused, paid, kept), slip = _sent(terminal, worker, 4)
    assert {line["stage"] for line in stages().values()} == {"sent"}
    late = terminal.send(
        "POST",
        "/v1/deposits",
        {
            "registration_number": worker,
            "care_kind": "dental",
            "care_from": today().isoformat(),
            "amount_spent_centimes": 5_000,
            "documents": 1,
        },
    ).json()["deposit_number"]
    _apply(
        claims,
        _event("V1", S.NOT_RECEIVED, slip_number=slip, deposit_number=missing),
        _event("V2", S.REFUSED, deposit_number=refused, reason_code="R02", reason_text="délai"),
        _event("V3", S.REIMBURSED, deposit_number=paid, reimbursed_centimes=15_000),
    )

    lines = stages()
    assert [lines[n]["stage"] for n in (missing, refused, paid, kept, late)] == [
        "not_received",
        "refused",
        "reimbursed",
        "sent",
        "at_office",
    ]
    assert lines[refused]["reason_code"] == "R02"
    assert lines[paid]["reimbursed_centimes"] == 15_000
    assert lines[missing]["transmittal"] == slip
    assert next(iter(lines)) == late  # newest first
    assert lines[late]["office"] == "CA-01"


def test_a_slip_becomes_unacknowledged_even_when_cnss_sends_no_file_at_all(
    world: World, terminal: TestTerminal, claims: Reconciliation, clock: FakeClock
) -> None:
    """CNSS silent altogether: the daily run's look at the slips still finds the slip."""
    _, slip = _sent(terminal, _worker(terminal), 1)
    assert claims.claims.check_slips() == ([], [])
    clock.advance(days=world.services.settings.transmittal_ack_days + 1)
    opened, _ = claims.claims.check_slips()
    assert opened == [f"unacknowledged_slip:{slip}"]
    assert [e.kind for e in claims.claims.queue()] == ["unacknowledged_slip"]
    assert claims.claims.check_slips() == ([], [])  # once, however often it looks

    _apply(claims, _event("V1", S.SLIP_RECEIVED, slip_number=slip))
    assert claims.claims.queue() == []


def test_the_daily_runs_inbox_applies_a_tracking_file_and_sets_a_corrupt_one_aside(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    key_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in {
        "QURB_DATABASE_URL": database_url,
        "QURB_KEY_DIR": str(key_dir),
        "QURB_ENV": "test",
        "QURB_PASSWORD_TIME_COST": "1",
        "QURB_PASSWORD_MEMORY_KIB": "1024",
    }.items():
        monkeypatch.setenv(name, value)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = inbox / "CNSS_SUIVI_DOSSIERS_CASHPLUS_20261203.csv"
    good.write_bytes(EXAMPLE)
    corrupt = inbox / "CNSS_SUIVI_DOSSIERS_CASHPLUS_20261204.csv"
    corrupt.write_bytes(EXAMPLE.replace(b"TOTAL;6;1 034,80", b"TOTAL;6;1 034,81"))

    assert reconcile(["run", "--date", "2026-12-03", "--inbox", str(inbox)]) == 2
    out, err = capsys.readouterr()
    assert f"tracking {good.name}: 6 events, 6 new" in out
    assert (inbox / "done" / good.name).exists()
    assert (inbox / "refused" / corrupt.name).exists()
    assert "tracking_file_refused (TOTAL)" in err
