"""Issue 19: closing a counter's cash drawer at the end of the day.

The operator counts the cash by denomination; the hub says what the drawer should hold (this
terminal's collections of the day minus the reversals it paid back), stores the count, the
expectation and the difference, signs a close report and logs it. One close per terminal and
day: the same count again gets the same report, another count is refused naming ``counts``.
The office's supervisor reads the office's closes; an operator and other offices do not.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlmodel import Session, col, select

from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.persistence.tables import AuditLeaf, DrawerClose
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.protocol.compact_receipt import CompactInvalid, compact_verify
from reconciliation.closing import DayCloser
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World, activated
from tests.support.backoffice import BackOffice
from tests.support.reconciliation import enroll, pay, reverse, today
from tests.support.terminal import TestTerminal


def _count(**by_value: int) -> dict[str, Any]:
    """``_count(n20000=2, n50=1)``: the body of a close."""
    return {
        "counts": [
            {"denomination_centimes": int(name[1:]), "quantity": quantity}
            for name, quantity in by_value.items()
        ]
    }


def _close(terminal: TestTerminal, body: dict[str, Any]) -> Any:
    return terminal.send("POST", "/v1/drawer-closes", body)


def _report(world: World, jws: str) -> dict[str, Any]:
    """The close report's claims, verified with the published receipt key."""
    key = Ed25519PublicKey.from_public_bytes(world.services.receipts.public_raw)
    assert jwt.get_unverified_header(jws)["kid"] == world.services.receipts.kid
    claims: dict[str, Any] = jwt.decode(jws, key, algorithms=["EdDSA"])
    return claims


def _closes(world: World) -> list[DrawerClose]:
    with Session(world.services.engine) as session:
        return list(session.exec(select(DrawerClose)).all())


def test_a_close_expects_the_terminals_collections_less_its_reversals_and_signs_the_difference(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    # Another counter of the same office takes money too: not in this drawer.
    other = world.services.terminals.create(SYSTEM_ACTOR, office="CA-01", label="Guichet 2")
    neighbour = TestTerminal(world.client, clock)
    assert neighbour.activate(other.activation_code).status_code == 201
    assert neighbour.login("sup.ca-01", PASSWORD).status_code == 201
    number = enroll(terminal)
    pay(terminal, number, 25_000, "CA-01")
    wrong = pay(terminal, number, 3_550, "CA-01")
    pay(neighbour, number, 9_900, "CA-01")
    reverse(terminal, wrong.receipt, "sup.ca-01")

    # 200 + 50 dirhams and a ½ dirham: 250.50 counted against 250.00 expected.
    response = _close(terminal, _count(n20000=1, n5000=1, n50=1, n10=0))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["business_date"] == today(clock).isoformat()
    assert (body["collections"], body["collected_centimes"]) == (2, 28_550)
    assert (body["reversals"], body["reversed_centimes"]) == (1, 3_550)
    assert body["expected_centimes"] == 25_000
    assert body["counted_centimes"] == 25_050
    assert body["difference_centimes"] == 50  # over by 50 centimes
    assert body["counts"] == [
        {"denomination_centimes": 20_000, "quantity": 1},
        {"denomination_centimes": 5_000, "quantity": 1},
        {"denomination_centimes": 50, "quantity": 1},
    ]
    assert body["repeated"] is False
    report = body["receipt"]
    assert report["number"].startswith("C-CASHPLUS-")
    claims = _report(world, report["receipt"])
    assert claims["kind"] == "drawer_close"
    assert claims["receipt_number"] == report["number"]
    assert (claims["office"], claims["terminal"]) == ("CA-01", terminal.terminal_id)
    assert claims["operator"] == "op.ca-01"
    assert (claims["expected_centimes"], claims["difference_centimes"]) == (25_000, 50)
    assert claims["counts"] == body["counts"]

    # The leaf the report names records it: its number and day, nothing personal.
    with Session(world.services.engine) as session:
        leaf = session.exec(
            select(AuditLeaf).where(col(AuditLeaf.entry) == claims["log_entry"])
        ).one()
    decision = json.loads(leaf.data)["decision"]
    assert decision["receipt"] == report["number"]
    assert decision["business_date"] == body["business_date"]
    assert "op.ca-01" not in leaf.data  # the report names the operator; the leaf does not


def test_an_empty_drawer_with_no_collection_closes_at_zero(
    world: World, terminal: TestTerminal
) -> None:
    response = _close(terminal, {"counts": []})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["expected_centimes"], body["counted_centimes"]) == (0, 0)
    assert body["difference_centimes"] == 0


