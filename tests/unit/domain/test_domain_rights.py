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


# -- what each answer says (issue 15, items 2 and 6) ------------------------------------------


def test_a_worker_who_paid_nothing_yet_is_open_within_the_grace_until_a_named_month() -> None:
    result = rights(_dues(12), [], add_months(JAN, 1), RULES, coverage_start=JAN)
    assert (result.status, result.reason_code) == ("open", "within_grace")
    assert result.open_until == add_months(JAN, 3)
    assert "until 2026-04" in result.reason
    assert "every due is paid" not in result.reason
    # The month it names is the last one: a month later, rights are suspended.
    assert rights(_dues(12), [], add_months(JAN, 3), RULES).status == "open"
    assert rights(_dues(12), [], add_months(JAN, 4), RULES).status == "suspended"


def test_a_worker_whose_coverage_starts_later_is_told_it_has_not_started() -> None:
    dues = {add_months(JAN, 12 + i): 100 for i in range(3)}
    result = rights(dues, [], JAN, RULES, coverage_start=add_months(JAN, 12))
    assert result.reason_code == "not_started"
    assert result.coverage_starts == date(2027, 1, 1)
    assert "starts in 2027-01" in result.reason
    assert "every due" not in result.reason


def test_a_worker_paid_up_is_told_so_with_the_month() -> None:
    result = rights(_dues(12), [_pay(JAN, JAN)], JAN, RULES, coverage_start=JAN)
    assert result.reason_code == "paid_up"
    assert result.reason == "open: every due through 2026-01 is paid"


def test_a_suspension_says_since_when_and_what_happens_once_the_arrears_are_paid() -> None:
    result = rights(_dues(12), [], add_months(JAN, 4), RULES, coverage_start=JAN)
    assert result.reason_code == "suspended"
    assert result.oldest_unpaid == JAN
    assert "waiting period of 3 months" in result.reason


def test_an_enrollment_starting_beyond_the_grace_in_the_past_is_suspended_then_waits() -> None:
    """Coverage starting 6 months ago: suspended on day one; the arrears paid, 3 months'
    wait; then open."""
    july = add_months(JAN, 6)
    on_day_one = rights(_dues(12), [], july, RULES, coverage_start=JAN)
    assert on_day_one.reason_code == "suspended"
    paid = [_pay(july, *(add_months(JAN, i) for i in range(7)))]
    waiting = rights(_dues(12), paid, july, RULES, coverage_start=JAN)
    assert (waiting.reason_code, waiting.reopens) == ("waiting", add_months(july, 3))
    assert rights(_dues(12), paid, add_months(july, 3), RULES).reason_code != "waiting"


def test_a_reversed_month_before_a_paid_one_is_shown_as_a_gap_not_as_nothing_covered() -> None:
    """December reversed after January was paid: December is owed, January stays paid."""
    dec, jan = date(2025, 12, 1), date(2026, 1, 1)
    dues = {dec: 100, jan: 100, add_months(jan, 1): 100}
    events = [
        AccountEvent(dec, {dec: 100}),
        AccountEvent(dec, {jan: 100}),
        AccountEvent(dec, {dec: -100}),
    ]
    result = rights(dues, events, dec, RULES, coverage_start=dec)
    assert result.covered_through is None
    assert result.paid_through == jan
    assert result.gaps == (dec,)
    assert result.unpaid_months == (dec,)
    assert result.reason_code == "within_grace"
    assert "2025-12 unpaid although 2026-01 is paid" in result.reason
