"""Schemas of the back-office API (``/v1/admin``)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

from agent_api.domain.registry import (
    NETWORK_CODE,
    OFFICE_CODE,
    USERNAME,
    is_valid_rib,
    password_problem,
)
from agent_api.domain.roles import Role
from agent_api.http.schemas.common import Input, IsoDate, Name, Output, Paging, Place, RowId


def _matches(pattern_name: str, pattern: re.Pattern[str]) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"is not a valid {pattern_name}")
        return value

    return AfterValidator(check)


def _rib(value: str) -> str:
    if not is_valid_rib(value):
        raise ValueError("is not a valid 24-digit RIB (check the key)")
    return value


def _password(value: str) -> str:
    problem = password_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


NetworkCode = Annotated[
    str, _matches("network code (A-Z, 0-9, 2 to 12, starting with a letter)", NETWORK_CODE)
]
OfficeCode = Annotated[str, _matches("office code (A-Z, 0-9, -, 3 to 20)", OFFICE_CODE)]
Username = Annotated[str, _matches("username (a-z, 0-9, . _ -, 3 to 40)", USERNAME)]
Rib = Annotated[str, AfterValidator(_rib)]
NewPassword = Annotated[str, AfterValidator(_password)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class NetworkIn(Input):
    code: NetworkCode
    name: Name
    commission_fixed_centimes: int = Field(ge=0, le=100_000_00)
    commission_bps: int = Field(ge=0, le=10_000)
    settlement_account: Rib


class NetworkOut(Output):
    code: str
    name: str
    commission_fixed_centimes: int = Field(
        description="the rule in force on the current business day (see commission-rules)"
    )
    commission_bps: int = Field(description="the rule in force on the current business day")
    settlement_account: str
    status: str
    created_at: datetime


class NetworkList(Output):
    items: list[NetworkOut]


class CommissionRuleIn(Input):
    """A network's new commission rule, from a future business date."""

    effective_from: IsoDate = Field(
        description="YYYY-MM-DD, the first business day of the rule: after the current "
        "business day in Africa/Casablanca. Announcing again for the same (still future) day "
        "replaces what was announced for it."
    )
    fixed_centimes: int = Field(ge=0, le=100_000_00, description="per collection that stands")
    basis_points: int = Field(ge=0, le=10_000, description="of each collection's amount")


class CommissionRuleOut(Output):
    fixed_centimes: int
    basis_points: int
    effective_from: date | None = Field(
        description="its first business day; null: the rule the network was created with"
    )
    until: date | None = Field(description="its last business day; null: open-ended")
    announced_at: datetime
    announced_by: str | None = Field(description="null for the rule set at creation")


class CommissionRulesOut(Output):
    network: str
    business_date: date = Field(description="the current business day the rules are read at")
    current: CommissionRuleOut
    scheduled: list[CommissionRuleOut] = Field(description="announced, not yet in force")
    history: list[CommissionRuleOut] = Field(description="every rule applied, newest first")
    first_changeable_day: date = Field(description="the earliest day a new rule may start")


class CommissionAnnouncedOut(Output):
    network: str
    rule: CommissionRuleOut
    replaced: bool = Field(description="true: a rule announced for the same day was replaced")


class OfficeIn(Input):
    code: OfficeCode
    network: NetworkCode
    name: Name
    city: Place
    region: Place


class OfficeOut(Output):
    code: str
    network: str
    name: str
    city: str
    region: str
    status: str
    created_at: datetime


class OfficeList(Output):
    items: list[OfficeOut]


class OfficeQuery(Paging):
    network: str | None = None
    city: str | None = None


class TerminalIn(Input):
    office: OfficeCode
    label: Label = "Terminal"


class TerminalKeyOut(Output):
    keyid: str
    status: str
    created_at: datetime
    retired_at: datetime | None


class TerminalOut(Output):
    id: int
    office: str
    network: str
    label: str
    status: str
    activation_expires_at: datetime | None
    created_at: datetime
    activated_at: datetime | None
    keys: list[TerminalKeyOut]


class TerminalCreated(Output):
    terminal: TerminalOut
    activation_code: str = Field(description="shown once; give it to the office by hand")


class TerminalList(Output):
    items: list[TerminalOut]


class TerminalQuery(Paging):
    office: str | None = None
    status: str | None = None


class UserIn(Input):
    username: Username
    full_name: Name
    role: Role
    password: NewPassword
    office: OfficeCode | None = None
    network: NetworkCode | None = None


class UserOut(Output):
    username: str
    full_name: str
    role: str
    office: str | None
    network: str | None
    status: str
    locked: bool
    created_at: datetime


class UserList(Output):
    items: list[UserOut]


class UserQuery(Paging):
    role: Role | None = None
    office: str | None = None


class PasswordIn(Input):
    password: NewPassword


class SignInIn(Input):
    username: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class SessionOut(Output):
    token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_at: datetime
    username: str
    role: str


class SecurityEventOut(Output):
    id: int
    occurred_at: datetime
    kind: str
    terminal_id: int | None
    office: str | None
    network: str | None
    keyid: str | None
    detail: dict[str, Any]


class SecurityEventList(Output):
    items: list[SecurityEventOut]


class SecurityEventQuery(Paging):
    kind: str | None = None
    terminal_id: RowId | None = None