def test_the_close_report_has_a_compact_form_with_the_same_claims_for_its_qr(
    world: World, terminal: TestTerminal
) -> None:
    pay(terminal, enroll(terminal), 10_000, "CA-01")
    receipt = _close(terminal, _count(n5000=2)).json()["receipt"]
    assert receipt["compact"].startswith("QC1:")
    keys = {
        world.services.receipts.kid: Ed25519PublicKey.from_public_bytes(
            world.services.receipts.public_raw
        )
    }
    assert compact_verify(receipt["compact"], keys) == _report(world, receipt["receipt"])
    # A character changed: not the report any more.
    forged = receipt["compact"][:-6] + ("A" if receipt["compact"][-6] != "A" else "B")
    forged += receipt["compact"][-5:]
    with pytest.raises(CompactInvalid):
        compact_verify(forged, keys)


def test_the_same_count_again_gets_the_same_report_and_another_count_is_refused(
    world: World, terminal: TestTerminal
) -> None:
    number = enroll(terminal)
    pay(terminal, number, 10_000, "CA-01")
    first = _close(terminal, _count(n5000=2))
    assert first.status_code == 201, first.text

    # The same count under a new sequence number (the operator ran the command again).
    again = _close(terminal, _count(n5000=2, n20=0))
    assert again.status_code == 201, again.text
    assert again.json()["receipt"] == first.json()["receipt"]
    assert again.json()["repeated"] is True

    # The same request delivered twice: the stored answer, byte for byte.
    sequence = terminal.sequence
    replay = terminal.send("POST", "/v1/drawer-closes", _count(n5000=2, n20=0), sequence=sequence)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.content == again.content

    # Another count for the same day: refused, naming the field, and nothing changes.
    other = _close(terminal, _count(n5000=1, n2000=2, n1000=1))
    assert other.status_code == 409, other.text
    error = other.json()["error"]
    assert (error["code"], error["field"]) == ("drawer_already_closed", "counts")
    assert first.json()["receipt"]["number"] in error["message"]
    [stored] = _closes(world)
    assert stored.counted_centimes == 10_000


