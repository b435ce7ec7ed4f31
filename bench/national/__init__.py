"""A national history in bulk: the database the growth benchmark measures against.

    python bench/national.py --database-url URL [--offices 8000] [--workers 3000000]
        [--collections 10000000] [--verify]

``seed_national(url, offices=…, workers=…, collections=…)`` fills a database freshly migrated
with ``qurb.migrate.upgrade(url)`` (nothing registered yet) with what a year of the service
would have left at national scale:

- five networks with their rough real-world shares of the offices, the offices across
  Moroccan cities and regions, one or two active terminals per office, each with its active
  key, an operator and a supervisor per office and an administrator per network;
- workers of the counter categories of the seeded tariff, each tied to one terminal (their
  usual counter), covered from a month of the tariff's life before the history starts, with
  their registration number (serial = id, Damm check digit, as the service numbers them) and
  one category period;
- collections on the business days (Monday to Saturday, national holidays excepted) of the
  last twelve months, each with its receipt, its one or two monthly allocations (distinct
  months per worker), its idempotency record and its audit-log leaf; every past day closed
  per network, with its ``day_closed`` leaf, in the order the live service would have logged
  them; the log's head holds the frontier of those leaves (and, given the log key, a signed
  checkpoint), so the live service appends and signs on top of it.

Ids, receipt numbers (``R-<NETWORK>-<id>``), idempotency keys (per terminal, 1, 2, 3 …) and
the database's sequences all continue where the seed stops: what the live service writes next
never collides with the history.

The history is volume, not evidence. Said plainly:

- the workers' CINs do not decrypt: ``cin_ciphertext`` has the shape of a sealed CIN under
  a key id no deployment configures, and ``cin_index`` is no HMAC of any CIN;
- receipts are JWS-shaped (a real header and payload, ~800 characters) but the signature part
  is filler under a ``kid`` no key publishes;
- the ``signed_write`` leaves keep the shape of the service's (``_leaf_facts``) without the
  request's signature, so ``qurb-audit verify`` reports them; their hashes, the tree and the
  head are real RFC 6962 and the log stays consistent;
- stored idempotency responses are empty, as once the service prunes bodies older than the
  offline window; request digests are filler;
- terminal keys are random unless ``key_secret`` is given (then ``terminal_key`` rebuilds a
  terminal's private key: a benchmark convenience, never for production), and every seeded
  user shares one argon2 hash (of ``password`` when given, else of a random one).

How it is fast: the database generates the rows itself (``INSERT … SELECT`` over
``generate_series`` on PostgreSQL, a recursive CTE on SQLite) from a few small lookup tables,
each chunk's facts computed once and inserted into the five collection tables; the indexes
are dropped during the load and rebuilt after (the schema ends as it began: the test compares
it). On PostgreSQL two sessions load at once, with the foreign-key triggers off when the user
is a superuser (``session_replication_role = replica``, as ``pg_restore --disable-triggers``;
the rows are consistent by construction and ``foreign_key_violations`` checks them), and the
heaps are vacuumed before their indexes come back. SQLite loads on one connection without
journal nor fsync, its journal mode restored at the end. A failed seed leaves a database to
throw away.

Where the time goes (PostgreSQL, full scale): generating and writing the rows, about 35 µs of
CPU per collection across its five tables (row insertion with its WAL, the receipt's base64,
the leaf's SHA-256), then the index builds and the vacuum; on two cores the run is CPU-bound.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import queue
import random
import re
import secrets
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Every statement here is put together from this module's constants and computed integers,
# never from input: S608 (SQL built from strings) does not apply.
# ruff: noqa: S608
from agent_api.clock import CASABLANCA
from agent_api.domain.months import add_months, first_of_month, format_month
from agent_api.domain.registration_number import DAMM_TABLE, format_registration_number
from agent_api.domain.tariff import monthly_contribution
from agent_api.persistence.db import normalize_url
from agent_api.protocol import merkle
from agent_api.protocol.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
from agent_api.protocol.encoding import b64url_encode
from agent_api.protocol.keys import keyid, public_key_raw
from agent_api.services.demo import demo_rib
from agent_api.services.passwords import PasswordHasher
from qurb.schema import metadata

# (code, name, share of the offices, fixed commission, bps, bank code, office prefix).
# Shares are rough public orders of magnitude of each network's agencies, not figures.
NETWORKS = (
    ("CASHPLUS", "Cash Plus", 36, 300, 50, "022", "CP"),
    ("WAFACASH", "Wafacash", 26, 0, 100, "007", "WC"),
    ("BARIDCASH", "Barid Cash", 16, 400, 0, "350", "BC"),
    ("TASHILAT", "Tasshilat", 13, 250, 40, "011", "TS"),
    ("DAMANECASH", "Damane Cash", 9, 300, 30, "013", "DC"),
)
# (city, region, code in office codes, weight ~ urban population).
CITIES = (
    ("Casablanca", "Casablanca-Settat", "CASA", 20),
    ("Rabat", "Rabat-Salé-Kénitra", "RABAT", 6),
    ("Salé", "Rabat-Salé-Kénitra", "SALE", 5),
    ("Kénitra", "Rabat-Salé-Kénitra", "KENI", 3),
    ("Fès", "Fès-Meknès", "FES", 7),
    ("Meknès", "Fès-Meknès", "MKN", 4),
    ("Taza", "Fès-Meknès", "TAZA", 1),
    ("Marrakech", "Marrakech-Safi", "MRK", 7),
    ("Safi", "Marrakech-Safi", "SAFI", 2),
    ("Essaouira", "Marrakech-Safi", "ESS", 1),
    ("Tanger", "Tanger-Tétouan-Al Hoceïma", "TNG", 7),
    ("Tétouan", "Tanger-Tétouan-Al Hoceïma", "TET", 3),
    ("Agadir", "Souss-Massa", "AGA", 4),
    ("Oujda", "Oriental", "OUJ", 3),
    ("Nador", "Oriental", "NAD", 2),
    ("Béni Mellal", "Béni Mellal-Khénifra", "BML", 3),
    ("Khouribga", "Béni Mellal-Khénifra", "KHO", 2),
    ("El Jadida", "Casablanca-Settat", "JDA", 2),
    ("Settat", "Casablanca-Settat", "SET", 2),
    ("Errachidia", "Drâa-Tafilalet", "ERR", 1),
    ("Ouarzazate", "Drâa-Tafilalet", "OUA", 1),
    ("Guelmim", "Guelmim-Oued Noun", "GLM", 1),
    ("Laâyoune", "Laâyoune-Sakia El Hamra", "LAA", 1),
    ("Dakhla", "Dakhla-Oued Ed-Dahab", "DAK", 1),
)
LAST_NAMES = (
    ("El Amrani", "العمراني"),
    ("Bennani", "بناني"),
    ("Alaoui", "العلوي"),
    ("Tazi", "التازي"),
    ("Berrada", "برادة"),
    ("El Idrissi", "الإدريسي"),
    ("Chraibi", "الشرايبي"),
    ("Ouazzani", "الوزاني"),
    ("Benjelloun", "بنجلون"),
    ("El Fassi", "الفاسي"),
    ("Lahlou", "لحلو"),
    ("Naciri", "الناصري"),
    ("Hajji", "الحجي"),
    ("Ait Ali", "آيت علي"),
    ("Ouhaddou", "أوحدو"),
    ("Zerouali", "الزروالي"),
)
FIRST_NAMES = (
    ("Fatima", "فاطمة", "F"),
    ("Mohamed", "محمد", "M"),
    ("Khadija", "خديجة", "F"),
    ("Ahmed", "أحمد", "M"),
    ("Aicha", "عائشة", "F"),
    ("Youssef", "يوسف", "M"),
    ("Naima", "نعيمة", "F"),
    ("Rachid", "رشيد", "M"),
    ("Zineb", "زينب", "F"),
    ("Hassan", "حسن", "M"),
    ("Meryem", "مريم", "F"),
    ("Abdelkader", "عبد القادر", "M"),
    ("Samira", "سميرة", "F"),
    ("Said", "سعيد", "M"),
)
STREETS = (
    "rue des Orangers",
    "avenue Mohammed V",
    "derb Sidi Bouloukat",
    "rue Ibn Battouta",
    "boulevard Zerktouni",
    "rue Al Qods",
    "hay Al Massira",
    "douar Ouled Ahmed",
)
# Share of the seeded workers per counter category (an assumption; brackets split evenly).
CATEGORY_WEIGHTS = {
    "AUTO_ENTREPRENEUR": 25,
    "ARTISAN": 20,
    "FARMER": 20,
    "TAXI_DRIVER": 12,
    "MERCHANT_ACCOUNTS": 12,
    "MEDICAL": 4,
    "LEGAL": 3,
    "ARTIST": 2,
    "BOAT_OWNER": 2,
}
# Fixed-date national holidays (month, day); the Islamic ones move and are left open.
HOLIDAYS = {(1, 1), (1, 11), (1, 14), (5, 1), (7, 30), (8, 14), (8, 20), (8, 21), (11, 6), (11, 18)}
TWO_TERMINAL_SHARE = 0.5  # offices with a second counter
OFFLINE_EVERY = 40  # one collection in 40 arrives store-and-forward, 30 minutes late
DOUBLE_EVERY = 5  # one collection in 5 pays the month and the next (a prepayment)
OPEN_SECONDS, SPREAD_SECONDS = 8 * 3600, 12 * 3600  # counters collect 08:00-20:00 local
HORIZON_MONTHS = 12  # the service's default prepayment horizon
SLOTS = 1000  # category mix resolution
CLOSED_BY = "qurb-reconcile"
CIN_KEY_ID = hashlib.sha256(b"qurb national seed: no CIN key").hexdigest()[:16]
RECEIPT_KID = b64url_encode(hashlib.sha256(b"qurb national seed: no receipt key").digest())
RECEIPT_HEADER = b64url_encode(
    json.dumps(
        {"alg": "EdDSA", "kid": RECEIPT_KID, "typ": "qurb-receipt+jwt"}, separators=(",", ":")
    ).encode()
)
# Tables the seed writes in bulk, largest first: their indexes are rebuilt after the load
# (see _droppable_indexes), and PostgreSQL vacuums them before.
BULK_TABLES = (
    "receipts",
    "audit_leaves",
    "idempotency_records",
    "contributions",
    "allocations",
    "workers",
    "worker_category_periods",
)
CHUNK = 250_000  # rows per transaction: work for two sessions to share, in memory


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


def terminal_key(key_secret: bytes, terminal_id: int) -> Ed25519PrivateKey:
    """The private key of seeded terminal ``terminal_id`` when the seed was given
    ``key_secret``: whoever holds the secret can sign as any seeded terminal."""
    seed = hashlib.sha256(key_secret + b"/terminal/" + str(terminal_id).encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


# --- the plan: everything small, computed in Python ------------------------------------------


@dataclass(frozen=True)
class _Rate:
    category: str
    bracket: str
    effective_from: date
    base_centimes: int
    rate_bps: int


@dataclass
class _Plan:
    """The registry rows and the lookup tables the bulk statements read."""

    now: datetime
    workers: int
    collections: int
    month0: date  # month index 0: the first month every seeded bracket has a rate
    networks: list[tuple[Any, ...]] = field(default_factory=list)
    offices: list[tuple[Any, ...]] = field(default_factory=list)
    terminals: list[tuple[Any, ...]] = field(default_factory=list)
    keys: list[tuple[Any, ...]] = field(default_factory=list)
    users: list[tuple[Any, ...]] = field(default_factory=list)
    # _t: t0, terminal id, office id, network id, network code, office code, city,
    # operator id, operator username, keyid, how many workers the terminal has (q).
    lookup_terminals: list[list[Any]] = field(default_factory=list)
    # _d: d, day, ISO day, epoch of local midnight, epoch of the day's close.
    days: list[tuple[Any, ...]] = field(default_factory=list)
    # _cb: slot, cb, category, bracket, document prefix (None: no document; "": digits).
    slots: list[tuple[Any, ...]] = field(default_factory=list)
    # _due: cb, m, due, YYYY-MM, first day, epoch of the first day (UTC midnight).
    dues: list[tuple[Any, ...]] = field(default_factory=list)
    first_payment_month: int = 0  # month index the history's payments start from
    step: int = 2  # months between a worker's successive payments

    @property
    def terminal_count(self) -> int:
        return len(self.terminals)

    @property
    def day_count(self) -> int:
        return len(self.days)

    @property
    def network_count(self) -> int:
        return len(self.networks)

    @property
    def coverage_months(self) -> int:
        """Coverage starts in month indexes [0, this): before the history's first month."""
        return self.first_payment_month

    def month_index(self, month: date) -> int:
        return (month.year - self.month0.year) * 12 + month.month - self.month0.month


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _local_midnight(day: date) -> int:
    return _epoch(datetime(day.year, day.month, day.day, tzinfo=CASABLANCA))


