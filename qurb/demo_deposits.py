"""The demo's reimbursement files: a day of deposits at the demo's counters, each office's
transmittal slip, and CNSS's tracking file about them, so that ``make demo`` shows a file's
journey at the counter and a missing envelope first in finance's queue (docs/deposits.md,
"The demo's day of deposits").

Deposits, the cancellation and the slips go through the services the signed endpoints call,
in the same transactions (the signature check in front of them skipped, as for the rest of
the demo's history); each write is also a ``demo_history`` leaf of the audit log naming its
receipt only, never the care. Then the simulator's claims mode writes the tracking files
CNSS would send the day after, and they are applied as ``qurb-reconcile tracking`` does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlmodel import col, select

from agent_api.clock import CASABLANCA
from agent_api.domain.roles import Actor
from agent_api.persistence.tables import Deposit, User, Worker
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.services.container import Services
from agent_api.services.deposits.deposits import NeedsInsistence, NewDeposit
from agent_api.services.log import audit_log
from agent_api.services.sessions.terminal_auth import TerminalContext
from agent_api.services.writes.idempotency import WriteContext
from reconciliation.claims_simulation import ClaimsRates, SimulatedClaims
from reconciliation.claims_simulator_files import simulate_day
from reconciliation.container import Reconciliation

DEPOSITS_PER_OFFICE = 4
CARE_KINDS = ("pharmacy", "consultation", "laboratory", "imaging", "dental", "optical")
LATE_CARE_DAYS = 75  # one file per office comes after the 60-day deadline: the worker insists
SEEDS_TRIED = 200  # the first seed whose files show a missing envelope and a refusal
_SEQUENCE = 50_000  # the deposits' terminal sequence numbers, clear of the collections'


@dataclass(frozen=True)
class Counter:
    """One demo office's counter as the services see it: its terminal and operator."""

    context: TerminalContext
    operator: Actor
    workers: list[str]  # registration numbers enrolled at this counter that day


@dataclass(frozen=True)
class DemoDeposits:
    deposits: list[str]  # the demo day's
    insisted: list[str]  # taken despite the warnings, the worker having insisted
    cancelled: list[str]  # taken today and handed back
    slips: list[str]
    # What CNSS's tracking files said (``track``):
    files: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # not in their batch: the worst case
    refused: list[str] = field(default_factory=list)
    reimbursed: list[str] = field(default_factory=list)
    worker_with_a_refusal: str | None = None


def record_deposits(
    services: Services, day: date, counters: list[Counter], *, seed: int
) -> DemoDeposits:
    """The deposits and slips of ``day``; call before the day is closed."""
    rng = random.Random(seed)  # noqa: S311  (demo data, not secrets)
    deposits: list[str] = []
    insisted: list[str] = []
    cancelled: list[str] = []
    slips: list[str] = []
    for index, counter in enumerate(counters):
        taken = _deposits(services, rng, day, counter, insisted)
        deposits += taken
        slips.append(_transmit(services, day, counter))
        if index == 0:
            cancelled.append(_cancelled_today(services, counter))
    return DemoDeposits(deposits, insisted, cancelled, slips)


def track(
    services: Services, reconciliation: Reconciliation, day: date, out: Path, done: DemoDeposits
) -> DemoDeposits:
    """CNSS's tracking files of the day after (or the days since, up to three), with a
    missing envelope and a refusal among the outcomes, written to ``out`` and applied."""
    today = services.clock().astimezone(CASABLANCA).date()
    days = max(1, min(3, (today - day).days))
    simulated = _showing_every_outcome(services, day, days)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for file in simulated.files:
        path = out / file.name
        path.write_bytes(file.data)
        reconciliation.claims.apply(file.data, source=file.name)
        files.append(path)
    by_stage: dict[str, list[str]] = {}
    for truth in simulated.truth.deposits:
        by_stage.setdefault(truth.stage, []).append(truth.deposit_number)
    refused = by_stage["refused"]
    with services.new_uow() as uow:
        worker = uow.session.exec(
            select(Worker.registration_number)
            .join(Deposit, col(Deposit.worker_id) == col(Worker.id))
            .where(Deposit.number == refused[0])
        ).first()
    return replace(
        done,
        files=files,
        missing=by_stage["not_received"],
        refused=refused,
        reimbursed=by_stage["reimbursed"],
        worker_with_a_refusal=worker,
    )


def _showing_every_outcome(services: Services, day: date, days: int) -> SimulatedClaims:
    ack_days = services.settings.transmittal_ack_days
    for seed in range(2026, 2026 + SEEDS_TRIED):
        simulated = simulate_day(
            services.new_uow, day, rates=ClaimsRates.demo(), seed=seed, ack_days=ack_days, days=days
        )
        stages = {truth.stage for truth in simulated.truth.deposits}
        if {"not_received", "refused", "reimbursed"} <= stages:
            return simulated
    raise AssertionError("no seed gives the demo a missing envelope and a refusal")


