"""Health rights: open while no due is older than the grace period; suspended beyond it;
after a suspension is cleared, a waiting period may apply before rights reopen.

Computed from the account's history alone (each payment or reversal and what it changed),
so the answer is the same whenever it is asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from agent_api.domain.months import add_months, months_between

Status = Literal["open", "suspended", "waiting"]


@dataclass(frozen=True)
class RightsRules:
    grace_months: int = 3
    waiting_months: int = 3


@dataclass(frozen=True)
class AccountEvent:
    """A payment or reversal: the month it happened and the due centimes it moved per
    month (negative for a reversal)."""

    month: date
    paid: Mapping[date, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Rights:
    status: Status
    covered_through: date | None
    oldest_unpaid: date | None
    reopens: date | None
    reason: str


def _oldest_unpaid(dues: Mapping[date, int], paid: Mapping[date, int], upto: date) -> date | None:
    for month in sorted(dues):
        if month > upto:
            return None
        if dues[month] > 0 and paid.get(month, 0) < dues[month]:
            return month
    return None


def _suspended(oldest: date | None, month: date, rules: RightsRules) -> bool:
    return oldest is not None and months_between(oldest, month) > rules.grace_months


def rights(
    dues: Mapping[date, int],
    events: Sequence[AccountEvent],
    current_month: date,
    rules: RightsRules,
) -> Rights:
    """``dues`` maps each month (coverage start to the horizon) to its due centimes."""
    paid: dict[date, int] = {}
    cleared: date | None = None
    for event in events:
        before = _suspended(_oldest_unpaid(dues, paid, event.month), event.month, rules)
        for month, amount in event.paid.items():
            paid[month] = paid.get(month, 0) + amount
        after = _suspended(_oldest_unpaid(dues, paid, event.month), event.month, rules)
        if before and not after:
            cleared = event.month
        elif after:
            cleared = None
    oldest = _oldest_unpaid(dues, paid, current_month)
    covered = None
    for month in sorted(dues):
        if dues[month] > 0 and paid.get(month, 0) >= dues[month]:
            covered = month
        else:
            break
    if _suspended(oldest, current_month, rules):
        assert oldest is not None
        return Rights(
            "suspended",
            covered,
            oldest,
            None,
            f"dues unpaid since {oldest:%Y-%m}, more than {rules.grace_months} months ago",
        )
    if cleared is not None:
        reopens = add_months(cleared, rules.waiting_months)
        if current_month < reopens:
            return Rights(
                "waiting",
                covered,
                oldest,
                reopens,
                f"arrears cleared in {cleared:%Y-%m}; rights reopen in {reopens:%Y-%m}",
            )
    reason = "every due is paid" if oldest is None else f"next due to pay: {oldest:%Y-%m}"
    return Rights("open", covered, oldest, None, reason)