def _largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda k: (total * weights[k]) % whole, reverse=True)
    for k in order[: total - sum(shares)]:
        shares[k] += 1
    assert sum(shares) == total
    return shares


def _plan(
    *,
    offices: int,
    workers: int,
    collections: int,
    now: datetime,
    rates: list[_Rate],
    documents: dict[str, str | None],
    password_hash: str,
    key_secret: bytes | None,
) -> _Plan:
    brackets = sorted({(r.category, r.bracket) for r in rates})
    month0 = max(
        min(r.effective_from for r in rates if (r.category, r.bracket) == b) for b in brackets
    )
    plan = _Plan(now=now, workers=workers, collections=collections, month0=first_of_month(month0))
    _lay_out_registry(plan, offices, password_hash=password_hash, key_secret=key_secret)
    last_month = _schedule(plan)
    _price(plan, rates, documents, months=last_month + 2)
    return plan


def _lay_out_registry(
    plan: _Plan, offices: int, *, password_hash: str, key_secret: bytes | None
) -> None:
    """Networks, offices (per network by share, cities by weight), their terminals and keys,
    their staff, and a network administrator per network: all created before the tariff."""
    rng = random.Random(2026)  # noqa: S311  (a reproducible layout, not secrets)
    created = datetime.combine(plan.month0 - timedelta(days=31), datetime.min.time(), tzinfo=UTC)
    for n, (code, name, _share, fixed, bps, bank, _prefix) in enumerate(NETWORKS, start=1):
        rib = demo_rib(bank, 7000 + n)
        plan.networks.append((n, code, name, fixed, bps, rib, "active", created))
    per_network = _largest_remainder(offices, [n[2] for n in NETWORKS])
    office_network = [n for n, count in enumerate(per_network, start=1) for _ in range(count)]
    city_deck = [c for c in CITIES for _ in range(c[3])]
    serials: dict[tuple[str, str], int] = {}

    def user(username: str, role: str, office: int | None, network: int | None) -> int:
        user_id = len(plan.users) + 1
        last, _ = LAST_NAMES[user_id % len(LAST_NAMES)]
        first, _, _ = FIRST_NAMES[user_id % len(FIRST_NAMES)]
        plan.users.append(
            (user_id, username, f"{first} {last}", role, office, network, password_hash,
             "active", 0, None, created)
        )  # fmt: skip
        return user_id

    for office_id, network_id in enumerate(office_network, start=1):
        code, name, *_, prefix = NETWORKS[network_id - 1]
        city, region, city_code, _ = rng.choice(city_deck)
        serial = serials[(prefix, city_code)] = serials.get((prefix, city_code), 0) + 1
        office_code = f"{prefix}-{city_code}-{serial:04d}"
        plan.offices.append(
            (office_id, office_code, network_id, f"{name} {city} {serial}", city, region,
             "active", created)
        )  # fmt: skip
        operator = f"op.{office_code.lower()}"
        operator_id = user(operator, "operator", office_id, None)
        user(f"sup.{office_code.lower()}", "supervisor", office_id, None)
        for label in range(1, 3 if rng.random() < TWO_TERMINAL_SHARE else 2):
            terminal_id = plan.terminal_count + 1
            activated = created + timedelta(days=1, minutes=terminal_id % 600)
            plan.terminals.append(
                (terminal_id, office_id, f"Guichet {label}", "active", None, None, 0, created,
                 activated, 0, None)
            )  # fmt: skip
            public = (
                os.urandom(32)
                if key_secret is None
                else public_key_raw(terminal_key(key_secret, terminal_id))
            )
            kid = keyid(public)
            plan.keys.append(
                (terminal_id, terminal_id, kid, b64url_encode(public), "active", activated, None)
            )
            plan.lookup_terminals.append(
                [terminal_id - 1, terminal_id, office_id, network_id, code, office_code, city,
                 operator_id, operator, kid, 0]
            )  # fmt: skip
    for n, (code, *_) in enumerate(NETWORKS, start=1):
        user(f"admin.{code.lower()}", "network_admin", None, n)


