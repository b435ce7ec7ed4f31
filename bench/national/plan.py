"""The plan of a history: everything small, computed in Python before the load. It holds the
registry rows and the lookup tables the bulk statements read, and the numbers that shape the
history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from agent_api.clock import CASABLANCA

TWO_TERMINAL_SHARE = 0.5  # offices with a second counter
OFFLINE_EVERY = 40  # one collection in 40 arrives store-and-forward, 30 minutes late
DOUBLE_EVERY = 5  # one collection in 5 pays the month and the next (a prepayment)
OPEN_SECONDS, SPREAD_SECONDS = 8 * 3600, 12 * 3600  # counters collect 08:00-20:00 local
HORIZON_MONTHS = 12  # the service's default prepayment horizon
SLOTS = 1000  # category mix resolution


@dataclass
class Plan:
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


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def local_midnight(day: date) -> int:
    return epoch(datetime(day.year, day.month, day.day, tzinfo=CASABLANCA))


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda k: (total * weights[k]) % whole, reverse=True)
    for k in order[: total - sum(shares)]:
        shares[k] += 1
    assert sum(shares) == total
    return shares
