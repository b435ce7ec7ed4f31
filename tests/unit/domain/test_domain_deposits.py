"""What the counter says before it takes a reimbursement file (docs/deposits.md): the three
warnings, each matching the refusal CNSS would likely give, and the deposit deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime

from agent_api.domain.deposits import (
    Declared,
    care_months,
    deadline_of,
    deposit_number,
    warnings_for,
)
from agent_api.domain.rights import Rights

OPEN = Rights("open", None, None, None, "open", reason_code="paid_up")
GRACE = Rights("open", None, None, None, "grace", reason_code="within_grace")
SUSPENDED = Rights("suspended", None, None, None, "suspended", reason_code="suspended")
NOT_STARTED = Rights("open", None, None, None, "later", reason_code="not_started")


def _warn(**overrides: object) -> list[str]:
    asked: dict[str, object] = {
        "care_from": date(2026, 11, 20),
        "care_to": date(2026, 11, 20),
        "deposited_on": date(2026, 12, 6),
        "deadline_days": 60,
        "rights_by_month": {date(2026, 11, 1): OPEN},
        "dependent": None,
        **overrides,
    }
    return [w.code for w in warnings_for(**asked)]  # type: ignore[arg-type]


def test_care_within_open_rights_and_the_deadline_carries_no_warning() -> None:
    assert _warn() == []
    assert _warn(rights_by_month={date(2026, 11, 1): GRACE}) == []


def test_a_month_of_care_without_open_rights_warns_once_naming_the_first() -> None:
    found = warnings_for(
        care_from=date(2026, 9, 25),
        care_to=date(2026, 11, 3),
        deposited_on=date(2026, 11, 10),
        deadline_days=60,
        rights_by_month={
            date(2026, 9, 1): OPEN,
            date(2026, 10, 1): SUSPENDED,
            date(2026, 11, 1): SUSPENDED,
        },
        dependent=None,
    )
    assert [(w.code, w.cnss_reason, w.month) for w in found] == [
        ("rights_closed", "R01", date(2026, 10, 1))
    ]
    assert _warn(rights_by_month={date(2026, 11, 1): NOT_STARTED}) == ["rights_closed"]


def test_rights_the_counter_cannot_check_give_no_warning() -> None:
    assert _warn(rights_by_month=None) == []


def test_the_deadline_counts_from_the_last_day_of_care() -> None:
    assert deadline_of(date(2026, 10, 7), 60) == date(2026, 12, 6)
    on_the_day = _warn(care_from=date(2026, 10, 7), care_to=date(2026, 10, 7))
    day_after = _warn(care_from=date(2026, 10, 6), care_to=date(2026, 10, 6), rights_by_month=None)
    # A stay that ended within the deadline is on time though it began long before.
    stay = _warn(care_from=date(2026, 8, 1), care_to=date(2026, 10, 7), rights_by_month=None)
    assert (on_the_day, day_after, stay) == ([], ["deadline_passed"], [])


def test_a_dependent_not_on_the_file_over_the_whole_care_is_flagged() -> None:
    def declared(added: str, removed: str | None = None) -> Declared:
        def at(day: str) -> datetime:
            return datetime.fromisoformat(f"{day}T10:00:00").replace(tzinfo=UTC)

        return Declared(at(added), at(removed) if removed else None)

    assert _warn(dependent=declared("2026-01-05")) == []
    assert _warn(dependent=declared("2026-11-25")) == ["beneficiary_not_declared"]
    assert _warn(dependent=declared("2026-01-05", "2026-11-15")) == ["beneficiary_not_declared"]
    assert _warn(dependent=declared("2026-01-05", "2026-11-30")) == []


def test_care_months_run_from_the_first_to_the_last_month_touched() -> None:
    assert care_months(date(2026, 11, 28), date(2027, 1, 2)) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]
    assert care_months(date(2026, 11, 3), date(2026, 11, 9)) == [date(2026, 11, 1)]


def test_a_deposit_number_is_the_network_and_eight_digits() -> None:
    assert deposit_number("CASHPLUS", 1207) == "D-CASHPLUS-00001207"
