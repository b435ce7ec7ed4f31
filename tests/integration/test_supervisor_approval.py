"""A reversal's supervisor approval: one answer for every refusal, and no operator can lock
their supervisor out by typing wrong passwords at their own counter (issue 16, item 5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from agent_api.persistence.tables import Reversal, SecurityEvent
from tests.integration.conftest import PASSWORD, World
from tests.support.terminal import TestTerminal
from tests.support.workers import worker_payload


def _receipt(terminal: TestTerminal) -> str:
    enrolled = terminal.send("POST", "/v1/workers", worker_payload())
    assert enrolled.status_code == 201, enrolled.text
    body = {"registration_number": enrolled.json()["registration_number"], "amount_centimes": 1000}
    paid = terminal.send("POST", "/v1/contributions", body)
    assert paid.status_code == 201, paid.text
    number: str = paid.json()["receipt"]["number"]
    return number


def _approve(terminal: TestTerminal, receipt: str, username: str, password: str) -> Any:
    body = {"reason": "mistake", "supervisor": {"username": username, "password": password}}
    return terminal.send("POST", f"/v1/contributions/{receipt}/reversal", body)


def _count(world: World, column: Any, *where: Any) -> int:
    with Session(world.services.engine) as session:
        return int(session.exec(select(func.count(column)).where(*where)).one())


def test_every_refused_approval_gets_one_answer_that_tells_no_password(
    world: World, terminal: TestTerminal, record_property: Callable[[str, object], None]
) -> None:
    receipt = _receipt(terminal)
    attempts = {
        "wrong password of the supervisor": ("sup.ca-01", "not it at all"),
        "right password of an operator": ("op.ca-01", PASSWORD),
        "right password of another office's supervisor": ("sup.ca-02", PASSWORD),
        "right password of a CNSS admin": ("cnss.admin", PASSWORD),
        "wrong password of a CNSS admin": ("cnss.admin", "not it at all"),
        "unknown user": ("nobody.here", PASSWORD),
    }
    answers = {name: _approve(terminal, receipt, *who) for name, who in attempts.items()}
    record_property("supervisor_oracle_attempts", len(answers))
    bodies = {name: (a.status_code, a.json()) for name, a in answers.items()}
    assert len(set(map(repr, bodies.values()))) == 1, bodies
    status, body = next(iter(bodies.values()))
    assert status == 401
    assert (body["error"]["code"], body["error"]["field"]) == ("invalid_credentials", "supervisor")
    assert _count(world, Reversal.id) == 0
    assert _count(world, SecurityEvent.id, SecurityEvent.kind == "supervisor_refused") == len(
        attempts
    )


def test_wrong_approvals_never_lock_the_supervisor_out_of_their_counter(
    world: World, terminal: TestTerminal
) -> None:
    receipt = _receipt(terminal)
    for _ in range(world.services.settings.max_failed_logins + 2):
        assert _approve(terminal, receipt, "sup.ca-01", "nope").status_code == 401
    approved = _approve(terminal, receipt, "sup.ca-01", PASSWORD)
    assert approved.status_code == 201, approved.text
    assert terminal.login("sup.ca-01", PASSWORD).status_code == 201


def test_guessing_at_the_approval_stops_at_the_terminals_throttle(
    world: World, terminal: TestTerminal
) -> None:
    receipt = _receipt(terminal)
    for _ in range(world.services.settings.terminal_login_failures):
        assert _approve(terminal, receipt, "sup.ca-01", "nope").status_code == 401
    throttled = _approve(terminal, receipt, "sup.ca-01", PASSWORD)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    assert _count(world, Reversal.id) == 0


def test_a_supervisor_locked_where_they_sign_in_is_named_as_the_field(
    world: World, terminal: TestTerminal
) -> None:
    receipt = _receipt(terminal)
    other = TestTerminal(world.client, terminal.clock, terminal.key)
    other.sequence, other.terminal_id = terminal.sequence, terminal.terminal_id
    for _ in range(world.services.settings.max_failed_logins):
        assert other.login("sup.ca-01", "nope").status_code == 401
    terminal.sequence = other.sequence
    locked = _approve(terminal, receipt, "sup.ca-01", PASSWORD)
    assert locked.status_code == 423
    error = locked.json()["error"]
    assert (error["code"], error["field"]) == ("account_locked", "supervisor")
