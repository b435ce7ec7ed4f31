"""Bank matching: checks that each network's settlement for business day D reached the CNSS
collection account in full, and points at bank transactions nothing accounts for.

Each settlement carries the reference ``QURB-STL-<NETWORK>-<YYYYMMDD>`` the network must quote
on its transfer. Banks put it in ``EndToEndId``, or only in the remittance text; either is
read (``BankCredit.settlement_reference``). What a settlement received is every credit quoting
its reference less every debit quoting it (a returned or recalled transfer), however many
transfers it came in and whatever day they were booked:

- received = net: **exact** (also when the net is 0 and nothing arrived);
- received < net: **short**; received > net: **over**;
- no transaction quotes it at all: **missing**.

A transaction is D's when it quotes a reference of D, or when it quotes none and was booked on
D+1, the day networks transfer D's money. A transaction of D that quotes a network with no
settlement for D, or quotes no reference, is **unexpected**: someone must find out whose
money it is. Transactions quoting another day belong to that day's run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from agent_api.errors import ValidationFailed
from reconciliation.model import BankCredit, BankOutcome, BankResult, settlement_reference


@dataclass(frozen=True, slots=True)
class Expected:
    """One network's settlement for a business day: what the bank should show arriving."""

    network: str
    business_date: date
    reference: str  # QURB-STL-<NETWORK>-<YYYYMMDD>
    net_centimes: int  # what the network owes CNSS for the day


def match_bank(
    day: date, settlements: Iterable[Expected], credits: Iterable[BankCredit]
) -> list[BankResult]:
    """One result per settlement of ``day`` (by network), then one per unexpected
    transaction (by bank reference). ``credits`` may hold the transactions of any days."""
    expected: dict[str, Expected] = {}
    for settlement in settlements:
        if settlement.business_date != day:
            raise ValidationFailed(
                f"settlement {settlement.reference} is for {settlement.business_date:%Y-%m-%d},"
                f" not for {day:%Y-%m-%d}",
                code="settlement_of_another_day",
                field="business_date",
            )
        # The reference on the bank side is upper-cased when read, so the network is too.
        network = settlement.network.upper()
        if network in expected:
            raise ValidationFailed(
                f"two settlements for network {settlement.network} on {day:%Y-%m-%d}",
                code="duplicate_settlement",
                field="network",
            )
        expected[network] = settlement

    quoting: dict[str, list[BankCredit]] = {network: [] for network in expected}
    unexpected: list[BankResult] = []
    transfer_day = day + timedelta(days=1)
    for credit in credits:
        quoted = credit.settlement_reference()
        if quoted is None:
            if credit.booking_date == transfer_day:
                unexpected.append(_unexpected(credit, None))
        elif quoted[1] == day:
            if quoted[0] in quoting:
                quoting[quoted[0]].append(credit)
            else:
                unexpected.append(_unexpected(credit, quoted))

    results = [_received(expected[network], quoting[network]) for network in sorted(expected)]
    unexpected.sort(key=lambda result: result.credits[0].bank_reference)
    return results + unexpected


def _received(settlement: Expected, credits: list[BankCredit]) -> BankResult:
    received = sum(_signed(credit) for credit in credits)
    if not credits:
        outcome = BankOutcome.EXACT if settlement.net_centimes == 0 else BankOutcome.MISSING
    elif received == settlement.net_centimes:
        outcome = BankOutcome.EXACT
    elif received < settlement.net_centimes:
        outcome = BankOutcome.SHORT
    else:
        outcome = BankOutcome.OVER
    credits.sort(key=lambda credit: (credit.booking_date, credit.bank_reference))
    return BankResult(
        outcome,
        settlement.network,
        settlement.business_date,
        settlement.reference,
        settlement.net_centimes,
        received,
        tuple(credits),
    )


def _unexpected(credit: BankCredit, quoted: tuple[str, date] | None) -> BankResult:
    """A transaction of D nothing expects: it quotes a reference of D naming a network with no
    settlement that day (``quoted``), or no reference at all."""
    if quoted is None:
        return BankResult(BankOutcome.UNEXPECTED, None, None, None, 0, _signed(credit), (credit,))
    network, business_date = quoted
    return BankResult(
        BankOutcome.UNEXPECTED,
        network,
        business_date,
        settlement_reference(network, business_date),
        0,
        _signed(credit),
        (credit,),
    )


def _signed(credit: BankCredit) -> int:
    return credit.amount_centimes if credit.credit else -credit.amount_centimes
