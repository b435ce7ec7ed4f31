"""The simulator's claims mode on its own: files CNSS's reader takes byte for byte, the same
files for the same seed, and a truth that says what the events mean whatever the faults."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_api.domain.claims import Observed, TrackingStatus, derive
from reconciliation.claims_simulation import (
    CLAIMS_KINDS,
    ClaimsRates,
    HubDeposit,
    HubSlip,
    SimulatedClaims,
    simulate_claims,
)
from reconciliation.formats.tracking import parse_tracking, parse_tracking_name

DAY = date(2026, 12, 3)
SLIPS = [
    HubSlip("B-CASHPLUS-000041", "CASHPLUS", datetime(2026, 12, 3, 17, 0, tzinfo=UTC)),
    HubSlip("B-WAFACASH-000042", "WAFACASH", datetime(2026, 12, 3, 17, 5, tzinfo=UTC)),
]
STAGES = {
    TrackingStatus.RECEIVED: "received",
    TrackingStatus.NOT_RECEIVED: "not_received",
    TrackingStatus.INCOMPLETE: "incomplete",
    TrackingStatus.UNDER_REVIEW: "under_review",
    TrackingStatus.REIMBURSED: "reimbursed",
    TrackingStatus.REFUSED: "refused",
}


def _deposits(amounts: list[int], warnings: tuple[str, ...] = ()) -> list[HubDeposit]:
    return [
        HubDeposit(
            number=f"D-{slip.network}-{1200 + n:08d}",
            network=slip.network,
            registration_number="1234567894",
            amount_spent_centimes=amount,
            warnings=warnings,
            slip=slip.number,
        )
        for n, amount in enumerate(amounts)
        for slip in [SLIPS[n % 2]]
    ]


def _simulate(deposits: list[HubDeposit], rates: ClaimsRates, seed: int = 1) -> SimulatedClaims:
    return simulate_claims(DAY, deposits, SLIPS, rates, seed=seed, ack_days=5, days=6)


def test_every_file_is_cnss_s_format_to_the_byte_and_its_reader_takes_it() -> None:
    simulated = _simulate(_deposits([123_456_78, 34_250, 99]), ClaimsRates.demo())

    assert len(simulated.files) == 2 * 6  # a file per network and day, a quiet one too
    for file in simulated.files:
        assert file.data.startswith(b"\xef\xbb\xbfID_EVENEMENT;DATE_EVENEMENT;")
        assert b"\n" not in file.data.replace(b"\r\n", b"")  # CRLF, every line
        assert parse_tracking_name(file.name) is not None
        parsed = parse_tracking(file.data, source=file.name)
        trailer = file.data.decode("utf-8-sig").split("\r\n")[-2]
        assert trailer.startswith(f"TOTAL;{parsed.count};")


def test_the_same_seed_gives_the_same_files_and_another_seed_others() -> None:
    deposits = _deposits([20_000 + n for n in range(12)])

    first = _simulate(deposits, ClaimsRates.demo(), seed=7)

    assert _simulate(deposits, ClaimsRates.demo(), seed=7) == first
    assert _simulate(deposits, ClaimsRates.demo(), seed=8).files != first.files


def test_a_reimbursement_is_less_than_what_the_care_cost() -> None:
    deposits = _deposits([150_000, 2_000, 77_777])

    truth = _simulate(deposits, ClaimsRates.none()).truth

    spent = {d.number: d.amount_spent_centimes for d in deposits}
    for deposit in truth.deposits:
        assert deposit.stage == "reimbursed"
        assert deposit.reimbursed_centimes is not None
        assert 0 < deposit.reimbursed_centimes < spent[deposit.deposit_number]


def test_a_refusal_gives_the_reason_the_counter_warned_of() -> None:
    deposits = _deposits([10_000, 20_000], warnings=("deadline_passed",))

    truth = _simulate(deposits, ClaimsRates(refused=1.0)).truth

    assert {(d.stage, d.reason_code) for d in truth.deposits} == {("refused", "R02")}


def test_a_file_taken_without_a_warning_is_never_refused_for_its_deadline() -> None:
    """The counter computes the deadline as CNSS does: a file it took without a warning can
    be refused for closed rights (CNSS's view of the payments), not for the deadline."""
    deposits = _deposits([10_000 + n for n in range(40)])

    truth = _simulate(deposits, ClaimsRates(refused=1.0)).truth

    assert {(d.stage, d.reason_code) for d in truth.deposits} == {("refused", "R01")}


def test_a_slip_cnss_never_mentions_is_an_exception_only_once_the_days_have_passed() -> None:
    deposits = _deposits([10_000])
    rates = ClaimsRates(unacknowledged_slip=1.0)

    late = simulate_claims(DAY, deposits, SLIPS, rates, seed=1, ack_days=5, days=6).truth
    soon = simulate_claims(DAY, deposits, SLIPS, rates, seed=1, ack_days=5, days=3).truth

    assert late.exceptions == tuple(
        ("unacknowledged_slip", f"unacknowledged_slip:{slip.number}") for slip in SLIPS
    )
    assert soon.exceptions == ()
    assert [d.stage for d in late.deposits] == ["sent"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lost=0.1", "unknown fault 'lost'"),
        ("refused=0.1,refused=0.2", "rate of refused given twice"),
        ("refused=1.5", "rate of refused: 1.5 is not between 0 and 1"),
        ("refused", "expected KIND=RATE"),
    ],
)
def test_a_bad_rate_is_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ClaimsRates.parse(text)


@settings(max_examples=60, deadline=None)
@given(
    amounts=st.lists(st.integers(min_value=1, max_value=10**8), min_size=1, max_size=12),
    rates=st.fixed_dictionaries({kind: st.sampled_from((0.0, 0.3, 1.0)) for kind in CLAIMS_KINDS}),
    seed=st.integers(min_value=0, max_value=2**32),
    days=st.integers(min_value=1, max_value=8),
)
def test_the_events_of_every_file_together_mean_what_the_truth_says(
    amounts: list[int], rates: dict[str, float], seed: int, days: int
) -> None:
    deposits = _deposits(amounts)
    simulated = simulate_claims(
        DAY, deposits, SLIPS, ClaimsRates(**rates), seed=seed, ack_days=5, days=days
    )

    observed: defaultdict[str, list[Observed]] = defaultdict(list)
    for file in simulated.files:
        for e in parse_tracking(file.data).events:
            assert DAY < e.event_date <= date.fromordinal(DAY.toordinal() + days)
            if e.deposit_number is not None:
                observed[e.deposit_number].append(
                    Observed(
                        e.event_id, e.event_date, e.status, e.reimbursed_centimes, e.reason_code
                    )
                )
    for truth in simulated.truth.deposits:
        state = derive(observed[truth.deposit_number])
        if state is None:
            assert truth.stage == "sent"
            continue
        shown = (STAGES[state.status], state.since, state.reimbursed_centimes, state.reason_code)
        assert shown == (truth.stage, truth.since, truth.reimbursed_centimes, truth.reason_code)
