"""Line matching of the hub's day against the CNSS ledger: one test per rule finance relies
on, then properties that hold for any input (the money adds up, every hub line of the day
is reported once, each entry is reported by exactly one day's run)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_api.errors import ValidationFailed
from reconciliation.matching import match_ledger, summarize
from reconciliation.model import HubKind, HubLine, LedgerEntry, LedgerOutcome, LedgerResult

D = date(2026, 11, 22)
ONE_DAY = timedelta(days=1)
BEFORE, AFTER = D - ONE_DAY, D + ONE_DAY
RN = "123456789"

MATCHED = LedgerOutcome.MATCHED
MISSING_IN_LEDGER = LedgerOutcome.MISSING_IN_LEDGER
MISSING_IN_HUB = LedgerOutcome.MISSING_IN_HUB
AMOUNT_MISMATCH = LedgerOutcome.AMOUNT_MISMATCH
DUPLICATE = LedgerOutcome.DUPLICATE
CROSS_DAY = LedgerOutcome.CROSS_DAY


def collection(
    reference: str, amount: int, *, day: date = D, rn: str = RN, network: str = "CASHPLUS"
) -> HubLine:
    return HubLine(reference, HubKind.COLLECTION, network, day, rn, amount)


def reversal(reference: str, amount: int, original: str, *, day: date = D, rn: str = RN) -> HubLine:
    return HubLine(
        reference, HubKind.REVERSAL, "CASHPLUS", day, rn, amount, original_reference=original
    )


def entry(
    entry_id: str,
    amount: int,
    reference: str | None = None,
    *,
    sens: str = "C",
    day: date = D,
    period: str | None = "11/2026",
    rn: str = RN,
    network: str = "CASHPLUS",
) -> LedgerEntry:
    return LedgerEntry(entry_id, day, network, reference, rn, period, amount, sens)


Finding = tuple[LedgerOutcome, list[str], list[str], int]


def findings(results: list[LedgerResult]) -> list[Finding]:
    """Each result as (outcome, hub receipt numbers, entry ids, difference): easy to read in
    an assertion."""
    return [
        (
            r.outcome,
            [h.reference for h in r.hub],
            [e.entry_id for e in r.entries],
            r.difference_centimes,
        )
        for r in results
    ]


# --- By receipt number ----------------------------------------------------------------------


def test_a_collection_booked_once_for_its_amount_is_matched() -> None:
    results = match_ledger(D, [collection("R1", 21800)], [entry("E1", 21800, "R1")])

    assert findings(results) == [(MATCHED, ["R1"], ["E1"], 0)]


def test_a_collection_split_over_two_periods_is_matched_not_reported() -> None:
    hub = [collection("R1", 30000)]
    entries = [
        entry("E1", 10000, "R1", period="10/2026"),
        entry("E2", 20000, "R1", period="11/2026"),
    ]

    assert findings(match_ledger(D, hub, entries)) == [(MATCHED, ["R1"], ["E1", "E2"], 0)]


def test_the_same_receipt_booked_twice_is_one_match_and_one_duplicate() -> None:
    hub = [collection("R1", 21800)]
    entries = [entry("E2", 21800, "R1"), entry("E1", 21800, "R1")]

    assert findings(match_ledger(D, hub, entries)) == [
        (MATCHED, ["R1"], ["E1"], 0),
        (DUPLICATE, ["R1"], ["E2"], 21800),
    ]


def test_a_split_booked_twice_keeps_the_split_and_reports_only_the_repetition() -> None:
    hub = [collection("R1", 30000)]
    entries = [
        entry("E1", 10000, "R1", period="10/2026"),
        entry("E2", 20000, "R1", period="11/2026"),
        entry("E3", 20000, "R1", period="11/2026"),
    ]

    assert findings(match_ledger(D, hub, entries)) == [
        (MATCHED, ["R1"], ["E1", "E2"], 0),
        (DUPLICATE, ["R1"], ["E3"], 20000),
    ]


def test_a_wrong_amount_under_the_receipt_number_is_a_mismatch_of_ledger_minus_hub() -> None:
    results = match_ledger(D, [collection("R1", 21800)], [entry("E1", 28100, "R1")])

    assert findings(results) == [(AMOUNT_MISMATCH, ["R1"], ["E1"], 6300)]


def test_a_split_that_does_not_add_up_is_a_mismatch_for_the_whole_receipt() -> None:
    hub = [collection("R1", 30000)]
    entries = [
        entry("E1", 10000, "R1", period="10/2026"),
        entry("E2", 19999, "R1", period="11/2026"),
    ]

    assert findings(match_ledger(D, hub, entries)) == [(AMOUNT_MISMATCH, ["R1"], ["E1", "E2"], -1)]


def test_an_entry_booked_the_next_day_is_reported_as_cross_day_in_the_hub_lines_day_only() -> None:
    hub = [collection("R1", 21800)]
    entries = [entry("E1", 21800, "R1", day=AFTER)]

    assert findings(match_ledger(D, hub, entries)) == [(CROSS_DAY, ["R1"], ["E1"], 0)]
    assert match_ledger(AFTER, hub, entries) == []


def test_a_wrong_amount_booked_the_next_day_is_a_mismatch_not_cross_day() -> None:
    results = match_ledger(D, [collection("R1", 21800)], [entry("E1", 21700, "R1", day=AFTER)])

    assert findings(results) == [(AMOUNT_MISMATCH, ["R1"], ["E1"], -100)]


def test_an_entry_under_an_unknown_receipt_number_is_missing_in_hub() -> None:
    results = match_ledger(D, [], [entry("E1", 21800, "R-UNKNOWN")])

    assert findings(results) == [(MISSING_IN_HUB, [], ["E1"], 21800)]


def test_a_collection_cnss_never_booked_is_missing_in_ledger() -> None:
    results = match_ledger(D, [collection("R1", 21800)], [])

    assert findings(results) == [(MISSING_IN_LEDGER, ["R1"], [], -21800)]


def test_a_debit_under_a_collections_receipt_number_does_not_pay_the_collection() -> None:
    results = match_ledger(D, [collection("R1", 21800)], [entry("E1", 21800, "R1", sens="D")])

    assert findings(results) == [
        (MISSING_IN_LEDGER, ["R1"], [], -21800),
        (MISSING_IN_HUB, [], ["E1"], -21800),
    ]


def test_an_entry_for_another_network_does_not_pay_the_receipt() -> None:
    results = match_ledger(
        D, [collection("R1", 21800)], [entry("E1", 21800, "R1", network="WAFACASH")]
    )

    assert findings(results) == [
        (MISSING_IN_LEDGER, ["R1"], [], -21800),
        (MISSING_IN_HUB, [], ["E1"], 21800),
    ]


def test_a_reversal_booked_under_the_original_receipt_is_matched() -> None:
    hub = [collection("R1", 21800, day=BEFORE), reversal("R2", 21800, "R1")]
    entries = [
        entry("E1", 21800, "R1", day=BEFORE),
        entry("E2", 21800, "R1", sens="D"),
    ]

    assert findings(match_ledger(D, hub, entries)) == [(MATCHED, ["R2"], ["E2"], 0)]
    assert findings(match_ledger(BEFORE, hub, entries)) == [(MATCHED, ["R1"], ["E1"], 0)]


def test_a_reversal_booked_under_its_own_receipt_is_matched() -> None:
    hub = [reversal("R2", 21800, "R1")]

    results = match_ledger(D, hub, [entry("E2", 21800, "R2", sens="D")])

    assert findings(results) == [(MATCHED, ["R2"], ["E2"], 0)]
    assert results[0].difference_centimes == 0
    assert results[0].hub_signed_centimes == results[0].ledger_signed_centimes == -21800


# --- Without receipt number, by worker -----------------------------------------------------


def test_an_entry_without_reference_pays_the_workers_collection_of_the_same_amount() -> None:
    hub = [collection("R1", 13450), collection("R2", 21800)]

    results = match_ledger(D, hub, [entry("E1", 21800)])

    assert findings(results) == [
        (MATCHED, ["R2"], ["E1"], 0),
        (MISSING_IN_LEDGER, ["R1"], [], -13450),
    ]


def test_an_entry_without_reference_for_another_worker_pays_nothing() -> None:
    results = match_ledger(D, [collection("R1", 21800)], [entry("E1", 21800, rn="987654321")])

    assert findings(results) == [
        (MISSING_IN_LEDGER, ["R1"], [], -21800),
        (MISSING_IN_HUB, [], ["E1"], 21800),
    ]


def test_an_entry_with_an_unknown_reference_is_not_paired_by_worker() -> None:
    # The receipt number is the stronger evidence: a wrong one is reported, not guessed away.
    results = match_ledger(D, [collection("R1", 21800)], [entry("E1", 21800, "R-TYPO")])

    assert findings(results) == [
        (MISSING_IN_LEDGER, ["R1"], [], -21800),
        (MISSING_IN_HUB, [], ["E1"], 21800),
    ]


def test_an_entry_without_reference_on_the_next_day_is_cross_day() -> None:
    results = match_ledger(D, [collection("R1", 21800)], [entry("E1", 21800, day=AFTER)])

    assert findings(results) == [(CROSS_DAY, ["R1"], ["E1"], 0)]


def test_a_pairing_on_the_same_date_is_preferred_to_one_a_day_apart() -> None:
    # E1 (dated D) could pay R1 (of D+1), but E2 is dated D+1 like R1: the same-date pairing
    # wins, and E1 is left missing in the hub.
    hub = [collection("R1", 21800, day=AFTER)]
    entries = [entry("E1", 21800), entry("E2", 21800, day=AFTER)]

    assert findings(match_ledger(D, hub, entries)) == [(MISSING_IN_HUB, [], ["E1"], 21800)]
    assert findings(match_ledger(AFTER, hub, entries)) == [(MATCHED, ["R1"], ["E2"], 0)]


def test_several_collections_of_one_worker_booked_as_one_entry_without_reference_are_matched() -> (
    None
):
    hub = [collection("R1", 10000), collection("R2", 20000)]

    results = match_ledger(D, hub, [entry("E1", 30000)])

    assert findings(results) == [(MATCHED, ["R1", "R2"], ["E1"], 0)]


def test_one_collection_booked_as_several_entries_without_reference_is_matched() -> None:
    hub = [collection("R1", 30000)]
    entries = [entry("E1", 10000, period="10/2026"), entry("E2", 20000)]

    assert findings(match_ledger(D, hub, entries)) == [(MATCHED, ["R1"], ["E1", "E2"], 0)]


def test_the_workers_only_line_and_only_entry_without_reference_are_a_mismatch() -> None:
    results = match_ledger(D, [collection("R1", 21800)], [entry("E1", 21880, day=BEFORE)])

    assert findings(results) == [(AMOUNT_MISMATCH, ["R1"], ["E1"], 80)]


def test_an_entry_without_reference_never_pays_a_reversal() -> None:
    results = match_ledger(D, [reversal("R2", 21800, "R1")], [entry("E1", 21800)])

    assert findings(results) == [
        (MISSING_IN_LEDGER, ["R2"], [], 21800),
        (MISSING_IN_HUB, [], ["E1"], 21800),
    ]


def test_a_debit_without_reference_pays_the_workers_reversal() -> None:
    results = match_ledger(D, [reversal("R2", 21800, "R1")], [entry("E1", 21800, sens="D")])

    assert findings(results) == [(MATCHED, ["R2"], ["E1"], 0)]


# --- Which day reports what ------------------------------------------------------------------


def test_an_entry_paired_with_the_previous_days_line_is_left_to_that_days_run() -> None:
    hub = [collection("R1", 21800, day=BEFORE)]
    entries = [entry("E1", 21800, "R1"), entry("E2", 13450, "R1", period="10/2026")]

    assert match_ledger(D, hub, entries) == []
    assert findings(match_ledger(BEFORE, hub, entries)) == [
        (AMOUNT_MISMATCH, ["R1"], ["E1", "E2"], 13450)
    ]


def test_lines_and_entries_of_the_neighbouring_days_are_left_to_their_own_runs() -> None:
    hub = [collection("R1", 21800, day=BEFORE), collection("R2", 21800, day=AFTER)]
    entries = [entry("E1", 13450, "R-UNKNOWN", day=AFTER), entry("E2", 5000, day=BEFORE)]

    assert match_ledger(D, hub, entries) == []


def test_a_date_outside_the_three_days_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        match_ledger(D, [], [entry("E9", 100, "R9", day=D + 2 * ONE_DAY)])

    assert refused.value.code == "outside_matching_window"
    assert "ledger entry E9" in refused.value.message
    with pytest.raises(ValidationFailed, match="hub line R9"):
        match_ledger(D, [collection("R9", 100, day=D - 2 * ONE_DAY)], [])


def test_results_come_by_network_then_outcome_then_receipt_number_or_entry_id() -> None:
    hub = [
        collection("R3", 100, network="WAFACASH"),
        collection("R2", 100),
        collection("R1", 100),
        collection("R0", 100, rn="1"),
    ]
    entries = [entry("E2", 100, "R2"), entry("E1", 100, "R1"), entry("E0", 5, "R-UNKNOWN")]

    assert findings(match_ledger(D, hub, entries)) == [
        (MATCHED, ["R1"], ["E1"], 0),
        (MATCHED, ["R2"], ["E2"], 0),
        (MISSING_IN_LEDGER, ["R0"], [], -100),
        (MISSING_IN_HUB, [], ["E0"], 5),
        (MISSING_IN_LEDGER, ["R3"], [], -100),
    ]


# --- Totals -------------------------------------------------------------------------------


def test_the_summary_counts_each_outcome_and_its_money_per_network() -> None:
    hub = [collection("R1", 21800), collection("R2", 10000), collection("R3", 5000)]
    entries = [entry("E1", 21800, "R1"), entry("E2", 10100, "R2"), entry("E3", 900, "R-X")]

    totals = summarize(match_ledger(D, hub, entries))["CASHPLUS"]

    assert totals.by_outcome[MATCHED].count == 1
    assert totals.by_outcome[AMOUNT_MISMATCH].difference_centimes == 100
    assert totals.by_outcome[MISSING_IN_LEDGER].hub_signed_centimes == 5000
    assert totals.by_outcome[MISSING_IN_HUB].ledger_signed_centimes == 900
    assert totals.by_outcome[DUPLICATE].count == 0
    assert totals.hub_signed_centimes == 36800
    assert totals.ledger_signed_centimes == 32800
    assert totals.accounts_for(36800)


def test_a_duplicates_money_counts_on_the_ledger_side_only() -> None:
    hub = [collection("R1", 21800)]
    entries = [entry("E1", 21800, "R1"), entry("E2", 21800, "R1")]

    totals = summarize(match_ledger(D, hub, entries))["CASHPLUS"]

    assert totals.hub_signed_centimes == 21800
    assert totals.ledger_signed_centimes == 43600
    assert totals.by_outcome[DUPLICATE].difference_centimes == 21800
    assert totals.balances


# --- Properties ------------------------------------------------------------------------------

NETWORKS = ("CASHPLUS", "WAFACASH")
WORKERS = ("111", "222", "333")
AMOUNTS = (5000, 10000, 15000, 21800)
PERIODS = (None, "10/2026", "11/2026")


BOOKINGS = ("none", "exact", "split", "twice", "wrong", "no_ref", "no_ref_split", "grouped")


@st.composite
def a_window(
    draw: st.DrawFn, days: tuple[date, ...] = (BEFORE, D, AFTER), with_reference_only: bool = False
) -> tuple[list[HubLine], list[LedgerEntry]]:
    """Hub lines over ``days`` and the entries CNSS might have made of them: each line is
    booked in one of the ways real files show (or not at all), a day early or late at times,
    plus entries nothing explains. A small pool of workers and amounts makes coincidences
    between them frequent."""
    hub: list[HubLine] = []
    entries: list[LedgerEntry] = []

    def book(line: HubLine, amount: int, reference: str | None, period: str | None) -> None:
        shift = draw(st.sampled_from((0, 0, 0, -1, 1)))
        day = line.business_date + shift * ONE_DAY
        day = day if day in days else line.business_date
        number = len(entries)
        entries.append(
            LedgerEntry(
                f"E{number:03d}",
                day,
                line.network,
                reference,
                line.registration_number,
                period,
                amount,
                line.sens,
            )
        )

    for number in range(draw(st.integers(0, 10))):
        network, rn = draw(st.sampled_from(NETWORKS)), draw(st.sampled_from(WORKERS))
        day, amount = draw(st.sampled_from(days)), draw(st.sampled_from(AMOUNTS))
        if draw(st.integers(0, 4)) == 0:
            line = HubLine(
                f"R{number}", HubKind.REVERSAL, network, day, rn, amount, "", f"OLD{number}"
            )
            reference = draw(st.sampled_from((line.reference, f"OLD{number}")))
        else:
            line = HubLine(f"R{number}", HubKind.COLLECTION, network, day, rn, amount)
            reference = line.reference
        hub.append(line)
        booking = draw(st.sampled_from(BOOKINGS[:5] if with_reference_only else BOOKINGS))
        if booking in ("exact", "twice", "no_ref"):
            for _ in range(2 if booking == "twice" else 1):
                book(line, amount, None if booking == "no_ref" else reference, "11/2026")
        elif booking in ("split", "no_ref_split"):
            part = draw(st.integers(1, amount - 1))
            ref = None if booking == "no_ref_split" else reference
            book(line, part, ref, "10/2026")
            book(line, amount - part, ref, "11/2026")
        elif booking == "wrong":
            book(line, amount + draw(st.sampled_from((-100, 1, 9000))), reference, "11/2026")
        elif booking == "grouped":
            # One entry for this line and one or two more of the worker's that day.
            siblings = [
                HubLine(
                    f"{line.reference}-{k}",
                    line.kind,
                    network,
                    day,
                    rn,
                    draw(st.sampled_from(AMOUNTS)),
                    "",
                    None if line.original_reference is None else f"{line.original_reference}-{k}",
                )
                for k in range(draw(st.integers(1, 2)))
            ]
            hub.extend(siblings)
            book(line, amount + sum(sibling.amount_centimes for sibling in siblings), None, None)

    known = [line.reference for line in hub] + [
        line.original_reference for line in hub if line.original_reference is not None
    ]
    choices: list[str | None] = [*known, "R-UNKNOWN"]
    references = st.sampled_from(choices if with_reference_only else [*choices, None])
    for _ in range(draw(st.integers(0, 4))):
        entries.append(
            LedgerEntry(
                f"E{len(entries):03d}",
                draw(st.sampled_from(days)),
                draw(st.sampled_from(NETWORKS)),
                draw(references),
                draw(st.sampled_from(WORKERS)),
                draw(st.sampled_from(PERIODS)),
                draw(st.sampled_from(AMOUNTS) | st.integers(1, 30000)),
                draw(st.sampled_from("CD")),
            )
        )
    return hub, entries


@settings(max_examples=400, deadline=None)
@given(a_window())
def test_the_money_adds_up_and_every_line_of_the_day_is_reported_once(
    window: tuple[list[HubLine], list[LedgerEntry]],
) -> None:
    hub, entries = window
    results = match_ledger(D, hub, entries)

    paired = Counter(id(h) for r in results if r.outcome is not DUPLICATE for h in r.hub)
    assert paired == Counter(id(h) for h in hub if h.business_date == D)
    assert all(h.business_date == D for r in results for h in r.hub)
    reported = Counter(id(e) for r in results for e in r.entries)
    assert all(count == 1 for count in reported.values())
    assert all(r.hub for r in results for e in r.entries if e.value_date != D)
    totals = summarize(results)
    for network in NETWORKS:
        hub_of_day = sum(
            h.signed_centimes for h in hub if h.network == network and h.business_date == D
        )
        if network in totals:
            assert totals[network].accounts_for(hub_of_day)
        else:
            assert hub_of_day == 0


@settings(max_examples=200, deadline=None)
@given(a_window(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_of_the_input(
    window: tuple[list[HubLine], list[LedgerEntry]], rnd: random.Random
) -> None:
    hub, entries = window
    shuffled_hub, shuffled_entries = list(hub), list(entries)
    rnd.shuffle(shuffled_hub)
    rnd.shuffle(shuffled_entries)

    assert match_ledger(D, shuffled_hub, shuffled_entries) == match_ledger(D, hub, entries)


FIVE_DAYS = tuple(D + shift * ONE_DAY for shift in range(-2, 3))


@settings(max_examples=300, deadline=None)
@given(a_window(days=FIVE_DAYS, with_reference_only=True))
def test_each_entry_with_a_reference_is_reported_by_exactly_one_days_run(
    window: tuple[list[HubLine], list[LedgerEntry]],
) -> None:
    hub, entries = window

    def run(day: date) -> list[LedgerResult]:
        days = {day - ONE_DAY, day, day + ONE_DAY}
        return match_ledger(
            day,
            [h for h in hub if h.business_date in days],
            [e for e in entries if e.value_date in days],
        )

    reported = Counter(id(e) for day in (BEFORE, D, AFTER) for r in run(day) for e in r.entries)
    assert {id(e) for e in entries if e.value_date == D} <= set(reported)
    assert all(reported[id(e)] == 1 for e in entries if e.value_date == D)
