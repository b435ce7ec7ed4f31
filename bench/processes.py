"""Collections per CPU-second with 1, 2 and 4 server processes against one PostgreSQL: what
adding a host costs.

    python bench/processes.py --database-url URL [--processes 1,2,4] [--terminals 64]
                              [--seconds 8] [--warmup 2] [--threads N]

For each count N, N separate ``qurb-api`` processes (uvicorn, one worker each, each on its own
port of 127.0.0.1), as N hosts behind a load balancer would be, share one database. The
counters (``bench/counters.py``) keep one connection each, dealt over the processes in turn so
that each gets the same share, and send the same closed-loop collections as ``load.py``'s
``collect`` run for ``--seconds``, after ``--warmup`` seconds that are not measured (a new
process opens its database connections and fills its caches then).

Prints, for each N: ``collect_per_s_procsN``; ``collect_per_cpu_s_procsN``, collections per
CPU-second the server processes used (``/proc/<pid>/stat`` utime + stime of each process and
its children, read before and after); ``collect_db_cpu_ms_procsN``, the CPU the database's
backends spent per collection (one PostgreSQL for all the hosts); and ``procs_cores``, the
cores this machine has. With fewer cores than processes (plus the load generator and the
database, on the same machine), the processes take turns on the same cores: throughput
cannot grow, and the figure to read is collections per CPU-second, which shows what each
added process costs in itself (its own pools, caches and checkpoint task) and in contention
on the shared database.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import counters
import load

from agent_api.settings import Settings

PROCESSES = (1, 2, 4)
# Three counts, each warmed and measured: 64 counters of 24 workers leave room for about
# 20,000 collections, 3 x 10 s at up to 650 a second.
WORKERS_PER_TERMINAL = 24


def processes(text: str) -> tuple[int, ...]:
    """An argparse type: counts of processes, comma-separated, each 1 to 16 and once."""
    try:
        counts = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not counts like 1,2,4: {text!r}") from None
    if not counts or any(not 1 <= n <= 16 for n in counts):
        raise argparse.ArgumentTypeError(f"each count must be 1 to 16, not {text}")
    if len(set(counts)) < len(counts):  # a repeat would overwrite the first run's figures
        raise argparse.ArgumentTypeError(f"each count once, not {text}")
    return counts


def per_cpu_second(requests: int, cpu_seconds: float) -> float:
    """Requests served per CPU-second used; 0 when no CPU was counted."""
    return requests / cpu_seconds if cpu_seconds > 0 else 0.0


def count_figures(count: int, done: load.Measured) -> dict[str, str]:
    """The figures of the run with ``count`` processes: per second, per CPU-second of the
    server processes (the database's backends apart: they are the shared database's cost,
    ``collect_db_cpu_ms_procsN``), the p99 and the errors."""
    server_seconds = done.server_cpu_ms * done.requests / 1000
    return {
        f"collect_per_s_procs{count}": f"{done.rps:.1f}",
        f"collect_per_cpu_s_procs{count}": f"{per_cpu_second(done.requests, server_seconds):.1f}",
        f"collect_db_cpu_ms_procs{count}": f"{done.db_cpu_ms:.2f}",
        f"collect_p99_ms_procs{count}": f"{done.p99_ms:.1f}",
        f"collect_errors_procs{count}": str(done.errors),
    }


@contextmanager
def fleet(count: int, env: dict[str, str], work: Path, db: str) -> Iterator[list[load.Server]]:
    """``count`` server processes, started together, stopped at the end."""
    with ExitStack() as stack:
        command = load._uvicorn(1, "qurb.asgi:app_from_env")
        servers = []
        for n in range(count):
            server = load.Server(command, env, work / f"server-{count}-{n}.log", db, wait=False)
            stack.callback(server.stop)
            servers.append(server)
        for server in servers:
            server.ready()
        yield servers


def run(args: argparse.Namespace, work: Path) -> dict[str, str]:
    url = args.database_url
    db = make_url(url).database
    assert db is not None
    settings = Settings(
        environment="test",
        database_url=url,
        key_dir=work / "keys",
        password_time_cost=1,
        password_memory_kib=1024,
        **({"worker_threads": args.threads} if args.threads else {}),
    ).with_keys({})
    load._fresh(url)
    collecting = counters.seed(settings, args.terminals)
    metrics = work / "metrics"
    metrics.mkdir()
    env = load._env(settings, metrics)
    rng = random.Random(11)  # noqa: S311  (a load mix, not secrets)
    room = counters.Room()
    figures: dict[str, str] = {"procs_cores": str(os.cpu_count() or 0)}
    for count in args.processes:
        with fleet(count, env, work, db) as servers:
            if not room.left:
                started = time.monotonic()
                counters.prepare(servers[0].base, collecting, WORKERS_PER_TERMINAL, room)
                print(f"prepared {len(collecting)} terminals in {time.monotonic() - started:.0f} s")
            if args.warmup:
                load.measure(
                    servers,
                    [counters.collect_stream(t, rng, room) for t in collecting],
                    args.warmup,
                )
            done = load.measure(
                servers, [counters.collect_stream(t, rng, room) for t in collecting], args.seconds
            )
        print(f"{count} processes: {done.statuses()}", flush=True)
        figures.update(count_figures(count, done))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database")
    parser.add_argument("--processes", type=processes, default=PROCESSES)
    parser.add_argument("--terminals", type=load._at_least(1, int), default=64)
    parser.add_argument("--seconds", type=load._at_least(0.1, float), default=8)
    parser.add_argument("--warmup", type=load._at_least(0, float), default=2)
    parser.add_argument("--threads", type=load._at_least(1, int), help="QURB_WORKER_THREADS")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("--database-url: processes share one PostgreSQL (SQLite is one host's)")
    cores = os.cpu_count() or 0
    if max(args.processes) > cores:
        print(
            f"# {max(args.processes)} processes on {cores} cores (with the load generator and"
            " PostgreSQL): oversubscribed; read collections per CPU-second, not per second",
            flush=True,
        )
    with tempfile.TemporaryDirectory() as tmp:
        figures = run(args, Path(tmp))
    for name, value in figures.items():
        print(f"{name}={value}")


if __name__ == "__main__":
    main()
