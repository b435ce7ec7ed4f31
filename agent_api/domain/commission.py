"""A network's commission rule: a fixed amount per transaction and/or basis points.

All integer centimes. The proportional part rounds half up to the centime (documented so a
network can recompute every settlement itself): ``(amount × bps + 5000) // 10000``.

A rule is effective-dated. A network is created with a rule in force from its first day; the
CNSS admin may announce a new one from a future business date (the day after the current
business day or later), so a day already collected, closed or settled never changes meaning.
The rule of a day is the last one announced from that day or before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from agent_api.domain.business_day import business_date

MAX_BASIS_POINTS = 10_000


@dataclass(frozen=True)
class CommissionRule:
    fixed_centimes: int = 0
    basis_points: int = 0

    def __post_init__(self) -> None:
        if self.fixed_centimes < 0:
            raise ValueError("fixed_centimes must not be negative")
        if not 0 <= self.basis_points <= MAX_BASIS_POINTS:
            raise ValueError("basis_points must be between 0 and 10000")

    def on(self, amount_centimes: int) -> int:
        """The commission on one transaction of ``amount_centimes``."""
        proportional = (amount_centimes * self.basis_points + 5_000) // 10_000
        return self.fixed_centimes + proportional


@dataclass(frozen=True)
class DatedRule:
    """A rule and the first business day it applies to; ``effective_from`` is ``None`` for
    the rule the network was created with (in force from its first day)."""

    rule: CommissionRule
    effective_from: date | None


def rule_on(day: date, initial: CommissionRule, changes: Iterable[DatedRule]) -> DatedRule:
    """The rule in force on business day ``day``: the change with the latest
    ``effective_from`` on or before ``day``, else the network's initial rule."""
    best = DatedRule(initial, None)
    for change in changes:
        start = change.effective_from
        if start is None or start > day:
            continue
        if best.effective_from is None or start > best.effective_from:
            best = change
    return best


def first_changeable_day(now: datetime, cutoff: time = time(0, 0)) -> date:
    """The earliest business date a new rule may start from: after today in Casablanca and
    after the business day collections now join (later than today past the cutoff), so no
    collection already taken ever changes its commission."""
    return business_date(now, cutoff) + timedelta(days=1)
