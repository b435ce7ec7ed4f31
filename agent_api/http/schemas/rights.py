"""Schemas of a worker's health rights, shared by the rights answer, a collection's answer
and an enrollment's answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer, WithJsonSchema

from agent_api.domain.months import format_month
from agent_api.http.schemas.common import Output

MONTH_OUT_PATTERN = r"^[0-9]{4}-(?:0[1-9]|1[0-2])$"

# A month in an answer, written YYYY-MM (the fields added since issue 15; older fields keep
# the full date of the month's 1st, which clients read as YYYY-MM-DD).
MonthOut = Annotated[
    date,
    PlainSerializer(format_month, return_type=str),
    WithJsonSchema({"type": "string", "pattern": MONTH_OUT_PATTERN, "examples": ["2026-01"]}),
]


class RightsOut(Output):
    """A worker's health rights; the rules are in docs/account.md."""

    status: Literal["open", "suspended", "waiting"]
    covered_through: date | None = Field(
        description="the last month of the unbroken run of paid months from the coverage start"
    )
    oldest_unpaid: date | None
    reopens: date | None
    reason: str = Field(description="the rule that decided, in words (English)")
    reason_code: Literal["paid_up", "within_grace", "not_started", "suspended", "waiting"] = Field(
        description="paid_up: every due to date is paid; within_grace: dues unpaid, rights "
        "open through open_until; not_started: coverage starts in coverage_starts; "
        "suspended: dues unpaid beyond the grace since oldest_unpaid; waiting: arrears "
        "cleared, rights reopen in reopens"
    )
    open_until: MonthOut | None = Field(
        description="within_grace: the last month rights stay open if nothing more is paid"
    )
    coverage_starts: MonthOut | None = Field(description="not_started: the first month of coverage")
    paid_through: MonthOut | None = Field(
        description="the latest month whose due is fully paid (may be ahead, or after a gap)"
    )
    unpaid_months: list[MonthOut] = Field(
        description="months whose due is not fully paid, from the coverage start to the "
        "later of this month and paid_through"
    )
    gaps: list[MonthOut] = Field(
        description="those unpaid months that come before paid_through (a reversed payment's "
        "hole); the next payment goes to them first"
    )
