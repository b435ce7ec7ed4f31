"""The supervisor's own credentials, typed at the counter to approve undoing a write of the
same day (a collection reversed, a deposit cancelled): checked before the write opens, so
that a wrong password consumes no sequence number, and throttled like a sign-in, with one
answer for every refusal (``terminal_auth.check_supervisor``). What needs the row being
undone is the service's (``services.accounts.same_day_approval``)."""

from __future__ import annotations

from starlette.responses import Response

from agent_api.http.endpoints import Call
from agent_api.http.schemas.contributions import SupervisorIn
from agent_api.http.throttled import unless_throttled
from agent_api.persistence.tables import User


async def approving_supervisor(call: Call, credentials: SupervisorIn) -> User | Response:
    """The supervisor who approves, or the answer to send instead (401, 423 or 429)."""
    return await unless_throttled(
        call.services.terminal_auth.check_supervisor(
            call.at_terminal(), credentials.username, credentials.password
        )
    )
