"""Business months: the 1st of each month, parsed, printed and counted without surprises."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_api.domain.months import (
    add_months,
    first_of_month,
    format_month,
    month_range,
    months_between,
    parse_month,
)

SETTINGS = settings(max_examples=200, deadline=None, database=None)
months = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 1)).map(first_of_month)


def test_a_month_is_read_and_written_as_yyyy_mm() -> None:
    assert parse_month("2025-03") == date(2025, 3, 1)
    assert format_month(date(2025, 3, 17)) == "2025-03"


@pytest.mark.parametrize(
    "text", ["2025-3", "2025-13", "2025-00", "25-03", "2025/03", "2025-03-01", ""]
)
def test_anything_but_yyyy_mm_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(text)


def test_adding_months_crosses_year_ends_both_ways() -> None:
    assert add_months(date(2024, 11, 1), 3) == date(2025, 2, 1)
    assert add_months(date(2025, 1, 1), -1) == date(2024, 12, 1)
    assert add_months(date(2025, 1, 1), 0) == date(2025, 1, 1)


def test_a_day_other_than_the_first_is_not_a_business_month() -> None:
    with pytest.raises(ValueError, match="1st day"):
        add_months(date(2025, 1, 31), 1)
    with pytest.raises(ValueError, match="1st day"):
        months_between(date(2025, 1, 1), date(2025, 2, 2))


def test_months_between_counts_calendar_months() -> None:
    assert months_between(date(2024, 12, 1), date(2025, 1, 1)) == 1
    assert months_between(date(2025, 6, 1), date(2025, 1, 1)) == -5


def test_a_month_range_includes_both_ends() -> None:
    assert month_range(date(2024, 11, 1), date(2025, 2, 1)) == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
    ]
    assert month_range(date(2025, 2, 1), date(2025, 2, 1)) == [date(2025, 2, 1)]
    assert month_range(date(2025, 2, 1), date(2025, 1, 1)) == []


@SETTINGS
@given(months, st.integers(min_value=-1200, max_value=1200))
def test_adding_n_months_puts_the_result_n_months_later(month: date, n: int) -> None:
    later = add_months(month, n)
    assert later.day == 1
    assert months_between(month, later) == n
    assert add_months(later, -n) == month


@SETTINGS
@given(months)
def test_formatting_then_parsing_gives_back_the_month(month: date) -> None:
    assert parse_month(format_month(month)) == month
