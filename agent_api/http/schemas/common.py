"""Shared schema pieces: the strict input base, the error body, paging, and the bounds that
keep a request's numbers and text storable."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

# Ids, offsets and versions are PostgreSQL INTEGERs, log sizes BIGINTs. A larger number names
# no row; sent to the database it would fail in the driver (a 500), not find nothing.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
NUL_PROBLEM = "must not contain the NUL character"


def has_nul(value: object) -> bool:
    """Whether a string (or a list of them) holds U+0000, which no PostgreSQL text can store."""
    if isinstance(value, str):
        return "\x00" in value
    return isinstance(value, list | tuple) and any(has_nul(v) for v in value)


class _NoNul(BaseModel):
    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if has_nul(value):
            raise ValueError(NUL_PROBLEM)
        return value


class Input(_NoNul):
    """Base of every request body: unknown fields refused, no type coercion, no NUL."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Query(_NoNul):
    """Base of query-string models: strings are converted, unknown parameters refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


class ErrorDetail(Output):
    code: str = Field(description="stable, machine-readable error code")
    message: str = Field(description="what is wrong, for a person")
    field: str | None = Field(default=None, description="the input field at fault, if any")
    registration_number: str | None = Field(
        default=None, description="with worker_already_enrolled: the existing registration"
    )
    maximum_centimes: int | None = Field(
        default=None,
        description="with an amount refused as too large (field amount_centimes, or code "
        "no_declared_days): the most that can be collected now, in integer centimes",
    )
    warnings: str | None = Field(
        default=None,
        description="with deposit_needs_insistence: the warning codes, comma-separated "
        "(rights_closed, deadline_passed, beneficiary_not_declared)",
    )


class ErrorBody(Output):
    error: ErrorDetail


class Paging(Query):
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=INT32_MAX)


RowId = Annotated[int, Field(ge=1, le=INT32_MAX)]


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: object) -> object:
    """``YYYY-MM-DD`` to a date (strict input then sees a date). Pydantic alone also reads a
    string of digits as a Unix time ("86400" is 1970-01-02), even in strict mode."""
    if not isinstance(value, str):
        return value
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a real date written YYYY-MM-DD") from None


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
