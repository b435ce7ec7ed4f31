"""Signed collections alone, then under a flood of bad back-office sign-ins, side by side.

    python bench/login_flood.py [--database-url URL] [--alone-seconds 15] [--flood-seconds 30]
                                [--flooders 20] [--workers 1]

A real ``qurb-api`` (uvicorn) serves on 127.0.0.1 with the production argon2 cost; one
simulated counter (``bench/counters.py``), activated and signed in, sends signed collections
one after another (each after a short think time, as a counter does). They are measured
alone, then while ``--flooders`` concurrent clients (a child process, 127.0.0.1 only) send
``POST /v1/admin/sessions`` with unknown usernames and wrong passwords as fast as they are
answered, for ``--flood-seconds`` (issue 16: twenty such took collections from p50 20 ms to
5.8 s). Each flooder's loop is bounded by the time and by ``--max-attempts``.

Prints, last, one ``name=value`` a line: ``collect_alone_p50_ms``, ``collect_alone_p99_ms``,
``collect_flood_p50_ms``, ``collect_flood_p99_ms``, ``flood_p99_ratio`` (the goal is at most
2), and the sign-in attempts made, refused at once (429) and checked (401).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import counters
import load
import loadgen

from agent_api.settings import Settings

# Workers a counter pays for: each has room for about a dozen payments (counters.Room).
WORKERS = 96
# A counter's think time between two collections: sequential, not a closed loop at full
# speed, so that the alone figure is what a counter waits on an idle node.
THINK_SECONDS = 0.05
# The flood starts this long before collections are measured under it, and is given this
# long to stop after.
RAMP_SECONDS = 1.0


def _flood(port: int, seconds: float, flooders: int, max_attempts: int) -> dict[str, int]:
    """``flooders`` concurrent bad sign-ins against 127.0.0.1:``port`` for ``seconds``."""
    counts = {"attempts": 0, "refused_429": 0, "checked_401": 0, "other": 0}

    async def one(client: httpx.AsyncClient, n: int, until: float) -> None:
        for attempt in range(max_attempts):
            if time.monotonic() >= until:
                return
            body = {"username": f"ghost.{n}.{attempt}", "password": "not the password"}
            try:
                status = (await client.post("/v1/admin/sessions", json=body)).status_code
            except httpx.HTTPError:
                status = 0
            counts["attempts"] += 1
            key = {429: "refused_429", 401: "checked_401"}.get(status, "other")
            counts[key] += 1

    async def run() -> None:
        limits = httpx.Limits(max_connections=flooders, max_keepalive_connections=flooders)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30
        ) as client:
            until = time.monotonic() + seconds
            await asyncio.gather(*(one(client, n, until) for n in range(flooders)))

    asyncio.run(run())
    return counts


def _collections(server: load.Server, counter: counters.Counter, seconds: float) -> list[float]:
    rng = random.Random(11)  # noqa: S311  (a load mix, not secrets)
    stream = counters.collect_stream(counter, rng, _ROOM, THINK_SECONDS)
    tally, _ = loadgen.run(server.port, [stream], seconds)
    refused = sum(n for by in tally.statuses.values() for s, n in by.items() if s >= 400)
    if refused or tally.errors:
        print(f"collections refused: {tally.statuses} {tally.refusals}", flush=True)
    return tally.all_latencies()


_ROOM = counters.Room()


def run(args: argparse.Namespace, work: Path) -> dict[str, str]:
    url = args.database_url or f"sqlite:///{work / 'flood.db'}"
    db = make_url(url).database if url.startswith("postgresql") else None
    # The production argon2 cost: the flood is about what a real hash costs.
    settings = Settings(environment="test", database_url=url, key_dir=work / "keys").with_keys({})
    load._fresh(url)
    collecting = counters.seed(settings, 1)
    metrics = work / "metrics"
    metrics.mkdir()
    env = load._env(settings, metrics)
    env.update(
        QURB_PASSWORD_TIME_COST=str(settings.password_time_cost),
        QURB_PASSWORD_MEMORY_KIB=str(settings.password_memory_kib),
    )
    command = load._uvicorn(args.workers, "qurb.asgi:app_from_env")
    with load.serving(command, env, work / "server.log", db) as server:
        counters.prepare(server.base, collecting, WORKERS, _ROOM)
        counter = collecting[0]
        alone = _collections(server, counter, args.alone_seconds)
        flood = subprocess.Popen(  # noqa: S603 - this script, on 127.0.0.1
            [
                sys.executable,
                __file__,
                "--flood-child",
                str(server.port),
                "--flood-seconds",
                str(args.flood_seconds),
                "--flooders",
                str(args.flooders),
                "--max-attempts",
                str(args.max_attempts),
            ],
            stdout=subprocess.PIPE,
        )
        time.sleep(RAMP_SECONDS)
        busy_before = loadgen.cpu_seconds(loadgen.process_tree(server.process.pid))
        under = _collections(server, counter, max(1.0, args.flood_seconds - 2 * RAMP_SECONDS))
        busy = loadgen.cpu_used(
            busy_before, loadgen.cpu_seconds(loadgen.process_tree(server.process.pid))
        )
        out, _ = flood.communicate(timeout=args.flood_seconds + 60)
        counts = json.loads(out)
    figures = {
        "collect_alone_n": str(len(alone)),
        "collect_alone_p50_ms": f"{loadgen.percentile(alone, 0.50) * 1000:.1f}",
        "collect_alone_p99_ms": f"{loadgen.percentile(alone, 0.99) * 1000:.1f}",
        "collect_flood_n": str(len(under)),
        "collect_flood_p50_ms": f"{loadgen.percentile(under, 0.50) * 1000:.1f}",
        "collect_flood_p99_ms": f"{loadgen.percentile(under, 0.99) * 1000:.1f}",
    }
    p99_alone = loadgen.percentile(alone, 0.99)
    ratio = loadgen.percentile(under, 0.99) / p99_alone if p99_alone else 0.0
    figures["flood_p99_ratio"] = f"{ratio:.2f}"
    figures["sign_in_attempts"] = str(counts["attempts"])
    figures["sign_in_refused_429"] = str(counts["refused_429"])
    figures["sign_in_checked_401"] = str(counts["checked_401"])
    figures["sign_in_other"] = str(counts["other"])
    # The server's CPU while collections ran under the flood, per sign-in attempt answered.
    figures["server_cpu_ms_per_attempt"] = f"{busy / max(1, counts['attempts']) * 1000:.2f}"
    figures["flood_seconds"] = f"{args.flood_seconds:g}"
    figures["flooders"] = str(args.flooders)
    figures["workers"] = str(args.workers)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--alone-seconds", type=float, default=15.0)
    parser.add_argument("--flood-seconds", type=float, default=30.0)
    parser.add_argument("--flooders", type=int, default=20)
    parser.add_argument("--max-attempts", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--prefix", default="")
    parser.add_argument("--flood-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flood_child is not None:
        counts = _flood(args.flood_child, args.flood_seconds, args.flooders, args.max_attempts)
        print(json.dumps(counts))
        return
    with tempfile.TemporaryDirectory(prefix="qurb-flood-") as tmp:
        figures = run(args, Path(tmp))
    for name, value in figures.items():
        print(f"{args.prefix}{name}={value}")


if __name__ == "__main__":
    main()
