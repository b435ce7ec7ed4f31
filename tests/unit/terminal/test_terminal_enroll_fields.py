"""Each enrollment answer is checked as it is typed, by the same rules the service applies."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_api.domain.identity import check_latin_name, normalize_cin, normalize_phone
from terminal_client.fields import (
    check_birth_date,
    check_cin,
    check_city,
    check_month,
    check_name,
    check_phone,
)


def _service_accepts(check: object, text: str) -> bool:
    assert callable(check)
    try:
        check(text)
    except ValueError:
        return False
    return True


PHONE_LIKE = st.text(alphabet="+0123456789 .-", max_size=16) | st.sampled_from(
    ["0612345678", "+212612345678", "00212 5 22 33 44 55", "07.11.22.33.44", "0812345678"]
)


@given(PHONE_LIKE)
def test_the_terminal_accepts_a_phone_number_exactly_when_the_service_does(text: str) -> None:
    assert (check_phone(text) is None) == _service_accepts(normalize_phone, text)


@given(st.text(alphabet="ABEKZabez 0123456789-", max_size=10))
def test_the_terminal_accepts_a_cin_exactly_when_the_service_does(text: str) -> None:
    assert (check_cin(text) is None) == _service_accepts(normalize_cin, text)


@given(st.text(alphabet="abcXYZéèç' -’1", max_size=12))
def test_the_terminal_accepts_a_name_exactly_when_the_service_does(text: str) -> None:
    assert (check_name(text) is None) == _service_accepts(check_latin_name, text)


@pytest.mark.parametrize("text", ["1985-02-30", "2023-02-29", "1990-13-01", "1990-04-31"])
def test_a_date_that_is_not_in_the_calendar_is_refused_at_once(text: str) -> None:
    assert check_birth_date(text) is not None


def test_a_real_date_in_the_past_is_accepted() -> None:
    assert check_birth_date("2024-02-29", today=date(2026, 1, 1)) is None
    assert check_birth_date("2026-01-02", today=date(2026, 1, 1)) is not None


@pytest.mark.parametrize("text", ["0612345678", "+212 6 12 34 56 78", "06.12.34.56.78", "123456"])
def test_a_phone_number_typed_as_the_city_is_refused(text: str) -> None:
    assert check_city(text) is not None


@pytest.mark.parametrize("text", ["Rabat", "Aït Melloul", "Dar Bouazza 2", "العيون"])
def test_a_city_name_is_accepted(text: str) -> None:
    assert check_city(text) is None


@pytest.mark.parametrize(("text", "ok"), [("2026-01", True), ("2026-13", False), ("26-01", False)])
def test_a_month_is_year_dash_month(text: str, ok: bool) -> None:
    assert (check_month(text) is None) is ok
