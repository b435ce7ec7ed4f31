"""Signed collections under load against the floor of the same stack, on one machine.

    python bench/load.py [--database-url URL] [--terminals 64] [--seconds 12] [--workers 2]
                         [--threads N] [--day-terminals 2000] [--day-rps 100] [--national]
                         [--no-floor] [--no-paced] [--no-open] [--open-share 0.8]
                         [--integrate-wait SECONDS] [--prefix P]

A real ``qurb-api`` (uvicorn, ``--workers`` processes) serves on 127.0.0.1; simulated
counters (``bench/counters.py``), each an activated terminal with its operator signed in,
send correctly signed requests through ``bench/loadgen.py``.

- **floor**: the same server stack (uvicorn with the same worker and thread counts,
  Starlette, the service's middleware and metrics, the engine and unit of work, the same
  database) doing one bare insert per request (``bench/floor_app.py``).
- **collect**: ``--terminals`` counters in a closed loop (each sends its next request as
  soon as the previous one is answered): monthly payments, seasonal prepayments (six months
  at once) and retries of the same signed request; ``collect_max_per_s`` is its rate. Then
  **collect_open** (``bench/open_model.py``): the same collections at a constant arrival
  rate, ``--open-share`` (80 %) of that most, each timed from its scheduled instant (no
  coordinated omission): ``collect_open_p50_ms``, ``collect_open_p99_ms`` (issue 18's goal:
  under 100), ``collect_open_achieved_per_s``, ``collect_open_late_pct`` (sends that
  started late) and ``collect_accept_p99_ms`` (until the counter holds its receipt). With
  ``--integrate-wait``, also ``integrate_p50_ms``/``integrate_p99_ms``: from that receipt
  to its leaf's index (the batched sequencer's delay), and ``checkpoint_p50_ms``/
  ``checkpoint_p99_ms``: to the first signed checkpoint covering it (the server signs one
  a second here, ``QURB_CHECKPOINT_INTERVAL_SECONDS=1``). Then **collect_paced**: the
  same counters with think time, at the design's peak of 100 collections a second in all.
- **day** (``--day-terminals N``): N counters sending a counter's day (enrollments, quotes,
  rights, collections, retries, reversals, certificates, the office's day), each request
  after a think time, ``--day-rps`` requests a second in all (default 100, half of them
  collections).
- ``--national`` first bulk-loads a national history (``bench/national``: 8,000
  offices, 3,000,000 workers, 10,000,000 collections) and runs collect only.

CPU is counted per request for the server's processes and the database's backends, and for
the load generator itself. Prints, last, one ``name=value`` a line, each prefixed with
``--prefix`` (default: ``sqlite_`` on SQLite, nothing on PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import counters
import loadgen
import open_model

from agent_api.persistence.db import build_engine
from agent_api.persistence.tables import AuditCheckpoint, AuditLeaf
from agent_api.protocol.checkpoint import NoteSigner
from agent_api.secrets import parse_ed25519_private_key
from agent_api.settings import Settings
from qurb.migrate import upgrade

# Each worker can be paid for 19 months (counters.Room), a payment takes 1.45 on average: 24
# workers a counter leave room for about 20,000 collections. The closed loop (12 s), the open
# model at 80 % of it (12 s) and the paced run (1,200) fit them up to about 870 a second back
# to back, over twice what this machine reaches.
WORKERS_PER_TERMINAL = 24
# docs/design.md: about 90,000 payments a working day (2.5 a second over ten opening hours), peaks
# several times that, and a node sized for ten times the load: 100 collections a second.
DESIGN_PEAK_COLLECTIONS = 100.0
# A counter's day, where collections are half of what counters send, run at 100 requests a
# second (50 collections): this 2-core node carries about 150 a second of that mix at most.
DAY_RPS = 100.0
# The open model runs at 80 % of the closed loop's most (issue 18: a p99 under 100 ms there),
# and waits at most 10 s after its last instant for the last answers.
OPEN_SHARE = 0.8
OPEN_DRAIN = 10.0


@dataclass
class Measured:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms: float  # the server's processes and the database's backends, per request
    db_cpu_ms: float  # of which the database's backends
    client_cpu_ms: float  # the load generator, per request
    tally: loadgen.Tally

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_ms(self) -> float:
        """The server's processes alone, per request."""
        return self.cpu_ms - self.db_cpu_ms

    def figures(self, name: str) -> dict[str, str]:
        return {
            f"{name}_rps": f"{self.rps:.1f}",
            f"{name}_p50_ms": f"{self.p50_ms:.1f}",
            f"{name}_p99_ms": f"{self.p99_ms:.1f}",
            f"{name}_errors": str(self.errors),
            f"{name}_cpu_ms": f"{self.cpu_ms:.2f}",
            f"{name}_db_cpu_ms": f"{self.db_cpu_ms:.2f}",
            f"{name}_client_cpu_ms": f"{self.client_cpu_ms:.2f}",
            f"{name}_reconnects": str(self.tally.reconnects),
        }

    def statuses(self) -> str:
        counts = "; ".join(
            f"{label} {dict(sorted(by.items()))}"
            for label, by in sorted(self.tally.statuses.items())
        )
        return counts + "".join(f"\n  refused: {r}" for r in self.tally.refusals)


