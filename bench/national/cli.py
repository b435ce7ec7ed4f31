"""A national history in bulk: the database the growth benchmark measures against.

    python bench/national --database-url URL [--offices 8000] [--workers 3000000]
        [--collections 10000000] [--verify]

(or ``python -m national …`` from ``bench/``). Prints what was loaded, where the time went,
the database's size and, with ``--verify``, every foreign key checked.
"""

from __future__ import annotations

import argparse
import time

from .checks import database_size, foreign_key_violations
from .seed import seed_national


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
