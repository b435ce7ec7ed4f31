"""``make bench``: every benchmark in one run on this machine, their figures printed last,
one ``name=value`` a line (PostgreSQL figures bare, SQLite ones prefixed ``sqlite_``).

1. ``load.py`` on SQLite: signed collections against the floor of the same stack, back to
   back, then at a constant arrival rate of 80 % of that most (the open model:
   ``collect_open_*``, ``collect_accept_p99_ms``; ``integrate_*`` and ``checkpoint_*``
   while ``INTEGRATE_WAIT`` is set).
2. ``load.py`` on PostgreSQL: the same, then 2,000 counters working a day (100 requests a
   second in all, half of them collections).
3. ``processes.py`` on PostgreSQL: the collections served by 1, 2 and then 4 server
   processes sharing the database, per second and per CPU-second of the servers
   (``collect_per_s_procsN``, ``collect_per_cpu_s_procsN``): what adding a host costs.
4. ``recon_scale.py`` on SQLite and on PostgreSQL: a 1,000,000-line day reconciled.
5. ``load.py --national`` on PostgreSQL: the collection run again, on a database holding a
   national history (8,000 offices, 3,000,000 workers, 10,000,000 collections);
   ``growth_ratio`` is its throughput over step 2's, on the empty database.
6. ``login_flood.py`` on PostgreSQL: a counter's collections alone, then under a 30 s flood
   of 20 concurrent bad back-office sign-ins (``flood_p99_ratio``, goal at most 2).
7. ``proofs.py`` on SQLite and on PostgreSQL: an inclusion proof of a random old leaf from
   the tiles of a 10,000,000-leaf log (``proof_ms_national``) beside a 1,000-leaf one
   (``proof_ms_small``): flat, not linear. About a minute each.

The PostgreSQL runs use ``QURB_BENCH_DATABASE_URL`` (default: database ``qurb_bench`` on the
local server, created when missing). Each run drops and recreates its ``public`` schema, and
the national history (about 23 GB) is dropped at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/qurb_bench"
DAY_TERMINALS = "2000"
PROCESSES = (1, 2, 4)  # server processes sharing one PostgreSQL
# Seconds load.py waits after its open run for the leaves to be sequenced and covered by a
# signed checkpoint, to print integrate_* (acceptance to the leaf's index: the batched
# sequencer's delay) and checkpoint_* (to the first signed checkpoint covering it, one a
# second in the benchmark) (bench/load.py). Both come well within a second; the wait only
# bounds a run whose sequencer stalled, and such a run's figures say so.
INTEGRATE_WAIT = 10


def _ensure_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        exists = c.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
        ).first()
        if exists is None:
            c.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def _empty(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def _run(script: str, *args: str) -> dict[str, str]:
    command = [sys.executable, str(HERE / script), *args]
    print("$", " ".join(command[1:]), flush=True)
    began = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr[-4000:])
    print(f"({time.monotonic() - began:.0f} s)", flush=True)
    if done.returncode != 0:
        raise SystemExit(f"{script} failed with exit code {done.returncode}")
    return dict(
        line.split("=", 1) for line in done.stdout.splitlines() if "=" in line and " " not in line
    )


def main() -> None:
    pg = os.environ.get("QURB_BENCH_DATABASE_URL", DEFAULT_PG)
    _ensure_database(pg)
    began = time.monotonic()
    figures: dict[str, str] = {}
    try:
        integrate = ["--integrate-wait", str(INTEGRATE_WAIT)]
        figures.update(_run("load.py", *integrate))
        figures.update(
            _run("load.py", "--database-url", pg, "--day-terminals", DAY_TERMINALS, *integrate)
        )
        counts = ",".join(str(n) for n in PROCESSES)
        figures.update(_run("processes.py", "--database-url", pg, "--processes", counts))
        figures.update(_run("recon_scale.py"))
        figures.update(_run("recon_scale.py", "--database-url", pg))
        figures.update(_run("login_flood.py", "--database-url", pg))
        figures.update(_run("proofs.py"))
        figures.update(_run("proofs.py", "--database-url", pg))
        figures.update(_run("sfv_parse.py"))
        national = _run(
            "load.py",
            "--database-url",
            pg,
            "--national",
            "--no-floor",
            "--no-paced",
            "--no-open",
            "--prefix",
            "national_",
        )
        figures.update(national)
    finally:
        _empty(pg)
    figures["growth_ratio"] = (
        f"{float(national['national_collect_rps']) / float(figures['collect_rps']):.2f}"
    )
    figures["bench_seconds"] = f"{time.monotonic() - began:.0f}"
    print("\n# figures")
    for name, value in figures.items():
        print(f"{name}={value}")
    cores = int(figures.get("procs_cores", "0"))
    if 0 < cores < max(PROCESSES):
        print(
            f"# {max(PROCESSES)} server processes on {cores} cores, beside the load generator"
            " and PostgreSQL, are oversubscribed: read collect_per_cpu_s_procsN, the cost of"
            " adding a host, rather than collect_per_s_procsN"
        )


if __name__ == "__main__":
    main()
