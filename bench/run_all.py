"""``make bench``: every benchmark in one run on this machine, their figures printed last,
one ``name=value`` a line (PostgreSQL figures bare, SQLite ones prefixed ``sqlite_``).

The PostgreSQL half uses ``QURB_BENCH_DATABASE_URL`` (default: database ``qurb_bench`` on
the local server, created when missing; its ``public`` schema is dropped and recreated).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/qurb_bench"


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


def _run(script: str, *args: str) -> list[str]:
    command = [sys.executable, str(HERE / script), *args]
    print("$", " ".join(command[1:]), flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        raise SystemExit(f"{script} failed with exit code {done.returncode}")
    return [line for line in done.stdout.splitlines() if "=" in line and " " not in line]


def main() -> None:
    pg = os.environ.get("QURB_BENCH_DATABASE_URL", DEFAULT_PG)
    _ensure_database(pg)
    figures = [
        *_run("load.py"),
        *_run("load.py", "--database-url", pg),
        *_run("recon_scale.py"),
    ]
    print("\n# figures")
    for line in figures:
        print(line)


if __name__ == "__main__":
    main()
