"""Issue 16, item 4: a terminal cannot harvest the national registry by walking registration
numbers. Read by number, a worker shows what serving them needs (name, category, dues,
rights, masked CIN); the full identity and history need the CIN from the worker's card or
the enrolling office; and a terminal reading many distinct workers without taking a payment
is refused (429) and reported to its network admin and the auditors.

The attack, as the issue ran it: a terminal of one network reads serials 1 to 80, most of
them workers of other networks, and before the fix got 80 workers with birth date, phone and
address, and their old phones and addresses from ``/history``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from agent_api.domain.registration_number import format_registration_number
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World, activated
from tests.support.terminal import TestTerminal
from tests.support.workers import worker_payload

# What a read by number never shows: what a harvest would want.
PERSONAL = {"birth_date", "phone", "address", "city", "sex", "document_number", "categories"}
LIMIT = 30  # QURB_WORKER_READS_LIMIT's default


def _signed_in(world: World, clock: FakeClock, office: str) -> TestTerminal:
    counter = activated(world, clock, office)
    assert counter.login(f"op.{office.lower()}", PASSWORD).status_code == 201
    return counter


def _enroll(counter: TestTerminal, n: int) -> str:
    response = counter.send("POST", "/v1/workers", worker_payload(cin=f"HV{n:06d}"))
    assert response.status_code == 201, response.text
    number: str = response.json()["registration_number"]
    return number


def test_a_terminal_walking_serials_1_to_80_gets_at_most_the_limit_and_is_reported(
    world: World,
    terminal: TestTerminal,
    clock: FakeClock,
    record_property: Callable[[str, object], None],
) -> None:
    other_network = _signed_in(world, clock, "WA-01")
    numbers = [_enroll(other_network if n % 3 else terminal, n) for n in range(80)]
    first = min(int(number[:-1]) for number in numbers)
    attacker = _signed_in(world, clock, "CA-02")  # CASHPLUS, enrolled none of them

    statuses: Counter[int] = Counter()
    bodies = []
    refusal = None
    for serial in range(first, first + 80):
        response = attacker.send("GET", f"/v1/workers/{format_registration_number(serial)}")
        statuses[response.status_code] += 1
        if response.status_code == 200:
            bodies.append(response.json())
        elif refusal is None:
            refusal = response
    record_property("harvest_reads_tried", 80)
    record_property("harvest_reads_answered", statuses[200])
    record_property("harvest_reads_refused_429", statuses[429])

    assert statuses[200] == LIMIT
    assert statuses[429] == 80 - LIMIT
    assert refusal is not None
    assert refusal.json()["error"]["code"] == "worker_reads_throttled"
    assert "HV0" not in refusal.text
    for body in bodies:
        assert PERSONAL.isdisjoint(body), sorted(PERSONAL & set(body))
        assert isinstance(body["dependents"], int)  # how many, never who
        assert body["cin_masked"].startswith("*****")
        assert body["last_name"] == "El Amrani"  # the name, to confirm with the worker
        assert body["rights"]["status"] in {"open", "suspended", "waiting"}
        assert body["dues"]["due_centimes"] >= 0

    # The event, once, for the attacker's network admin and the auditors; not another
    # network's admin.
    for viewer, sees in (("admin.cashplus", 1), ("cnss.auditor", 1), ("admin.wafacash", 0)):
        listed = world.client.get(
            "/v1/admin/security-events?kind=worker_reads_throttled", headers=world.auth(viewer)
        )
        assert listed.status_code == 200, listed.text
        events = listed.json()["items"]
        assert len(events) == sees, viewer
    event = events_of(world)[0]
    assert event["terminal_id"] == attacker.terminal_id
    assert event["office"] == "CA-02"
    assert event["detail"] == {"distinct_workers": LIMIT, "limit": LIMIT, "window_seconds": 3600}


def events_of(world: World) -> list[dict[str, object]]:
    listed = world.client.get(
        "/v1/admin/security-events?kind=worker_reads_throttled", headers=world.auth("cnss.auditor")
    )
    items: list[dict[str, object]] = listed.json()["items"]
    return items


def test_an_hour_later_the_terminal_reads_again(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    numbers = [_enroll(terminal, n) for n in range(LIMIT + 1)]
    reader = _signed_in(world, clock, "CA-02")
    for number in numbers[:LIMIT]:
        assert reader.send("GET", f"/v1/workers/{number}").status_code == 200
    assert reader.send("GET", f"/v1/workers/{numbers[LIMIT]}").status_code == 429
    # A worker already read in the window is read again freely.
    assert reader.send("GET", f"/v1/workers/{numbers[0]}").status_code == 200
    clock.advance(seconds=3601)
    assert reader.login("op.ca-02", PASSWORD).status_code == 201  # the token expired meanwhile
    assert reader.send("GET", f"/v1/workers/{numbers[LIMIT]}").status_code == 200


def test_a_counter_that_takes_a_payment_from_each_worker_it_reads_is_never_limited(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    numbers = [_enroll(terminal, n) for n in range(LIMIT + 10)]
    counter = _signed_in(world, clock, "CA-02")
    for number in numbers:
        read = counter.send("GET", f"/v1/workers/{number}")
        assert read.status_code == 200, read.text
        paid = counter.send(
            "POST", "/v1/contributions", {"registration_number": number, "amount_centimes": 5_000}
        )
        assert paid.status_code == 201, paid.text
    assert events_of(world) == []


def test_the_full_identity_and_history_need_the_card_or_the_enrolling_office(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    number = _enroll(terminal, 1)
    other = _signed_in(world, clock, "WA-01")
    for path in (f"/v1/workers/{number}/identity", f"/v1/workers/{number}/history"):
        refused = other.send("GET", path)
        assert refused.status_code == 403, path
        assert refused.json()["error"]["code"] == "worker_presence_required"
        assert "+212" not in refused.text
    # The worker at the other office's counter, card in hand.
    found = other.send("POST", "/v1/workers/lookup", {"cin": "HV000001"})
    assert found.status_code == 200, found.text
    assert found.json()["worker"]["phone"] == "+212612345678"
    history = other.send("POST", "/v1/workers/history", {"cin": "HV000001"})
    assert history.status_code == 200, history.text
    assert history.json() == {"items": []}
    # The enrolling office reads both by number.
    mine = terminal.send("GET", f"/v1/workers/{number}/identity")
    assert mine.status_code == 200, mine.text
    assert mine.json()["birth_date"] == "1985-04-12"
    assert terminal.send("GET", f"/v1/workers/{number}/history").status_code == 200


def test_a_history_asked_by_a_cin_nobody_has_is_not_found(terminal: TestTerminal) -> None:
    missing = terminal.send("POST", "/v1/workers/history", {"cin": "ZZ999999"})
    assert missing.status_code == 404
    assert missing.json()["error"]["field"] == "cin"
