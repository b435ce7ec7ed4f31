"""Who may be covered through an insured worker: the worker's own age, spouses and children.

The limits follow the AMO rules as the project understands them (children up to 21, up to 26
while studying, without limit when disabled; spouses of age; up to four spouses) and are
configuration, not code: a change of rule is a new ``DependentRules``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from agent_api.domain.identity import age_on

Relation = Literal["spouse", "child"]

# Civil-status records before 1900 do not exist for living people: such a date is a typo.
EARLIEST_BIRTH = date(1900, 1, 1)


@dataclass(frozen=True)
class DependentRules:
    spouse_min_age: int = 18
    max_spouses: int = 4
    child_max_age: int = 21
    student_max_age: int = 26
    disabled_child_has_no_limit: bool = True
    worker_min_age: int = 18


def _birth_problem(birth: date, on: date) -> str | None:
    if birth > on:
        return "a birth date cannot be in the future"
    if birth < EARLIEST_BIRTH:
        return "a birth date before 1900 is not plausible"
    return None


def _child_limit_text(rules: DependentRules) -> str:
    text = f"a child must be under {rules.child_max_age} ({rules.student_max_age} if a student"
    if rules.disabled_child_has_no_limit:
        text += ", no limit if disabled"
    return text + ")"


def dependent_problem(
    relation: Relation,
    birth: date,
    on: date,
    *,
    student: bool,
    disabled: bool,
    rules: DependentRules,
) -> str | None:
    """Why this person cannot be covered as ``relation`` on ``on``, or ``None``."""
    problem = _birth_problem(birth, on)
    if problem is not None:
        return problem
    age = age_on(birth, on)
    if relation == "spouse":
        if age < rules.spouse_min_age:
            return f"a spouse must be at least {rules.spouse_min_age}"
        return None
    if disabled and rules.disabled_child_has_no_limit:
        return None
    limit = rules.student_max_age if student else rules.child_max_age
    if age >= limit:
        return _child_limit_text(rules)
    return None


def spouse_count_problem(count: int, rules: DependentRules) -> str | None:
    """Why a worker cannot declare ``count`` spouses, or ``None``."""
    if count > rules.max_spouses:
        return f"at most {rules.max_spouses} spouses can be covered"
    return None


def worker_problem(birth: date, on: date, rules: DependentRules) -> str | None:
    """Why someone born on ``birth`` cannot register as a worker on ``on``, or ``None``."""
    problem = _birth_problem(birth, on)
    if problem is not None:
        return problem
    if age_on(birth, on) < rules.worker_min_age:
        return f"the worker must be at least {rules.worker_min_age}"
    return None
