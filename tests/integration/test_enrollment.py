"""Enrolling a worker at the counter: one CIN, one worker, a registration number with a
check digit, a signed receipt, and every bad input refused with nothing written."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from agent_api.domain.registration_number import is_valid_registration_number
from agent_api.persistence.tables import Worker, WorkerDependent
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World, activated
from tests.support.terminal import TestTerminal
from tests.support.workers import child, month_offset, spouse, this_month, worker_payload


def _count(world: World, table: Any) -> int:
    with Session(world.services.engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def enroll(terminal: TestTerminal, **fields: Any) -> Any:
    return terminal.send("POST", "/v1/workers", worker_payload(**fields))


def test_enrollment_returns_a_checked_registration_number_and_a_signed_receipt(
    world: World, terminal: TestTerminal
) -> None:
    response = enroll(terminal, dependents=[child()])
    assert response.status_code == 201, response.text
    body = response.json()
    number = body["registration_number"]
    assert is_valid_registration_number(number)
    assert body["dues_start"] == this_month() + "-01"
    worker = body["worker"]
    assert worker["cin_masked"] == "*****456"
    assert "BE123456" not in response.text
    assert worker["dependents"][0]["first_name"] == "Youssef"
    assert worker["dues"]["collected_at_counter"] is True
    assert worker["dues"]["months"] == 1
    # A generic JOSE check with the published key, not the project's helper.
    jwks = world.client.get("/v1/keys").json()
    kid = jwt.get_unverified_header(body["receipt"]["receipt"])["kid"]
    key = jwt.PyJWKSet.from_dict(jwks)[kid]
    claims = jwt.decode(body["receipt"]["receipt"], key, algorithms=["EdDSA"])
    assert claims["kind"] == "enrollment"
    assert claims["registration_number"] == number
    assert claims["receipt_number"] == body["receipt"]["number"]
    assert claims["office"] == "CA-01"
    assert {"signed_at", "recorded_at", "terminal", "log_entry", "log_by"} <= set(claims)


def test_one_cin_one_worker_across_offices(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    first = enroll(terminal)
    elsewhere = activated(world, clock, "WA-01")
    assert elsewhere.login("op.wa-01", PASSWORD).status_code == 201
    again = enroll(elsewhere, cin="be 123456", first_name="Fatema")
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "worker_already_enrolled"
    assert error["registration_number"] == first.json()["registration_number"]
    assert "BE123456" not in again.text
    assert _count(world, Worker) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"cin": "123456"}, "cin"),
        ({"cin": "ABC12345"}, "cin"),
        ({"birth_date": "1985-02-30"}, "birth_date"),
        ({"birth_date": "2031-01-01"}, "birth_date"),
        ({"birth_date": "2015-01-01"}, "birth_date"),
        ({"category": "ASTRONAUT"}, "category"),
        ({"bracket": "PETIT_TAXI"}, "bracket"),
        ({"document_number": None}, "document_number"),
        ({"document_number": "x"}, "document_number"),
        ({"phone": "+33612345678"}, "phone"),
        ({"phone": "0812345678"}, "phone"),
        ({"last_name": "  "}, "last_name"),
        ({"first_name": "R2D2"}, "first_name"),
        ({"sex": "X"}, "sex"),
        ({"coverage_start": "2026-13"}, "coverage_start"),
        ({"coverage_start": month_offset(-24)}, "coverage_start"),
        ({"coverage_start": month_offset(12)}, "coverage_start"),
        ({"dependents": [child(birth_date="1990-01-01")]}, "dependents[0].birth_date"),
        ({"dependents": [spouse("BK998877", birth_date="2012-01-01")]}, "dependents[0].birth_date"),
        ({"dependents": [{**spouse("BK998877"), "cin": None}]}, "dependents[0].cin"),
        ({"dependents": [spouse("BE123456")]}, "dependents[0].cin"),
        ({"city": "0612345678"}, "city"),
        ({"city": "06 12 34 56 78"}, "city"),
        ({"nickname": "Fafa"}, "nickname"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    world: World, terminal: TestTerminal, overrides: dict[str, Any], field: str
) -> None:
    response = enroll(terminal, **overrides)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    assert "BE123456" not in response.text
    assert _count(world, Worker) == 0
    assert _count(world, WorkerDependent) == 0


def test_an_older_child_is_accepted_as_a_student_or_disabled(
    world: World, terminal: TestTerminal
) -> None:
    student = child(birth_date="2003-06-01", student=True)
    disabled = child(first_name="Amina", birth_date="1995-06-01", disabled=True, sex="F")
    response = enroll(terminal, dependents=[student, disabled])
    assert response.status_code == 201, response.text
    assert len(response.json()["worker"]["dependents"]) == 2


def test_a_cpu_subject_enrolls_but_owes_nothing_at_the_counter(
    world: World, terminal: TestTerminal
) -> None:
    response = enroll(terminal, category="CPU", bracket="STANDARD", document_number="12345678")
    assert response.status_code == 201, response.text
    dues = response.json()["worker"]["dues"]
    assert dues["collected_at_counter"] is False
    assert dues["due_centimes"] == 0


def test_a_person_is_the_spouse_of_one_worker_only(world: World, terminal: TestTerminal) -> None:
    assert enroll(terminal, dependents=[spouse("BK998877")]).status_code == 201
    second = enroll(terminal, cin="JA554433", dependents=[spouse("BK998877")])
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "dependent_already_covered"
    assert second.json()["error"]["field"] == "dependents[0].cin"


def test_an_insured_worker_cannot_be_added_as_a_dependent(
    world: World, terminal: TestTerminal
) -> None:
    assert enroll(terminal).status_code == 201
    response = enroll(terminal, cin="JA554433", dependents=[spouse("BE123456")])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "dependent_is_insured"


def test_a_covered_dependent_cannot_enroll_as_a_worker_without_the_rule(
    world: World, terminal: TestTerminal
) -> None:
    assert enroll(terminal, dependents=[spouse("BK998877")]).status_code == 201
    response = enroll(terminal, cin="BK998877", first_name="Karim", sex="M")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "cin_is_a_dependent"


def test_lookup_by_cin_shows_the_worker_masked(world: World, terminal: TestTerminal) -> None:
    number = enroll(terminal).json()["registration_number"]
    found = terminal.send("POST", "/v1/workers/lookup", {"cin": "BE123456"})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["status"] == "enrolled"
    assert body["worker"]["registration_number"] == number
    assert body["worker"]["cin_masked"] == "*****456"
    missing = terminal.send("POST", "/v1/workers/lookup", {"cin": "ZZ000111"})
    assert missing.status_code == 404


def test_read_by_registration_number_checks_the_check_digit(
    world: World, terminal: TestTerminal
) -> None:
    number = enroll(terminal).json()["registration_number"]
    assert terminal.send("GET", f"/v1/workers/{number}").json()["registration_number"] == number
    wrong_digit = number[:-1] + str((int(number[-1]) + 1) % 10)
    refused = terminal.send("GET", f"/v1/workers/{wrong_digit}")
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "registration_number"
    assert terminal.send("GET", "/v1/workers/0000099990").status_code in (404, 422)


def test_the_receipt_can_be_fetched_again_by_its_office_only(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    receipt = enroll(terminal).json()["receipt"]
    again = terminal.send("GET", f"/v1/receipts/{receipt['number']}")
    assert again.status_code == 200
    assert again.json()["receipt"] == receipt["receipt"]
    other = activated(world, clock, "CA-02")
    assert other.login("op.ca-02", PASSWORD).status_code == 201
    assert other.send("GET", f"/v1/receipts/{receipt['number']}").status_code == 404


def test_a_retried_enrollment_returns_the_same_registration(
    world: World, terminal: TestTerminal
) -> None:
    first = terminal.send("POST", "/v1/workers", worker_payload(), sequence=100)
    retry = terminal.send("POST", "/v1/workers", worker_payload(), sequence=100)
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    assert _count(world, Worker) == 1
