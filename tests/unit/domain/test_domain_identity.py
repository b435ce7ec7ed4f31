"""Identity fields: CIN, phone numbers, names and ages as the counter receives them."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_api.domain.identity import (
    age_on,
    check_arabic_name,
    check_city,
    check_latin_name,
    mask_cin,
    normalize_cin,
    normalize_phone,
)

SETTINGS = settings(max_examples=200, deadline=None, database=None)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("ab123456", "AB123456"), (" BE 12-34 56 ", "BE123456"), ("J123", "J123"), ("x999", "X999")],
)
def test_a_cin_is_stored_upper_case_without_spaces_or_hyphens(typed: str, stored: str) -> None:
    assert normalize_cin(typed) == stored


@pytest.mark.parametrize(
    "typed", ["", "123456", "ABC123", "A12", "A1234567", "AB12.34", "ÉB1234", "AB١٢٣٤"]
)
def test_a_malformed_cin_is_refused_without_repeating_it(typed: str) -> None:
    with pytest.raises(ValueError, match="one or two letters followed by 3 to 6 digits") as info:
        normalize_cin(typed)
    if typed:
        assert typed not in str(info.value)


@SETTINGS
@given(st.from_regex(r"[A-Z]{1,2}[0-9]{3,6}", fullmatch=True))
def test_a_masked_cin_shows_only_its_last_three_characters(cin: str) -> None:
    masked = mask_cin(cin)
    assert len(masked) == len(cin)
    assert masked.endswith(cin[-3:])
    assert set(masked[:-3]) <= {"*"}


def test_a_cin_of_three_characters_or_fewer_is_masked_entirely() -> None:
    assert mask_cin("A12") == "***"


@pytest.mark.parametrize(
    "typed",
    [
        "+212 6 12 34 56 78",
        "00212612345678",
        "0612345678",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "+212612345678",
    ],
)
def test_moroccan_phone_numbers_are_stored_in_e164(typed: str) -> None:
    assert normalize_phone(typed) == "+212612345678"


def test_fixed_lines_and_both_mobile_ranges_are_accepted() -> None:
    assert normalize_phone("0522 12 34 56") == "+212522123456"
    assert normalize_phone("07 00 00 00 00") == "+212700000000"


@pytest.mark.parametrize(
    "typed",
    ["", "612345678", "0812345678", "+33612345678", "+2120612345678", "061234567", "06123456789"],
)
def test_a_number_that_is_not_moroccan_is_refused(typed: str) -> None:
    with pytest.raises(ValueError, match=r"not a Moroccan phone number \(\+212…\)"):
        normalize_phone(typed)


def test_latin_names_keep_accents_apostrophes_and_hyphens_and_lose_extra_spaces() -> None:
    assert check_latin_name("  Aït   Ben-Haddou ") == "Aït Ben-Haddou"
    assert check_latin_name("Lahcen O’Brien") == "Lahcen O'Brien"
    # "e" followed by a combining accent is the same name as "é"
    assert check_latin_name("Rene\u0301") == "René"


@pytest.mark.parametrize("typed", ["", "   ", "A" * 61, "Ali2", "-Ali", "محمد", "Ali@home"])
def test_a_latin_name_with_other_characters_or_length_is_refused(typed: str) -> None:
    with pytest.raises(ValueError, match=r"1 to 60 characters|only Latin letters"):
        check_latin_name(typed)


def test_arabic_names_are_accepted_and_presentation_forms_are_folded() -> None:
    assert check_arabic_name(" محمد   الأمين ") == "محمد الأمين"
    assert check_arabic_name("\ufefb") == "\u0644\u0627"  # the lam-alef ligature, unfolded


@pytest.mark.parametrize("typed", ["", "Mohamed", "محمد2", "محمد-علي", "ع" * 61])
def test_an_arabic_name_with_other_characters_or_length_is_refused(typed: str) -> None:
    with pytest.raises(ValueError, match=r"1 to 60 characters|only Arabic letters"):
        check_arabic_name(typed)


def test_age_counts_completed_years() -> None:
    assert age_on(date(2000, 6, 15), date(2025, 6, 14)) == 24
    assert age_on(date(2000, 6, 15), date(2025, 6, 15)) == 25


def test_someone_born_on_29_february_ages_on_1_march_in_common_years() -> None:
    assert age_on(date(2004, 2, 29), date(2025, 2, 28)) == 20
    assert age_on(date(2004, 2, 29), date(2025, 3, 1)) == 21
    assert age_on(date(2004, 2, 29), date(2028, 2, 29)) == 24


def test_an_age_before_birth_is_refused() -> None:
    with pytest.raises(ValueError, match="after the reference date"):
        age_on(date(2025, 1, 2), date(2025, 1, 1))


@SETTINGS
@given(st.dates(max_value=date(2100, 1, 1)), st.integers(min_value=0, max_value=120))
def test_on_each_anniversary_the_age_is_the_number_of_years(birth: date, years: int) -> None:
    if birth.month == 2 and birth.day == 29:
        birth = birth.replace(day=28)
    if birth.year + years > 9999:
        return
    assert age_on(birth, birth.replace(year=birth.year + years)) == years


@pytest.mark.parametrize("typed", ["Casablanca", " Aït  Melloul ", "Rabat 10000", "Fès"])
def test_a_city_is_a_name_with_letters(typed: str) -> None:
    assert check_city(typed) == " ".join(typed.split())


@pytest.mark.parametrize("typed", ["0612345678", "06 12 34 56 78", "+212 6-12-34-56-78", "---"])
def test_a_phone_number_or_no_letters_typed_as_a_city_is_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="city") as refused:
        check_city(typed)
    assert "12" not in str(refused.value)