class Server:
    """A server process on a free port of 127.0.0.1, its CPU and its database's counted."""

    def __init__(
        self,
        command: list[str],
        env: dict[str, str],
        log: Path,
        db: str | None,
        *,
        wait: bool = True,
    ):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port: int = s.getsockname()[1]
        self.db = db
        self._log_path = log
        self._log = log.open("wb")
        argv = [*command, "--port", str(self.port)]
        self.process = subprocess.Popen(argv, env=env, stdout=self._log, stderr=subprocess.STDOUT)  # noqa: S603
        if wait:
            self.ready()

    def ready(self) -> None:
        """Wait until the server answers (stopped, and an error, after a minute)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code in (200, 404):
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not start; see {self._log_path}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()

    def measure(self, streams: list[loadgen.NextRequest], seconds: float) -> Measured:
        return measure([self], streams, seconds)


def busy(servers: list[Server]) -> tuple[dict[int, float], dict[int, float]]:
    """CPU seconds so far of the servers' processes (and their children), and of the
    database's backends."""
    databases = {s.db for s in servers if s.db is not None}
    backends = [pid for db in sorted(databases) for pid in loadgen.backends_of(db)]
    pids = [pid for s in servers for pid in loadgen.process_tree(s.process.pid)]
    return loadgen.cpu_seconds(pids), loadgen.cpu_seconds(backends)


def measure(servers: list[Server], streams: list[loadgen.NextRequest], seconds: float) -> Measured:
    """Drive ``streams`` closed-loop for ``seconds``, their connections dealt over
    ``servers``; what it cost each side in CPU."""
    server_before, db_before = busy(servers)
    client_before = _own_cpu()
    tally, elapsed = loadgen.run([s.port for s in servers], streams, seconds)
    client = _own_cpu() - client_before
    server_after, db_after = busy(servers)
    server = loadgen.cpu_used(server_before, server_after)
    db = loadgen.cpu_used(db_before, db_after)
    latencies = tally.all_latencies()
    count = len(latencies) or 1
    return Measured(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=loadgen.percentile(latencies, 0.50) * 1000,
        p99_ms=loadgen.percentile(latencies, 0.99) * 1000,
        errors=sum(n for by in tally.statuses.values() for s, n in by.items() if s >= 400)
        + tally.errors,
        cpu_ms=(server + db) / count * 1000,
        db_cpu_ms=db / count * 1000,
        client_cpu_ms=client / count * 1000,
        tally=tally,
    )


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def serving(command: list[str], env: dict[str, str], log: Path, db: str | None) -> Iterator[Server]:
    server = Server(command, env, log, db)
    try:
        yield server
    finally:
        server.stop()


def _uvicorn(workers: int, app: str, *, app_dir: Path | None = None) -> list[str]:
    command = [sys.executable, "-m", "uvicorn", "--factory", app]
    if app_dir is not None:
        command += ["--app-dir", str(app_dir)]
    return [*command, "--workers", str(workers), "--log-level", "warning", "--no-access-log"]


