"""``qurb-reconcile``: the daily reconciliation run, step by step.

This slice provides the first step, ``close``: business day D (default: yesterday in
Africa/Casablanca) is closed for every network, or the ones named.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date, timedelta

from agent_api.clock import CASABLANCA, utc_now
from agent_api.errors import QurbError
from agent_api.persistence.db import build_engine
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.settings import Settings
from reconciliation.closing import DayCloser, UnknownNetwork


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except (QurbError, UnknownNetwork) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qurb-reconcile", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="STEP")
    close = sub.add_parser("close", help="close business day D per network")
    close.add_argument("--date", type=date.fromisoformat, help="YYYY-MM-DD (default: yesterday)")
    close.add_argument("--network", action="append", help="a network code (default: all)")
    close.set_defaults(run=_close)
    return parser


def yesterday() -> date:
    return utc_now().astimezone(CASABLANCA).date() - timedelta(days=1)


def _close(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    engine = build_engine(settings.database_url, pool_size=2)
    try:
        closer = DayCloser(lambda: UnitOfWork(engine), utc_now)
        day = args.date or yesterday()
        for closed in closer.close(day, networks=args.network, by="qurb-reconcile"):
            state = "closed" if closed.closed_now else "already closed"
            print(
                f"{closed.network:<12} {closed.business_date.isoformat()}  {state:<15}"
                f" {closed.collections:>7} collections  {closed.gross_centimes:>14} centimes"
            )
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
