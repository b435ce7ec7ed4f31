"""Bank matching: did each network's settlement for the day reach the CNSS account in full,
and which transactions does no settlement account for."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from agent_api.errors import ValidationFailed
from reconciliation.bank_matching import Expected, match_bank
from reconciliation.model import BankCredit, BankOutcome, BankResult, settlement_reference

D = date(2026, 11, 22)
NEXT = D + timedelta(days=1)

EXACT = BankOutcome.EXACT
SHORT = BankOutcome.SHORT
OVER = BankOutcome.OVER
MISSING = BankOutcome.MISSING
UNEXPECTED = BankOutcome.UNEXPECTED


def settlement(network: str, net: int) -> Expected:
    return Expected(network, D, settlement_reference(network, D), net)


def transfer(
    bank_reference: str,
    amount: int,
    *,
    end_to_end: str | None = None,
    remittance: str = "",
    booked: date = NEXT,
    credit: bool = True,
) -> BankCredit:
    return BankCredit(
        bank_reference, booked, booked, amount, credit, end_to_end, remittance, "CASH PLUS SA"
    )


def outcomes(results: list[BankResult]) -> list[tuple[BankOutcome, str | None, int, int]]:
    """(outcome, reference, expected, received) per result."""
    return [(r.outcome, r.reference, r.expected_centimes, r.received_centimes) for r in results]


CASHPLUS_D = settlement_reference("CASHPLUS", D)


def test_a_settlement_paid_in_full_is_exact() -> None:
    results = match_bank(
        D, [settlement("CASHPLUS", 1_250_000)], [transfer("B1", 1_250_000, end_to_end=CASHPLUS_D)]
    )

    assert outcomes(results) == [(EXACT, CASHPLUS_D, 1_250_000, 1_250_000)]
    assert [c.bank_reference for c in results[0].credits] == ["B1"]


def test_a_reference_quoted_only_in_the_remittance_text_is_recognised() -> None:
    paid = transfer("B1", 1_250_000, remittance=f"Reglement {CASHPLUS_D.lower()} merci")

    results = match_bank(D, [settlement("CASHPLUS", 1_250_000)], [paid])

    assert outcomes(results) == [(EXACT, CASHPLUS_D, 1_250_000, 1_250_000)]


def test_a_settlement_paid_in_two_transfers_is_exact() -> None:
    transfers = [
        transfer("B2", 250_000, end_to_end=CASHPLUS_D, booked=NEXT + timedelta(days=1)),
        transfer("B1", 1_000_000, end_to_end=CASHPLUS_D),
    ]

    results = match_bank(D, [settlement("CASHPLUS", 1_250_000)], transfers)

    assert outcomes(results) == [(EXACT, CASHPLUS_D, 1_250_000, 1_250_000)]
    assert [c.bank_reference for c in results[0].credits] == ["B1", "B2"]


def test_less_than_the_net_is_short() -> None:
    results = match_bank(
        D, [settlement("CASHPLUS", 1_250_000)], [transfer("B1", 1_200_000, end_to_end=CASHPLUS_D)]
    )

    assert outcomes(results) == [(SHORT, CASHPLUS_D, 1_250_000, 1_200_000)]
    assert results[0].difference_centimes == -50_000


def test_more_than_the_net_is_over() -> None:
    results = match_bank(
        D, [settlement("CASHPLUS", 1_250_000)], [transfer("B1", 1_250_100, end_to_end=CASHPLUS_D)]
    )

    assert outcomes(results) == [(OVER, CASHPLUS_D, 1_250_000, 1_250_100)]


def test_a_settlement_nothing_arrived_for_is_missing() -> None:
    results = match_bank(D, [settlement("CASHPLUS", 1_250_000)], [])

    assert outcomes(results) == [(MISSING, CASHPLUS_D, 1_250_000, 0)]
    assert results[0].credits == ()


def test_a_settlement_of_nothing_with_nothing_arrived_is_exact() -> None:
    assert outcomes(match_bank(D, [settlement("CASHPLUS", 0)], [])) == [(EXACT, CASHPLUS_D, 0, 0)]


def test_a_debit_carrying_the_reference_reduces_what_was_received() -> None:
    transfers = [
        transfer("B1", 1_250_000, end_to_end=CASHPLUS_D),
        transfer("B2", 1_250_000, end_to_end=CASHPLUS_D),
        transfer("B3", 1_250_000, end_to_end=CASHPLUS_D, credit=False),  # the bank recalled one
    ]

    results = match_bank(D, [settlement("CASHPLUS", 1_250_000)], transfers)

    assert outcomes(results) == [(EXACT, CASHPLUS_D, 1_250_000, 1_250_000)]
    assert len(results[0].credits) == 3


def test_a_transfer_quoting_a_network_with_no_settlement_that_day_is_unexpected() -> None:
    wafacash_d = settlement_reference("WAFACASH", D)

    results = match_bank(D, [], [transfer("B1", 90_000, end_to_end=wafacash_d)])

    assert outcomes(results) == [(UNEXPECTED, wafacash_d, 0, 90_000)]
    assert (results[0].network, results[0].business_date) == ("WAFACASH", D)


def test_a_transfer_without_reference_booked_the_next_day_is_unexpected() -> None:
    results = match_bank(D, [], [transfer("B1", 90_000, remittance="VIREMENT DIVERS")])

    assert outcomes(results) == [(UNEXPECTED, None, 0, 90_000)]
    assert (results[0].network, results[0].business_date) == (None, None)


def test_transfers_of_other_days_are_left_to_their_own_run() -> None:
    transfers = [
        transfer("B1", 1_000, end_to_end=settlement_reference("CASHPLUS", D - timedelta(days=1))),
        transfer("B2", 2_000, booked=D),
        transfer("B3", 3_000, booked=NEXT + timedelta(days=1)),
    ]

    assert outcomes(match_bank(D, [settlement("CASHPLUS", 0)], transfers)) == [
        (EXACT, CASHPLUS_D, 0, 0)
    ]


def test_results_come_by_network_then_unexpected_by_bank_reference() -> None:
    settlements = [settlement("WAFACASH", 100), settlement("CASHPLUS", 100)]
    transfers = [transfer("B9", 5), transfer("B1", 5), transfer("B5", 5)]

    results = match_bank(D, settlements, transfers)

    assert [(r.outcome, r.network) for r in results[:2]] == [
        (MISSING, "CASHPLUS"),
        (MISSING, "WAFACASH"),
    ]
    assert [r.credits[0].bank_reference for r in results[2:]] == ["B1", "B5", "B9"]


def test_a_settlement_of_another_day_or_a_second_one_for_a_network_is_refused() -> None:
    other_day = Expected("CASHPLUS", NEXT, settlement_reference("CASHPLUS", NEXT), 100)
    with pytest.raises(ValidationFailed) as refused:
        match_bank(D, [other_day], [])
    assert refused.value.code == "settlement_of_another_day"

    with pytest.raises(ValidationFailed) as refused:
        match_bank(D, [settlement("CASHPLUS", 100), settlement("CASHPLUS", 200)], [])
    assert refused.value.code == "duplicate_settlement"