def _deposits(
    services: Services, rng: random.Random, day: date, counter: Counter, insisted: list[str]
) -> list[str]:
    taken = []
    opening = datetime.combine(day, time(9, 10), tzinfo=CASABLANCA)
    for n, worker in enumerate(counter.workers[:DEPOSITS_PER_OFFICE]):
        late = n == 1
        care = day - timedelta(days=LATE_CARE_DAYS if late else rng.randrange(3))
        asked = NewDeposit(
            registration_number=worker,
            dependent_id=None,
            care_kind=CARE_KINDS[(n + rng.randrange(len(CARE_KINDS))) % len(CARE_KINDS)],
            care_from=care,
            care_to=care,
            amount_spent_centimes=rng.randrange(8_000, 1_500_000),
            documents=1 + rng.randrange(6),
            insist=False,
        )
        signed = opening + timedelta(minutes=25 * n)
        write = _write(counter, _SEQUENCE + n, signed)
        with services.new_uow() as uow:
            try:
                deposited = services.deposits.deposit(
                    uow, counter.operator, counter.context, write, asked
                )
            except NeedsInsistence:
                # The counter told the worker what CNSS will likely say (nothing was written);
                # the worker insists.
                deposited = services.deposits.deposit(
                    uow,
                    counter.operator,
                    counter.context,
                    write,
                    replace(asked, insist=True),
                )
                insisted.append(deposited.deposit_number)
            _leaf(
                services,
                uow,
                counter,
                deposited.slip_number,
                business_date=deposited.business_date,
                signed=signed,
            )
            uow.commit()
        taken.append(deposited.deposit_number)
    return taken


def _cancelled_today(services: Services, counter: Counter) -> str:
    """A worker deposits a file this morning and takes it back: the supervisor cancels it.
    Cancelling is for the deposit's own business day only, and the audit log records every
    write at the time it is made, so this one is today's, not the demo day's."""
    now = services.clock()
    asked = NewDeposit(
        registration_number=counter.workers[-1],
        dependent_id=None,
        care_kind="pharmacy",
        care_from=now.astimezone(CASABLANCA).date(),
        care_to=now.astimezone(CASABLANCA).date(),
        amount_spent_centimes=42_050,
        documents=2,
        insist=True,
    )
    with services.new_uow() as uow:
        deposited = services.deposits.deposit(
            uow, counter.operator, counter.context, _write(counter, _SEQUENCE + 90, now), asked
        )
        _leaf(
            services,
            uow,
            counter,
            deposited.slip_number,
            business_date=deposited.business_date,
            signed=now,
        )
        uow.commit()
    with services.new_uow() as uow:
        supervisor = uow.session.exec(
            select(User)
            .where(User.office_id == counter.context.office_id, User.role == "supervisor")
            .order_by(col(User.id))
        ).first()
        assert supervisor is not None
        done = services.deposits.cancel(
            uow,
            counter.operator,
            counter.context,
            _write(counter, _SEQUENCE + 91, now),
            deposit_number=deposited.deposit_number,
            reason="Enveloppe rendue : il manque la facture / أعيد الظرف: الفاتورة ناقصة",
            supervisor=supervisor,
        )
        _leaf(
            services,
            uow,
            counter,
            done.receipt_number,
            business_date=done.business_date,
            signed=now,
        )
        uow.commit()
    return deposited.deposit_number


def _transmit(services: Services, day: date, counter: Counter) -> str:
    evening = datetime.combine(day, time(17, 30), tzinfo=CASABLANCA)
    with services.new_uow() as uow:
        slip = services.transmittals.close(
            uow,
            counter.operator,
            counter.context,
            _write(counter, _SEQUENCE + 99, evening),
            day=day,
        )
        _leaf(services, uow, counter, slip.number, business_date=slip.business_date, signed=evening)
        uow.commit()
    return slip.number


def _write(counter: Counter, key: int, signed: datetime) -> WriteContext:
    return WriteContext(
        terminal_id=counter.context.terminal_id,
        key=key,
        request_digest="demo-history",
        keyid="demo-history",
        signed_at=signed,
        received_at=signed,
        offline=False,
    )


def _leaf(
    services: Services,
    uow: UnitOfWork,
    counter: Counter,
    receipt: str,
    *,
    business_date: date,
    signed: datetime,
) -> None:
    audit_log.append(
        uow.session,
        "demo_history",
        {
            "terminal_id": counter.context.terminal_id,
            "receipt": receipt,
            "business_date": business_date.isoformat(),
            "signed_at": signed.isoformat(),
        },
        # The leaf is recorded now; the day it belongs to is a fact in it.
        at=services.clock(),
    )
