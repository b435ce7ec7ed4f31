"""What an amount pays for, read from the quote before the operator confirms."""

from __future__ import annotations

from terminal_client.coverage import cover

QUOTE = {
    "through": "2027-02-01",
    "lines": [
        {"month": "2026-12-01", "outstanding_centimes": 0},
        {"month": "2027-01-01", "outstanding_centimes": 13_500},
        {"month": "2026-11-01", "outstanding_centimes": 13_500},
        {"month": "2027-02-01", "outstanding_centimes": 13_500},
    ],
}


def test_the_oldest_month_owed_is_paid_first_and_a_remainder_is_a_part_of_the_next() -> None:
    covered = cover(QUOTE, 30_000)
    assert covered.paid_in_full == ["2026-11", "2027-01"]
    assert covered.partly == ("2027-02", 3_000, 13_500)


def test_an_amount_exactly_owed_pays_whole_months() -> None:
    covered = cover(QUOTE, 13_500)
    assert covered.paid_in_full == ["2026-11"]
    assert covered.partly is None
    assert not covered.too_much


def test_more_than_is_owed_is_flagged_with_what_is_owed() -> None:
    covered = cover(QUOTE, 40_501)
    assert covered.too_much
    assert covered.owed_centimes == 40_500
    assert covered.through == "2027-02"
