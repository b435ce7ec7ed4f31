"""``seed_national``: a national history loaded into a freshly migrated database, and what it
reports (``Seeded``)."""

# Every statement here is put together from this package's constants, never from input:
# S608 (SQL built from strings) does not apply.
# ruff: noqa: S608
from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from agent_api.domain.months import first_of_month
from agent_api.domain.tariff import Rate
from agent_api.protocol.checkpoint import NoteSigner
from agent_api.services.sessions.passwords import PasswordHasher
from agent_api.settings import Settings

from .phases import Phases, load
from .plan import DOUBLE_EVERY, Plan
from .registry import lay_out_registry
from .schedule import price, schedule
from .session import Session, connect

_EMPTY_FIRST = ("networks", "offices", "terminals", "users", "workers", "receipts",
                "contributions", "business_days", "idempotency_records",
                "audit_leaves")  # fmt: skip


@dataclass(frozen=True)
class Seeded:
    """What a seed loaded, and where its time went: wall seconds per phase, and seconds per
    kind of statement summed over the loading sessions."""

    networks: int
    offices: int
    terminals: int
    users: int
    workers: int
    collections: int
    allocations: int
    business_days: int
    leaves: int
    root_hash: str
    first_day: date
    last_day: date
    seconds: dict[str, float] = field(default_factory=dict)
    statement_seconds: dict[str, float] = field(default_factory=dict)


def seed_national(
    url: str,
    *,
    offices: int = 8_000,
    workers: int = 3_000_000,
    collections: int = 10_000_000,
    now: datetime | None = None,
    password: str | None = None,
    key_secret: bytes | None = None,
    log_signer: NoteSigner | None = None,
    progress: Callable[[str], None] | None = None,
) -> Seeded:
    """Load a national history into the freshly migrated, empty database at ``url``.

    ``now`` (default: the current time) is when the history ends: its business days run
    over the twelve months before today's date in Casablanca, every one closed. ``password``
    is every seeded user's password; ``key_secret`` makes the terminals' keys derivable with
    ``terminal_key``; ``log_signer`` (the service's log key, named with its log origin:
    ``NoteSigner(settings.log_origin, parse_ed25519_private_key(settings.key_text(
    "LOG_SIGNING_KEY").reveal()))``) signs a checkpoint of the seeded log, so that the live
    service's first checkpoint does not read the whole history back. ``progress`` receives
    a line as each phase ends.
    """
    if min(offices, workers, collections) < 1:
        raise ValueError("offices, workers and collections must be positive")
    moment = now or datetime.now(UTC)
    sql, open_session = connect(url)
    phases = Phases(progress or (lambda _line: None))
    statements: dict[str, float] = {}
    lead = open_session()
    opened = [lead]
    try:
        for table in _EMPTY_FIRST:
            if lead.rows(f"SELECT 1 FROM {table} LIMIT 1"):
                raise ValueError(f"{table} is not empty: seed a freshly migrated database")
        rates, documents = _read_tariff(lead)
        plan = _plan(
            offices=offices,
            workers=workers,
            collections=collections,
            now=moment,
            rates=rates,
            documents=documents,
            password_hash=PasswordHasher(
                time_cost=Settings.password_time_cost, memory_kib=Settings.password_memory_kib
            ).hash(password or secrets.token_urlsafe(24)),
            key_secret=key_secret,
        )
        if sql.name == "postgresql":
            opened.append(open_session())
        compact = load(
            plan,
            opened,
            connect=open_session,
            phases=phases,
            statements=statements,
            log_signer=log_signer,
        )
    finally:
        for session in opened:
            session.close()
    phases.seconds["total"] = sum(phases.seconds.values())
    return Seeded(
        networks=plan.network_count,
        offices=len(plan.offices),
        terminals=plan.terminal_count,
        users=len(plan.users),
        workers=workers,
        collections=collections,
        allocations=collections + collections // DOUBLE_EVERY,
        business_days=plan.day_count * plan.network_count,
        leaves=compact.size,
        root_hash=compact.root().hex(),
        first_day=plan.days[0][1],
        last_day=plan.days[-1][1],
        seconds=phases.seconds,
        statement_seconds=statements,
    )


def _read_tariff(session: Session) -> tuple[list[Rate], dict[str, str | None]]:
    counter = {
        code: pattern
        for code, pattern, at_counter, daily in session.rows(
            "SELECT code, document_pattern, collected_at_counter, daily_declaration FROM categories"
        )
        if at_counter and not daily  # CPU pays through the tax; fishing by declared days
    }
    rates = [
        Rate(c, b, f if isinstance(f, date) else date.fromisoformat(f), base, bps)
        for c, b, f, base, bps in session.rows(
            "SELECT category, bracket, effective_from, base_centimes, rate_bps FROM tariff_rates"
        )
        if c in counter
    ]
    documents: dict[str, str | None] = {}
    for code, pattern in counter.items():
        # A document number the category's pattern accepts: CODE-00000001, or digits alone.
        documents[code] = None
        for prefix in (code[:3], ""):
            sample = f"{prefix}-{12345678}" if prefix else "12345678"
            if pattern and re.fullmatch(pattern, sample):
                documents[code] = prefix
                break
    if not rates:
        raise ValueError("the database holds no tariff: migrate it first")
    return rates, documents


def _plan(
    *,
    offices: int,
    workers: int,
    collections: int,
    now: datetime,
    rates: list[Rate],
    documents: dict[str, str | None],
    password_hash: str,
    key_secret: bytes | None,
) -> Plan:
    brackets = sorted({(r.category, r.bracket) for r in rates})
    month0 = max(
        min(r.effective_from for r in rates if (r.category, r.bracket) == b) for b in brackets
    )
    plan = Plan(now=now, workers=workers, collections=collections, month0=first_of_month(month0))
    lay_out_registry(plan, offices, password_hash=password_hash, key_secret=key_secret)
    last_month = schedule(plan)
    price(plan, rates, documents, months=last_month + 2)
    return plan
