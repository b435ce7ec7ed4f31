"""Simulated counters for the load benchmarks: each a terminal with its own Ed25519 key,
activated, its operator signed in, with workers enrolled, sending correctly signed requests.

The request streams are what ``loadgen.run`` drives: a collection stream (monthly
payments, seasonal prepayments, retries of the same signed request) and a counter's day
(enrollments, quotes, rights, collections, retries, reversals approved by a supervisor,
certificates and the office's day), with think time.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import loadgen
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent_api.clock import CASABLANCA
from agent_api.domain.months import add_months, first_of_month, format_month
from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.domain.roles import Role
from agent_api.persistence.db import build_engine
from agent_api.protocol.encoding import b64url_encode
from agent_api.protocol.keys import keyid, public_key_raw
from agent_api.protocol.signatures import prepare_signed_headers
from agent_api.services.container import Services
from agent_api.settings import Settings

PASSWORD = "bench password for load"
OFFICE_TERMINALS = 4  # terminals per office
MONTHLY = 15_577  # ARTISAN/REGISTERED: 6.37 % of a 2,445.30 MAD base
PREPAYMENT_MONTHS = 6  # a seasonal worker (a sailor, an algae harvester) pays half a year
ARREARS_MONTHS = 6  # workers enroll with coverage from six months back
HORIZON_MONTHS = 12  # QURB_PREPAY_HORIZON_MONTHS's default
SALT_BYTES = 16  # 128 bits, as the counter draws (docs/protocol.md, "Salted bodies")


@dataclass
class Counter:
    """One simulated terminal: its key, sequence, operator token and the workers it serves."""

    office: str
    code: str
    operator: str
    supervisor: str
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    sequence: int = 0
    token: str | None = None
    workers: list[str] = field(default_factory=list)
    last: bytes | None = None
    collected: list[str] = field(default_factory=list)  # today's receipts, for reversals

    @property
    def keyid(self) -> str:
        return keyid(public_key_raw(self.key))

    def headers(self, method: str, path: str, body: bytes, *, write: bool) -> dict[str, str]:
        if write:
            self.sequence += 1
        target, _, query = path.partition("?")
        signed = prepare_signed_headers(
            method=method,
            path=target,
            query=query,
            body=body,
            private_key=self.key,
            keyid=self.keyid,
            created=int(time.time()),
            idempotency_key=str(self.sequence) if write else None,
            authorization=f"Bearer {self.token}" if self.token else None,
        )
        if body:
            signed["Content-Type"] = "application/json"
        return signed

    def raw(self, method: str, path: str, payload: dict[str, Any] | None = None) -> bytes:
        body = json.dumps(payload).encode() if payload is not None else b""
        headers = self.headers(method, path, body, write=method != "GET")
        return loadgen.http_request(method, path, body, headers.items())


class Room:
    """Months each worker can still pay for (arrears, this month and the prepayment
    horizon): a payment beyond them is rightly refused, so the streams never send one."""

    def __init__(self) -> None:
        self.left: dict[str, int] = {}

    def add(self, worker: str) -> None:
        self.left[worker] = ARREARS_MONTHS + 1 + HORIZON_MONTHS

    def take(self, rng: random.Random, workers: list[str], months: int) -> str | None:
        """A worker with room for ``months``, charged for them; None when none has."""
        # A few random picks spread the payments; then any worker still with room.
        picks = [rng.choice(workers) for _ in range(8)] if workers else []
        for worker in [*picks, *workers]:
            if self.left.get(worker, 0) >= months:
                self.left[worker] -= months
                return worker
        return None


def seed(settings: Settings, terminals: int, *, network: str = "BENCH") -> list[Counter]:
    """A network of ``terminals`` pending terminals, four to an office, with an operator and
    a supervisor per office."""
    engine = build_engine(settings.database_url)
    services = Services.build(settings, engine)
    services.registry.create_network(
        SYSTEM_ACTOR,
        code=network,
        name=network.title(),
        commission_fixed_centimes=200,
        commission_bps=30,
        settlement_account="022780000000000000123458",
    )
    made = []
    for n in range(terminals):
        office = f"{network[:2]}-{n // OFFICE_TERMINALS:04d}"
        operator, supervisor = f"op.{office.lower()}", f"sup.{office.lower()}"
        if n % OFFICE_TERMINALS == 0:
            services.registry.create_office(
                SYSTEM_ACTOR, code=office, network=network, name=office, city="Rabat", region="R"
            )
            for username, role in ((operator, Role.OPERATOR), (supervisor, Role.SUPERVISOR)):
                services.users.create(
                    SYSTEM_ACTOR,
                    username=username,
                    full_name="Bench",
                    role=role,
                    password=PASSWORD,
                    office=office,
                    network=None,
                )
        code = services.terminals.create(SYSTEM_ACTOR, office=office, label=f"T{n}").activation_code
        made.append(Counter(office, code, operator, supervisor))
    engine.dispose()
    return made


_cins = iter(range(1, 10**7))


def salted(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` with a fresh salt, as the counter sends a body carrying personal data or a
    password (an enrollment, a sign-in, a supervisor's approval): the service refuses those
    without one. A retry resends the same bytes, so the same salt."""
    return {**payload, "salt": secrets.token_urlsafe(SALT_BYTES)}


def _today() -> str:
    return datetime.now(UTC).astimezone(CASABLANCA).date().isoformat()


