"""Business months: contributions are due per calendar month, held as the ``date`` of its 1st.

A month as a ``date`` on day 1 sorts, compares and stores like any date; the functions that
take a business month refuse any other day, because a stray ``date.today()`` passed where a
month was meant would otherwise shift a contribution silently.
"""

from __future__ import annotations

import re
from datetime import date

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
MONTH_PROBLEM = "is not a month written YYYY-MM"


def _require_month(month: date) -> None:
    if month.day != 1:
        raise ValueError("a business month is the date of its 1st day")


def _index(month: date) -> int:
    return month.year * 12 + month.month - 1


def _from_index(index: int) -> date:
    year, month_zero = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise ValueError("the month is outside the years 1 to 9999")
    return date(year, month_zero + 1, 1)


def parse_month(text: str) -> date:
    """``"2025-03"`` → ``date(2025, 3, 1)``; anything else is a ``ValueError``."""
    match = _MONTH.fullmatch(text)
    if match is None:
        raise ValueError(MONTH_PROBLEM)
    year, month = int(match.group(1)), int(match.group(2))
    if year < 1 or not 1 <= month <= 12:
        raise ValueError(MONTH_PROBLEM)
    return date(year, month, 1)


def format_month(d: date) -> str:
    """The ``YYYY-MM`` form of the month ``d`` falls in."""
    return f"{d.year:04d}-{d.month:02d}"


def first_of_month(d: date) -> date:
    """The business month that ``d`` falls in."""
    return d.replace(day=1)


def add_months(month: date, n: int) -> date:
    """The month ``n`` months after ``month`` (before it when ``n`` is negative)."""
    _require_month(month)
    return _from_index(_index(month) + n)


def months_between(a: date, b: date) -> int:
    """How many months ``b`` is after ``a`` (negative when ``b`` is earlier)."""
    _require_month(a)
    _require_month(b)
    return _index(b) - _index(a)


def month_range(first: date, last: date) -> list[date]:
    """Every month from ``first`` to ``last`` inclusive; empty when ``last`` is earlier."""
    _require_month(first)
    _require_month(last)
    start = _index(first)
    return [_from_index(start + k) for k in range(_index(last) - start + 1)]
