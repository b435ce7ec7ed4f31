"""Registration numbers: 10 digits whose Damm check digit catches the usual copying mistakes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_api.domain.registration_number import (
    DAMM_TABLE,
    REGISTRATION_NUMBER,
    check_digit,
    format_registration_number,
    is_valid_registration_number,
)

# Explicit examples only: no example database written into the working tree.
SETTINGS = settings(max_examples=300, deadline=None, database=None)
serials = st.integers(min_value=1, max_value=999_999_999)


def test_the_published_damm_example_572_has_check_digit_4() -> None:
    assert check_digit("572") == "4"
    assert check_digit("5724") == "0"


def test_a_serial_is_zero_padded_to_nine_digits_and_followed_by_its_check_digit() -> None:
    number = format_registration_number(572)
    assert number == "0000005724"
    assert REGISTRATION_NUMBER.fullmatch(number)
    assert is_valid_registration_number(number)


@pytest.mark.parametrize("serial", [0, -1, 1_000_000_000])
def test_serials_outside_one_to_999999999_are_refused(serial: int) -> None:
    with pytest.raises(ValueError, match="between 1 and 999999999"):
        format_registration_number(serial)


@pytest.mark.parametrize("digits", ["", "12a", "١٢٣", "12 3"])
def test_a_check_digit_is_only_computed_on_ascii_digits(digits: str) -> None:
    with pytest.raises(ValueError, match="ASCII digits"):
        check_digit(digits)


@pytest.mark.parametrize(
    "text",
    ["000000572", "00000057244", "0000005724\n", " 0000005724", "000000572A", "0000000000"],
)
def test_anything_but_an_issued_ten_digit_number_is_invalid(text: str) -> None:
    assert not is_valid_registration_number(text)


@SETTINGS
@given(serials)
def test_every_issued_number_is_valid(serial: int) -> None:
    assert is_valid_registration_number(format_registration_number(serial))


@SETTINGS
@given(serials)
def test_every_single_digit_mistake_is_caught(serial: int) -> None:
    number = format_registration_number(serial)
    for position in range(10):
        for digit in "0123456789":
            if digit != number[position]:
                typo = number[:position] + digit + number[position + 1 :]
                assert not is_valid_registration_number(typo), typo


@SETTINGS
@given(serials)
def test_every_swap_of_two_neighbouring_digits_is_caught(serial: int) -> None:
    number = format_registration_number(serial)
    for position in range(9):
        a, b = number[position], number[position + 1]
        if a != b:
            swapped = number[:position] + b + a + number[position + 2 :]
            assert not is_valid_registration_number(swapped), swapped


def test_the_table_is_a_totally_anti_symmetric_quasigroup_with_a_zero_diagonal() -> None:
    digits = set(range(10))
    assert all(set(row) == digits for row in DAMM_TABLE)
    assert all({row[column] for row in DAMM_TABLE} == digits for column in range(10))
    assert all(DAMM_TABLE[i][i] == 0 for i in range(10))
    for c in range(10):
        for x in range(10):
            for y in range(10):
                if x != y:
                    assert DAMM_TABLE[DAMM_TABLE[c][x]][y] != DAMM_TABLE[DAMM_TABLE[c][y]][x]
