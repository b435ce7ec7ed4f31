"""The answer to a sign-in refused for a while: 429 with ``Retry-After`` (RFC 9110 §10.2.3),
so that a client waits as long as the refusal lasts instead of guessing.

A sender that ignores it and keeps trying (refused more often than it was ever admitted) gets
its refusals after a pause: a closed loop of bad sign-ins then costs the server a sleeping
coroutine a second per connection instead of a full request each millisecond, which is what
kept collections waiting under a flood even once nothing was hashed (bench/login_flood.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from starlette.responses import Response

from agent_api.http.errors import error_response
from agent_api.services.sessions.sign_in_throttle import TooManyAttempts

T = TypeVar("T")
# How long a persistent sender waits for each refusal.
PERSISTENT_PAUSE_SECONDS = 1.0


def too_many_attempts(refused: TooManyAttempts) -> Response:
    response = error_response(refused.status, refused.code, refused.message, refused.field)
    response.headers["Retry-After"] = str(refused.retry_after_seconds)
    return response


async def unless_throttled(work: Awaitable[T]) -> T | Response:
    """What ``work`` returns, or the 429 answer when it was throttled."""
    try:
        return await work
    except TooManyAttempts as refused:
        if refused.persistent:
            await asyncio.sleep(PERSISTENT_PAUSE_SECONDS)
        return too_many_attempts(refused)