def test_the_next_business_day_closes_again(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    assert _close(terminal, _count(n100=1)).status_code == 201
    clock.advance(days=1)
    assert terminal.login("op.ca-01", PASSWORD).status_code == 201
    response = _close(terminal, _count(n100=2))
    assert response.status_code == 201, response.text
    assert response.json()["business_date"] == today(clock).isoformat()
    assert len(_closes(world)) == 2


@pytest.mark.parametrize(
    ("counts", "field"),
    [
        ([{"denomination_centimes": 2_500, "quantity": 1}], "counts[0].denomination_centimes"),
        (
            [
                {"denomination_centimes": 100, "quantity": 1},
                {"denomination_centimes": 100, "quantity": 2},
            ],
            "counts[1].denomination_centimes",
        ),
        ([{"denomination_centimes": 100, "quantity": -1}], "counts[0].quantity"),
        ([{"denomination_centimes": 100, "quantity": 1.5}], "counts[0].quantity"),
        ([{"denomination_centimes": 100}], "counts[0].quantity"),
        ([{"denomination_centimes": 1, "quantity": 3}], "counts[0].denomination_centimes"),
    ],
)
def test_a_bad_count_is_refused_naming_the_line_and_writes_nothing(
    world: World, terminal: TestTerminal, counts: list[dict[str, Any]], field: str
) -> None:
    response = _close(terminal, {"counts": counts})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    assert _closes(world) == []
    # The drawer can still be closed once the count is right.
    assert _close(terminal, _count(n100=1)).status_code == 201


def _office_closes(counter: TestTerminal, clock: FakeClock) -> Any:
    return counter.send(
        "GET", f"/v1/offices/current/drawer-closes?business_date={today(clock).isoformat()}"
    )


def test_the_supervisor_reads_the_offices_closes_and_no_one_elses(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    number = enroll(terminal)
    pay(terminal, number, 10_000, "CA-01")
    closed = _close(terminal, _count(n5000=1, n2000=2)).json()  # 10.00 short
    elsewhere = activated(world, clock, "CA-02")
    assert elsewhere.login("op.ca-02", PASSWORD).status_code == 201
    assert _close(elsewhere, _count(n100=1)).status_code == 201

    # The operator who closed may not read the office's closes.
    refused = _office_closes(terminal, clock)
    assert refused.status_code == 403, refused.text

    assert terminal.login("sup.ca-01", PASSWORD).status_code == 201
    listed = _office_closes(terminal, clock)
    assert listed.status_code == 200, listed.text
    [line] = listed.json()["items"]
    assert line["number"] == closed["receipt"]["number"]
    assert (line["office"], line["terminal"], line["operator"]) == (
        "CA-01",
        "Guichet 1",
        "op.ca-01",
    )
    assert (line["expected_centimes"], line["counted_centimes"]) == (10_000, 9_000)
    assert line["difference_centimes"] == -1_000


def test_concurrent_closes_of_one_drawer_leave_one_close_and_one_report(
    world: World, terminal: TestTerminal
) -> None:
    """Two counts sent at once from the same drawer (two tabs, a retry racing the first):
    the unique constraint lets one in; the same count gets its report, the other a 409."""
    counts = [_count(n100=1), _count(n100=1), _count(n200=1), _count(n200=1)]
    sequences = [terminal.next_sequence() for _ in counts]
    start = threading.Barrier(len(counts))

    def close(turn: int) -> Any:
        start.wait()
        return terminal.send("POST", "/v1/drawer-closes", counts[turn], sequence=sequences[turn])

    with ThreadPoolExecutor(len(counts)) as pool:
        answers = list(pool.map(close, range(len(counts))))

    [stored] = _closes(world)
    won = 0 if stored.counted_centimes == 100 else 2
    for turn, answer in enumerate(answers):
        if turn // 2 == won // 2:
            assert answer.status_code == 201, answer.text
            assert answer.json()["receipt"]["number"] == stored.number
        else:
            assert answer.status_code == 409, answer.text
            assert answer.json()["error"]["field"] == "counts"


def test_a_network_admin_reads_its_networks_closes_in_the_back_office(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    number = enroll(terminal)
    pay(terminal, number, 10_000, "CA-01")
    ours = _close(terminal, _count(n5000=1, n2000=2)).json()  # 10.00 short
    theirs = activated(world, clock, "WA-01")
    assert theirs.login("op.wa-01", PASSWORD).status_code == 201
    other = _close(theirs, _count(n100=3)).json()
    office = BackOffice(world)
    assert office.sign_in("admin.cashplus").status_code == 303

    page = office.get(f"/network/drawer-closes?day={today(clock).isoformat()}")

    assert page.status_code == 200, page.text
    assert ours["receipt"]["number"] in page.text
    assert other["receipt"]["number"] not in page.text  # another network's counter
    assert "-10,00" in page.text
    assert "manque" in page.text
    assert 'href="/back-office/network/drawer-closes"' in office.get("/").text  # in the menu

    arabic = office.get(f"/network/drawer-closes?day={today(clock).isoformat()}&lang=ar")
    assert 'dir="rtl"' in arabic.text
    assert "إغلاقات الصناديق" in arabic.text
    assert "عجز" in arabic.text

    yesterday = office.get("/network/drawer-closes?day=2020-01-01&lang=fr")
    assert ours["receipt"]["number"] not in yesterday.text
    assert "Aucune caisse clôturée ce jour" in yesterday.text
    bad = office.get("/network/drawer-closes?day=2026-02-30")
    assert bad.status_code == 422


def test_a_late_offline_collection_is_in_the_drawer_of_the_day_it_was_taken(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    """Its money came in on the day it was signed, though it settles with the next day."""
    number = enroll(terminal)
    pay(terminal, number, 5_000, "CA-01")
    signed = clock()
    day = today(clock)
    closer = DayCloser(lambda: UnitOfWork(world.services.engine), world.services.clock)
    closer.close(day, networks=["CASHPLUS"], by="test")
    clock.advance(minutes=5)
    late = terminal.send(
        "POST",
        "/v1/contributions",
        {"registration_number": number, "amount_centimes": 2_500},
        offline=True,
        created=int(signed.timestamp()),
    )
    assert late.status_code == 201, late.text
    assert late.json()["business_date"] == (day + timedelta(days=1)).isoformat()

    closed = _close(terminal, _count(n5000=1, n2000=1, n500=1))
    assert closed.status_code == 201, closed.text
    assert closed.json()["business_date"] == day.isoformat()
    assert (closed.json()["collections"], closed.json()["expected_centimes"]) == (2, 7_500)

    clock.advance(days=1)
    assert terminal.login("op.ca-01", PASSWORD).status_code == 201
    next_day = _close(terminal, {"counts": []})
    assert (next_day.json()["collections"], next_day.json()["expected_centimes"]) == (0, 0)
