"""Signed collections under load against the floor of the same stack, on one machine.

    python bench/load.py [--database-url URL] [--terminals 64] [--seconds 20] [--workers 2]

Simulated terminals (each activated with its own Ed25519 key, its operator signed in, its
worker enrolled) send correctly signed collections to a real server on 127.0.0.1: monthly
payments, seasonal prepayments and retries of the same signed request (answered from the
idempotency store). The floor is the same server stack (uvicorn, Starlette, the middleware,
the engine and unit of work, the same database) doing one bare insert per request
(``bench/floor_app.py``). Both run with the same worker count and concurrency, in the same
run. Prints, last, one ``name=value`` a line: ``collect_rps``, ``floor_rps``,
``collect_vs_floor``, ``collect_p50_ms``, ``collect_p99_ms``, ``floor_p50_ms``,
``floor_p99_ms``, ``workers``, ``terminals``, ``durability``; each prefixed ``sqlite_`` when
the database is SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.domain.roles import Role
from agent_api.persistence.db import build_engine
from agent_api.protocol.encoding import b64url_encode
from agent_api.protocol.keys import keyid, public_key_raw
from agent_api.protocol.signatures import prepare_signed_headers
from agent_api.services.container import Services
from agent_api.settings import Settings
from qurb.migrate import upgrade

PASSWORD = "bench password for load"
OFFICE_TERMINALS = 4  # terminals per office


@dataclass
class Terminal:
    office: str
    code: str
    operator: str
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    sequence: int = 0
    token: str | None = None
    worker: str = ""
    last: tuple[bytes, dict[str, str]] | None = None

    @property
    def keyid(self) -> str:
        return keyid(public_key_raw(self.key))

    def signed(self, path: str, body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        self.sequence += 1
        raw = json.dumps(body).encode()
        headers = prepare_signed_headers(
            method="POST",
            path=path,
            body=raw,
            private_key=self.key,
            keyid=self.keyid,
            created=int(time.time()),
            idempotency_key=str(self.sequence),
            authorization=f"Bearer {self.token}" if self.token else None,
        )
        headers["Content-Type"] = "application/json"
        return raw, headers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env(url: str, key_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QURB_", "PROMETHEUS_"))}
    env.update(
        QURB_ENV="test",
        QURB_DATABASE_URL=url,
        QURB_KEY_DIR=str(key_dir),
        QURB_PASSWORD_TIME_COST="1",
        QURB_PASSWORD_MEMORY_KIB="1024",
        QURB_LOG_LEVEL="WARNING",
        QURB_DB_POOL_SIZE="20",
    )
    return env


def seed(url: str, key_dir: Path, terminals: int) -> list[Terminal]:
    settings = Settings(
        environment="test",
        database_url=url,
        key_dir=key_dir,
        password_time_cost=1,
        password_memory_kib=1024,
    ).with_keys({})
    engine = build_engine(url)
    services = Services.build(settings, engine)
    services.registry.create_network(
        SYSTEM_ACTOR,
        code="BENCH",
        name="Bench",
        commission_fixed_centimes=200,
        commission_bps=30,
        settlement_account="022780000000000000123458",
    )
    made = []
    for n in range(terminals):
        office = f"BE-{n // OFFICE_TERMINALS:03d}"
        operator = f"op.{office.lower()}"
        if n % OFFICE_TERMINALS == 0:
            services.registry.create_office(
                SYSTEM_ACTOR, code=office, network="BENCH", name=office, city="Rabat", region="R"
            )
            services.users.create(
                SYSTEM_ACTOR,
                username=operator,
                full_name="Op",
                role=Role.OPERATOR,
                password=PASSWORD,
                office=office,
                network=None,
            )
        code = services.terminals.create(SYSTEM_ACTOR, office=office, label=f"T{n}").activation_code
        made.append(Terminal(office, code, operator))
    engine.dispose()
    return made


def _start(args: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    process = subprocess.Popen(args, env=env, stdout=handle, stderr=subprocess.STDOUT)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code in (200, 404):
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the server did not start; see {log}")


async def _prepare(client: httpx.AsyncClient, t: Terminal, n: int) -> None:
    raw, headers = t.signed(
        "/v1/terminals/activate",
        {"activation_code": t.code, "public_key": b64url_encode(public_key_raw(t.key))},
    )
    r = await client.post("/v1/terminals/activate", content=raw, headers=headers)
    assert r.status_code == 201, r.text
    raw, headers = t.signed("/v1/sessions", {"username": t.operator, "password": PASSWORD})
    r = await client.post("/v1/sessions", content=raw, headers=headers)
    assert r.status_code == 201, r.text
    t.token = r.json()["token"]
    today = datetime.now(UTC)
    raw, headers = t.signed(
        "/v1/workers",
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
            "coverage_start": f"{today:%Y-%m}",
            "document_number": f"ART-{n:06d}",
            "dependents": [],
        },
    )
    r = await client.post("/v1/workers", content=raw, headers=headers)
    assert r.status_code == 201, r.text
    t.worker = r.json()["registration_number"]


async def _collect_loop(
    client: httpx.AsyncClient,
    t: Terminal,
    *,
    until: float,
    latencies: list[float],
    statuses: dict[int, int],
    rng: random.Random,
) -> None:
    while time.monotonic() < until:
        roll = rng.random()
        if roll < 0.05 and t.last is not None:
            raw, headers = t.last  # the same signed request again: a retry
        else:
            amount = 3_000 if roll < 0.15 else 1_000  # a prepayment, else a monthly payment
            raw, headers = t.signed(
                "/v1/contributions", {"registration_number": t.worker, "amount_centimes": amount}
            )
            t.last = (raw, headers)
        start = time.perf_counter()
        r = await client.post("/v1/contributions", content=raw, headers=headers)
        latencies.append(time.perf_counter() - start)
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1


async def _floor_loop(
    client: httpx.AsyncClient, until: float, latencies: list[float], statuses: dict[int, int]
) -> None:
    while time.monotonic() < until:
        start = time.perf_counter()
        r = await client.post("/floor", json={"amount_centimes": 1_000})
        latencies.append(time.perf_counter() - start)
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1


def _figures(latencies: list[float], seconds: float) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    if not ordered:
        return 0.0, 0.0, 0.0
    p50 = ordered[len(ordered) // 2] * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return len(ordered) / seconds, p50, p99


async def _measure(
    base: str, seconds: float, concurrency: int, make: Any
) -> tuple[float, float, float, dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(make(client, i, until, latencies, statuses) for i in range(concurrency))
        )
    rps, p50, p99 = _figures(latencies, seconds)
    return rps, p50, p99, statuses


def _durability(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as c:
        if engine.dialect.name == "postgresql":
            value = c.execute(text("SHOW synchronous_commit")).scalar_one()
            result = f"synchronous_commit={value}"
        else:
            mode = c.execute(text("PRAGMA journal_mode")).scalar_one()
            result = f"journal_mode={mode},synchronous=NORMAL(WAL)"
    engine.dispose()
    return str(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    parser.add_argument("--terminals", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = args.database_url or f"sqlite:///{work / 'load.db'}"
        if url.startswith("postgresql"):
            engine = create_engine(url)
            with engine.begin() as c:
                c.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            engine.dispose()
        upgrade(url)
        key_dir = work / "keys"
        terminals = seed(url, key_dir, args.terminals)
        env = _env(url, key_dir)
        rng = random.Random(7)  # noqa: S311  (load mix, not secrets)

        port = _free_port()
        floor = _start(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "--app-dir",
                str(ROOT / "bench"),
                "floor_app:app_from_env",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            {**env, "PYTHONPATH": str(ROOT)},
            port,
            work / "floor.log",
        )
        try:
            f_rps, f_p50, f_p99, f_status = asyncio.run(
                _measure(
                    f"http://127.0.0.1:{port}",
                    args.seconds,
                    args.terminals,
                    lambda c, i, u, lat, st: _floor_loop(c, u, lat, st),
                )
            )
        finally:
            floor.terminate()
            floor.wait(30)

        port = _free_port()
        server = _start(
            [
                sys.executable,
                "-m",
                "qurb.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            env,
            port,
            work / "server.log",
        )
        try:
            base = f"http://127.0.0.1:{port}"

            async def prepare_all() -> None:
                async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                    for n, t in enumerate(terminals):
                        await _prepare(client, t, n)

            asyncio.run(prepare_all())
            c_rps, c_p50, c_p99, c_status = asyncio.run(
                _measure(
                    base,
                    args.seconds,
                    args.terminals,
                    lambda c, i, u, lat, st: _collect_loop(
                        c, terminals[i], until=u, latencies=lat, statuses=st, rng=rng
                    ),
                )
            )
        finally:
            server.terminate()
            server.wait(30)
        durability = _durability(url)
    prefix = "" if url.startswith("postgresql") else "sqlite_"
    print(f"floor statuses {f_status}; collect statuses {c_status}")
    figures = {
        "collect_rps": f"{c_rps:.1f}",
        "floor_rps": f"{f_rps:.1f}",
        "collect_vs_floor": f"{c_rps / f_rps:.2f}" if f_rps else "0",
        "collect_p50_ms": f"{c_p50:.1f}",
        "collect_p99_ms": f"{c_p99:.1f}",
        "floor_p50_ms": f"{f_p50:.1f}",
        "floor_p99_ms": f"{f_p99:.1f}",
        "workers": str(args.workers),
        "terminals": str(args.terminals),
        "durability": durability,
    }
    for name, value in figures.items():
        print(f"{prefix}{name}={value}")


if __name__ == "__main__":
    main()
