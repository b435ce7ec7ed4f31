"""Reading request bodies and query strings into input models, and writing JSON answers.

Input models forbid unknown fields and are strict about types; every validation problem
becomes one ``ValidationFailed`` naming the first offending field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from starlette.responses import JSONResponse

from agent_api.errors import MalformedRequest, NotFound, ValidationFailed
from agent_api.http.schemas.common import INT32_MAX, NUL_PROBLEM, has_nul

M = TypeVar("M", bound=BaseModel)

_MESSAGES = {
    "extra_forbidden": "unknown field",
    "missing": "is required",
}


def _location(loc: tuple[int | str, ...]) -> str:
    """``("dependents", 0, "cin")`` → ``dependents[0].cin``, as the services name fields."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "body"


def validation_error(error: ErrorDetails) -> ValidationFailed:
    location = _location(error["loc"])
    message = _MESSAGES.get(error["type"], error["msg"])
    # Pydantic's messages echo what was sent only in "input", which we never return: a
    # refused CIN or password must not come back in an error body.
    return ValidationFailed(f"{location}: {message}", field=location)


def parse_body(raw: bytes, model: type[M]) -> M:
    if not raw.strip():
        raise MalformedRequest("the request needs a JSON object body")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        first = errors[0]
        if first["type"] == "json_invalid":
            raise MalformedRequest("the body is not valid JSON") from None
        if first["type"] in ("model_type", "model_attributes_type") and not first["loc"]:
            raise MalformedRequest("the body must be a JSON object") from None
        raise validation_error(first) from None


def parse_query(params: Mapping[str, str], model: type[M]) -> M:
    try:
        return model.model_validate(dict(params))
    except ValidationError as exc:
        raise validation_error(exc.errors(include_input=False, include_url=False)[0]) from None


def path_value(value: Any, field: str) -> Any:
    """A path parameter checked as the input models check fields: Starlette's ``int``
    convertor takes any digits and its ``str`` convertor any decoded text, but no stored id
    exceeds a 32-bit integer and no stored text holds a NUL. Such a value names nothing, and
    sent to the database it would fail in the driver rather than find nothing."""
    if isinstance(value, int) and value > INT32_MAX:
        raise NotFound(f"no {field} {value}", field=field)
    if has_nul(value):
        raise ValidationFailed(f"{field}: {NUL_PROBLEM}", field=field)
    return value


def json_response(
    payload: BaseModel | list[Any] | dict[str, Any], status: int = 200
) -> JSONResponse:
    if isinstance(payload, BaseModel):
        content: Any = payload.model_dump(mode="json")
    elif isinstance(payload, list):
        content = [p.model_dump(mode="json") if isinstance(p, BaseModel) else p for p in payload]
    else:
        content = payload
    return JSONResponse(content, status_code=status)