def _env(settings: Settings, metrics_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QURB_", "PROMETHEUS_"))}
    env.update(
        QURB_ENV="test",
        QURB_DATABASE_URL=settings.database_url,
        QURB_KEY_DIR=str(settings.key_dir),
        QURB_PASSWORD_TIME_COST="1",
        QURB_PASSWORD_MEMORY_KIB="1024",
        QURB_LOG_LEVEL="WARNING",
        QURB_WORKER_THREADS=str(settings.worker_threads),
        # A checkpoint a second, not a minute: checkpoint_p99_ms measures the log, not the
        # timer's period.
        QURB_CHECKPOINT_INTERVAL_SECONDS="1",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        PYTHONPATH=str(ROOT),
    )
    return env


def durability(url: str) -> str:
    """The durability the run had, read back from the database itself."""
    engine = build_engine(url, pool_size=1)
    with engine.connect() as c:
        if engine.dialect.name == "postgresql":
            values = [
                f"{name}={c.execute(text(f'SHOW {name}')).scalar_one()}"
                for name in ("synchronous_commit", "fsync", "wal_sync_method")
            ]
        else:
            synchronous = int(c.execute(text("PRAGMA synchronous")).scalar_one())
            mode = c.execute(text("PRAGMA journal_mode")).scalar_one()
            level = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[synchronous]
            values = [f"journal_mode={mode}", f"synchronous={level}"]
    engine.dispose()
    return ",".join(values)


def _fresh(url: str) -> None:
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as c:
            c.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)


def _seed_national(settings: Settings) -> str:
    import national  # noqa: PLC0415 - only the growth run needs it

    key = parse_ed25519_private_key(settings.key_text("LOG_SIGNING_KEY").reveal())
    began = time.monotonic()
    seeded = national.seed_national(
        settings.database_url, log_signer=NoteSigner(settings.log_origin, key)
    )
    print(f"national history: {seeded}", flush=True)
    return f"{time.monotonic() - began:.0f}"


def run(args: argparse.Namespace, work: Path) -> dict[str, str]:
    url = args.database_url or f"sqlite:///{work / 'load.db'}"
    db = make_url(url).database if url.startswith("postgresql") else None
    settings = Settings(
        environment="test",
        database_url=url,
        key_dir=work / "keys",
        password_time_cost=1,
        password_memory_kib=1024,
        **({"worker_threads": args.threads} if args.threads else {}),
    ).with_keys({})
    figures: dict[str, str] = {}
    _fresh(url)
    if args.national:
        figures["seed_seconds"] = _seed_national(settings)
    started = time.monotonic()
    collecting = counters.seed(settings, args.terminals)
    daily = counters.seed(settings, args.day_terminals, network="DAY") if args.day_terminals else []
    print(f"seeded {len(collecting) + len(daily)} terminals in {time.monotonic() - started:.0f} s")
    metrics = work / "metrics"
    metrics.mkdir()
    env = _env(settings, metrics)
    floored = None if args.no_floor else _floor(args, env, work, db, len(collecting))
    if floored is not None:
        figures.update(floored.figures("floor"))
    rng = random.Random(7)  # noqa: S311  (a load mix, not secrets)
    room = counters.Room()
    with serving(
        _uvicorn(args.workers, "qurb.asgi:app_from_env"), env, work / "server.log", db
    ) as server:
        started = time.monotonic()
        counters.prepare(server.base, collecting, WORKERS_PER_TERMINAL, room)
        print(f"prepared {len(collecting)} terminals in {time.monotonic() - started:.0f} s")
        collected = server.measure(
            [counters.collect_stream(t, rng, room) for t in collecting], args.seconds
        )
        print(f"collect: {collected.statuses()}", flush=True)
        figures.update(collected.figures("collect"))
        if not args.no_open:
            figures.update(
                _open(args, server, collecting, room=room, rng=rng, most=collected.rps, url=url)
            )
        if not args.no_paced:
            # The same counters paced to the design peak: what a counter waits when the
            # node carries its rated load rather than all it can.
            think = len(collecting) / DESIGN_PEAK_COLLECTIONS
            paced = server.measure(
                [counters.collect_stream(t, rng, room, think) for t in collecting], args.seconds
            )
            print(f"collect paced: {paced.statuses()}", flush=True)
            figures.update(paced.figures("collect_paced"))
        if daily:
            pool = [w for t in collecting for w in t.workers]
            figures.update(_day(args, server, daily, pool=pool, room=room, rng=rng))
    if floored is not None and floored.rps:
        figures["collect_vs_floor"] = f"{collected.rps / floored.rps:.2f}"
    figures.update(
        workers=str(args.workers),
        threads=str(settings.worker_threads),
        terminals=str(args.terminals),
        durability=durability(url),
    )
    if daily:
        figures["day_terminals"] = str(len(daily))
        figures["day_offered_rps"] = f"{args.day_rps:.0f}"
    return figures


