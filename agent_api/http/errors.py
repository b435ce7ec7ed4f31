"""The single mapping from errors to responses: ``{"error": {"code", "message", "field"?}}``.

Domain errors carry their status and stable code; Starlette's own 404/405 are reshaped into
the same body. Unexpected exceptions are answered by the request middleware (a 500 with
the request id and no detail).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from agent_api import metrics
from agent_api.errors import QurbError
from agent_api.protocol.errors import ProtocolError

logger = logging.getLogger(__name__)


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    details: Mapping[str, str | int] | None = None,
) -> JSONResponse:
    body: dict[str, str | int] = {**(details or {}), "code": code, "message": message}
    if field is not None:
        body["field"] = field
    if status >= 400:
        metrics.REFUSALS.labels(code).inc()
    return JSONResponse({"error": body}, status_code=status)


async def on_qurb_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, QurbError)
    if exc.status >= 500:
        logger.warning("request_failed", extra={"code": exc.code})
    response = error_response(exc.status, exc.code, exc.message, exc.field, exc.details)
    if exc.status == 503:
        response.headers["Retry-After"] = "2"
    return response


# Signature problems are authentication failures; a body whose digest does not match, or an
# unparsable header, is a malformed request.
_PROTOCOL_STATUS = {
    "signature_missing": 401,
    "signature_invalid": 401,
    "signature_coverage": 401,
    "signature_stale": 401,
    "malformed_signature": 400,
    "digest_mismatch": 400,
    "digest_missing": 400,
}


async def on_protocol_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProtocolError)
    return error_response(_PROTOCOL_STATUS.get(exc.code, 400), exc.code, exc.message, None)


async def on_http_exception(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    code = codes.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), None)


EXCEPTION_HANDLERS = {
    QurbError: on_qurb_error,
    ProtocolError: on_protocol_error,
    HTTPException: on_http_exception,
}
