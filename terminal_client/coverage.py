"""What an amount will pay for, read from the service's quote before any money is taken.

The service puts a payment on the oldest month still owed first, each month's late
surcharge before its due (``agent_api/domain/account.py``, ``allocate``); the quote it
answers lists every month with what is still outstanding, so walking that list in the same
order tells the operator which months the amount settles, before they confirm it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Coverage", "cover"]


@dataclass(frozen=True)
class Coverage:
    paid_in_full: list[str]  # months (YYYY-MM) the amount settles entirely, oldest first
    partly: tuple[str, int, int] | None  # (month, centimes it takes, centimes outstanding)
    owed_centimes: int  # all that the quote says is outstanding
    through: str  # the quote's last month (YYYY-MM)

    @property
    def too_much(self) -> bool:
        return not self.paid_in_full and self.partly is None


def cover(quote: Mapping[str, Any], amount_centimes: int) -> Coverage:
    """Months ``amount_centimes`` pays, oldest first; ``too_much`` when it exceeds the quote
    (the service refuses such a payment whole)."""
    lines: Iterable[Mapping[str, Any]] = sorted(quote["lines"], key=lambda line: line["month"])
    owed = sum(int(line["outstanding_centimes"]) for line in quote["lines"])
    through = str(quote["through"])[:7]
    if amount_centimes <= 0 or amount_centimes > owed:
        return Coverage([], None, owed, through)
    left, full = amount_centimes, []
    for line in lines:
        outstanding = int(line["outstanding_centimes"])
        if outstanding <= 0:
            continue
        month = str(line["month"])[:7]
        if left >= outstanding:
            full.append(month)
            left -= outstanding
        else:
            return Coverage(full, (month, left, outstanding), owed, through)
        if left == 0:
            break
    return Coverage(full, None, owed, through)
