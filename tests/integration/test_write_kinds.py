"""Issue 18, item 1: every signed write goes through one pipeline, and a new kind of write is
its use case, its response and one ``WriteKind`` value.

A toy kind, registered here and nowhere else, gets everything a signed write gets: its
sequence number claimed, its leaf written with the facts its use case decided, its response
stored and replayed byte for byte, a reused number refused and recorded, a refusal that
consumes nothing. The real kinds' leaves say what their responses say: the decision names
the receipt, the amount, the business date and what a reversal cancels, and the digest of
the very body the terminal got.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, col, select

from agent_api.errors import ValidationFailed
from agent_api.http.app import agent_endpoints
from agent_api.http.endpoints import Endpoint
from agent_api.http.workers import ENROLL, LOOKUP
from agent_api.persistence.tables import AuditLeaf, IdempotencyRecord, SecurityEvent
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.services.container import Services
from agent_api.services.log import audit_log
from agent_api.services.sessions.security_events import record_event
from agent_api.services.writes import signed_writes
from agent_api.services.writes.idempotency import IdempotencyKeyReused, WriteContext
from agent_api.services.writes.signed_writes import Decision, Done, WriteKind
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.support.reconciliation import SUPERVISOR_PASSWORD
from tests.support.terminal import TestTerminal
from tests.support.workers import worker_payload


# -- the toy kind: a use case, a response, one registration ---------------------------------
@dataclass(frozen=True)
class Tip:
    """What the toy use case is asked: a tip left at the counter."""

    amount_centimes: int
    note: str
    refuse: bool = False


@dataclass(frozen=True)
class Tipped:
    amount_centimes: int
    business_date: date


def record_tip(services: Services, uow: UnitOfWork, write: WriteContext, tip: Tip) -> Done[Tipped]:
    """The use case: a state change in the pipeline's transaction, and what it decided."""
    record_event(uow.session, at=write.received_at, kind="tip", terminal_id=write.terminal_id)
    if tip.refuse:
        raise ValidationFailed("note: refused", field="note")
    day = write.signed_at.date()
    return Done(
        Tipped(tip.amount_centimes, day),
        Decision(amount_centimes=tip.amount_centimes, business_date=day),
    )


TIP = WriteKind(
    "tip",
    record_tip,
    lambda done: {"amount_centimes": done.amount_centimes, "thanks": "شكرا merci"},
)


def _write(terminal: TestTerminal, clock: FakeClock, key: int, digest: str) -> WriteContext:
    assert terminal.terminal_id is not None
    return WriteContext(
        terminal_id=terminal.terminal_id,
        key=key,
        request_digest=digest,
        keyid=terminal.keyid,
        signed_at=clock(),
        received_at=clock(),
        offline=False,
        evidence={"method": "POST", "path": "/v1/tips"},
    )


def _leaves(world: World) -> list[dict[str, object]]:
    with Session(world.services.engine) as session:
        rows = session.exec(select(AuditLeaf).order_by(col(AuditLeaf.leaf_index))).all()
    return [json.loads(row.data) for row in rows]


def _events(world: World, kind: str) -> int:
    with Session(world.services.engine) as session:
        return len(session.exec(select(SecurityEvent).where(SecurityEvent.kind == kind)).all())


def test_a_new_kind_is_claimed_logged_with_its_facts_stored_and_replayed(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    services = world.services
    write = _write(terminal, clock, 500, "sha-256=:first:")
    before = len(_leaves(world))

    first = signed_writes.run(services, TIP, write, Tip(1_500, "for the coffee"))

    assert (first.status, first.replayed) == (201, False)
    assert first.text == '{"amount_centimes":1500,"thanks":"شكرا merci"}'
    leaves = _leaves(world)
    assert len(leaves) == before + 1
    leaf = leaves[-1]
    assert leaf["kind"] == "signed_write"
    assert (leaf["terminal_id"], leaf["sequence"]) == (terminal.terminal_id, 500)
    assert leaf["request"] == {"method": "POST", "path": "/v1/tips"}
    assert leaf["decision"] == {
        "status": 201,
        "response_sha256": hashlib.sha256(audit_log.canonical(first.body)).hexdigest(),
        "amount_centimes": 1_500,
        "business_date": clock().date().isoformat(),
    }
    assert _events(world, "sequence_gap") == 1  # 500 skipped numbers: recorded as a gap

    # The same request again: the stored bytes, marked replayed, and nothing new.
    again = signed_writes.run(services, TIP, write, Tip(1_500, "for the coffee"))
    assert (again.status, again.text, again.replayed) == (201, first.text, True)
    assert len(_leaves(world)) == before + 1
    assert _events(world, "tip") == 1

    # The same number for another request: refused and recorded, nothing written.
    other = _write(terminal, clock, 500, "sha-256=:other:")
    with pytest.raises(IdempotencyKeyReused):
        signed_writes.run(services, TIP, other, Tip(9_900, "another"))
    assert _events(world, "idempotency_key_reused") == 1
    assert len(_leaves(world)) == before + 1


def test_a_refused_write_of_a_new_kind_leaves_nothing_and_frees_its_number(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    services = world.services
    write = _write(terminal, clock, 700, "sha-256=:refused:")
    before = len(_leaves(world))
    with pytest.raises(ValidationFailed):
        signed_writes.run(services, TIP, write, Tip(100, "no", refuse=True))
    with Session(services.engine) as session:
        assert (
            session.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == 700)).all() == []
        )
    assert len(_leaves(world)) == before
    assert _events(world, "tip") == 0  # the use case's own write rolled back with the claim

    done = signed_writes.run(services, TIP, write, Tip(100, "yes"))
    assert (done.status, done.replayed) == (201, False)
    assert len(_leaves(world)) == before + 1


