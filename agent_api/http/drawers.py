"""The counter's cash drawer: its end-of-day close (a signed write) and the office's closes
for its supervisor."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from agent_api.domain.cash import cash_count
from agent_api.domain.permissions import COUNTER_STAFF, SUPERVISE_OFFICE
from agent_api.domain.roles import Actor
from agent_api.http.endpoints import Call, Endpoint
from agent_api.http.io import json_response
from agent_api.http.schemas import drawers as s
from agent_api.http.schemas.contributions import DayQuery, ReceiptOut
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.services.accounts.drawer_closes import DrawerClosed
from agent_api.services.container import Services
from agent_api.services.sessions.terminal_auth import TerminalContext
from agent_api.services.writes.idempotency import WriteContext
from agent_api.services.writes.signed_writes import Done, WriteKind


@dataclass(frozen=True)
class _Close:
    actor: Actor
    terminal: TerminalContext
    body: s.DrawerCloseIn


def _close(
    services: Services, uow: UnitOfWork, write: WriteContext, r: _Close
) -> Done[DrawerClosed]:
    count = cash_count((c.denomination_centimes, c.quantity) for c in r.body.counts)
    done = services.drawer_closes.close(uow, r.actor, r.terminal, write, count)
    return Done(done, done.decision())


def _closed(done: DrawerClosed) -> object:
    return s.DrawerClosedOut(
        receipt=ReceiptOut(number=done.number, receipt=done.report, compact=done.compact),
        business_date=done.business_date,
        counts=[s.CountOut(denomination_centimes=d, quantity=q) for d, q in done.counts],
        counted_centimes=done.counted_centimes,
        expected_centimes=done.expected_centimes,
        difference_centimes=done.difference_centimes,
        collections=done.collections,
        collected_centimes=done.collected_centimes,
        reversals=done.reversals,
        reversed_centimes=done.reversed_centimes,
        closed_at=done.closed_at,
        repeated=done.repeated,
    ).model_dump(mode="json")


CLOSE = WriteKind("drawer_close", _close, _closed)


def close(call: Call) -> Response:
    return call.run(CLOSE, _Close(call.who(), call.at_terminal(), call.body(s.DrawerCloseIn)))


async def office_closes(call: Call) -> Response:
    q = call.query(DayQuery)
    lines = await run_in_threadpool(
        call.services.drawer_closes.of_office, call.who(), q.business_date
    )
    return json_response(s.CloseList(items=[s.CloseLineOut.model_validate(x) for x in lines]))


ENDPOINTS: list[Endpoint] = [
    Endpoint.signed_write(
        CLOSE,
        "POST",
        "/v1/drawer-closes",
        close,
        "Close this terminal's cash drawer for the business day (a blind count)",
        "operator",
        COUNTER_STAFF,
        body=s.DrawerCloseIn,
        response=s.DrawerClosedOut,
        tags=("contributions",),
        # The drawer is already closed for the day with another count (field counts).
        errors=(409,),
    ),
    Endpoint(
        "GET",
        "/v1/offices/current/drawer-closes",
        office_closes,
        "This office's drawer closes of a business date (its supervisor)",
        "operator",
        SUPERVISE_OFFICE,
        query=DayQuery,
        response=s.CloseList,
        tags=("contributions",),
    ),
]
