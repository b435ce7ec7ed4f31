"""The answer to a sign-in refused for a while: 429 with ``Retry-After`` (RFC 9110 §10.2.3),
so that a client waits as long as the refusal lasts instead of guessing."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from starlette.responses import Response

from agent_api.http.errors import error_response
from agent_api.services.sign_in_throttle import TooManyAttempts

T = TypeVar("T")


def too_many_attempts(refused: TooManyAttempts) -> Response:
    response = error_response(refused.status, refused.code, refused.message, refused.field)
    response.headers["Retry-After"] = str(refused.retry_after_seconds)
    return response


async def unless_throttled(work: Awaitable[T]) -> T | Response:
    """What ``work`` returns, or the 429 answer when it was throttled."""
    try:
        return await work
    except TooManyAttempts as refused:
        return too_many_attempts(refused)
