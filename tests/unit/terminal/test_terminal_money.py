"""Amounts as the counter prints them and as operators type them, always in centimes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal_client.i18n import translator
from terminal_client.money import AmountError, format_mad, parse_mad


@pytest.mark.parametrize(
    ("centimes", "shown"),
    [
        (123456, "1 234,56 MAD"),
        (0, "0,00 MAD"),
        (5, "0,05 MAD"),
        (21800, "218,00 MAD"),
        (100_000_000, "1 000 000,00 MAD"),
        (-123456, "-1 234,56 MAD"),
        (-5, "-0,05 MAD"),
    ],
)
def test_amounts_print_with_space_thousands_a_decimal_comma_and_two_decimals(
    centimes: int, shown: str
) -> None:
    assert format_mad(centimes) == shown


@pytest.mark.parametrize(
    ("typed", "centimes"),
    [
        ("218", 21800),
        ("218,5", 21850),
        ("218.50", 21850),
        ("218,05", 21805),
        ("1 234,56", 123456),
        ("1234,56 MAD", 123456),
        ("  1 234,56 mad ", 123456),
        ("1\u00a0234,56\u00a0MAD", 123456),  # pasted from a French document
        ("218 DH", 21800),
        ("0", 0),
        ("0,10", 10),
        ("٢١٨٫٥", 21850),  # an Arabic keyboard's digits and decimal separator
        ("۲۱۸", 21800),
    ],
)
def test_what_an_operator_types_reads_as_exact_centimes(typed: str, centimes: int) -> None:
    assert parse_mad(typed) == centimes


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "Enter an amount"),
        ("   ", "Enter an amount"),
        ("MAD", "Enter an amount"),
        ("-5", "cannot be negative"),
        ("-1 234,56", "cannot be negative"),
        ("218,505", "at most two decimals"),
        ("218.123", "at most two decimals"),
        ("abc", "in digits"),
        ("12a", "in digits"),
        ("1e3", "in digits"),
        ("1_000", "in digits"),
        ("1 23,00", "in digits"),
        ("1,234.56", "in digits"),
        ("218,", "in digits"),
        (",50", "in digits"),
        ("1234567890", "too large"),
    ],
)
def test_unreadable_amounts_are_refused_with_a_message_saying_why(typed: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_mad(typed)


def test_the_refusal_can_be_shown_in_the_operators_language() -> None:
    with pytest.raises(AmountError) as caught:
        parse_mad("218,505")
    assert translator("fr")(caught.value.message_id) == (
        "Un montant a au plus deux décimales (centimes)."
    )


@given(st.integers(min_value=0, max_value=99_999_999_999))
def test_every_printed_amount_reads_back_to_the_same_centimes(centimes: int) -> None:
    assert parse_mad(format_mad(centimes)) == centimes
