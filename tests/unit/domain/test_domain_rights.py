"""Health rights from the account's history: open, suspended beyond the grace, waiting after."""

from __future__ import annotations

from datetime import date

from agent_api.domain.months import add_months
from agent_api.domain.rights import AccountEvent, RightsRules, rights

JAN = date(2026, 1, 1)
RULES = RightsRules(grace_months=3, waiting_months=3)


def _dues(months: int, due: int = 100) -> dict[date, int]:
    return {add_months(JAN, i): due for i in range(months)}


def _pay(at: date, *months: date) -> AccountEvent:
    return AccountEvent(month=at, paid=dict.fromkeys(months, 100))


def test_a_worker_up_to_date_has_open_rights_covered_through_the_last_paid_month() -> None:
    result = rights(_dues(12), [_pay(JAN, JAN, add_months(JAN, 1))], add_months(JAN, 1), RULES)
    assert result.status == "open"
    assert result.covered_through == add_months(JAN, 1)


def test_rights_stay_open_within_the_grace() -> None:
    assert rights(_dues(12), [], add_months(JAN, 3), RULES).status == "open"


def test_rights_are_suspended_when_a_due_is_older_than_the_grace() -> None:
    result = rights(_dues(12), [], add_months(JAN, 4), RULES)
    assert result.status == "suspended"
    assert result.oldest_unpaid == JAN
    assert "2026-01" in result.reason


def test_clearing_arrears_after_a_suspension_waits_before_rights_reopen() -> None:
    may = add_months(JAN, 4)
    events = [_pay(may, *(add_months(JAN, i) for i in range(5)))]
    waiting = rights(_dues(12), events, may, RULES)
    assert waiting.status == "waiting"
    assert waiting.reopens == add_months(may, 3)
    assert rights(_dues(12), events, add_months(may, 3), RULES).status == "open"


def test_paying_on_time_never_triggers_a_waiting_period() -> None:
    events = [_pay(add_months(JAN, i), add_months(JAN, i)) for i in range(6)]
    assert rights(_dues(12), events, add_months(JAN, 5), RULES).status == "open"


def test_a_reversal_can_suspend_rights_again() -> None:
    may = add_months(JAN, 4)
    paid = _pay(JAN, JAN)
    reversal = AccountEvent(month=JAN, paid={JAN: -100})
    assert rights(_dues(12), [paid, reversal], may, RULES).status == "suspended"
