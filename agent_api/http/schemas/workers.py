"""Schemas of enrollment, worker lookup and amendment, receipts and the tariff."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, WithJsonSchema

from agent_api.domain.identity import (
    check_arabic_name,
    check_city,
    check_latin_name,
    normalize_cin,
    normalize_phone,
)
from agent_api.domain.months import parse_month
from agent_api.http.schemas.common import Input, IsoDate, Output, Paging, RowId
from agent_api.http.schemas.rights import RightsOut


def _month(value: object) -> object:
    """``YYYY-MM`` to the first day of that month (strict input still sees a date)."""
    if isinstance(value, str):
        try:
            return parse_month(value)
        except ValueError:
            raise ValueError("must be a month written YYYY-MM") from None
    return value


def _checked(check: object) -> AfterValidator:
    assert callable(check)

    def run(value: str) -> str:
        result = check(value)
        assert isinstance(result, str)
        return result

    return AfterValidator(run)


SALT_MIN_BYTES = 16  # 128 bits: beyond any search, whatever the data it is mixed with


def _check_salt(value: str) -> str:
    """Base64url without padding (RFC 4648 §5), at least 128 bits once decoded (32 hex digits
    are base64url characters too, and decode to 24 bytes)."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("must be base64url (A-Z a-z 0-9 - _), at least 22 characters") from None
    if len(raw) < SALT_MIN_BYTES:
        raise ValueError("must be at least 128 random bits: 22 base64url characters or more")
    return value


# A random value the terminal draws afresh for each body that carries personal data: the
# audit log keeps the body's digest (the terminal's signature covers it), and without a salt
# that digest gives the CIN, name or phone back to anyone who tries the few candidates
# (docs/audit.md, "what a leaf reveals").
Salt = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_-]{22,88}$"),
    AfterValidator(_check_salt),
    Field(
        description="at least 128 random bits chosen by the terminal for this body, base64url "
        "without padding (e.g. 22 characters from 16 random bytes); never reused",
        examples=["q7Xb0cJ3kR9vLm2TzW8yFg"],
    ),
]
Cin = Annotated[str, _checked(normalize_cin)]
Phone = Annotated[str, _checked(normalize_phone)]
LatinName = Annotated[str, _checked(check_latin_name)]
ArabicName = Annotated[str, _checked(check_arabic_name)]
# What _month accepts, so that the document says YYYY-MM rather than a full date: years 0001
# to 9999, months 01 to 12.
MONTH_PATTERN = (
    r"^(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(?:0[1-9]|1[0-2])$"
)
Month = Annotated[
    date,
    BeforeValidator(_month),
    WithJsonSchema({"type": "string", "pattern": MONTH_PATTERN, "examples": ["2025-03"]}),
]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,23}$")]
Sex = Literal["F", "M"]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
City = Annotated[str, _checked(check_city), WithJsonSchema({"type": "string", "maxLength": 60})]
Document = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=40)
]


class Salted(Input):
    """A body with personal data: its salt keeps the audit log's digest of it unguessable."""

    salt: Salt


class DependentIn(Input):
    relation: Literal["spouse", "child"]
    cin: Cin | None = Field(default=None, description="required for a spouse")
    last_name: LatinName
    first_name: LatinName
    birth_date: IsoDate
    sex: Sex
    student: bool = False
    disabled: bool = False


class WorkerIn(Salted):
    """A new worker. Every field but ``cin`` may be left out when the worker is on a
    liaison body's list that provides it; otherwise it is required."""

    cin: Cin
    last_name: LatinName | None = None
    first_name: LatinName | None = None
    last_name_ar: ArabicName | None = None
    first_name_ar: ArabicName | None = None
    birth_date: IsoDate | None = None
    sex: Sex | None = None
    phone: Phone | None = None
    address: Text200 | None = None
    city: City | None = None
    category: Code | None = None
    bracket: Code | None = None
    document_number: Document | None = None
    coverage_start: Month | None = Field(default=None, description="YYYY-MM")
    dependents: list[DependentIn] = Field(default_factory=list, max_length=20)


class LookupIn(Salted):
    cin: Cin


class HistoryLookupIn(Salted):
    cin: Cin = Field(description="the worker's CIN, typed from their card")


class AmendIn(Salted):
    cin: Cin | None = Field(
        default=None,
        description="the worker's CIN, typed from their card: the proof they are at the "
        "counter, needed unless this office enrolled them (403 worker_presence_required)",
    )
    phone: Phone | None = None
    address: Text200 | None = None
    city: City | None = None
    category: Code | None = None
    bracket: Code | None = None
    document_number: Document | None = None
    add_dependents: list[DependentIn] = Field(default_factory=list, max_length=20)
    remove_dependents: list[RowId] = Field(default_factory=list, max_length=20)


class DependentOut(Output):
    id: int
    relation: str
    cin_masked: str | None
    last_name: str
    first_name: str
    birth_date: date
    sex: str
    student: bool
    disabled: bool


