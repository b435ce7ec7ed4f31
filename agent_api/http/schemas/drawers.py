"""Schemas of the cash-drawer close and of the office's closes (docs/drawer.md)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from agent_api.domain.cash import DENOMINATIONS_CENTIMES, MAX_QUANTITY
from agent_api.http.schemas.common import INT64_MAX, Input, Output
from agent_api.http.schemas.contributions import ReceiptOut

_KNOWN = ", ".join(str(d) for d in DENOMINATIONS_CENTIMES)


class CountIn(Input):
    denomination_centimes: int = Field(
        ge=1,
        le=INT64_MAX,
        description=f"a note or coin of the Moroccan dirham, in centimes: {_KNOWN}",
    )
    quantity: int = Field(ge=0, le=MAX_QUANTITY, description="how many were counted")


class DrawerCloseIn(Input):
    """The operator's count, each denomination at most once (one left out counts 0)."""

    counts: list[CountIn] = Field(max_length=len(DENOMINATIONS_CENTIMES))


class CountOut(Output):
    denomination_centimes: int
    quantity: int


class DrawerClosedOut(Output):
    receipt: ReceiptOut = Field(
        description="the signed close report: number C-<NETWORK>-<8 digits>, a JWS of kind "
        "drawer_close under the receipt key"
    )
    business_date: date
    counts: list[CountOut]
    counted_centimes: int
    expected_centimes: int = Field(
        description="this terminal's collections of the business day minus its reversals"
    )
    difference_centimes: int = Field(description="counted minus expected: negative is short")
    collections: int
    collected_centimes: int
    reversals: int
    reversed_centimes: int
    closed_at: datetime
    repeated: bool = Field(description="true when an earlier request made this close")


class CloseLineOut(Output):
    number: str
    business_date: date
    office: str
    terminal_id: int
    terminal: str
    operator: str
    counted_centimes: int
    expected_centimes: int
    difference_centimes: int
    collections: int
    reversals: int
    closed_at: datetime


class CloseList(Output):
    items: list[CloseLineOut]
