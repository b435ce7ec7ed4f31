"""Schemas of deposits at the counter and their cancellations (docs/deposits.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from agent_api.domain.deposits import CareKind
from agent_api.http.schemas.common import Input, IsoDate, Output
from agent_api.http.schemas.contributions import ReceiptOut, RegistrationNumber, SupervisorIn
from agent_api.http.schemas.workers import Salted


class DepositIn(Salted):
    """An envelope of care documents handed over at the counter. It says what care a person
    received: health data, so the body is salted (docs/protocol.md, "Salted bodies")."""

    registration_number: RegistrationNumber
    dependent_id: int | None = Field(
        default=None,
        ge=1,
        le=2_147_483_647,
        description="the beneficiary when it is a dependent on the worker's file (the id "
        "POST /v1/workers/lookup lists); absent: the worker",
    )
    care_kind: CareKind
    care_from: IsoDate = Field(description="the first (or only) day of care")
    care_to: IsoDate | None = Field(
        default=None, description="the last day of care (a stay, a course); absent: care_from"
    )
    amount_spent_centimes: int = Field(
        gt=0, le=100_000_000, description="what the care cost the worker, integer centimes"
    )
    documents: int = Field(ge=1, le=200, description="how many documents are in the envelope")
    insist: bool = Field(
        default=False,
        description="take the deposit despite the warnings (the worker was told and insists)",
    )


class DepositWarningOut(Output):
    code: Literal["rights_closed", "deadline_passed", "beneficiary_not_declared"]
    cnss_reason: str = Field(description="the refusal code CNSS would likely give (R01..R03)")
    month: date | None = Field(default=None, description="rights_closed: the month of care")
    deadline: date | None = Field(default=None, description="deadline_passed: the last day")


class DepositedOut(Output):
    deposit_number: str = Field(description="D-<NETWORK>-<8 digits>: the envelope's label")
    slip: ReceiptOut
    registration_number: str
    dependent_id: int | None
    care_kind: str
    care_from: date
    care_to: date
    amount_spent_centimes: int
    documents: int
    deadline: date = Field(description="the last day CNSS accepts this file")
    warnings: list[DepositWarningOut]
    business_date: date


class DepositCancellationIn(Salted):
    """A cancellation, approved by a supervisor's password typed at the counter: salted, as
    a reversal is."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
    supervisor: SupervisorIn


class DepositCancelledOut(Output):
    receipt: ReceiptOut
    deposit_number: str
    cancels: str = Field(description="the number of the slip it cancels")
    business_date: date


class TransmittalIn(Input):
    business_date: IsoDate | None = Field(
        default=None, description="the business day whose deposits to send; absent: today"
    )


class TransmittedOut(Output):
    number: str = Field(description="B-<NETWORK>-<6 digits>, as CNSS quotes it")
    manifest: str = Field(
        description="the signed manifest (compact JWS, typ qurb-transmittal+jwt), verifiable "
        "with GET /v1/keys"
    )
    business_date: date
    deposits: list[str] = Field(description="the deposit numbers in the bundle")
    count: int
    documents: int = Field(description="documents in all the envelopes")


class DepositLineOut(Output):
    deposit_number: str
    slip_number: str
    office: str
    business_date: date
    care_kind: str
    care_from: date
    care_to: date
    amount_spent_centimes: int
    documents: int
    warnings: list[str]
    transmittal: str | None = Field(description="the slip it left in; null: still here")
    stage: Stage = Field(description="where the envelope is (docs/deposits.md)")
    since: date | None = Field(description="the date of CNSS's latest word, if any")
    reimbursed_centimes: int | None
    reason_code: str | None = Field(description="CNSS's reason when incomplete or refused")
    cnss_file_number: str | None


Stage = Literal[
    "at_office",
    "cancelled",
    "sent",
    "received",
    "not_received",
    "incomplete",
    "under_review",
    "reimbursed",
    "refused",
]


class FileStandingOut(Output):
    """Where a deposited file is, for the holder of its authentic slip (the public page)."""

    stage: Stage = Field(description="where the envelope is (docs/deposits.md)")
    dated: date = Field(description="the day it reached that stage")
    transmittal: str | None = Field(description="the transmittal slip it left in, if any")
    reimbursed_centimes: int | None = Field(description="reimbursed: the amount CNSS paid")
    reason_code: str | None = Field(description="incomplete or refused: CNSS's reason code")


class DepositList(Output):
    items: list[DepositLineOut]
