"""Schemas of quotes, collections, reversals, rights, certificates, declarations, the day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationError, model_validator
from pydantic_core import InitErrorDetails

from agent_api.http.schemas.common import Input, IsoDate, Output, Query
from agent_api.http.schemas.rights import MonthOut, RightsOut
from agent_api.http.schemas.workers import Month, Phone, Salt, Salted

RegistrationNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{10}$")]
Amount = Annotated[int, Field(gt=0, description="integer centimes of MAD")]


class QuoteQuery(Query):
    through: Month | None = Field(default=None, description="YYYY-MM; the current month if absent")


class QuoteLineOut(Output):
    month: date
    base_centimes: int
    due_centimes: int
    surcharge_centimes: int
    paid_centimes: int
    outstanding_centimes: int


class QuoteOut(Output):
    registration_number: str
    through: date
    lines: list[QuoteLineOut]
    total_centimes: int
    horizon: MonthOut = Field(
        description="the last month a payment may prepay today: the current month and "
        "QURB_PREPAY_HORIZON_MONTHS months ahead (docs/account.md)"
    )
    paid_through: MonthOut | None = Field(
        description="the latest month whose due is fully paid (null: none)"
    )
    gaps: list[MonthOut] = Field(
        description="unpaid months before paid_through, left by a reversal; the next "
        "payment goes to them first"
    )


class CollectionIn(Input):
    """A payment. With ``payer_phone`` it carries personal data, and so the terminal's salt
    (docs/protocol.md, "Salted bodies"); without it, a salt may be sent and is ignored."""

    registration_number: RegistrationNumber
    amount_centimes: Amount
    payer_phone: Phone | None = None
    salt: Salt | None = Field(default=None, description="required when payer_phone is given")

    @model_validator(mode="after")
    def _salted_with_a_phone(self) -> CollectionIn:
        if self.payer_phone is not None and self.salt is None:
            # Raised as pydantic's own "missing" at ``salt``, so that the 422 names the field
            # the terminal must add, as it does for a body that always needs one.
            missing = InitErrorDetails(type="missing", loc=("salt",), input=None)
            raise ValidationError.from_exception_data(type(self).__name__, [missing])
        return self


class CreditedOut(Output):
    month: date
    kind: str
    amount_centimes: int


class ReceiptOut(Output):
    number: str
    receipt: str = Field(description="compact JWS (EdDSA), verifiable with GET /v1/keys")
    compact: str | None = Field(
        default=None,
        description="the same claims under the same key, compact: COSE_Sign1 over CBOR, "
        "Base45 (QC1:…), for a QR; docs/signed-documents.md",
    )


class CollectedOut(Output):
    receipt: ReceiptOut
    registration_number: str
    amount_centimes: int
    business_date: date
    allocations: list[CreditedOut]
    rights: RightsOut


class SupervisorIn(Input):
    username: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class ReversalIn(Salted):
    """A reversal, approved by a supervisor's password typed at the counter: salted, so the
    audit log's digest of it is no unsalted hash of that password."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
    supervisor: SupervisorIn


class ReversedOut(Output):
    receipt: ReceiptOut
    reverses: str
    amount_centimes: int
    business_date: date


class WorkerRightsOut(Output):
    registration_number: str
    collected_at_counter: bool
    rights: RightsOut


class CertificateIn(Input):
    kind: Literal["rights", "payments"]


class CertificateOut(Output):
    receipt: ReceiptOut
    kind: str
    registration_number: str


class DayIn(Input):
    date: IsoDate
    earnings_centimes: int = Field(ge=0, le=100_000_00)


class DeclarationIn(Input):
    registration_number: RegistrationNumber
    declared_by: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)
    ]
    days: list[DayIn] = Field(min_length=1, max_length=31)


class DeclaredDayOut(Output):
    day: date
    earnings_centimes: int
    contribution_centimes: int


class DeclaredOut(Output):
    registration_number: str
    days: list[DeclaredDayOut]
    total_centimes: int


class DayQuery(Query):
    business_date: IsoDate


class CollectionLineOut(Output):
    receipt_number: str
    registration_number: str
    amount_centimes: int
    operator: str
    recorded_at: datetime
    offline: bool
    reversed_by: str | None


class CollectionList(Output):
    items: list[CollectionLineOut]


class OperatorTotalOut(Output):
    operator: str
    count: int
    gross_centimes: int
    reversed_centimes: int


class DaySummaryOut(Output):
    business_date: date
    office: str
    count: int
    gross_centimes: int
    reversals: int
    reversed_centimes: int
    net_centimes: int
    by_operator: list[OperatorTotalOut]
