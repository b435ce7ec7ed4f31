"""Registry rules: bank account keys, commission arithmetic, activation codes, passwords."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_api.domain import activation
from agent_api.domain.commission import CommissionRule
from agent_api.domain.registry import is_valid_rib, password_problem, rib_key
from agent_api.services.registry.demo import demo_rib


def test_a_rib_with_the_right_key_is_valid_and_any_single_digit_change_is_caught() -> None:
    rib = demo_rib("022", 7)
    assert is_valid_rib(rib)
    for position in range(24):
        for digit in "0123456789":
            if digit != rib[position]:
                changed = rib[:position] + digit + rib[position + 1 :]
                assert not is_valid_rib(changed), changed


def test_rib_key_makes_the_whole_number_divisible_by_97() -> None:
    first = "0117800000123456789012"
    assert int(first + f"{rib_key(first):02d}") % 97 == 0


def test_rib_must_be_24_digits() -> None:
    assert not is_valid_rib("02278000000000000012345")
    assert not is_valid_rib("02278000000000000012345A")


def test_commission_is_fixed_plus_basis_points_rounded_half_up() -> None:
    rule = CommissionRule(fixed_centimes=300, basis_points=50)
    assert rule.on(21_800) == 300 + 109  # 0.5 % of 218.00 MAD = 1.09 MAD
    assert CommissionRule(basis_points=50).on(100) == 1  # 0.5 centime rounds up
    assert CommissionRule(basis_points=50).on(99) == 0  # 0.495 centime rounds down


@given(st.integers(min_value=1, max_value=10**12), st.integers(0, 10_000), st.integers(0, 10**6))
def test_commission_is_exact_integer_arithmetic(amount: int, bps: int, fixed: int) -> None:
    commission = CommissionRule(fixed, bps).on(amount)
    assert isinstance(commission, int)
    exact_times_10000 = amount * bps
    assert abs((commission - fixed) * 10_000 - exact_times_10000) <= 5_000


def test_commission_rule_refuses_impossible_values() -> None:
    with pytest.raises(ValueError, match="basis_points"):
        CommissionRule(basis_points=10_001)
    with pytest.raises(ValueError, match="fixed_centimes"):
        CommissionRule(fixed_centimes=-1)


def test_activation_code_names_its_terminal_and_only_the_hash_matches() -> None:
    code, stored = activation.new_code(42)
    parsed = activation.parse_code(code)
    assert parsed is not None
    terminal_id, secret = parsed
    assert terminal_id == 42
    assert activation.secret_matches(secret, stored)
    assert not activation.secret_matches(secret[:-1] + ("0" if secret[-1] != "0" else "1"), stored)
    assert code not in stored


def test_activation_code_typed_by_hand_is_forgiven_case_and_spaces() -> None:
    code, stored = activation.new_code(7)
    parsed = activation.parse_code(" " + code.lower().replace("-", " - ") + " ")
    assert parsed is not None
    assert activation.secret_matches(parsed[1], stored)


@pytest.mark.parametrize("bad", ["", "abc", "0-AAAA-BBBB-CCCC", "7-AAAA-BBBB", "7-AAAA-BBBB-CCC!"])
def test_malformed_activation_codes_are_not_parsed(bad: str) -> None:
    assert activation.parse_code(bad) is None


def test_passwords_are_judged_by_length() -> None:
    assert password_problem("short") is not None
    assert password_problem("a long enough password") is None
    assert password_problem(" padded password ") is not None