def enrollment() -> dict[str, Any]:
    """A new artisan (a new CIN each time), covered from six months back, salted."""
    n = next(_cins)
    today = date.fromisoformat(_today())
    return salted(
        {
            "cin": f"BK{n:06d}",
            "last_name": "Bench",
            "first_name": "Worker",
            "birth_date": "1985-04-12",
            "sex": "F",
            "phone": "+212612345678",
            "address": "1 rue",
            "city": "Rabat",
            "category": "ARTISAN",
            "bracket": "REGISTERED",
            "coverage_start": format_month(add_months(first_of_month(today), -ARREARS_MONTHS)),
            "document_number": f"ART-{n:07d}",
            "dependents": [],
        }
    )


async def _send(client: httpx.AsyncClient, t: Counter, method: str, path: str, payload: Any) -> Any:
    body = json.dumps(payload).encode() if payload is not None else b""
    response = await client.request(
        method, path, content=body, headers=t.headers(method, path, body, write=method != "GET")
    )
    if response.status_code >= 300:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
    return response.json()


async def _prepare_one(client: httpx.AsyncClient, t: Counter, workers: int, room: Room) -> None:
    activation = {"activation_code": t.code, "public_key": b64url_encode(public_key_raw(t.key))}
    await _send(client, t, "POST", "/v1/terminals/activate", activation)
    sign_in = salted({"username": t.operator, "password": PASSWORD})
    t.token = (await _send(client, t, "POST", "/v1/sessions", sign_in))["token"]
    for _ in range(workers):
        enrolled = await _send(client, t, "POST", "/v1/workers", enrollment())
        t.workers.append(enrolled["registration_number"])
        room.add(enrolled["registration_number"])


def prepare(base: str, terminals: list[Counter], workers: int, room: Room) -> None:
    """Activate every terminal, sign its operator in and enroll its workers, eight at once."""

    async def run() -> None:
        gate = asyncio.Semaphore(8)

        async def one(t: Counter) -> None:
            async with gate:
                await _prepare_one(client, t, workers, room)

        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            await asyncio.gather(*(one(t) for t in terminals))

    asyncio.run(run())


def _payment(t: Counter, rng: random.Random, room: Room, workers: list[str], prepay: bool) -> bytes:
    months = PREPAYMENT_MONTHS if prepay else 1
    worker = room.take(rng, workers, months)
    if worker is None and months > 1:
        months = 1
        worker = room.take(rng, workers, months)
    if worker is None:
        raise RuntimeError("the workers' accounts are full: enroll more workers per terminal")
    payload = {"registration_number": worker, "amount_centimes": MONTHLY * months}
    t.last = t.raw("POST", "/v1/contributions", payload)
    return t.last


def collect_stream(
    t: Counter, rng: random.Random, room: Room, think: float = 0.0
) -> loadgen.NextRequest:
    """Monthly payments (85 %), half-year prepayments (10 %) and retries of the last signed
    request (5 %), for the terminal's own workers: back to back, or each after an
    exponential think time of mean ``think`` seconds."""

    def next_request(answer: loadgen.Answer | None) -> loadgen.Prepared | None:
        roll = rng.random()
        wait = rng.expovariate(1 / think) if think else 0.0
        if roll < 0.05 and t.last is not None:
            return "retry", t.last, wait
        return "collect", _payment(t, rng, room, t.workers, prepay=roll < 0.15), wait

    return next_request


# A counter's day: (share of requests, what), in this order of the roll.
DAY_MIX = (
    (0.50, "collect"),
    (0.03, "retry"),
    (0.20, "quote"),
    (0.07, "rights"),
    (0.07, "enroll"),
    (0.05, "day"),
    (0.03, "reversal"),
    (0.05, "certificate"),
)


def day_stream(
    t: Counter, rng: random.Random, room: Room, pool: list[str], think: float
) -> loadgen.NextRequest:
    """A counter's day (``DAY_MIX``) for workers of the whole pool, each request after an
    exponential think time of mean ``think`` seconds."""
    sent = [""]  # the label of the request the next answer is for

    def next_request(answer: loadgen.Answer | None) -> loadgen.Prepared | None:
        if answer is not None and answer.status == 201 and sent[0] in ("collect", "enroll"):
            body = json.loads(answer.body)
            if sent[0] == "collect":
                t.collected.append(body["receipt"]["number"])
            else:
                pool.append(body["registration_number"])
                room.add(body["registration_number"])
        label, raw = _day_request(t, rng, room, pool, _pick(rng))
        sent[0] = label
        return label, raw, rng.expovariate(1 / think)

    return next_request


def _pick(rng: random.Random) -> str:
    roll = rng.random()
    for share, what in DAY_MIX:
        if roll < share:
            return what
        roll -= share
    return DAY_MIX[-1][1]


def _day_request(
    t: Counter, rng: random.Random, room: Room, pool: list[str], what: str
) -> tuple[str, bytes]:
    if what == "retry" and t.last is not None:
        return "retry", t.last
    if what == "reversal" and t.collected:
        approval = {"username": t.supervisor, "password": PASSWORD}
        path = f"/v1/contributions/{t.collected.pop()}/reversal"
        body = salted({"reason": "wrong amount keyed", "supervisor": approval})
        return what, t.raw("POST", path, body)
    worker = rng.choice(pool)
    requests = {
        "quote": lambda: t.raw("GET", f"/v1/workers/{worker}/quote"),
        "rights": lambda: t.raw("GET", f"/v1/workers/{worker}/rights"),
        "enroll": lambda: t.raw("POST", "/v1/workers", enrollment()),
        "day": lambda: t.raw("GET", f"/v1/offices/current/day?business_date={_today()}"),
        "certificate": lambda: t.raw(
            "POST", f"/v1/workers/{worker}/certificates", {"kind": "rights"}
        ),
    }
    if what in requests:
        return what, requests[what]()
    return "collect", _payment(t, rng, room, pool, prepay=rng.random() < 0.1)