class PeriodOut(Output):
    category: str
    bracket: str
    effective_from: date


class DuesOut(Output):
    first_month: date
    through_month: date
    months: int
    due_centimes: int
    collected_at_counter: bool


class WorkerOut(Output):
    registration_number: str
    cin_masked: str
    last_name: str
    first_name: str
    last_name_ar: str | None
    first_name_ar: str | None
    birth_date: date
    sex: str
    phone: str
    address: str
    city: str
    category: str
    bracket: str
    document_number: str | None
    coverage_start: date
    status: str
    enrolled_at: datetime
    enrolled_office: str
    categories: list[PeriodOut]
    dependents: list[DependentOut]
    dues: DuesOut


class WorkerSummaryOut(Output):
    """A worker read by registration number: the name to confirm with the worker, the
    category, the dues, the rights and the masked CIN; no birth date, phone, address,
    dependents' details or history (those need the worker's CIN: POST /v1/workers/lookup)."""

    registration_number: str
    cin_masked: str
    last_name: str
    first_name: str
    last_name_ar: str | None
    first_name_ar: str | None
    category: str
    bracket: str
    coverage_start: date
    status: str
    enrolled_office: str
    dependents: int = Field(description="how many dependents are covered")
    dues: DuesOut
    rights: RightsOut


class ReceiptRef(Output):
    number: str
    receipt: str = Field(description="compact JWS (EdDSA), verifiable with GET /v1/keys")
    compact: str | None = Field(
        default=None,
        description="the same claims under the same key, compact: COSE_Sign1 over CBOR, "
        "Base45 (QC1:…), for a QR; docs/signed-documents.md",
    )


class EnrolledOut(Output):
    registration_number: str
    dues_start: date
    worker: WorkerOut
    receipt: ReceiptRef
    rights: RightsOut = Field(
        description="the worker's rights from this moment: a coverage starting more than the "
        "grace in the past is suspended from day one (reason_code suspended), and once the "
        "arrears are paid rights reopen after the waiting period (docs/account.md)"
    )
    suspended_from_enrollment: bool = Field(
        description="true when the coverage start is so far in the past that rights are "
        "suspended from day one, until the arrears are paid and the waiting period is over"
    )


class PreRegistrationOut(Output):
    cin_masked: str
    last_name: str
    first_name: str
    birth_date: date | None
    category: str
    bracket: str | None
    document_number: str | None
    phone: str | None
    city: str | None
    source: str | None
    missing: list[str]


class LookupOut(Output):
    status: Literal["enrolled", "pre_registered"]
    worker: WorkerOut | None
    pre_registration: PreRegistrationOut | None


class HistoryEntryOut(Output):
    changed_at: datetime
    field: str
    old_value: str | None
    new_value: str | None
    effective_from: date | None
    office: str
    terminal_id: int
    operator: str


class HistoryOut(Output):
    items: list[HistoryEntryOut]


class StoredReceiptOut(Output):
    number: str
    kind: str
    issued_at: datetime
    amount_centimes: int | None
    receipt: str
    compact: str | None = Field(
        default=None,
        description="the same claims under the same key, compact: COSE_Sign1 over CBOR, "
        "Base45 (QC1:…), for a QR; docs/signed-documents.md",
    )


# -- tariff ------------------------------------------------------------------------------


class RateOut(Output):
    category: str
    bracket: str
    effective_from: date
    base_centimes: int
    rate_bps: int
    monthly_due_centimes: int
    created_at: datetime
    created_by: str


class BracketOut(Output):
    code: str
    label: str
    current: RateOut | None
    upcoming: list[RateOut]


class CategoryOut(Output):
    code: str
    label_fr: str
    label_ar: str
    document_label: str | None
    collected_at_counter: bool
    daily_declaration: bool
    brackets: list[BracketOut]


class TariffOut(Output):
    categories: list[CategoryOut]


class RateList(Output):
    items: list[RateOut]


class RateQuery(Paging):
    category: str | None = None


class RateIn(Input):
    category: Code
    bracket: Code
    effective_from: Month = Field(description="YYYY-MM, a future month")
    base_centimes: int = Field(gt=0, le=10_000_000_00)
    rate_bps: int = Field(gt=0, le=10_000)


class CategoryIn(Input):
    code: Code
    label_fr: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    label_ar: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    document_label: Annotated[str, StringConstraints(max_length=80)] | None = None
    document_pattern: Annotated[str, StringConstraints(max_length=120)] | None = None
    collected_at_counter: bool = True
    daily_declaration: bool = False


class BracketIn(Input):
    code: Code
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class WaiverIn(Input):
    starts_on: IsoDate
    ends_on: IsoDate
    categories: list[Code] = Field(default_factory=list, description="empty: every category")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]


class WaiverOut(Output):
    id: int
    starts_on: date
    ends_on: date
    categories: list[str]
    reason: str
    created_at: datetime
    created_by: str


class WaiverList(Output):
    items: list[WaiverOut]