def _open(
    args: argparse.Namespace,
    server: Server,
    collecting: list[counters.Counter],
    *,
    room: counters.Room,
    rng: random.Random,
    most: float,
    url: str,
) -> dict[str, str]:
    """The same collections at a constant arrival rate, ``--open-share`` of the most the
    closed loop just reached (``most``), each timed from its scheduled instant."""
    rate = most * args.open_share
    opened = open_model.run(
        server.port,
        [counters.collect_stream(t, rng, room) for t in collecting],
        rate=rate,
        seconds=args.seconds,
        drain=OPEN_DRAIN,
    )
    print(f"collect open, {rate:.0f}/s offered: {opened.tally.statuses}", flush=True)
    figures = {"collect_max_per_s": f"{most:.1f}", **opened.figures("collect_open")}
    if args.integrate_wait:
        figures.update(_integration(url, args.integrate_wait, opened))
    return figures


def _integration(url: str, wait: float, opened: open_model.OpenTally) -> dict[str, str]:
    """From each collection's acceptance (its answer at the counter) to its leaf's index
    (``integrate_*``: the sequencer's ``sequenced_at``, 0 when the write's own nudge
    sequenced it before the answer left) and to the first signed checkpoint covering it
    (``checkpoint_*``); waits at most ``wait`` seconds for those after the run."""
    named = [(open_model.receipt_log_entry(body), at) for at, body in opened.accepted]
    accepted = [(entry, at) for entry, at in named if entry is not None]
    if not accepted:
        print("integrate: the receipts name no audit-log entry; not measured", flush=True)
        return {}
    engine = build_engine(url, pool_size=1)
    leaves = AuditLeaf.__table__  # type: ignore[attr-defined]
    signed = AuditCheckpoint.__table__  # type: ignore[attr-defined]
    deadline = time.monotonic() + wait
    while True:
        found: dict[str, tuple[int, float]] = {}
        with engine.connect() as c:
            for lo in range(0, len(accepted), 1000):
                chunk = [entry for entry, _ in accepted[lo : lo + 1000]]
                rows = c.execute(
                    select(leaves.c.entry, leaves.c.leaf_index, leaves.c.sequenced_at).where(
                        leaves.c.entry.in_(chunk)
                    )
                )
                found.update({e: (int(i), at.timestamp()) for e, i, at in rows})
            indexes = [found[e][0] for e, _ in accepted if e in found]
            checkpoints = (
                [
                    (size, at.timestamp())
                    for size, at in c.execute(
                        select(signed.c.size, signed.c.signed_at).where(
                            signed.c.size > min(indexes)
                        )
                    )
                ]
                if indexes
                else []
            )
        covered = indexes and any(size > max(indexes) for size, _ in checkpoints)
        if (len(found) == len(accepted) and covered) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    engine.dispose()
    now = time.time()
    integrate = [
        max(0.0, found[entry][1] - at) if entry in found else now - at for entry, at in accepted
    ]
    figures = {
        "integrate_p50_ms": f"{loadgen.percentile(integrate, 0.50) * 1000:.1f}",
        "integrate_p99_ms": f"{loadgen.percentile(integrate, 0.99) * 1000:.1f}",
        "integrate_unsequenced": str(sum(1 for entry, _ in accepted if entry not in found)),
    }
    in_tree = [(found[entry][0], at) for entry, at in accepted if entry in found]
    checkpointed = open_model.integration_figures(in_tree, checkpoints, now=now)
    figures.update({k.replace("integrate_", "checkpoint_"): v for k, v in checkpointed.items()})
    return figures


