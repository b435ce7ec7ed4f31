"""Shared schema pieces: the strict input base, the error body, paging."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Input(BaseModel):
    """Base of every request body: unknown fields refused, no type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Query(BaseModel):
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


class ErrorBody(Output):
    error: ErrorDetail


class Paging(Query):
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
