"""The simulator's claims mode against Qurb: for many random days of deposits (some cancelled,
some left at the office), random fault mixes, and the tracking files applied in a random
order with some applied twice, every deposit stands where the simulator meant it to and the
finance queue holds exactly the exceptions of its ground truth.

A seeded loop, not hypothesis: the database keeps each day's deposits and exceptions for the
next (as a hub does), which hypothesis's replays would take for flakiness. A failure names
its seed.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from agent_api.clock import CASABLANCA
from reconciliation.claims_simulation import CLAIMS_KINDS, FATES, ClaimsRates, SimulatedClaims
from reconciliation.claims_simulator_files import hub_day, simulate_day
from reconciliation.container import Reconciliation
from reconciliation.formats.tracking import parse_tracking
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World, activated
from tests.support.reconciliation import enroll
from tests.support.terminal import TestTerminal

DAYS = 7  # random deposit days per database


def _counters(world: World, clock: FakeClock) -> list[tuple[TestTerminal, str, str]]:
    """CASHPLUS's CA-01 and WAFACASH's WA-01, with the office's supervisor."""
    found = []
    for office in ("CA-01", "WA-01"):
        counter = activated(world, clock, office)
        found.append((counter, f"op.{office.lower()}", f"sup.{office.lower()}"))
    return found


def _morning(clock: FakeClock, days: int) -> None:
    day = clock.now.astimezone(CASABLANCA).date() + timedelta(days=days)
    clock.now = datetime.combine(day, time(10, 0), tzinfo=CASABLANCA).astimezone(UTC)


def _deposit_day(
    rng: random.Random, counters: list[tuple[TestTerminal, str, str]], workers: list[str]
) -> None:
    """At each counter: a few deposits, perhaps one cancelled, the slip, perhaps one more
    deposit after it (left at the office)."""
    for counter, operator, supervisor in counters:
        assert counter.login(operator, PASSWORD).status_code == 201
        taken = [_deposit(rng, counter, rng.choice(workers)) for _ in range(rng.randint(1, 5))]
        if taken and rng.random() < 0.3:
            cancelled = counter.send(
                "POST",
                f"/v1/deposits/{rng.choice(taken)}/cancellation",
                {
                    "reason": "envelope handed back",
                    "supervisor": {"username": supervisor, "password": PASSWORD},
                },
            )
            assert cancelled.status_code == 201, cancelled.text
        slip = counter.send("POST", "/v1/offices/current/transmittals", {})
        assert slip.status_code in (201, 409), slip.text
        if rng.random() < 0.3:
            _deposit(rng, counter, rng.choice(workers))


def _deposit(rng: random.Random, counter: TestTerminal, worker: str) -> str:
    response = counter.send(
        "POST",
        "/v1/deposits",
        {
            "registration_number": worker,
            "care_kind": rng.choice(("consultation", "pharmacy", "laboratory")),
            "care_from": counter.clock().astimezone(CASABLANCA).date().isoformat(),
            "amount_spent_centimes": rng.randint(1, 5_000_000),
            "documents": rng.randint(1, 9),
            # The worker has not paid: rights are closed, and the worker insists.
            "insist": True,
        },
    )
    assert response.status_code == 201, response.text
    number: str = response.json()["deposit_number"]
    return number


def _rates(rng: random.Random, seed: int) -> ClaimsRates:
    # Each day one fate in focus (so that every one is met), the others low enough that
    # some deposits are still reimbursed; a silent slip now and then (its deposits meet no
    # other fault); the rest anywhere up to always.
    def rate(kind: str) -> float:
        if kind == FATES[seed % len(FATES)]:
            return 0.8
        if kind in FATES:
            return rng.choice((0.0, 0.0, 0.2, 0.5))
        if kind == "unacknowledged_slip":
            return rng.choice((0.0, 0.0, 0.0, 0.5))
        return rng.choice((0.0, 0.3, 0.6, 1.0))

    return ClaimsRates(**{kind: rate(kind) for kind in CLAIMS_KINDS})


def _apply_in_any_order(rng: random.Random, claims: Reconciliation, sim: SimulatedClaims) -> None:
    files = list(sim.files) + rng.sample(list(sim.files), k=rng.randint(0, len(sim.files)))
    rng.shuffle(files)
    for file in files:
        claims.claims.apply(file.data, source=file.name)


def _names(world: World, day: date, sim: SimulatedClaims) -> set[str]:
    """Every deposit, slip and event of the simulated day: its findings' keys end so."""
    with world.services.new_uow() as uow:
        _, slips = hub_day(uow.session, day)
    names = {d.deposit_number for d in sim.truth.deposits} | {s.number for s in slips}
    for file in sim.files:
        for event in parse_tracking(file.data).events:
            names |= {event.event_id, event.deposit_number or "", event.slip_number or ""}
    return names - {""}


def test_qurb_derives_the_simulators_truth_for_random_days_faults_and_orders(
    world: World, clock: FakeClock
) -> None:
    services = world.services
    claims = Reconciliation.build(services.settings, services.engine, services.clock)
    counters = _counters(world, clock)
    assert counters[0][0].login("op.ca-01", PASSWORD).status_code == 201
    workers = [enroll(counters[0][0]) for _ in range(3)]
    ack_days = services.settings.transmittal_ack_days
    stages: set[str] = set()
    kinds: set[str] = set()
    for seed in range(DAYS):
        rng = random.Random(seed)  # noqa: S311  (test data)
        _morning(clock, 1)
        day = clock.now.astimezone(CASABLANCA).date()
        _deposit_day(rng, counters, workers)
        sim = simulate_day(
            services.new_uow,
            day,
            rates=_rates(rng, seed),
            seed=seed,
            ack_days=ack_days,
            days=rng.randint(1, ack_days + 2),
        )
        clock.now = sim.truth.as_of.astimezone(UTC)
        _apply_in_any_order(rng, claims, sim)

        shown = {
            view.deposit_number: (
                view.stage,
                view.since,
                view.reimbursed_centimes,
                view.reason_code,
            )
            for worker in workers
            for view in services.deposits.of_worker(worker)
        }
        meant = {
            d.deposit_number: (d.stage, d.since, d.reimbursed_centimes, d.reason_code)
            for d in sim.truth.deposits
        }
        assert {n: shown[n] for n in meant} == meant, f"seed {seed}"
        names = _names(world, day, sim)
        queue = {
            (e.kind, e.finding_key)
            for e in claims.claims.queue()
            if e.finding_key.split(":", 1)[1] in names
        }
        assert queue == set(sim.truth.exceptions), f"seed {seed}"
        stages |= {stage for stage, *_ in meant.values()}
        kinds |= {kind for kind, _ in queue}
    # The loop met every stage a deposit can end in and every exception the faults make.
    assert stages == {
        "at_office",
        "cancelled",
        "sent",
        "not_received",
        "incomplete",
        "under_review",
        "reimbursed",
        "refused",
    }
    assert kinds == {
        "missing_envelope",
        "unreadable_label",
        "unknown_deposit",
        "unacknowledged_slip",
    }
