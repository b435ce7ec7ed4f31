"""The sequence number is the idempotency key: retries are exactly-once, reuse is caught."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from agent_api.persistence.tables import IdempotencyRecord, SecurityEvent, UserSession
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World
from tests.support.terminal import TestTerminal


def _events(world: World, kind: str) -> list[SecurityEvent]:
    with Session(world.services.engine) as session:
        return list(session.exec(select(SecurityEvent).where(SecurityEvent.kind == kind)))


def test_same_key_and_body_replays_status_and_body_without_a_new_row(
    world: World, terminal: TestTerminal
) -> None:
    first = terminal.send("DELETE", "/v1/sessions/current", sequence=10)
    replay = terminal.send("DELETE", "/v1/sessions/current", sequence=10)
    assert first.status_code == replay.status_code == 204
    assert "idempotent-replayed" not in first.headers
    assert replay.headers["idempotent-replayed"] == "true"
    with Session(world.services.engine) as session:
        records = session.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == 10)).all()
    assert len(records) == 1


def test_same_key_with_a_different_body_is_refused_and_recorded(
    world: World, terminal: TestTerminal
) -> None:
    terminal.send(
        "POST",
        "/v1/sessions",
        {"username": "sup.ca-01", "password": PASSWORD},
        sequence=20,
        authenticated=False,
    )
    reused = terminal.send(
        "POST",
        "/v1/sessions",
        {"username": "op.ca-01", "password": PASSWORD},
        sequence=20,
        authenticated=False,
    )
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    [event] = _events(world, "idempotency_key_reused")
    assert event.terminal_id == terminal.terminal_id
    assert PASSWORD not in event.detail
    with Session(world.services.engine) as session:
        operator_sessions = session.exec(select(UserSession)).all()
    assert len(operator_sessions) == 2  # the fixture's and the first sign-in; none from reuse


def test_skipped_sequence_numbers_are_accepted_and_recorded_as_a_gap(
    world: World, terminal: TestTerminal
) -> None:
    current = terminal.sequence
    response = terminal.login("sup.ca-01", PASSWORD)  # current + 1: no gap
    assert response.status_code == 201
    skipped = terminal.send("DELETE", "/v1/sessions/current", sequence=current + 5)
    assert skipped.status_code == 204
    [gap] = _events(world, "sequence_gap")
    assert f'"missing_from": {current + 2}' in gap.detail
    assert f'"missing_to": {current + 4}' in gap.detail


def test_a_refused_write_consumes_nothing(world: World, terminal: TestTerminal) -> None:
    refused = terminal.send(
        "POST",
        "/v1/sessions",
        {"username": "op.ca-01", "password": "wrong password"},
        sequence=30,
        authenticated=False,
    )
    assert refused.status_code == 401
    accepted = terminal.send(
        "POST",
        "/v1/sessions",
        {"username": "op.ca-01", "password": PASSWORD},
        sequence=30,
        authenticated=False,
    )
    assert accepted.status_code == 201
    assert "idempotent-replayed" not in accepted.headers


def test_signed_and_received_times_are_both_kept_for_offline_writes(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    signed = clock() - timedelta(hours=5)
    response = terminal.send(
        "POST",
        "/v1/sessions",
        {"username": "sup.ca-01", "password": PASSWORD},
        sequence=40,
        authenticated=False,
        offline=True,
        created=int(signed.timestamp()),
    )
    assert response.status_code == 201
    with Session(world.services.engine) as session:
        record = session.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == 40)).one()
    assert record.offline is True
    assert record.signed_at == signed
    assert record.received_at == clock()
