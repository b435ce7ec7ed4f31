"""A worker's account: what each month owes, what was paid, and where a payment goes.

A payment is allocated to the oldest unpaid month first; within a month a late surcharge
is paid before the due itself; what remains prepays future months up to the horizon. Every
allocation is whole centimes and they add up exactly to the payment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from agent_api.domain.months import months_between

AllocationKind = Literal["due", "surcharge"]


@dataclass(frozen=True)
class MonthLine:
    month: date
    due_centimes: int
    surcharge_centimes: int = 0
    paid_due_centimes: int = 0
    paid_surcharge_centimes: int = 0

    @property
    def outstanding_due(self) -> int:
        return max(0, self.due_centimes - self.paid_due_centimes)

    @property
    def outstanding_surcharge(self) -> int:
        return max(0, self.surcharge_centimes - self.paid_surcharge_centimes)

    @property
    def outstanding(self) -> int:
        return self.outstanding_due + self.outstanding_surcharge

    @property
    def covered(self) -> bool:
        """A month counts as covered only when its due is fully paid."""
        return self.due_centimes > 0 and self.paid_due_centimes >= self.due_centimes


@dataclass(frozen=True)
class Allocation:
    month: date
    kind: AllocationKind
    amount_centimes: int


class AmountTooLarge(ValueError):
    """The payment exceeds everything owed up to the prepayment horizon."""

    def __init__(self, maximum: int) -> None:
        super().__init__(f"at most {maximum} centimes can be taken now")
        self.maximum = maximum


def allocate(lines: Sequence[MonthLine], amount_centimes: int) -> list[Allocation]:
    """Where ``amount_centimes`` goes, oldest month first. ``lines`` must run up to the
    prepayment horizon; a payment larger than all they owe is refused whole."""
    if amount_centimes <= 0:
        raise ValueError("a payment is a positive amount")
    total = sum(line.outstanding for line in lines)
    if amount_centimes > total:
        raise AmountTooLarge(total)
    left = amount_centimes
    allocations = []
    for line in sorted(lines, key=lambda line: line.month):
        for kind, outstanding in (
            ("surcharge", line.outstanding_surcharge),
            ("due", line.outstanding_due),
        ):
            take = min(left, outstanding)
            if take > 0:
                allocations.append(Allocation(line.month, kind, take))  # type: ignore[arg-type]
                left -= take
        if left == 0:
            break
    assert sum(a.amount_centimes for a in allocations) == amount_centimes
    return allocations


@dataclass(frozen=True)
class SurchargeRule:
    """Late dues may carry a surcharge: ``bps_per_month`` of the due for every month it is
    late beyond ``after_months``. Off (0) by default; waived during an amnesty."""

    bps_per_month: int = 0
    after_months: int = 1

    def on(self, due_centimes: int, month: date, current_month: date) -> int:
        if self.bps_per_month <= 0 or due_centimes <= 0:
            return 0
        late = months_between(month, current_month) - self.after_months
        if late <= 0:
            return 0
        return (due_centimes * self.bps_per_month * late + 5_000) // 10_000
