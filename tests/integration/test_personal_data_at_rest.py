"""Law 09-08: phones, addresses, their history and the stored responses are sealed in the
database (as the CIN is), read back clear by the service, and the privacy scan that runs
after every test finds any clear one left in any table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import Session, select

from agent_api.persistence import sealing
from agent_api.persistence.tables import Contribution, Worker, WorkerAmendment
from tests.integration.conftest import World
from tests.support.privacy import personal_data_in, personal_data_in_database
from tests.support.terminal import TestTerminal
from tests.support.workers import worker_payload

PAYER_PHONE = "0661223344"


def _raw(engine: Engine, statement: str) -> list[Any]:
    with engine.connect() as connection:
        return [v for row in connection.execute(text(statement)) for v in row if v is not None]


def _enroll_pay_and_amend(terminal: TestTerminal) -> str:
    enrolled = terminal.send("POST", "/v1/workers", worker_payload())
    assert enrolled.status_code == 201, enrolled.text
    number: str = enrolled.json()["registration_number"]
    paid = terminal.send(
        "POST",
        "/v1/contributions",
        {"registration_number": number, "amount_centimes": 10_000, "payer_phone": PAYER_PHONE},
    )
    assert paid.status_code == 201, paid.text
    amended = terminal.send(
        "PATCH", f"/v1/workers/{number}", {"phone": "0661 22 33 45", "address": "4 av. Hassan II"}
    )
    assert amended.status_code == 200, amended.text
    return number


def test_phones_addresses_and_their_history_are_sealed_and_read_back_clear(
    world: World, terminal: TestTerminal
) -> None:
    number = _enroll_pay_and_amend(terminal)
    engine = world.services.engine
    stored = _raw(
        engine,
        "SELECT phone, address FROM workers UNION ALL SELECT payer_phone, NULL FROM contributions"
        " UNION ALL SELECT old_value, new_value FROM worker_amendments",
    )
    assert len(stored) == 2 + 1 + 4
    assert all(sealing.is_sealed(v) for v in stored)
    assert [personal_data_in(v) for v in stored] == [[]] * len(stored)
    # The service reads them clear: nothing that uses them had to change.
    with Session(engine) as session:
        worker = session.exec(select(Worker).where(Worker.registration_number == number)).one()
        payer = session.exec(select(Contribution.payer_phone)).one()
        history = session.exec(select(WorkerAmendment.old_value, WorkerAmendment.new_value)).all()
    assert (worker.phone, worker.address) == ("+212661223345", "4 av. Hassan II")
    assert payer == "+212661223344"
    assert sorted(history) == sorted(
        [("+212612345678", "+212661223345"), ("12 rue des Orangers", "4 av. Hassan II")]
    )


def test_stored_responses_are_sealed_and_a_replay_sends_the_very_same_bytes(
    world: World, terminal: TestTerminal
) -> None:
    first = terminal.send("POST", "/v1/workers", worker_payload(), sequence=50)
    assert first.status_code == 201, first.text
    assert "12 rue des Orangers" in first.text  # the answer names the worker and their address
    replay = terminal.send("POST", "/v1/workers", worker_payload(), sequence=50)
    assert replay.headers["idempotent-replayed"] == "true"
    assert (replay.status_code, replay.content) == (first.status_code, first.content)
    [body] = _raw(
        world.services.engine, "SELECT response_body FROM idempotency_records WHERE key = 50"
    )
    assert sealing.is_sealed(body)
    assert personal_data_in(body) == []
    assert "El Amrani" not in body
    assert "Fatima" not in body


def test_the_scan_finds_a_clear_phone_or_address_planted_in_any_table(
    world: World, terminal: TestTerminal
) -> None:
    _enroll_pay_and_amend(terminal)
    engine = world.services.engine
    assert personal_data_in_database(engine) == []
    plants = {
        "workers": ("phone", "06 12 34 56 78"),
        "contributions": ("payer_phone", "+212612345678"),
        "worker_amendments": ("new_value", "12 rue des Orangers"),
        "idempotency_records": ("response_body", '{"address":"7 derb Sidi Bouloukat"}'),
        "receipts": ("jws", "signed for 0522 12 34 56"),
    }
    with engine.begin() as connection:
        kept = {
            table: connection.execute(
                text(f"SELECT id, {column} FROM {table} ORDER BY id LIMIT 1")  # noqa: S608
            ).one()
            for table, (column, _) in plants.items()
        }
        for table, (column, value) in plants.items():
            connection.execute(
                text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),  # noqa: S608
                {"v": value, "id": kept[table][0]},
            )
    try:
        found = personal_data_in_database(engine)
    finally:
        with engine.begin() as connection:
            for table, (column, _) in plants.items():
                connection.execute(
                    text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),  # noqa: S608
                    {"v": kept[table][1], "id": kept[table][0]},
                )
    assert {f.split(":")[0] for f in found} == {f"{t}.{c}" for t, (c, _) in plants.items()}
    assert personal_data_in_database(engine) == []
