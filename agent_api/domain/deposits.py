"""AMO reimbursement files deposited at the counter: what the counter must say before it takes
one (docs/deposits.md).

CNSS decides on a file, not the counter; but the counter must warn the worker of what will
likely get it refused, and take it anyway if the worker insists, with the warning printed
on the slip. Three things are checked, each a ``Warning`` with a stable code that matches
CNSS's own refusal reasons in the tracking file (``R01``..``R03``):

- ``rights_closed`` (R01): the beneficiary's health rights were not open in a month of care;
- ``deadline_passed`` (R02): the deposit comes after the deadline counted from the last
  day of care;
- ``beneficiary_not_declared`` (R03): the dependent was not declared on the worker's file
  over the whole period of care.

Pure: the account's rights per month are computed by the caller and handed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from agent_api.clock import CASABLANCA
from agent_api.domain.months import add_months, first_of_month, months_between
from agent_api.domain.rights import Rights

CareKind = Literal[
    "consultation",
    "pharmacy",
    "laboratory",
    "imaging",
    "hospitalisation",
    "dental",
    "optical",
    "other",
]
CARE_KINDS: tuple[CareKind, ...] = (
    "consultation",
    "pharmacy",
    "laboratory",
    "imaging",
    "hospitalisation",
    "dental",
    "optical",
    "other",
)
WarningCode = Literal["rights_closed", "deadline_passed", "beneficiary_not_declared"]
# How long a stay or a course of care may span on one file: a year (a longer one is a typing
# mistake in a date, not a file).
MAX_CARE_DAYS = 366


@dataclass(frozen=True)
class Warning:
    """Something that will likely make CNSS refuse the file; ``month`` or ``deadline``
    says which month or which last day, for the message."""

    code: WarningCode
    cnss_reason: str  # the refusal code CNSS would give (R01..R03)
    month: date | None = None
    deadline: date | None = None


@dataclass(frozen=True)
class Declared:
    """When a dependent was on the worker's file: from ``added_at``, until ``removed_at``."""

    added_at: datetime
    removed_at: datetime | None


def care_months(care_from: date, care_to: date) -> list[date]:
    """The first day of each month the care touched, in order."""
    first = first_of_month(care_from)
    count = months_between(first, first_of_month(care_to)) + 1
    return [add_months(first, n) for n in range(count)]


def deadline_of(care_to: date, deadline_days: int) -> date:
    """The last day a file may be deposited: ``deadline_days`` after the last day of care
    (the day after an outpatient visit, or after leaving hospital, counts as day 1)."""
    return care_to + timedelta(days=deadline_days)


def warnings_for(
    *,
    care_from: date,
    care_to: date,
    deposited_on: date,
    deadline_days: int,
    rights_by_month: Mapping[date, Rights] | None,
    dependent: Declared | None,
) -> list[Warning]:
    """Every warning a deposit of this care carries, in a fixed order. ``rights_by_month``
    is None when the counter cannot check rights (a worker whose contribution is paid
    through the tax): CNSS holds those, the counter says nothing either way."""
    found: list[Warning] = []
    for month, rights in (rights_by_month or {}).items():
        if rights.status != "open" or rights.reason_code == "not_started":
            found.append(Warning("rights_closed", "R01", month=month))
            break
    last_day = deadline_of(care_to, deadline_days)
    if deposited_on > last_day:
        found.append(Warning("deadline_passed", "R02", deadline=last_day))
    if dependent is not None:
        added = dependent.added_at.astimezone(CASABLANCA).date()
        removed = (
            dependent.removed_at.astimezone(CASABLANCA).date()
            if dependent.removed_at is not None
            else None
        )
        if added > care_from or (removed is not None and removed <= care_to):
            found.append(Warning("beneficiary_not_declared", "R03"))
    return found


def deposit_number(network_code: str, slip_id: int) -> str:
    """``D-<NETWORK>-<8 digits>``, the number on the envelope's label and in CNSS's tracking
    file: the slip's own row id, so unique and never reused like a receipt's."""
    return f"D-{network_code}-{slip_id:08d}"
