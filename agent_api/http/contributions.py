"""The counter's money API: quotes, collections, reversals, rights, certificates, fishing
declarations and the office's day."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from agent_api.domain.permissions import COUNTER_STAFF
from agent_api.http.endpoints import Call, Endpoint, stored_response
from agent_api.http.io import json_response, path_value
from agent_api.http.schemas import contributions as s
from agent_api.http.schemas.rights import RightsOut
from agent_api.http.throttled import unless_throttled
from agent_api.services.accounts import Certificate, Collected, Reversed
from agent_api.services.declarations import Declared

_RN = "/v1/workers/{registration_number}"


async def quote(call: Call) -> Response:
    q = call.query(s.QuoteQuery)
    found = await run_in_threadpool(
        call.services.accounts.quote, call.path("registration_number"), q.through
    )
    return json_response(s.QuoteOut.model_validate(found))


def collect(call: Call) -> Response:
    """Plain (not a coroutine): the hot path runs in one worker thread with its checks."""
    body = call.body(s.CollectionIn)
    services = call.services
    actor, terminal, write = call.who(), call.at_terminal(), call.write()

    def render(done: Collected) -> tuple[int, object]:
        out = s.CollectedOut(
            receipt=s.ReceiptOut(number=done.receipt_number, receipt=done.receipt),
            registration_number=done.registration_number,
            amount_centimes=done.amount_centimes,
            business_date=done.business_date,
            allocations=[s.CreditedOut.model_validate(a) for a in done.allocations],
            rights=RightsOut.model_validate(done.rights),
        )
        return 201, out.model_dump(mode="json")

    outcome = services.writes.execute(
        write,
        lambda uow: services.accounts.collect(
            uow,
            actor,
            terminal,
            write,
            registration_number=body.registration_number,
            amount_centimes=body.amount_centimes,
            payer_phone=body.payer_phone,
        ),
        render,
    )
    return stored_response(outcome)


async def reverse(call: Call) -> Response:
    body = call.body(s.ReversalIn)
    services = call.services
    actor, terminal, write = call.who(), call.at_terminal(), call.write()
    number = path_value(call.path("receipt_number"), "receipt_number")
    # The supervisor's own credentials, checked before the write opens: an operator cannot
    # approve their own mistake. One answer for every refusal (terminal_auth.check_supervisor).
    supervisor = await unless_throttled(
        services.terminal_auth.check_supervisor(
            terminal, body.supervisor.username, body.supervisor.password
        )
    )
    if isinstance(supervisor, Response):
        return supervisor

    def render(done: Reversed) -> tuple[int, object]:
        out = s.ReversedOut(
            receipt=s.ReceiptOut(number=done.receipt_number, receipt=done.receipt),
            reverses=done.reverses,
            amount_centimes=done.amount_centimes,
            business_date=done.business_date,
        )
        return 201, out.model_dump(mode="json")

    outcome = await run_in_threadpool(
        services.writes.execute,
        write,
        lambda uow: services.accounts.reverse(
            uow,
            actor,
            terminal,
            write,
            receipt_number=number,
            reason=body.reason,
            supervisor=supervisor,
        ),
        render,
    )
    return stored_response(outcome)


async def rights(call: Call) -> Response:
    found = await run_in_threadpool(
        call.services.accounts.rights_of, call.path("registration_number")
    )
    return json_response(
        s.WorkerRightsOut(
            registration_number=found.registration_number,
            collected_at_counter=found.collected_at_counter,
            rights=RightsOut.model_validate(found.rights),
        )
    )


async def certificate(call: Call) -> Response:
    body = call.body(s.CertificateIn)
    services = call.services
    actor, terminal = call.who(), call.at_terminal()
    rn = call.path("registration_number")

    def render(done: Certificate) -> tuple[int, object]:
        out = s.CertificateOut(
            receipt=s.ReceiptOut(number=done.number, receipt=done.receipt),
            kind=done.kind,
            registration_number=done.registration_number,
        )
        return 201, out.model_dump(mode="json")

    write = call.write()
    outcome = await run_in_threadpool(
        services.writes.execute,
        write,
        lambda uow: services.accounts.certificate(
            uow, actor, terminal, write, registration_number=rn, kind=body.kind
        ),
        render,
    )
    return stored_response(outcome)


async def declare(call: Call) -> Response:
    body = call.body(s.DeclarationIn)
    services = call.services
    actor, terminal, write = call.who(), call.at_terminal(), call.write()

    def render(done: Declared) -> tuple[int, object]:
        return 201, s.DeclaredOut.model_validate(done).model_dump(mode="json")

    outcome = await run_in_threadpool(
        services.writes.execute,
        write,
        lambda uow: services.declarations.declare(
            uow,
            actor,
            terminal,
            write,
            registration_number=body.registration_number,
            declared_by=body.declared_by,
            days=[(d.date, d.earnings_centimes) for d in body.days],
        ),
        render,
    )
    return stored_response(outcome)


async def day_collections(call: Call) -> Response:
    q = call.query(s.DayQuery)
    lines = await run_in_threadpool(
        call.services.office_day.collections, call.who(), q.business_date
    )
    return json_response(
        s.CollectionList(items=[s.CollectionLineOut.model_validate(x) for x in lines])
    )


async def day_summary(call: Call) -> Response:
    q = call.query(s.DayQuery)
    summary = await run_in_threadpool(
        call.services.office_day.summary,
        call.who(),
        q.business_date,
        call.at_terminal().office_code,
    )
    return json_response(s.DaySummaryOut.model_validate(summary))


ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET",
        _RN + "/quote",
        quote,
        "What a worker owes, month by month",
        "operator",
        COUNTER_STAFF,
        query=s.QuoteQuery,
        response=s.QuoteOut,
        tags=("contributions",),
    ),
    Endpoint(
        "POST",
        "/v1/contributions",
        collect,
        "Collect a contribution in cash",
        "operator",
        COUNTER_STAFF,
        body=s.CollectionIn,
        response=s.CollectedOut,
        status=201,
        tags=("contributions",),
    ),
    Endpoint(
        "POST",
        "/v1/contributions/{receipt_number}/reversal",
        reverse,
        "Reverse a same-day collection with a supervisor's approval",
        "operator",
        COUNTER_STAFF,
        body=s.ReversalIn,
        response=s.ReversedOut,
        status=201,
        tags=("contributions",),
        # The approving supervisor's account is locked (423); too many refused approvals
        # or sign-ins on this terminal, or too many passwords being checked at once (429).
        errors=(423, 429),
    ),
    Endpoint(
        "GET",
        "/v1/contributions",
        day_collections,
        "This office's collections of a business date",
        "operator",
        COUNTER_STAFF,
        query=s.DayQuery,
        response=s.CollectionList,
        tags=("contributions",),
    ),
    Endpoint(
        "GET",
        "/v1/offices/current/day",
        day_summary,
        "This office's day: count, totals, by operator",
        "operator",
        COUNTER_STAFF,
        query=s.DayQuery,
        response=s.DaySummaryOut,
        tags=("contributions",),
    ),
    Endpoint(
        "GET",
        _RN + "/rights",
        rights,
        "A worker's health rights",
        "operator",
        COUNTER_STAFF,
        response=s.WorkerRightsOut,
        tags=("workers",),
    ),
    Endpoint(
        "POST",
        _RN + "/certificates",
        certificate,
        "Issue a signed rights or payment certificate",
        "operator",
        COUNTER_STAFF,
        body=s.CertificateIn,
        response=s.CertificateOut,
        status=201,
        tags=("workers",),
    ),
    Endpoint(
        "POST",
        "/v1/declarations/daily",
        declare,
        "Declare a fishing-sector worker's days",
        "operator",
        COUNTER_STAFF,
        body=s.DeclarationIn,
        response=s.DeclaredOut,
        status=201,
        tags=("contributions",),
    ),
]
