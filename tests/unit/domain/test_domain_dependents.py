"""Who may be covered: the worker's age, spouses and children, under configurable rules."""

from __future__ import annotations

from datetime import date

from agent_api.domain.dependents import (
    DependentRules,
    dependent_problem,
    spouse_count_problem,
    worker_problem,
)

RULES = DependentRules()
TODAY = date(2025, 6, 15)
CHILD_LIMIT = "a child must be under 21 (26 if a student, no limit if disabled)"


def child(birth: date, *, student: bool = False, disabled: bool = False) -> str | None:
    return dependent_problem("child", birth, TODAY, student=student, disabled=disabled, rules=RULES)


def spouse(birth: date) -> str | None:
    return dependent_problem("spouse", birth, TODAY, student=False, disabled=False, rules=RULES)


def test_a_child_is_covered_until_the_day_before_their_21st_birthday() -> None:
    assert child(date(2004, 6, 16)) is None
    assert child(date(2004, 6, 15)) == CHILD_LIMIT


def test_a_student_is_covered_until_26() -> None:
    assert child(date(2000, 6, 16), student=True) is None
    assert child(date(1999, 6, 15), student=True) == CHILD_LIMIT


def test_a_disabled_child_is_covered_at_any_age() -> None:
    assert child(date(1960, 1, 1), disabled=True) is None


def test_the_limits_are_configuration() -> None:
    strict = DependentRules(child_max_age=18, student_max_age=25, disabled_child_has_no_limit=False)
    problem = dependent_problem(
        "child", date(1960, 1, 1), TODAY, student=False, disabled=True, rules=strict
    )
    assert problem == "a child must be under 18 (25 if a student)"


def test_a_spouse_must_be_of_age() -> None:
    assert spouse(date(2007, 6, 15)) is None
    assert spouse(date(2007, 6, 16)) == "a spouse must be at least 18"


def test_more_spouses_than_the_rules_allow_are_refused() -> None:
    assert spouse_count_problem(4, RULES) is None
    assert spouse_count_problem(5, RULES) == "at most 4 spouses can be covered"


def test_a_birth_date_in_the_future_or_before_1900_is_a_problem() -> None:
    assert child(date(2025, 6, 16)) == "a birth date cannot be in the future"
    assert spouse(date(1899, 12, 31)) == "a birth date before 1900 is not plausible"
    assert worker_problem(date(2026, 1, 1), TODAY, RULES) == "a birth date cannot be in the future"


def test_a_worker_must_be_at_least_18() -> None:
    assert worker_problem(date(2007, 6, 15), TODAY, RULES) is None
    assert worker_problem(date(2007, 6, 16), TODAY, RULES) == "the worker must be at least 18"
