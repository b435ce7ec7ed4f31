"""Health rights: open while no due is older than the grace period; suspended beyond it;
after a suspension is cleared, a waiting period may apply before rights reopen.

Computed from the account's history alone (each payment or reversal and what it changed),
so the answer is the same whenever it is asked. The rules, in words, are docs/account.md.

Every answer carries a ``reason_code`` saying which rule decided it, with the month a person
needs next:

- ``paid_up``: every due to date is paid;
- ``within_grace``: dues are unpaid but rights stay open through ``open_until``;
- ``not_started``: coverage starts in a later month, ``coverage_starts``;
- ``suspended``: a due is unpaid beyond the grace, the oldest being ``oldest_unpaid``;
- ``waiting``: arrears were cleared after a suspension; rights reopen in ``reopens``.

A reversal never moves the money of other payments: a month whose payment was reversed
stays unpaid even when a later month is paid. Such months are listed in ``gaps`` (and in
``unpaid_months``), and the next payment goes to them first (oldest unpaid month first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from agent_api.domain.months import add_months, months_between

Status = Literal["open", "suspended", "waiting"]
ReasonCode = Literal["paid_up", "within_grace", "not_started", "suspended", "waiting"]


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
    covered_through: date | None  # the last month of the unbroken paid run from the start
    oldest_unpaid: date | None
    reopens: date | None
    reason: str
    reason_code: ReasonCode = "paid_up"
    open_until: date | None = None  # within the grace: the last month rights stay open
    coverage_starts: date | None = None  # not started: the first month of coverage
    paid_through: date | None = None  # the latest month whose due is fully paid
    # Months up to the later of this month and ``paid_through`` whose due is not fully paid.
    unpaid_months: tuple[date, ...] = ()
    # Those of them before ``paid_through``: holes left by a reversal, filled first.
    gaps: tuple[date, ...] = ()


def _oldest_unpaid(dues: Mapping[date, int], paid: Mapping[date, int], upto: date) -> date | None:
    for month in sorted(dues):
        if month > upto:
            return None
        if dues[month] > 0 and paid.get(month, 0) < dues[month]:
            return month
    return None


def _suspended(oldest: date | None, month: date, rules: RightsRules) -> bool:
    return oldest is not None and months_between(oldest, month) > rules.grace_months


def _month(m: date) -> str:
    return f"{m:%Y-%m}"


def rights(
    dues: Mapping[date, int],
    events: Sequence[AccountEvent],
    current_month: date,
    rules: RightsRules,
    *,
    coverage_start: date | None = None,
) -> Rights:
    """``dues`` maps each month (coverage start to the horizon) to its due centimes;
    ``coverage_start`` is the worker's first month of coverage, when known."""
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
    fully_paid = sorted(m for m, due in dues.items() if due > 0 and paid.get(m, 0) >= due)
    paid_through = fully_paid[-1] if fully_paid else None
    covered = None
    for month in sorted(dues):
        if dues[month] > 0 and paid.get(month, 0) >= dues[month]:
            covered = month
        else:
            break
    upto = max(current_month, paid_through) if paid_through else current_month
    unpaid = tuple(
        m for m in sorted(dues) if m <= upto and dues[m] > 0 and paid.get(m, 0) < dues[m]
    )
    gaps = tuple(m for m in unpaid if paid_through is not None and m < paid_through)
    facts = Rights(
        "open",
        covered,
        oldest,
        None,
        "",
        paid_through=paid_through,
        unpaid_months=unpaid,
        gaps=gaps,
    )
    hole = (
        f"; {', '.join(_month(m) for m in gaps)} unpaid although {_month(paid_through)} is "
        "paid: the next payment goes there first"
        if gaps and paid_through is not None
        else ""
    )
    if coverage_start is not None and coverage_start > current_month:
        ahead = f"; dues prepaid through {_month(paid_through)}" if paid_through else ""
        return replace(
            facts,
            reason=f"coverage has not started: it starts in {_month(coverage_start)}{ahead}",
            reason_code="not_started",
            coverage_starts=coverage_start,
        )
    if _suspended(oldest, current_month, rules):
        assert oldest is not None
        return replace(
            facts,
            status="suspended",
            reason=(
                f"suspended: dues unpaid since {_month(oldest)}, more than "
                f"{rules.grace_months} months ago; once the arrears are paid, rights reopen "
                f"after a waiting period of {rules.waiting_months} months{hole}"
            ),
            reason_code="suspended",
        )
    if cleared is not None:
        reopens = add_months(cleared, rules.waiting_months)
        if current_month < reopens:
            return replace(
                facts,
                status="waiting",
                reopens=reopens,
                reason=(
                    f"arrears cleared in {_month(cleared)} after a suspension; rights reopen "
                    f"in {_month(reopens)}{hole}"
                ),
                reason_code="waiting",
            )
    if oldest is None:
        ahead = (
            f"; paid ahead through {_month(paid_through)}"
            if paid_through is not None and paid_through > current_month
            else ""
        )
        return replace(
            facts,
            reason=f"open: every due through {_month(current_month)} is paid{ahead}{hole}",
            reason_code="paid_up",
        )
    open_until = add_months(oldest, rules.grace_months)
    return replace(
        facts,
        reason=(
            f"open within the grace period until {_month(open_until)}: dues unpaid since "
            f"{_month(oldest)}; rights are suspended from {_month(add_months(open_until, 1))} "
            f"unless they are paid{hole}"
        ),
        reason_code="within_grace",
        open_until=open_until,
    )
