"""The demo's history: yesterday's counter activity, so that ``make demo`` opens on a day
that is closed, settled and reconciled, with exceptions for finance to work.

Enrollments and collections go through the same services the signed endpoints call, in the
same transactions, at two offices of every network; only the signature check in front of
them is skipped, as for any bulk load (a demo has no terminal holding a key yet); each
write is still a leaf of the audit log, marked ``demo_history``. The day
is then closed and settled, the files CNSS and the bank would send are simulated with a few
discrepancies of every kind, imported and matched, and the reports written.

The same counters take the day's reimbursement files, close them into transmittal slips, and
CNSS's tracking files about them are applied (``qurb.demo_deposits``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlmodel import col, select

from agent_api.clock import CASABLANCA, Clock
from agent_api.domain.roles import Actor, Role
from agent_api.persistence.tables import Network, Office, Terminal, User
from agent_api.services.container import Services
from agent_api.services.log import audit_log
from agent_api.services.sessions.terminal_auth import TerminalContext
from agent_api.services.workers.enrollment import NewWorker
from agent_api.services.writes.idempotency import WriteContext
from qurb.demo_deposits import Counter, DemoDeposits, record_deposits, track
from reconciliation.container import Reconciliation
from reconciliation.simulator_files import write_simulation

FIRST_NAMES = ("Fatima", "Mohamed", "Khadija", "Youssef", "Aicha", "Omar", "Salma", "Hamza")
LAST_NAMES = ("El Amrani", "Benali", "Ouazzani", "Tazi", "Alaoui", "Berrada", "Idrissi")
OFFICES_USED = 2  # per network
WORKERS_PER_OFFICE = 12


@dataclass(frozen=True)
class DemoDay:
    business_date: date
    collections: int
    files: list[Path]
    version: int
    exceptions: int
    deposits: DemoDeposits


def record_demo_day(
    services: Services, reconciliation: Reconciliation, day: date, out: Path, *, seed: int = 2026
) -> DemoDay:
    rng = random.Random(seed)  # noqa: S311  (demo data, not secrets)
    collections = 0
    counters: list[Counter] = []
    for network in _networks(services):
        for found in _counters(services, network)[:OFFICES_USED]:
            counter = _counter_day(services, rng, day, found)
            collections += counter.collections
            counters.append(counter.counter)
    # Reimbursement files are taken, cancelled and sent before the day closes.
    deposits = record_deposits(services, day, counters, seed=seed)
    reconciliation.closer.close(day, by="demo")
    reconciliation.settler.settle(day, by="demo")
    files = write_simulation(
        reconciliation, day, out / "inbox", rates="demo", seed=seed, camt_version="08"
    )
    for path in files:
        if path.name.startswith("CNSS_"):
            reconciliation.inputs.import_ledger(path.read_bytes(), name=path.name, by="demo")
        elif path.suffix == ".xml":
            reconciliation.inputs.import_bank(path.read_bytes(), name=path.name, by="demo")
    run = reconciliation.reconciler.run(day, by="demo")
    deposits = track(services, reconciliation, day, out / "claims", deposits)
    return DemoDay(day, collections, files, run.version, run.exceptions, deposits)


def _networks(services: Services) -> list[Network]:
    with services.new_uow() as uow:
        return list(uow.session.exec(select(Network).order_by(col(Network.code))).all())


def _counters(services: Services, network: Network) -> list[tuple[Office, Terminal, User]]:
    with services.new_uow() as uow:
        offices = uow.session.exec(
            select(Office).where(Office.network_id == network.id).order_by(col(Office.code))
        ).all()
        found = []
        for office in offices:
            terminal = uow.session.exec(
                select(Terminal).where(Terminal.office_id == office.id)
            ).first()
            operator = uow.session.exec(
                select(User).where(User.office_id == office.id).where(User.role == "operator")
            ).first()
            if terminal is not None and operator is not None:
                found.append((office, terminal, operator))
        return found


@dataclass(frozen=True)
class _CounterDay:
    counter: Counter
    collections: int


def _counter_day(
    services: Services,
    rng: random.Random,
    day: date,
    counter: tuple[Office, Terminal, User],
) -> _CounterDay:
    office, terminal, operator = counter
    assert office.id is not None
    assert terminal.id is not None
    assert operator.id is not None
    with services.new_uow() as uow:
        network = uow.session.get(Network, office.network_id)
        assert network is not None
    context = TerminalContext(
        terminal_id=terminal.id,
        keyid="demo-history",
        key_status="active",
        public_key=b"",
        office_id=office.id,
        office_code=office.code,
        network_id=office.network_id,
        network_code=network.code,
    )
    actor = Actor(
        user_id=operator.id,
        username=operator.username,
        role=Role.OPERATOR,
        network_id=office.network_id,
        office_id=office.id,
    )
    opening = datetime.combine(day, time(9, 0), tzinfo=CASABLANCA)
    count = 0
    workers: list[str] = []
    for n in range(WORKERS_PER_OFFICE):
        at = opening + timedelta(minutes=25 * n)
        with services.new_uow() as uow:
            enrolled = services.enrollment.enroll(
                uow,
                actor,
                context,
                NewWorker(
                    cin=f"{office.code[:2]}{terminal.id:02d}{n:04d}",
                    last_name=rng.choice(LAST_NAMES),
                    first_name=rng.choice(FIRST_NAMES),
                    birth_date=date(
                        1970 + rng.randrange(30), 1 + rng.randrange(12), 1 + rng.randrange(28)
                    ),
                    sex=rng.choice("FM"),
                    phone=f"+2126{rng.randrange(10**8):08d}",
                    address=f"{1 + rng.randrange(200)} rue des Orangers",
                    city=office.city,
                    category="ARTISAN",
                    bracket="REGISTERED",
                    document_number=f"ART-{terminal.id}-{n:04d}",
                    coverage_start=day.replace(day=1),
                ),
                signed_at=at,
            )
            audit_log.append(
                uow.session,
                "demo_history",
                {
                    "terminal_id": terminal.id,
                    "receipt": enrolled.receipt_number,
                    "signed_at": at.isoformat(),
                },
                at=services.clock(),
            )
            uow.commit()
        number = enrolled.worker.registration_number
        assert number is not None
        workers.append(number)
        # One payment for most, two for some (the month and a prepayment).
        for k in range(1 + (n % 4 == 0)):
            signed = at + timedelta(minutes=5 + k)
            write = WriteContext(
                terminal_id=terminal.id,
                key=1000 * (n + 1) + k,
                request_digest="demo-history",
                keyid="demo-history",
                signed_at=signed,
                received_at=signed,
                offline=False,
            )
            amount = 18_341 if k == 0 else 18_341 * (1 + rng.randrange(3))
            with services.new_uow() as uow:
                collected = services.accounts.collect(
                    uow,
                    actor,
                    context,
                    write,
                    registration_number=number,
                    amount_centimes=amount,
                    payer_phone=None,
                )
                audit_log.append(
                    uow.session,
                    "demo_history",
                    {
                        "terminal_id": terminal.id,
                        "receipt": collected.receipt_number,
                        "amount_centimes": amount,
                        "business_date": collected.business_date.isoformat(),
                        "signed_at": signed.isoformat(),
                    },
                    # The leaf is recorded now; the day it belongs to is a fact in it.
                    at=services.clock(),
                )
                uow.commit()
            count += 1
    return _CounterDay(Counter(context, actor, workers), count)


def yesterday(clock: Clock) -> date:
    return clock().astimezone(CASABLANCA).date() - timedelta(days=1)