# -- the real kinds: the leaf's decision is what the response says ---------------------------
def _body_facts(status: int, body: object) -> dict[str, object]:
    """The decision as an auditor reads it off the body the terminal got."""
    facts: dict[str, object] = {
        "status": status,
        "response_sha256": hashlib.sha256(audit_log.canonical(body)).hexdigest(),
    }
    if isinstance(body, dict):
        if isinstance(body.get("receipt"), dict):
            facts["receipt"] = body["receipt"]["number"]
        for name in ("amount_centimes", "business_date", "reverses", "late"):
            if isinstance(body.get(name), str | int | bool):
                facts[name] = body[name]
    return facts


def _leaf_of(world: World, terminal: TestTerminal, sequence: int) -> dict[str, object]:
    [leaf] = [
        leaf
        for leaf in _leaves(world)
        if leaf["kind"] == "signed_write"
        and leaf["terminal_id"] == terminal.terminal_id
        and leaf["sequence"] == sequence
    ]
    return leaf


def test_each_kinds_leaf_decides_what_its_response_says(
    world: World, terminal: TestTerminal
) -> None:
    answered: dict[int, Any] = {}

    def send(method: str, path: str, body: object = None) -> Any:
        response = terminal.send(method, path, body)
        answered[terminal.sequence] = response
        return response

    number = send("POST", "/v1/workers", worker_payload(cin="KB482913")).json()[
        "registration_number"
    ]
    collected = send(
        "POST", "/v1/contributions", {"registration_number": number, "amount_centimes": 7_000}
    ).json()
    send("POST", f"/v1/workers/{number}/certificates", {"kind": "rights"})
    reversal = send(
        "POST",
        f"/v1/contributions/{collected['receipt']['number']}/reversal",
        {
            "reason": "wrong amount",
            "supervisor": {"username": "sup.ca-01", "password": SUPERVISOR_PASSWORD},
        },
    )
    send("POST", "/v1/drawer-closes", {"counts": [{"denomination_centimes": 100, "quantity": 70}]})
    send("DELETE", "/v1/sessions/current")
    assert [r.status_code for r in answered.values()] == [201, 201, 201, 201, 201, 204]

    for sequence, response in answered.items():
        body = response.json() if response.content else None
        leaf = _leaf_of(world, terminal, sequence)
        assert leaf["decision"] == _body_facts(response.status_code, body)
    decision = _leaf_of(world, terminal, terminal.sequence - 2)["decision"]
    assert decision == {
        "status": 201,
        "response_sha256": hashlib.sha256(audit_log.canonical(reversal.json())).hexdigest(),
        "receipt": reversal.json()["receipt"]["number"],
        "reverses": collected["receipt"]["number"],
        "amount_centimes": 7_000,
        "business_date": collected["business_date"],
    }


def test_a_signed_writes_status_is_declared_once_by_its_kind() -> None:
    """The OpenAPI document says what the pipeline answers: each signed write's success
    status is its kind's, and an endpoint cannot declare another."""
    documented = {(e.method, e.template): e.status for e in agent_endpoints()}
    assert documented[("POST", "/v1/workers")] == ENROLL.status == 201
    assert documented[("POST", "/v1/workers/lookup")] == LOOKUP.status == 200
    with pytest.raises(TypeError, match="its kind's"):
        Endpoint.signed_write(ENROLL, "POST", "/x", lambda call: None, "x", "operator", status=200)  # type: ignore[arg-type]