def _schedule(plan: _Plan) -> int:
    """The business days and who pays which months; the last month index any payment
    reaches.

    Worker w belongs to terminal (w-1) mod T, which has q of them. The k-th collection at a
    terminal is for its worker k mod q, on that worker's r-th visit (r = k div q), which pays
    the month first + step·r (and the next, one time in DOUBLE_EVERY): a worker never pays a
    month twice, and nobody prepays beyond the service's horizon.
    """
    today = plan.now.astimezone(CASABLANCA).date()
    first = max(today - timedelta(days=365), add_months(plan.month0, 1))
    days = []
    day = first
    while day < today:
        if day.weekday() != 6 and (day.month, day.day) not in HOLIDAYS:  # no Sunday, holiday
            days.append(day)
        day += timedelta(days=1)
    if not days:
        raise ValueError("the tariff starts too late for a history before today")
    now_epoch = _epoch(plan.now)
    for d, day in enumerate(days):
        # Closed the next calendar day at 02:00 local, and before now in any case.
        close = min(_local_midnight(day + timedelta(days=1)) + 7200, now_epoch - 1)
        plan.days.append((d, day, day.isoformat(), _local_midnight(day), close))

    count = plan.terminal_count
    if plan.workers < count:
        raise ValueError(f"give at least one worker per terminal ({count} terminals)")
    for row in plan.lookup_terminals:
        row[10] = (plan.workers - 1 - row[0]) // count + 1
    plan.first_payment_month = plan.month_index(first_of_month(days[0]))
    months = plan.month_index(first_of_month(days[-1])) - plan.first_payment_month + 1
    plan.step = max(2, round(months * plan.workers / plan.collections))
    visits = max(
        int((plan.collections - 1 - t0) // count // q) for t0, *_, q in plan.lookup_terminals
    )
    last_month = plan.first_payment_month + plan.step * max(visits, 0) + 1
    if last_month > plan.month_index(first_of_month(today)) + HORIZON_MONTHS:
        raise ValueError(
            f"too many collections per worker: some would prepay beyond the {HORIZON_MONTHS}"
            "-month horizon; give more workers or fewer collections"
        )
    return max(last_month, plan.month_index(first_of_month(today)) + HORIZON_MONTHS)


def _price(plan: _Plan, rates: list[_Rate], documents: dict[str, str | None], months: int) -> None:
    """The category mix (SLOTS slots, brackets of a category sharing its weight) and each
    month's due per bracket, from the tariff the database holds."""
    brackets = sorted({(r.category, r.bracket) for r in rates})
    per_category: dict[str, int] = {}
    for category, _ in brackets:
        per_category[category] = per_category.get(category, 0) + 1
    weights = [CATEGORY_WEIGHTS.get(c, 1) * 1000 // per_category[c] for c, _ in brackets]
    deck = [cb for cb, n in enumerate(_largest_remainder(SLOTS, weights)) for _ in range(n)]
    random.Random(9).shuffle(deck)  # noqa: S311  (a mix, not secrets)
    for slot, cb in enumerate(deck):
        category, bracket = brackets[cb]
        plan.slots.append((slot, cb, category, bracket, documents[category]))
    for cb, (category, bracket) in enumerate(brackets):
        own = [r for r in rates if (r.category, r.bracket) == (category, bracket)]
        for m in range(months):
            month = add_months(plan.month0, m)
            rate = max(
                (r for r in own if r.effective_from <= month), key=lambda r: r.effective_from
            )
            due = monthly_contribution(rate.base_centimes, rate.rate_bps)
            midnight = _epoch(datetime.combine(month, datetime.min.time(), tzinfo=UTC))
            plan.dues.append((cb, m, due, format_month(month), month, midnight))


# --- the two databases' SQL ---------------------------------------------------------------------


class _Dialect:
    """The few expressions PostgreSQL and SQLite spell differently."""

    name = ""
    true, false = "true", "false"
    fence = ""  # ends a subquery whose expressions must be computed once

    def numbers(self, lo: int, hi: int) -> str:
        raise NotImplementedError

    def pad(self, expr: str, width: int) -> str:
        raise NotImplementedError

    def ts(self, epoch: str) -> str:
        """A timestamp column's value for a UTC epoch."""
        raise NotImplementedError

    def iso(self, epoch: str) -> str:
        """``datetime.isoformat()`` of a UTC epoch, as the service writes it in JSON."""
        raise NotImplementedError

    def sha256(self, text: str) -> str:
        raise NotImplementedError

    def leaf_hash(self, text: str) -> str:
        """Hex of SHA-256(0x00 || UTF-8 text): RFC 6962's leaf hash."""
        raise NotImplementedError

    def b64url(self, text: str) -> str:
        raise NotImplementedError

    def filler_signature(self, number: str) -> str:
        """The 86 base64url characters of 64 bytes, as an Ed25519 signature; not one (the
        last character is "A" so that the encoding is canonical, as PyJWT checks)."""
        raise NotImplementedError

    def sealed(self, number: str) -> str:
        """48 base64 characters, the length of a sealed 8-character CIN; not one."""
        raise NotImplementedError

    def birth_date(self, days: str) -> str:
        raise NotImplementedError

    def param(self, value: Any) -> Any:
        return value


class _Postgres(_Dialect):
    name = "postgresql"
    fence = "OFFSET 0"

    def numbers(self, lo: int, hi: int) -> str:
        return f"g(i) AS (SELECT generate_series({lo}::bigint, {hi}::bigint))"

    def pad(self, expr: str, width: int) -> str:
        return f"lpad(({expr})::text, {width}, '0')"

    def ts(self, epoch: str) -> str:
        return f"to_timestamp({epoch})"

    def iso(self, epoch: str) -> str:
        return (
            f"to_char(to_timestamp({epoch}) AT TIME ZONE 'UTC', "
            '\'YYYY-MM-DD"T"HH24:MI:SS"+00:00"\')'
        )

    def sha256(self, text: str) -> str:
        return f"encode(sha256(convert_to({text}, 'UTF8')), 'hex')"

    def leaf_hash(self, text: str) -> str:
        return f"encode(sha256('\\x00'::bytea || convert_to({text}, 'UTF8')), 'hex')"

    def b64url(self, text: str) -> str:
        # replace(), not translate(): translate() looks every character up one by one and
        # costs twenty times more on a receipt's payload.
        encoded = f"replace(encode(convert_to({text}, 'UTF8'), 'base64'), E'\\n', '')"
        return f"rtrim(replace(replace({encoded}, '+', '-'), '/', '_'), '=')"

    def filler_signature(self, number: str) -> str:
        digest = self.sha256(f"'signature/' || {number}")
        return f"left({digest} || reverse({digest}), 85) || 'A'"

    def sealed(self, number: str) -> str:
        halves = " || ".join(f"sha256(convert_to('{h}' || {number}, 'UTF8'))" for h in "cd")
        return f"encode(substr({halves}, 1, 36), 'base64')"

    def birth_date(self, days: str) -> str:
        return f"(DATE '1960-01-01' + ({days})::integer)"


class _Sqlite(_Dialect):
    name = "sqlite"
    true, false = "1", "0"

    def numbers(self, lo: int, hi: int) -> str:
        return f"g(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM g WHERE i < {hi})"

    def pad(self, expr: str, width: int) -> str:
        return f"printf('%0{width}d', {expr})"

    def ts(self, epoch: str) -> str:
        # SQLAlchemy's SQLite DateTime format, so that the service reads and compares it.
        return f"(strftime('%Y-%m-%d %H:%M:%S', {epoch}, 'unixepoch') || '.000000')"

    def iso(self, epoch: str) -> str:
        return f"strftime('%Y-%m-%dT%H:%M:%S+00:00', {epoch}, 'unixepoch')"

    def sha256(self, text: str) -> str:
        return f"qurb_sha256({text})"

    def leaf_hash(self, text: str) -> str:
        return f"qurb_leaf_hash({text})"

    def b64url(self, text: str) -> str:
        return f"qurb_b64url({text})"

    def filler_signature(self, number: str) -> str:
        return f"qurb_filler_signature({number})"

    def sealed(self, number: str) -> str:
        return f"qurb_sealed({number})"

    def birth_date(self, days: str) -> str:
        return f"date('1960-01-01', '+' || ({days}) || ' days')"

    def param(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, date):
            return value.isoformat()
        return value


def _sqlite_functions(connection: sqlite3.Connection) -> None:
    """What SQLite lacks and the statements need, deterministic like their PostgreSQL twins."""

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    def leaf(text: str) -> str:
        return merkle.leaf_hash(text.encode()).hex()

    def b64url(text: str) -> str:
        return b64url_encode(text.encode())

    def halves(a: bytes, b: bytes, number: int) -> bytes:
        tag = str(number).encode()
        return hashlib.sha256(a + tag).digest() + hashlib.sha256(b + tag).digest()

    def signature(number: int) -> str:
        digest = sha(f"signature/{number}")
        return (digest + digest[::-1])[:85] + "A"

    def sealed(number: int) -> str:
        return base64.b64encode(halves(b"c", b"d", number)[:36]).decode()

    for name, function in (
        ("qurb_sha256", sha),
        ("qurb_leaf_hash", leaf),
        ("qurb_b64url", b64url),
        ("qurb_filler_signature", signature),
        ("qurb_sealed", sealed),
        ("qurb_registration_number", format_registration_number),
    ):
        connection.create_function(name, 1, function, deterministic=True)


def _damm(expr: str) -> str:
    """The Damm check digit of a 9-digit serial as one PostgreSQL expression: a lookup per
    digit in the table held as 100 bytes (get_byte is O(1), unlike substr on text)."""
    table = "".join(f"{v:02x}" for row in DAMM_TABLE for v in row)
    interim = "0"
    for k in range(9):
        digit = f"((({expr}) / {10 ** (8 - k)}) % 10)::integer"
        interim = f"get_byte('\\x{table}'::bytea, ({interim}) * 10 + {digit})"
    return interim


def _registration(sql: _Dialect, expr: str) -> str:
    if sql.name == "sqlite":  # nine nested lookups overflow SQLite's parser stack
        return f"qurb_registration_number({expr})"
    return f"({sql.pad(expr, 9)} || {_damm(expr)})"


# --- the bulk statements ------------------------------------------------------------------------


def _staged(sql: _Dialect, facts: str, inserts: Sequence[str]) -> list[str]:
    """Statements that compute ``facts`` (``WITH`` clauses then a SELECT) once as ``p`` and
    insert from it into several tables: on PostgreSQL one statement, ``p`` materialized and
    the inserts as data-modifying CTEs; on SQLite a temporary table."""
    if sql.name == "postgresql":
        head, _, select = facts.rpartition("\n    SELECT /* facts */")
        writes = ",\n".join(f"    w{k} AS ({body})" for k, body in enumerate(inserts))
        return [f"{head},\n    p AS MATERIALIZED (SELECT {select}),\n{writes}\n    SELECT 1"]
    return [
        f"CREATE TEMP TABLE p AS {facts.replace('SELECT /* facts */', 'SELECT')}",
        *inserts,
        "DROP TABLE p",
    ]


def _collection_facts(sql: _Dialect, plan: _Plan, lo: int, hi: int) -> str:
    """Collections lo..hi with every fact their rows need.

    Collection i is the s-th signed write of terminal (i-1) mod T (s = (i-1) div T + 1), for
    that terminal's worker (s-1) mod q on their r-th visit (r = (s-1) div q); it falls on
    business day d = ((i-1)·D) div N at a time that only grows with i, and its audit leaf
    comes after the i-1 collections before it and the closes of the d days before its own.
    """
    t, d, n = plan.terminal_count, plan.day_count, plan.collections
    number = f"'R-' || c.net_code || '-' || {sql.pad('c.i', 8)}"
    return f"""
    WITH RECURSIVE {sql.numbers(lo, hi)},
    c AS (
        SELECT g.i, t.terminal_id, t.office_id, t.network_id, t.net_code, t.office_code,
               t.operator_id, t.operator, t.keyid, dy.day, dy.iso AS day_iso,
               (g.i - 1) / {t} + 1 AS seq,
               dy.e0 + {OPEN_SECONDS} + (((g.i - 1) * {d}) % {n}) * {SPREAD_SECONDS} / {n}
                   AS recv,
               CASE WHEN g.i % {OFFLINE_EVERY} = 0 THEN 1800 ELSE 1 END AS lag,
               CASE WHEN g.i % {DOUBLE_EVERY} = 0 THEN 1 ELSE 0 END AS dbl,
               t.t0 + 1 + {t} * (((g.i - 1) / {t}) % t.q) AS w,
               {plan.first_payment_month} + {plan.step} * (((g.i - 1) / {t}) / t.q) AS m1,
               (g.i - 1) + {plan.network_count} * dy.d AS leaf
        FROM g
        JOIN _t t ON t.t0 = (g.i - 1) % {t}
        JOIN _d dy ON dy.d = ((g.i - 1) * {d}) / {n}
    )
    SELECT /* facts */ c.i, c.terminal_id, c.office_id, c.network_id, c.net_code,
           c.office_code, c.operator_id, c.operator, c.keyid, c.day, c.day_iso, c.seq,
           c.recv, c.recv - c.lag AS signed, CASE WHEN c.lag > 1 THEN 1 ELSE 0 END AS offline,
           c.dbl, c.w, c.leaf,
           u1.due AS due1, u1.ym AS ym1, u1.first AS first1,
           u2.due AS due2, u2.ym AS ym2, u2.first AS first2,
           u1.due + c.dbl * u2.due AS amount,
           {number} AS number, {_registration(sql, "c.w")} AS reg,
           {sql.ts("c.recv")} AS ts_recv, {sql.ts("c.recv - c.lag")} AS ts_signed,
           {sql.iso("c.recv")} AS iso_recv, {sql.iso("c.recv - c.lag")} AS iso_signed
    FROM c
    JOIN _cb b ON b.slot = (c.w * 48271) % {SLOTS}
    JOIN _due u1 ON u1.cb = b.cb AND u1.m = c.m1
    JOIN _due u2 ON u2.cb = b.cb AND u2.m = c.m1 + 1"""


def _receipt_rows(sql: _Dialect) -> str:
    # The claims of AccountService.collect, in the order the service signs them.
    payload = (
        """'{"receipt_number":"' || number || '","kind":"collection","iat":' || recv"""
        """ || ',"registration_number":"' || reg || '","amount_centimes":' || amount"""
        """ || ',"months":[{"month":"' || ym1 || '","kind":"due","amount_centimes":' || due1"""
        """ || '}' || CASE WHEN dbl = 1 THEN ',{"month":"' || ym2"""
        """ || '","kind":"due","amount_centimes":' || due2 || '}' ELSE '' END"""
        """ || '],"business_date":"' || day_iso || '","network":"' || net_code"""
        """ || '","office":"' || office_code || '","terminal":' || terminal_id"""
        """ || ',"operator":"' || operator || '","signed_at":"' || iso_signed"""
        """ || '","recorded_at":"' || iso_recv || '","log_index":' || leaf || '}'"""
    )
    return f"""
    INSERT INTO receipts (id, number, kind, worker_id, network_id, office_id, terminal_id,
                          amount_centimes, issued_at, jws)
    SELECT i, number, 'collection', w, network_id, office_id, terminal_id, amount, ts_recv,
           '{RECEIPT_HEADER}.' || {sql.b64url(payload)} || '.' || {sql.filler_signature("i")}
    FROM p"""


def _contribution_rows(sql: _Dialect) -> str:
    return f"""
    INSERT INTO contributions (id, receipt_id, worker_id, network_id, office_id, terminal_id,
                               operator_id, amount_centimes, payer_phone, signed_at,
                               recorded_at, business_date, offline, late,
                               signed_business_date, sequence)
    SELECT i, i, w, network_id, office_id, terminal_id, operator_id, amount, NULL, ts_signed,
           ts_recv, day, offline = 1, {sql.false}, NULL, seq
    FROM p"""


def _allocation_rows(_sql: _Dialect) -> str:
    # Ids stay dense: collection i's first allocation follows the (i-1) div 5 doubles before.
    return f"""
    INSERT INTO allocations (id, worker_id, month, kind, amount_centimes, contribution_id,
                             reversal_id)
    SELECT i + (i - 1) / {DOUBLE_EVERY} + k.n, w, CASE k.n WHEN 0 THEN first1 ELSE first2 END,
           'due', CASE k.n WHEN 0 THEN due1 ELSE due2 END, i, NULL
    FROM p JOIN _k k ON k.n <= p.dbl"""


def _idempotency_rows(sql: _Dialect) -> str:
    return f"""
    INSERT INTO idempotency_records (id, terminal_id, key, request_digest, keyid, signed_at,
                                     received_at, offline, response_status, response_body)
    SELECT i, terminal_id, seq, {sql.sha256("'request/' || i")}, keyid, ts_signed, ts_recv,
           offline = 1, 201, ''
    FROM p"""


def _leaf_rows(sql: _Dialect) -> str:
    # Canonical JSON (sorted keys, no spaces) shaped like idempotency._leaf_facts.
    data = (
        """'{"at":"' || iso_recv || '","decision":{"amount_centimes":' || amount"""
        """ || ',"business_date":"' || day_iso || '","receipt":"' || number"""
        f""" || '","response_sha256":"' || {sql.sha256("'response/' || i")}"""
        """ || '","status":201},"index":' || leaf || ',"kind":"signed_write","offline":'"""
        """ || CASE WHEN offline = 1 THEN 'true' ELSE 'false' END"""
        """ || ',"request":{"covered":{"idempotency-key":"' || seq || '"},"keyid":"' || keyid"""
        """ || '","method":"POST","path":"/v1/contributions","query":""},"sequence":' || seq"""
        """ || ',"signed_at":"' || iso_signed || '","terminal_id":' || terminal_id"""
        """ || ',"v":1}'"""
    )
    return f"""
    INSERT INTO audit_leaves (leaf_index, kind, data, leaf_hash, recorded_at)
    SELECT leaf, 'signed_write', data, {sql.leaf_hash("data")}, ts_recv
    FROM (SELECT leaf, ts_recv, {data} AS data FROM p {sql.fence}) s"""


def _collection_statements(sql: _Dialect, plan: _Plan, lo: int, hi: int) -> list[str]:
    inserts = [
        build(sql)
        for build in (
            _receipt_rows,
            _leaf_rows,
            _contribution_rows,
            _idempotency_rows,
            _allocation_rows,
        )
    ]
    return _staged(sql, _collection_facts(sql, plan, lo, hi), inserts)


def _close_leaves(sql: _Dialect, plan: _Plan) -> str:
    # Day d closes after the ceil((d+1)·N/D) collections of days 0..d and the closes before.
    d, n, nn = plan.day_count, plan.collections, plan.network_count
    index = f"(((CAST(dy.d AS BIGINT) + 1) * {n} + {d} - 1) / {d} + {nn} * dy.d + nw.n)"
    data = (
        f"""'{{"at":"' || {sql.iso("dy.close_e")} || '","business_date":"' || dy.iso"""
        f""" || '","by":"{CLOSED_BY}","collections":' || COALESCE(a.c, 0)"""
        """ || ',"gross_centimes":' || COALESCE(a.g, 0) || ',"index":' || """
        f"""{index} || ',"kind":"day_closed","network":"' || nw.code || '","v":1}}'"""
    )
    return f"""
    WITH a AS (
        SELECT network_id, business_date, COUNT(*) AS c, SUM(amount_centimes) AS g
        FROM contributions GROUP BY network_id, business_date
    )
    INSERT INTO audit_leaves (leaf_index, kind, data, leaf_hash, recorded_at)
    SELECT leaf, 'day_closed', data, {sql.leaf_hash("data")}, {sql.ts("close_e")}
    FROM (
        SELECT {index} AS leaf, dy.close_e, {data} AS data
        FROM _d dy CROSS JOIN _n nw
        LEFT JOIN a ON a.network_id = nw.id AND a.business_date = dy.day
        {sql.fence}
    ) s"""


def _business_day_rows(sql: _Dialect, plan: _Plan) -> str:
    return f"""
    INSERT INTO business_days (id, network_id, business_date, status, closed_at, closed_by)
    SELECT dy.d * {plan.network_count} + nw.n + 1, nw.id, dy.day, 'closed',
           {sql.ts("dy.close_e")}, '{CLOSED_BY}'
    FROM _d dy CROSS JOIN _n nw"""


def _worker_statements(sql: _Dialect, plan: _Plan, lo: int, hi: int) -> list[str]:
    """Workers lo..hi and their category periods: worker w belongs to terminal (w-1) mod T
    and its office; coverage starts in one of the tariff's months before the history."""
    t = plan.terminal_count
    facts = f"""
    WITH RECURSIVE {sql.numbers(lo, hi)}
    SELECT /* facts */ g.i, t.city, t.office_id, t.terminal_id, t.operator_id, b.category,
           b.bracket, b.doc, cov.first, cov.e
    FROM g
    JOIN _t t ON t.t0 = (g.i - 1) % {t}
    JOIN _cb b ON b.slot = (g.i * 48271) % {SLOTS}
    JOIN _due cov ON cov.cb = b.cb AND cov.m = (g.i * 40503) % {plan.coverage_months}"""
    document = (
        f"CASE WHEN doc IS NULL THEN NULL WHEN doc = '' THEN {sql.pad('i', 8)} "
        f"ELSE doc || '-' || {sql.pad('i', 8)} END"
    )
    enrolled = "e + (i % 25) * 86400 + 30000 + i % 20000"
    workers = f"""
    INSERT INTO workers (id, registration_number, cin_index, cin_ciphertext, cin_key_id,
                         last_name, first_name, last_name_ar, first_name_ar, birth_date, sex,
                         phone, address, city, category, bracket, document_number,
                         coverage_start, status, enrolled_at, office_id, terminal_id,
                         enrolled_by)
    SELECT i, {_registration(sql, "i")}, {sql.sha256("'cin/' || i")}, {sql.sealed("i")},
           '{CIN_KEY_ID}', ln.latin, fn.latin, ln.arabic, fn.arabic,
           {sql.birth_date("(i * 7919) % 14600")}, fn.sex,
           '+2126' || {sql.pad("(i * 7919) % 100000000", 8)}, (1 + i % 197) || ' ' || st.street,
           city, category, bracket, {document}, first, 'active', {sql.ts(enrolled)}, office_id,
           terminal_id, operator_id
    FROM p
    JOIN _ln ln ON ln.k = (i * 31) % {len(LAST_NAMES)}
    JOIN _fn fn ON fn.k = (i * 17) % {len(FIRST_NAMES)}
    JOIN _st st ON st.k = (i * 13) % {len(STREETS)}"""
    periods = """
    INSERT INTO worker_category_periods (id, worker_id, category, bracket, effective_from)
    SELECT i, i, category, bracket, first FROM p"""
    return _staged(sql, facts, [workers, periods])


# --- sessions ---------------------------------------------------------------------------------


class _Session:
    """One DBAPI connection (psycopg 3 or sqlite3), with ``?`` placeholders on both."""

    def __init__(self, sql: _Dialect, raw: Any) -> None:
        self.sql = sql
        self.raw = raw
        self.driver: Any = raw.driver_connection

    def _text(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.sql.name == "postgresql" else statement

    def execute(self, statement: str, params: Sequence[Any] | None = None) -> None:
        cursor = self.driver.cursor()
        if params is None:
            cursor.execute(statement)
        else:
            cursor.execute(self._text(statement), [self.sql.param(v) for v in params])
        cursor.close()

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        cursor = self.driver.cursor()
        cursor.executemany(self._text(statement), [[self.sql.param(v) for v in r] for r in rows])
        cursor.close()

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self.driver.cursor()
        if params:
            cursor.execute(self._text(statement), list(params))
        else:
            cursor.execute(statement)
        found = [tuple(r) for r in cursor.fetchall()]
        cursor.close()
        return found

    def commit(self) -> None:
        self.driver.commit()

    def close(self) -> None:
        self.raw.close()


def _connect(url: str) -> tuple[_Dialect, Callable[[], _Session]]:
    engine = create_engine(normalize_url(url), poolclass=NullPool)
    sql: _Dialect = _Postgres() if engine.dialect.name == "postgresql" else _Sqlite()

    def session() -> _Session:
        opened = _Session(sql, engine.raw_connection())
        if sql.name == "sqlite":
            opened.driver.isolation_level = None  # explicit BEGIN/COMMIT below
            _sqlite_functions(opened.driver)
        return opened

    return sql, session


_LOOKUPS = {
    "_t": "t0 INTEGER PRIMARY KEY, terminal_id INTEGER, office_id INTEGER, network_id INTEGER, "
    "net_code TEXT, office_code TEXT, city TEXT, operator_id INTEGER, operator TEXT, "
    "keyid TEXT, q INTEGER",
    "_d": "d INTEGER PRIMARY KEY, day {date}, iso TEXT, e0 BIGINT, close_e BIGINT",
    "_cb": "slot INTEGER PRIMARY KEY, cb INTEGER, category TEXT, bracket TEXT, doc TEXT",
    "_due": "cb INTEGER, m INTEGER, due BIGINT, ym TEXT, first {date}, e BIGINT, "
    "PRIMARY KEY (cb, m)",
    "_ln": "k INTEGER PRIMARY KEY, latin TEXT, arabic TEXT",
    "_fn": "k INTEGER PRIMARY KEY, latin TEXT, arabic TEXT, sex TEXT",
    "_st": "k INTEGER PRIMARY KEY, street TEXT",
    "_n": "n INTEGER PRIMARY KEY, id INTEGER, code TEXT",
    "_k": "n INTEGER PRIMARY KEY",
}


def _lookups(session: _Session, plan: _Plan) -> None:
    """The session's temporary lookup tables (gone with the session)."""
    content: dict[str, Sequence[Sequence[Any]]] = {
        "_t": [tuple(r) for r in plan.lookup_terminals],
        "_d": plan.days,
        "_cb": plan.slots,
        "_due": plan.dues,
        "_ln": [(k, *names) for k, names in enumerate(LAST_NAMES)],
        "_fn": [(k, *names) for k, names in enumerate(FIRST_NAMES)],
        "_st": list(enumerate(STREETS)),
        "_n": [(k, n[0], n[1]) for k, n in enumerate(plan.networks)],
        "_k": [(0,), (1,)],
    }
    date_type = "DATE" if session.sql.name == "postgresql" else "TEXT"
    for name, columns in _LOOKUPS.items():
        session.execute(f"CREATE TEMP TABLE {name} ({columns.format(date=date_type)})")
        rows = content[name]
        marks = ", ".join("?" * len(rows[0]))
        session.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
        if session.sql.name == "postgresql":
            session.execute(f"ANALYZE {name}")
    session.commit()


def _registry(session: _Session, plan: _Plan) -> None:
    tables = (
        ("networks", "id, code, name, commission_fixed_centimes, commission_bps, "
         "settlement_account, status, created_at", plan.networks),
        ("offices", "id, code, network_id, name, city, region, status, created_at", plan.offices),
        ("terminals", "id, office_id, label, status, activation_secret_hash, "
         "activation_expires_at, activation_attempts, created_at, activated_at, "
         "login_failures, login_window_started_at", plan.terminals),
        ("terminal_keys", "id, terminal_id, keyid, public_key, status, created_at, retired_at",
         plan.keys),
        ("users", "id, username, full_name, role, office_id, network_id, password_hash, status, "
         "failed_logins, locked_until, created_at", plan.users),
    )  # fmt: skip
    for table, columns, rows in tables:
        marks = ", ".join("?" * len(rows[0]))
        session.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


# --- secondary indexes ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Index:
    table: str
    name: str
    create: str
    drop: str


def _droppable_indexes(session: _Session) -> list[_Index]:
    """The bulk tables' indexes that can go during the load, with how to drop and rebuild
    each exactly as the migrations made it: every secondary index, and on PostgreSQL the
    primary keys no foreign key refers to, but the log's (its leaves are read back in order,
    and they arrive in order). SQLite keeps its primary keys and the indexes behind UNIQUE
    constraints, which are part of its tables."""
    if session.sql.name == "sqlite":
        found = session.rows(
            "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' "
            f"AND sql IS NOT NULL AND tbl_name IN ({', '.join('?' * len(BULK_TABLES))})",
            BULK_TABLES,
        )
        return [_Index(t, n, s, f'DROP INDEX "{n}"') for t, n, s in found]
    found = session.rows(
        """SELECT c.relname, i.relname, pg_get_indexdef(i.oid), con.conname,
                  pg_get_constraintdef(con.oid)
           FROM pg_index x
           JOIN pg_class i ON i.oid = x.indexrelid
           JOIN pg_class c ON c.oid = x.indrelid
           LEFT JOIN pg_constraint con
             ON con.conindid = i.oid AND con.conrelid = c.oid AND con.contype IN ('u', 'p')
           WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(?)
             AND NOT (x.indisprimary AND (c.relname = 'audit_leaves' OR EXISTS (
                 SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.confrelid = c.oid)))
           ORDER BY c.relname, i.relname""",
        [list(BULK_TABLES)],
    )
    indexes = []
    for table, name, definition, constraint, constraint_def in found:
        if constraint is None:
            indexes.append(_Index(table, name, definition, f'DROP INDEX "{name}"'))
        else:
            indexes.append(
                _Index(
                    table,
                    name,
                    f'ALTER TABLE "{table}" ADD CONSTRAINT "{constraint}" {constraint_def}',
                    f'ALTER TABLE "{table}" DROP CONSTRAINT "{constraint}"',
                )
            )
    return indexes


# --- running statements on one or two sessions ---------------------------------------------------


class _Runner:
    """Runs labelled transactions (lists of statements) on the given sessions, whichever is
    free; the seconds spent per label are added up across sessions."""

    def __init__(self, sessions: list[_Session], seconds: dict[str, float]) -> None:
        self.sessions = list(sessions)
        self.seconds = seconds
        self.failures: list[BaseException] = []
        self._lock = threading.Lock()

    def _one(self, session: _Session, label: str, transaction: Sequence[str]) -> None:
        start = time.perf_counter()
        _begin(session)
        for statement in transaction:
            session.execute(statement)
        _commit(session)
        with self._lock:
            self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start

    def run(self, tasks: Sequence[tuple[str, Sequence[str]]]) -> None:
        """Every task once, on whichever session is free; the first failure stops the rest
        and is kept in ``failures`` (and raised, when called on this thread)."""
        pending: queue.SimpleQueue[tuple[str, Sequence[str]]] = queue.SimpleQueue()
        for task in tasks:
            pending.put(task)

        def work(session: _Session) -> None:
            while not self.failures:
                try:
                    label, transaction = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    self._one(session, label, transaction)
                except BaseException as exc:  # noqa: BLE001  (kept, then raised by run)
                    self.failures.append(exc)

        if len(self.sessions) == 1:
            work(self.sessions[0])
        else:
            threads = [threading.Thread(target=work, args=(s,)) for s in self.sessions]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        if self.failures:
            raise self.failures[0]


def _chunks(total: int) -> Iterator[tuple[int, int]]:
    for lo in range(1, total + 1, CHUNK):
        yield lo, min(lo + CHUNK - 1, total)


# --- the audit log's head ---------------------------------------------------------------------

_BLOCK = 1 << 16  # leaves hashed per perfect subtree at a time


def _perfect_root(level: list[bytes]) -> bytes:
    while len(level) > 1:
        level = [merkle.node_hash(a, b) for a, b in zip(level[::2], level[1::2], strict=True)]
    return level[0]


def frontier(chunks: Iterable[list[bytes]], size: int) -> merkle.CompactRange:
    """The compact range of ``size`` leaf hashes given in order, in chunks: aligned blocks of
    2^16 leaves are folded level by level, their roots merged like leaves one level up."""
    blocks = size // _BLOCK
    top, rest = merkle.CompactRange(), merkle.CompactRange()
    pending: list[bytes] = []
    for chunk in chunks:
        pending.extend(chunk)
        while top.size < blocks and len(pending) >= _BLOCK:
            top.append(_perfect_root(pending[:_BLOCK]))
            del pending[:_BLOCK]
        if top.size == blocks:
            rest.extend(pending)
            pending = []
    rest.extend(pending)
    if top.size != blocks or rest.size != size - blocks * _BLOCK:
        raise RuntimeError("the log holds fewer leaves than its size")
    return merkle.CompactRange(size, [*top.hashes, *rest.hashes])


def _leaf_hashes(session: _Session) -> Iterator[list[bytes]]:
    """Every leaf hash in index order, 32 raw bytes each, in chunks."""
    statement = "SELECT leaf_hash FROM audit_leaves ORDER BY leaf_index"
    if session.sql.name == "sqlite":
        cursor = session.driver.execute(statement)
        while batch := cursor.fetchmany(100_000):
            yield [bytes.fromhex(h) for (h,) in batch]
        return
    line = 65  # 64 hex digits and a newline
    buffer = b""
    with session.driver.cursor().copy(f"COPY ({statement}) TO STDOUT") as copy:
        for data in copy:
            buffer += bytes(data)
            whole = len(buffer) // line * line
            raw = binascii.unhexlify(buffer[:whole].replace(b"\n", b""))
            buffer = buffer[whole:]
            yield [raw[k : k + 32] for k in range(0, len(raw), 32)]
    session.commit()


def _write_head(
    session: _Session, compact: merkle.CompactRange, signer: NoteSigner | None, now: datetime
) -> None:
    hashes = " ".join(h.hex() for h in compact.hashes)
    session.execute("DELETE FROM audit_head", None)
    session.execute(
        "INSERT INTO audit_head (id, size, frontier) VALUES (1, ?, ?)", [compact.size, hashes]
    )
    if signer is not None:
        note = sign_checkpoint(Checkpoint(signer.name, compact.size, compact.root()), signer)
        session.execute(
            "INSERT INTO audit_checkpoints (size, root_hash, note, frontier, signed_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [compact.size, compact.root().hex(), note, hashes, now],
        )


# --- the seed ---------------------------------------------------------------------------------

_EMPTY_FIRST = ("networks", "offices", "terminals", "users", "workers", "receipts",
                "contributions", "business_days", "idempotency_records",
                "audit_leaves")  # fmt: skip
_SEQUENCED = ("networks", "offices", "terminals", "terminal_keys", "users", "workers",
              "worker_category_periods", "receipts", "contributions", "allocations",
              "idempotency_records", "business_days")  # fmt: skip


def _read_tariff(session: _Session) -> tuple[list[_Rate], dict[str, str | None]]:
    counter = {
        code: pattern
        for code, pattern, at_counter, daily in session.rows(
            "SELECT code, document_pattern, collected_at_counter, daily_declaration FROM categories"
        )
        if at_counter and not daily  # CPU pays through the tax; fishing by declared days
    }
    rates = [
        _Rate(c, b, f if isinstance(f, date) else date.fromisoformat(f), base, bps)
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


class _Phases:
    """Wall seconds per phase, reported as each ends."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.seconds: dict[str, float] = {}
        self._say = say
        self._mark = time.perf_counter()

    def end(self, label: str) -> None:
        now = time.perf_counter()
        self.seconds[label] = now - self._mark
        self._mark = now
        self._say(f"{label}: {self.seconds[label]:.1f} s")


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
    sql, connect = _connect(url)
    phases = _Phases(progress or (lambda _line: None))
    statements: dict[str, float] = {}
    lead = connect()
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
            password_hash=PasswordHasher(time_cost=3, memory_kib=65536).hash(
                password or secrets.token_urlsafe(24)
            ),
            key_secret=key_secret,
        )
        if sql.name == "postgresql":
            opened.append(connect())
        compact = _load(
            plan,
            opened,
            connect=connect,
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


def _load(
    plan: _Plan,
    loaders: list[_Session],
    *,
    connect: Callable[[], _Session],
    phases: _Phases,
    statements: dict[str, float],
    log_signer: NoteSigner | None,
) -> merkle.CompactRange:
    """Every row, then the indexes back and the log's head; the loaders are the lead
    session and, on PostgreSQL, a second one."""
    lead, sql = loaders[0], loaders[0].sql
    restore = _tune(loaders)
    dropped: list[_Index] = []
    try:
        for session in loaders:
            _lookups(session, plan)
        _begin(lead)
        _registry(lead, plan)
        lead.execute(_business_day_rows(sql, plan))
        dropped = _droppable_indexes(lead)
        for index in dropped:
            lead.execute(index.drop)
        _commit(lead)
        phases.end("registry")

        runner = _Runner(loaders, statements)
        # Collections first: the shorter worker chunks even out the two sessions' ends.
        runner.run(
            [
                *(("collections", _collection_statements(sql, plan, lo, hi))
                  for lo, hi in _chunks(plan.collections)),
                *(("workers", _worker_statements(sql, plan, lo, hi))
                  for lo, hi in _chunks(plan.workers)),
            ]
        )  # fmt: skip
        phases.end("rows")
        runner.run([("closes", [_close_leaves(sql, plan)])])
        phases.end("day closes")
        if sql.name == "postgresql":
            for session in loaders:
                session.driver.autocommit = True  # VACUUM runs outside transactions
            # The heaps are vacuumed before their indexes come back: hint bits and the
            # visibility map are set in one pass, and the index builds read clean pages.
            runner.run([(f"vacuum {t}", [f"VACUUM {t}"]) for t in BULK_TABLES])
            phases.end("vacuum")
        compact = _rebuild_and_fold(runner, dropped, connect, plan)
        dropped = []
        phases.end("indexes and log head")

        _begin(lead)
        _write_head(lead, compact, log_signer, plan.now)
        _continue_sequences(lead)
        _commit(lead)
        _analyze(loaders, statements)
        phases.end("analyze")
    finally:
        if dropped:  # failed before the rebuild: put the schema back as it was, if it can
            _restore_indexes(lead, dropped)
        for pragma in restore:
            lead.execute(pragma)
    return compact


def _rebuild_and_fold(
    runner: _Runner, dropped: list[_Index], connect: Callable[[], _Session], plan: _Plan
) -> merkle.CompactRange:
    """Rebuild the dropped indexes and fold the log's leaves into its frontier: on
    PostgreSQL at once (the loading sessions build while this thread reads through a third
    session), on SQLite one after the other."""
    rebuild = [(f"index {i.name}", [i.create]) for i in _interleaved(dropped)]
    size = plan.collections + plan.day_count * plan.network_count
    lead = runner.sessions[0]
    if lead.sql.name == "sqlite":
        compact = frontier(_leaf_hashes(lead), size)
        runner.run(rebuild)
        return compact
    reader = connect()
    builder = threading.Thread(target=runner.run, args=(rebuild,))
    builder.start()
    try:
        compact = frontier(_leaf_hashes(reader), size)
    finally:
        builder.join()
        reader.close()
    if runner.failures:
        raise runner.failures[0]
    return compact


def _tune(loaders: list[_Session]) -> list[str]:
    """Settings for the load, on the loading sessions only; what restores them after."""
    lead = loaders[0]
    if lead.sql.name == "sqlite":
        mode = lead.rows("PRAGMA journal_mode")[0][0]
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -1048576",
                       "temp_store = MEMORY", "foreign_keys = OFF"):  # fmt: skip
            lead.execute(f"PRAGMA {pragma}")
        return [f"PRAGMA journal_mode = {mode}"]
    [(superuser,)] = lead.rows("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    for session in loaders:
        if superuser:  # the rows are consistent by construction: no per-row FK triggers
            session.execute("SET session_replication_role = replica")
        session.execute("SET synchronous_commit = off")
        session.execute("SET maintenance_work_mem = '512MB'")
        session.execute("SET work_mem = '256MB'")  # a chunk's facts stay in memory
        session.commit()
    return []


def _begin(session: _Session) -> None:
    if session.sql.name == "sqlite":
        session.execute("BEGIN")


def _commit(session: _Session) -> None:
    if session.sql.name == "sqlite":
        session.execute("COMMIT")
    else:
        session.commit()


def _restore_indexes(session: _Session, dropped: list[_Index]) -> None:
    if session.sql.name == "postgresql":
        session.driver.rollback()
        session.driver.autocommit = True
    for index in dropped:
        try:
            session.execute(index.create)
        except Exception:  # noqa: BLE001, S112  (best effort while another error propagates)
            continue


def _continue_sequences(session: _Session) -> None:
    """Point every id sequence past the seeded rows, so that the service's next insert
    neither collides nor skips (SQLite's rowid tables continue from the largest id)."""
    if session.sql.name != "postgresql":
        return
    for table in _SEQUENCED:
        session.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table}"
        )


def _analyze(sessions: list[_Session], seconds: dict[str, float]) -> None:
    """Statistics for the planner. On PostgreSQL a VACUUM too, cheap now that the heaps are
    all-visible, so the new indexes start vacuumed like the rest."""
    if sessions[0].sql.name == "sqlite":
        # Sampled statistics, as PRAGMA optimize takes them: a full ANALYZE reads everything.
        sessions[0].execute("PRAGMA analysis_limit = 1000")
        sessions[0].execute("ANALYZE")
        return
    tables = [t.name for t in metadata().sorted_tables]
    _Runner(sessions, seconds).run([(f"analyze {t}", [f'VACUUM (ANALYZE) "{t}"']) for t in tables])


def _interleaved(indexes: list[_Index]) -> list[_Index]:
    """Index builds, the largest tables first, alternating tables so that the two sessions
    rarely wait on the same table's lock."""
    queues = [[i for i in indexes if i.table == table] for table in BULK_TABLES]
    ordered: list[_Index] = []
    while any(queues):
        ordered += [pending.pop(0) for pending in queues if pending]
    return ordered


# --- checks -----------------------------------------------------------------------------------


def foreign_key_violations(url: str) -> list[str]:
    """Every foreign key of the schema whose rows point nowhere, with how many rows."""
    _sql, connect = _connect(url)
    session = connect()
    found = []
    try:
        for table in metadata().sorted_tables:
            for key in table.foreign_key_constraints:
                pairs = [(e.parent.name, e.column.name) for e in key.elements]
                parent = key.referred_table.name
                present = " AND ".join(f"c.{child} IS NOT NULL" for child, _ in pairs)
                match = " AND ".join(f"p.{p} = c.{child}" for child, p in pairs)
                [(count,)] = session.rows(
                    f"SELECT COUNT(*) FROM {table.name} c WHERE {present} "
                    f"AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {match})"
                )
                if count:
                    found.append(f"{table.name} → {parent}: {count} rows")
    finally:
        session.close()
    return found


def database_size(url: str) -> str:
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        size = Path(parsed.database or "").stat().st_size
        return f"{size / 2**30:.1f} GiB" if size >= 2**30 else f"{size / 2**20:.0f} MiB"
    _sql, connect = _connect(url)
    session = connect()
    try:
        [(size,)] = session.rows("SELECT pg_size_pretty(pg_database_size(current_database()))")
    finally:
        session.close()
    return str(size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a freshly migrated database")
    parser.add_argument("--offices", type=int, default=8_000)
    parser.add_argument("--workers", type=int, default=3_000_000)
    parser.add_argument("--collections", type=int, default=10_000_000)
    parser.add_argument("--verify", action="store_true", help="then check every foreign key")
    args = parser.parse_args()
    seeded = seed_national(
        args.database_url,
        offices=args.offices,
        workers=args.workers,
        collections=args.collections,
        progress=lambda line: print(line, flush=True),
    )
    print(
        f"loaded {seeded.networks} networks, {seeded.offices} offices, {seeded.terminals} "
        f"terminals, {seeded.users} users, {seeded.workers} workers, {seeded.collections} "
        f"collections ({seeded.allocations} allocations) over {seeded.first_day} to "
        f"{seeded.last_day}, {seeded.business_days} closed network days, {seeded.leaves} "
        f"audit leaves (root {seeded.root_hash[:16]}…)"
    )
    print(f"in {seeded.seconds['total']:.0f} s; statements by kind, summed over the sessions:")
    kinds: dict[str, float] = {}
    for label, value in seeded.statement_seconds.items():
        kind = label.split()[0]  # "index uq_receipts_number" counts as "index"
        kinds[kind] = kinds.get(kind, 0.0) + value
    for kind, value in kinds.items():
        print(f"  {kind}: {value:.1f} s")
    print(f"database size: {database_size(args.database_url)}")
    if args.verify:
        start = time.perf_counter()
        violations = foreign_key_violations(args.database_url)
        print(f"foreign keys checked in {time.perf_counter() - start:.1f} s: {violations or 'ok'}")
        if violations:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
