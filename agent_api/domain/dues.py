"""Monthly dues of a worker: one due per month from the coverage start, each computed from
the category the worker was in that month and the tariff in force that month.

A tariff change next year never alters a past month: each month looks up its own rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from agent_api.domain.months import add_months
from agent_api.domain.tariff import Rate, monthly_contribution, rate_for


@dataclass(frozen=True)
class CategoryPeriod:
    category: str
    bracket: str
    effective_from: date  # first of a month


@dataclass(frozen=True)
class MonthlyDue:
    month: date
    category: str
    bracket: str
    base_centimes: int
    rate_bps: int
    due_centimes: int


def category_on(periods: Sequence[CategoryPeriod], month: date) -> CategoryPeriod | None:
    current = None
    for period in sorted(periods, key=lambda p: p.effective_from):
        if period.effective_from <= month:
            current = period
    return current


def monthly_dues(
    periods: Sequence[CategoryPeriod],
    rates: Sequence[Rate],
    *,
    first: date,
    last: date,
    counter_categories: frozenset[str],
) -> list[MonthlyDue]:
    """The dues of every month from ``first`` to ``last`` inclusive.

    Months in a category not collected at the counter (CPU: through the tax) or declared
    per day (fishing: dues come from declarations) have no flat monthly due here.
    """
    dues = []
    month = first
    while month <= last:
        period = category_on(periods, month)
        if period is not None and period.category in counter_categories:
            rate = rate_for(rates, period.category, period.bracket, month)
            dues.append(
                MonthlyDue(
                    month=month,
                    category=period.category,
                    bracket=period.bracket,
                    base_centimes=rate.base_centimes,
                    rate_bps=rate.rate_bps,
                    due_centimes=monthly_contribution(rate.base_centimes, rate.rate_bps),
                )
            )
        month = add_months(month, 1)
    return dues