def _floor(
    args: argparse.Namespace, env: dict[str, str], work: Path, db: str | None, streams: int
) -> Measured:
    """The bare-insert floor, driven like the collections: ``streams`` at once, back to back."""
    floor_app = _uvicorn(args.workers, "floor_app:app_from_env", app_dir=ROOT / "bench")
    raw = loadgen.http_request(
        "POST", "/floor", b'{"amount_centimes": 1000}', [("Content-Type", "application/json")]
    )
    with serving(floor_app, env, work / "floor.log", db) as floor:
        floored = floor.measure(
            [loadgen.repeat("floor", raw) for _ in range(streams)], args.seconds
        )
    print(f"floor: {floored.statuses()}", flush=True)
    return floored


def _day(
    args: argparse.Namespace,
    server: Server,
    daily: list[counters.Counter],
    *,
    pool: list[str],
    room: counters.Room,
    rng: random.Random,
) -> dict[str, str]:
    """Counters working a day at ``--day-rps`` in all, each after its think time."""
    started = time.monotonic()
    counters.prepare(server.base, daily, 0, room)
    print(f"prepared {len(daily)} day terminals in {time.monotonic() - started:.0f} s")
    think = len(daily) / args.day_rps
    day = server.measure(
        [counters.day_stream(t, rng, room, pool, think) for t in daily], args.day_seconds
    )
    print(f"day: {day.statuses()}", flush=True)
    return {
        **day.figures("day"),
        **{
            f"day_{label}_p99_ms": f"{loadgen.percentile(values, 0.99) * 1000:.1f}"
            for label, values in sorted(day.tally.latencies.items())
        },
    }


def _at_least(low: float, kind: type[int] | type[float]) -> Callable[[str], float]:
    """An argparse type: a number of ``kind`` no smaller than ``low``, or a clear refusal."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {kind.__name__}: {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low:g}, not {text}")
        return value

    return parse


def main() -> None:
    count, some, rate = _at_least(1, int), _at_least(0, int), _at_least(0.001, float)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    parser.add_argument("--terminals", type=count, default=64)
    parser.add_argument("--seconds", type=rate, default=12)
    parser.add_argument("--workers", type=count, default=2)
    parser.add_argument("--threads", type=count, help="threads per worker (QURB_WORKER_THREADS)")
    parser.add_argument("--day-terminals", type=some, default=0, help="0: no counter's-day run")
    parser.add_argument("--day-seconds", type=rate, default=20)
    parser.add_argument("--day-rps", type=rate, default=DAY_RPS, help="the day's offered rate")
    parser.add_argument("--national", action="store_true", help="seed a national history first")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--no-paced", action="store_true", help="no paced collection run")
    parser.add_argument("--no-open", action="store_true", help="no open-model collection run")
    parser.add_argument(
        "--open-share",
        type=_at_least(0.01, float),
        default=OPEN_SHARE,
        help="the open model's rate, as a share of the closed loop's most",
    )
    parser.add_argument(
        "--integrate-wait",
        type=_at_least(0, float),
        default=0,
        help="seconds to wait for checkpoints covering the open run's leaves, to time "
        "integration (0: not measured; see bench/open_model.py)",
    )
    parser.add_argument("--prefix", help="figure name prefix (default: sqlite_ on SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = run(args, Path(tmp))
    postgres = (args.database_url or "").startswith("postgresql")
    prefix = args.prefix if args.prefix is not None else ("" if postgres else "sqlite_")
    for name, value in figures.items():
        print(f"{prefix}{name}={value}")


if __name__ == "__main__":
    main()
