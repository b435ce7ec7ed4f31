"""The counter's money API: quotes, collections, reversals, rights, certificates, fishing
declarations and the office's day."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from agent_api.domain.permissions import COUNTER_STAFF
from agent_api.domain.roles import Actor
from agent_api.http.endpoints import Call, Endpoint, response
from agent_api.http.io import json_response, path_value
from agent_api.http.schemas import contributions as s
from agent_api.http.schemas.rights import RightsOut
from agent_api.http.supervisor_approval import approving_supervisor
from agent_api.persistence.tables import User
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.services.accounts.accounts import Certificate, Collected, Reversed
from agent_api.services.accounts.declarations import Declared
from agent_api.services.container import Services
from agent_api.services.sessions.terminal_auth import TerminalContext
from agent_api.services.writes.idempotency import WriteContext
from agent_api.services.writes.signed_writes import Done, WriteKind

_RN = "/v1/workers/{registration_number}"
B = TypeVar("B", bound=BaseModel)


@dataclass(frozen=True)
class _Counter(Generic[B]):
    """A counter write's input: who, where, the parsed body (and the path's worker)."""

    actor: Actor
    terminal: TerminalContext
    body: B
    path: str = ""


async def quote(call: Call) -> Response:
    q = call.query(s.QuoteQuery)
    found = await run_in_threadpool(
        call.services.accounts.quote, call.path("registration_number"), q.through
    )
    return json_response(s.QuoteOut.model_validate(found))


def _collect(
    services: Services, uow: UnitOfWork, write: WriteContext, r: _Counter[s.CollectionIn]
) -> Done[Collected]:
    done = services.accounts.collect(
        uow,
        r.actor,
        r.terminal,
        write,
        registration_number=r.body.registration_number,
        amount_centimes=r.body.amount_centimes,
        payer_phone=r.body.payer_phone,
    )
    return Done(done, done.decision())


def _collected(done: Collected) -> object:
    return s.CollectedOut(
        receipt=s.ReceiptOut(
            number=done.receipt_number, receipt=done.receipt, compact=done.compact or None
        ),
        registration_number=done.registration_number,
        amount_centimes=done.amount_centimes,
        business_date=done.business_date,
        allocations=[s.CreditedOut.model_validate(a) for a in done.allocations],
        rights=RightsOut.model_validate(done.rights),
    ).model_dump(mode="json")


COLLECT = WriteKind("collect", _collect, _collected)


def collect(call: Call) -> Response:
    return call.run(COLLECT, _Counter(call.who(), call.at_terminal(), call.body(s.CollectionIn)))


@dataclass(frozen=True)
class _Reversal:
    actor: Actor
    terminal: TerminalContext
    receipt_number: str
    reason: str
    supervisor: User


def _reverse(
    services: Services, uow: UnitOfWork, write: WriteContext, r: _Reversal
) -> Done[Reversed]:
    done = services.accounts.reverse(
        uow,
        r.actor,
        r.terminal,
        write,
        receipt_number=r.receipt_number,
        reason=r.reason,
        supervisor=r.supervisor,
    )
    return Done(done, done.decision())


def _reversed(done: Reversed) -> object:
    return s.ReversedOut(
        receipt=s.ReceiptOut(
            number=done.receipt_number, receipt=done.receipt, compact=done.compact or None
        ),
        reverses=done.reverses,
        amount_centimes=done.amount_centimes,
        business_date=done.business_date,
    ).model_dump(mode="json")


REVERSE = WriteKind("reverse", _reverse, _reversed)


async def reverse(call: Call) -> Response:
    body = call.body(s.ReversalIn)
    actor, terminal = call.who(), call.at_terminal()
    number = path_value(call.path("receipt_number"), "receipt_number")
    # An operator cannot approve their own mistake: the supervisor's own credentials.
    supervisor = await approving_supervisor(call, body.supervisor)
    if isinstance(supervisor, Response):
        return supervisor
    return await call.run_in_thread(
        REVERSE, _Reversal(actor, terminal, number, body.reason, supervisor)
    )


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


def _certificate(
    services: Services, uow: UnitOfWork, write: WriteContext, r: _Counter[s.CertificateIn]
) -> Done[Certificate]:
    done = services.accounts.certificate(
        uow, r.actor, r.terminal, write, registration_number=r.path, kind=r.body.kind
    )
    return Done(done, done.decision())


def _certified(done: Certificate) -> object:
    return s.CertificateOut(
        receipt=s.ReceiptOut(
            number=done.number, receipt=done.receipt, compact=done.compact or None
        ),
        kind=done.kind,
        registration_number=done.registration_number,
    ).model_dump(mode="json")


CERTIFICATE = WriteKind("certificate", _certificate, _certified)


def certificate(call: Call) -> Response:
    body = call.body(s.CertificateIn)
    rn = call.path("registration_number")
    return call.run(CERTIFICATE, _Counter(call.who(), call.at_terminal(), body, rn))


def _declare(
    services: Services, uow: UnitOfWork, write: WriteContext, r: _Counter[s.DeclarationIn]
) -> Done[Declared]:
    done = services.declarations.declare(
        uow,
        r.actor,
        r.terminal,
        write,
        registration_number=r.body.registration_number,
        declared_by=r.body.declared_by,
        days=[(d.date, d.earnings_centimes) for d in r.body.days],
    )
    return Done(done)


DECLARE = WriteKind("declare", _declare, response(s.DeclaredOut))


def declare(call: Call) -> Response:
    return call.run(DECLARE, _Counter(call.who(), call.at_terminal(), call.body(s.DeclarationIn)))


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
    Endpoint.signed_write(
        COLLECT,
        "POST",
        "/v1/contributions",
        collect,
        "Collect a contribution in cash",
        "operator",
        COUNTER_STAFF,
        body=s.CollectionIn,
        response=s.CollectedOut,
        tags=("contributions",),
    ),
    Endpoint.signed_write(
        REVERSE,
        "POST",
        "/v1/contributions/{receipt_number}/reversal",
        reverse,
        "Reverse a same-day collection with a supervisor's approval",
        "operator",
        COUNTER_STAFF,
        body=s.ReversalIn,
        response=s.ReversedOut,
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
    Endpoint.signed_write(
        CERTIFICATE,
        "POST",
        _RN + "/certificates",
        certificate,
        "Issue a signed rights or payment certificate",
        "operator",
        COUNTER_STAFF,
        body=s.CertificateIn,
        response=s.CertificateOut,
        tags=("workers",),
    ),
    Endpoint.signed_write(
        DECLARE,
        "POST",
        "/v1/declarations/daily",
        declare,
        "Declare a fishing-sector worker's days",
        "operator",
        COUNTER_STAFF,
        body=s.DeclarationIn,
        response=s.DeclaredOut,
        tags=("contributions",),
    ),
]
