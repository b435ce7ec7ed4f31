"""The account invariants, for any sequence of dues, payments and reversals: allocations
add up exactly to the money received, no month is paid twice, and the balance equals
payments minus dues."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_api.domain.account import (
    Allocation,
    AmountTooLarge,
    MonthLine,
    SurchargeRule,
    allocate,
)
from agent_api.domain.months import add_months

START = date(2026, 1, 1)


def _lines(
    dues: list[int], allocations: list[Allocation], surcharges: list[int] | None = None
) -> list[MonthLine]:
    paid: dict[tuple[date, str], int] = defaultdict(int)
    for a in allocations:
        paid[(a.month, a.kind)] += a.amount_centimes
    surcharges = surcharges or [0] * len(dues)
    return [
        MonthLine(
            month=add_months(START, i),
            due_centimes=due,
            surcharge_centimes=surcharges[i],
            paid_due_centimes=paid[(add_months(START, i), "due")],
            paid_surcharge_centimes=paid[(add_months(START, i), "surcharge")],
        )
        for i, due in enumerate(dues)
    ]


def test_a_payment_goes_to_the_oldest_month_first_and_prepays_the_rest() -> None:
    lines = _lines([20_769, 20_769, 20_769], [])
    allocations = allocate(lines, 30_000)
    assert [(a.month.month, a.amount_centimes) for a in allocations] == [(1, 20_769), (2, 9_231)]


def test_a_partial_payment_does_not_cover_the_month() -> None:
    lines = _lines([20_769], [Allocation(START, "due", 20_000)])
    assert not lines[0].covered
    assert lines[0].outstanding == 769


def test_the_surcharge_of_a_month_is_paid_before_its_due() -> None:
    lines = _lines([10_000, 10_000], [], surcharges=[500, 0])
    allocations = allocate(lines, 10_200)
    assert [(a.kind, a.amount_centimes) for a in allocations] == [
        ("surcharge", 500),
        ("due", 9_700),
    ]


def test_more_than_everything_owed_up_to_the_horizon_is_refused_whole() -> None:
    lines = _lines([10_000, 10_000], [])
    with pytest.raises(AmountTooLarge) as caught:
        allocate(lines, 20_001)
    assert caught.value.maximum == 20_000


def test_surcharge_counts_the_months_late_beyond_the_allowance() -> None:
    rule = SurchargeRule(bps_per_month=100, after_months=1)
    assert rule.on(20_000, date(2026, 1, 1), date(2026, 2, 1)) == 0
    assert rule.on(20_000, date(2026, 1, 1), date(2026, 4, 1)) == 400
    assert SurchargeRule().on(20_000, date(2020, 1, 1), date(2026, 4, 1)) == 0


operations = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(min_value=1, max_value=60_000)),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=20)),
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(
    dues=st.lists(st.integers(min_value=0, max_value=50_000), min_size=1, max_size=18),
    ops=operations,
)
def test_account_invariants_hold_for_any_sequence(
    dues: list[int], ops: list[tuple[str, int]]
) -> None:
    ledger: list[Allocation] = []
    payments: list[list[Allocation] | None] = []  # None once reversed
    received = 0
    for op, value in ops:
        lines = _lines(dues, ledger)
        if op == "pay":
            outstanding = sum(line.outstanding for line in lines)
            if outstanding == 0:
                continue
            amount = min(value, outstanding)
            allocations = allocate(lines, amount)
            # Allocations add up exactly to the money received.
            assert sum(a.amount_centimes for a in allocations) == amount
            ledger += allocations
            payments.append(allocations)
            received += amount
        else:
            live = [i for i, p in enumerate(payments) if p is not None]
            if not live:
                continue
            index = live[value % len(live)]
            original = payments[index]
            assert original is not None
            # A reversal is new records mirroring the original, never an edit.
            ledger += [Allocation(a.month, a.kind, -a.amount_centimes) for a in original]
            received -= sum(a.amount_centimes for a in original)
            payments[index] = None
        lines = _lines(dues, ledger)
        # No month is paid twice: what a month received never exceeds what it owes.
        for line in lines:
            assert 0 <= line.paid_due_centimes <= line.due_centimes
        # The balance equals payments minus dues.
        assert sum(a.amount_centimes for a in ledger) == received
        assert received - sum(dues) == -sum(line.outstanding for line in lines)
