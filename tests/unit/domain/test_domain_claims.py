"""A deposited file's state from CNSS's tracking events: the same whatever order the events
arrive in and however often each is sent."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from agent_api.domain.claims import Observed, derive
from agent_api.domain.claims import TrackingStatus as S

SETTINGS = settings(max_examples=200, deadline=None, database=None)
D1, D2, D3 = date(2026, 12, 1), date(2026, 12, 3), date(2026, 12, 9)


def test_no_event_means_no_state() -> None:
    assert derive([]) is None


def test_a_reimbursement_sent_before_the_reception_still_ends_reimbursed() -> None:
    paid = Observed("V2", D3, S.REIMBURSED, reimbursed_centimes=103_480, cnss_file_number="A-1")
    received = Observed("V1", D2, S.RECEIVED, cnss_file_number="A-1")
    state = derive([paid, received])
    assert state is not None
    assert (state.status, state.reimbursed_centimes, state.conflicting) == (
        S.REIMBURSED,
        103_480,
        False,
    )
    assert state == derive([received, paid, paid])


def test_an_envelope_missing_from_its_batch_and_found_later_is_no_longer_missing() -> None:
    missing = Observed("V1", D1, S.NOT_RECEIVED)
    state = derive([missing])
    assert state is not None
    assert state.missing
    found = derive([Observed("V2", D2, S.RECEIVED, cnss_file_number="A-9"), missing])
    assert found is not None
    assert not found.missing
    assert found.cnss_file_number == "A-9"


def test_both_outcomes_are_a_conflict_showing_the_later_one() -> None:
    state = derive(
        [
            Observed("V1", D2, S.REFUSED, reason_code="R01"),
            Observed("V2", D3, S.REIMBURSED, reimbursed_centimes=500),
            Observed("V3", D3, S.UNDER_REVIEW),
        ]
    )
    assert state is not None
    assert state.conflicting
    assert state.status is S.REIMBURSED


def test_within_a_day_the_stage_a_file_reaches_later_wins() -> None:
    state = derive(
        [Observed("V9", D2, S.INCOMPLETE, reason_code="P04"), Observed("V1", D2, S.RECEIVED)]
    )
    assert state is not None
    assert (state.status, state.reason_code) == (S.INCOMPLETE, "P04")


_OBSERVED = st.builds(
    Observed,
    event_id=st.sampled_from([f"V{n}" for n in range(8)]),
    event_date=st.dates(min_value=D1, max_value=D3),
    status=st.sampled_from([s for s in S if s is not S.SLIP_RECEIVED]),
    reimbursed_centimes=st.none() | st.integers(min_value=0, max_value=10**9),
    reason_code=st.none() | st.sampled_from(["R01", "R02"]),
    cnss_file_number=st.none() | st.sampled_from(["A-1", "A-2"]),
)


@SETTINGS
@given(events=st.lists(_OBSERVED, max_size=10), data=st.data())
def test_any_order_and_any_repetition_give_the_same_state(
    events: list[Observed], data: st.DataObject
) -> None:
    # One event id is one event as CNSS sent it: a repeat carries the same content.
    canonical = list({e.event_id: e for e in events}.values())
    shuffled = data.draw(st.permutations(canonical))
    repeated = data.draw(st.lists(st.sampled_from(canonical), max_size=5)) if canonical else []
    assert derive(shuffled + repeated) == derive(canonical)
