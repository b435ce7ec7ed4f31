"""Contribution arithmetic, the effective-dated rate table and the seed categories."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_api.domain.tariff import (
    AMO_TNS_RATE_BPS,
    DAILY_MIN_WAGE_CENTIMES,
    MAX_CONTRIBUTION_DAYS_PER_MONTH,
    SEED_CATEGORIES,
    SEED_RATES,
    SMIG_MONTHLY_CENTIMES_2025,
    Rate,
    category_by_code,
    check_document,
    daily_contribution,
    monthly_contribution,
    rate_for,
)

SETTINGS = settings(max_examples=300, deadline=None, database=None)
REQUIRED_CODES = {
    "FARMER",
    "ARTISAN",
    "AUTO_ENTREPRENEUR",
    "CPU",
    "TAXI_DRIVER",
    "MERCHANT_ACCOUNTS",
    "MEDICAL",
    "LEGAL",
    "ARTIST",
    "BOAT_OWNER",
    "FISHING_WORKER",
}


def test_the_contribution_is_637_basis_points_rounded_half_up_to_the_centime() -> None:
    # 6.37 % of 3,260.40 MAD is 207.6875 MAD: 207.69 MAD
    assert monthly_contribution(326_040, 637) == 20_769
    assert monthly_contribution(10_000, 50) == 50
    assert monthly_contribution(100, 50) == 1  # half a centime rounds up
    assert monthly_contribution(99, 50) == 0  # 0.495 centime rounds down


@SETTINGS
@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10_000))
def test_the_contribution_is_never_more_than_half_a_centime_from_the_exact_amount(
    base: int, bps: int
) -> None:
    contribution = monthly_contribution(base, bps)
    exact_times_10000 = base * bps
    assert abs(contribution * 10_000 - exact_times_10000) <= 5_000


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="never negative"):
        monthly_contribution(-1, 637)


def test_the_2025_smig_base_is_17_10_an_hour_over_2288_hours_a_year() -> None:
    assert SMIG_MONTHLY_CENTIMES_2025 == 326_040
    assert DAILY_MIN_WAGE_CENTIMES * MAX_CONTRIBUTION_DAYS_PER_MONTH == SMIG_MONTHLY_CENTIMES_2025


def test_a_fishing_day_pays_on_its_earnings_but_never_below_a_day_of_smig() -> None:
    assert daily_contribution(50_000, 637, DAILY_MIN_WAGE_CENTIMES) == 3_185
    low_day = daily_contribution(1_000, 637, DAILY_MIN_WAGE_CENTIMES)
    assert low_day == monthly_contribution(DAILY_MIN_WAGE_CENTIMES, 637) == 799


RATES = (
    Rate("ARTISAN", "REGISTERED", date(2024, 1, 1), 200_000, 637),
    Rate("ARTISAN", "REGISTERED", date(2025, 1, 1), 244_530, 637),
    Rate("ARTISAN", "OTHER", date(2026, 1, 1), 999_999, 637),
)


def test_the_rate_in_force_is_the_latest_one_that_has_started() -> None:
    assert rate_for(RATES, "ARTISAN", "REGISTERED", date(2024, 12, 1)).base_centimes == 200_000
    assert rate_for(RATES, "ARTISAN", "REGISTERED", date(2025, 1, 1)).base_centimes == 244_530
    assert rate_for(RATES, "ARTISAN", "REGISTERED", date(2030, 5, 1)).base_centimes == 244_530


def test_a_month_before_any_rate_has_no_rate() -> None:
    with pytest.raises(LookupError):
        rate_for(RATES, "ARTISAN", "REGISTERED", date(2023, 12, 1))
    with pytest.raises(LookupError):
        rate_for(RATES, "ARTISAN", "OTHER", date(2025, 6, 1))


def test_two_rates_starting_the_same_day_are_refused_rather_than_picked_at_random() -> None:
    twice = (*RATES, Rate("ARTISAN", "REGISTERED", date(2025, 1, 1), 1, 637))
    with pytest.raises(LookupError, match="same day"):
        rate_for(twice, "ARTISAN", "REGISTERED", date(2025, 2, 1))


def test_the_seed_holds_every_required_category_with_both_labels() -> None:
    codes = [category.code for category in SEED_CATEGORIES]
    assert set(codes) >= REQUIRED_CODES
    assert len(codes) == len(set(codes))
    for category in SEED_CATEGORIES:
        assert category.label_fr
        assert re.search("[\u0600-\u06ff]", category.label_ar)
        assert category.brackets


def test_every_seed_bracket_has_a_6_37_percent_rate_from_january_2025() -> None:
    for category in SEED_CATEGORIES:
        for bracket in category.brackets:
            rate = rate_for(SEED_RATES, category.code, bracket.code, date(2025, 1, 1))
            assert rate.rate_bps == AMO_TNS_RATE_BPS == 637
            assert rate.base_centimes > 0
    assert len(SEED_RATES) == sum(len(category.brackets) for category in SEED_CATEGORIES)


def test_merchants_keeping_accounts_have_at_least_four_brackets_rising_with_profit() -> None:
    merchants = category_by_code("MERCHANT_ACCOUNTS")
    assert len(merchants.brackets) >= 4

    def base(bracket: str) -> int:
        return rate_for(SEED_RATES, "MERCHANT_ACCOUNTS", bracket, date(2025, 1, 1)).base_centimes

    assert base("RNS") < base("PROFIT_UP_TO_100K") < base("PROFIT_OVER_100K")


def test_cpu_is_not_collected_at_the_counter_and_fishing_workers_declare_days() -> None:
    assert category_by_code("CPU").collected_at_counter is False
    assert category_by_code("FISHING_WORKER").daily_declaration is True
    assert category_by_code("ARTISAN").collected_at_counter is True


def test_an_unknown_category_code_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        category_by_code("ASTRONAUT")


def test_a_category_with_a_document_needs_a_well_formed_number() -> None:
    artisan = category_by_code("ARTISAN")
    assert check_document(artisan, "CA-2023-001234") is None
    assert check_document(artisan, None) == "Carte d'artisan is required for this category"
    assert check_document(artisan, "  ") == "Carte d'artisan is required for this category"
    assert check_document(artisan, "mohamed alami") is not None


def test_a_category_without_a_document_never_complains() -> None:
    farmer = category_by_code("FARMER")
    assert farmer.document_pattern is None
    assert check_document(farmer, None) is None
