"""The counter's worker API: enroll, look up by CIN, read, amend, history, receipts; and
the tariff, read by everyone and edited by CNSS admins.

Read by registration number, a worker is the counter view; the full identity and history
need the CIN from the worker's card (in a signed body, never in a URL) or the enrolling
office, and reads by number are limited per terminal (issue 16, services/workers/worker_reads)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from agent_api.domain.permissions import COUNTER_STAFF, MANAGE_TARIFF, READ_REGISTRY
from agent_api.domain.rights import Rights
from agent_api.domain.roles import Actor
from agent_api.http.endpoints import Call, Endpoint, response
from agent_api.http.io import json_response, path_value
from agent_api.http.schemas import workers as s
from agent_api.http.schemas.rights import RightsOut
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.services.container import Services
from agent_api.services.sessions.terminal_auth import TerminalContext
from agent_api.services.workers.enrollment import Enrolled, LookupResult, NewDependent, NewWorker
from agent_api.services.workers.worker_reads import ReadLimit
from agent_api.services.workers.worker_views import WorkerView
from agent_api.services.workers.workers import Amendment, HistoryEntry
from agent_api.services.writes.idempotency import WriteContext
from agent_api.services.writes.signed_writes import Done, WriteKind

_RN = "/v1/workers/{registration_number}"


def _dependents(items: list[s.DependentIn]) -> tuple[NewDependent, ...]:
    return tuple(NewDependent(**d.model_dump()) for d in items)


@dataclass(frozen=True)
class _Enrollment:
    actor: Actor
    terminal: TerminalContext
    new: NewWorker


@dataclass(frozen=True)
class _EnrolledWithRights:
    enrolled: Enrolled
    rights: Rights


def _enroll(
    services: Services, uow: UnitOfWork, write: WriteContext, r: _Enrollment
) -> Done[_EnrolledWithRights]:
    done = services.enrollment.enroll(uow, r.actor, r.terminal, r.new, signed_at=write.signed_at)
    # The rights the new account has, read in the enrollment's own transaction: what the
    # operator tells the worker at the counter (suspended from day one, say).
    standing = services.accounts.rights_in(uow, done.worker.registration_number)
    return Done(_EnrolledWithRights(done, standing), done.decision())


def _enrolled(both: _EnrolledWithRights) -> object:
    done = both.enrolled
    return s.EnrolledOut(
        registration_number=done.worker.registration_number,
        dues_start=done.worker.coverage_start,
        worker=s.WorkerOut.model_validate(done.worker),
        receipt=s.ReceiptRef(
            number=done.receipt_number, receipt=done.receipt, compact=done.compact or None
        ),
        rights=RightsOut.model_validate(both.rights),
        suspended_from_enrollment=both.rights.status == "suspended",
    ).model_dump(mode="json")


ENROLL = WriteKind("enroll", _enroll, _enrolled)


def enroll(call: Call) -> Response:
    body = call.body(s.WorkerIn)
    # The salt only keeps the body's digest unguessable (docs/audit.md): it is not stored.
    fields = body.model_dump(exclude={"dependents", "salt"})
    new = NewWorker(**fields, dependents=_dependents(body.dependents))
    return call.run(ENROLL, _Enrollment(call.who(), call.at_terminal(), new))


def _lookup(
    services: Services, uow: UnitOfWork, write: WriteContext, body: s.LookupIn
) -> Done[LookupResult]:
    return Done(services.enrollment.lookup(uow, body.cin))


# A read, but a signed POST so the CIN travels in the signed body, never in a URL or a log.
LOOKUP = WriteKind("lookup", _lookup, response(s.LookupOut), status=200)


def lookup(call: Call) -> Response:
    return call.run(LOOKUP, call.body(s.LookupIn))


def _limit(call: Call) -> ReadLimit:
    settings = call.services.settings
    return ReadLimit(settings.worker_reads_limit, settings.worker_reads_window_seconds)


async def read_worker(call: Call) -> Response:
    services, terminal = call.services, call.at_terminal()
    rn = call.path("registration_number")
    view = await run_in_threadpool(
        lambda: services.workers.read(terminal, rn, limit=_limit(call), events=services.events)
    )
    standing = await run_in_threadpool(services.accounts.rights_of, rn)
    return json_response(
        s.WorkerSummaryOut.model_validate(
            {**vars(view), "rights": RightsOut.model_validate(standing.rights)}
        )
    )


async def read_identity(call: Call) -> Response:
    services, terminal = call.services, call.at_terminal()
    rn = call.path("registration_number")
    view = await run_in_threadpool(
        lambda: services.workers.identity(terminal, rn, limit=_limit(call), events=services.events)
    )
    return json_response(s.WorkerOut.model_validate(view))


@dataclass(frozen=True)
class _Amendment:
    actor: Actor
    terminal: TerminalContext
    registration_number: str
    change: Amendment


def _amend(
    services: Services, uow: UnitOfWork, write: WriteContext, r: _Amendment
) -> Done[WorkerView]:
    return Done(
        services.workers.amend(
            uow, r.actor, r.terminal, r.registration_number, r.change, sequence=write.key
        )
    )


AMEND = WriteKind("amend", _amend, response(s.WorkerOut), status=200)


def amend(call: Call) -> Response:
    body = call.body(s.AmendIn)
    change = Amendment(
        **body.model_dump(exclude={"add_dependents", "remove_dependents", "salt"}),
        add_dependents=_dependents(body.add_dependents),
        remove_dependents=tuple(body.remove_dependents),
    )
    rn = call.path("registration_number")
    return call.run(AMEND, _Amendment(call.who(), call.at_terminal(), rn, change))


async def history(call: Call) -> Response:
    services, terminal = call.services, call.at_terminal()
    rn = call.path("registration_number")
    items = await run_in_threadpool(
        lambda: services.workers.history(terminal, rn, limit=_limit(call), events=services.events)
    )
    return json_response(s.HistoryOut(items=[s.HistoryEntryOut.model_validate(i) for i in items]))


def _history_by_cin(
    services: Services, uow: UnitOfWork, write: WriteContext, body: s.HistoryLookupIn
) -> Done[list[HistoryEntry]]:
    return Done(services.workers.history_by_cin(uow, body.cin))


def _history(items: list[HistoryEntry]) -> object:
    out = s.HistoryOut(items=[s.HistoryEntryOut.model_validate(i) for i in items])
    return out.model_dump(mode="json")


# A read, but a signed POST so the CIN travels in the signed body, never in a URL or a log.
HISTORY_BY_CIN = WriteKind("history_by_cin", _history_by_cin, _history, status=200)


def history_by_cin(call: Call) -> Response:
    return call.run(HISTORY_BY_CIN, call.body(s.HistoryLookupIn))


async def read_receipt(call: Call) -> Response:
    number = path_value(call.path("number"), "number")
    found = await run_in_threadpool(call.services.workers.receipt, call.who(), number)
    out = s.StoredReceiptOut.model_validate(found)
    compact = call.services.receipts.compact_of(found.receipt)
    return json_response(out.model_copy(update={"compact": compact}))


async def tariff(call: Call) -> Response:
    views = await run_in_threadpool(call.services.tariff.catalogue)
    return json_response(s.TariffOut(categories=[s.CategoryOut.model_validate(v) for v in views]))


async def list_rates(call: Call) -> Response:
    q = call.query(s.RateQuery)
    views = await run_in_threadpool(
        lambda: call.services.tariff.rates(call.who(), category=q.category)
    )
    page = views[q.offset : q.offset + q.limit]
    return json_response(s.RateList(items=[s.RateOut.model_validate(v) for v in page]))


async def add_rate(call: Call) -> Response:
    body = call.body(s.RateIn)
    view = await run_in_threadpool(
        lambda: call.services.tariff.add_rate(call.who(), **body.model_dump())
    )
    return json_response(s.RateOut.model_validate(view), 201)


async def add_category(call: Call) -> Response:
    body = call.body(s.CategoryIn)
    await run_in_threadpool(
        lambda: call.services.tariff.add_category(call.who(), **body.model_dump())
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=201)


async def add_bracket(call: Call) -> Response:
    body = call.body(s.BracketIn)
    category = path_value(call.path("category"), "category")
    await run_in_threadpool(
        lambda: call.services.tariff.add_bracket(call.who(), category=category, **body.model_dump())
    )
    return JSONResponse({"category": category, **body.model_dump(mode="json")}, status_code=201)


async def add_waiver(call: Call) -> Response:
    body = call.body(s.WaiverIn)
    view = await run_in_threadpool(
        lambda: call.services.amnesties.create(call.who(), **body.model_dump())
    )
    return json_response(s.WaiverOut.model_validate(view), 201)


async def list_waivers(call: Call) -> Response:
    views = await run_in_threadpool(call.services.amnesties.list, call.who())
    return json_response(s.WaiverList(items=[s.WaiverOut.model_validate(v) for v in views]))


ENDPOINTS: list[Endpoint] = [
    Endpoint.signed_write(
        ENROLL,
        "POST",
        "/v1/workers",
        enroll,
        "Enroll a worker",
        "operator",
        COUNTER_STAFF,
        body=s.WorkerIn,
        response=s.EnrolledOut,
        tags=("workers",),
    ),
    Endpoint.signed_write(
        LOOKUP,
        "POST",
        "/v1/workers/lookup",
        lookup,
        "Find a worker or a pre-registration by CIN (the CIN goes in the body)",
        "operator",
        COUNTER_STAFF,
        body=s.LookupIn,
        response=s.LookupOut,
        tags=("workers",),
    ),
    Endpoint(
        "GET",
        _RN,
        read_worker,
        "Read a worker by number: name, category, dues, rights, masked CIN (limited)",
        "operator",
        COUNTER_STAFF,
        response=s.WorkerSummaryOut,
        tags=("workers",),
        errors=(429,),  # too many distinct workers read without a payment
    ),
    Endpoint(
        "GET",
        _RN + "/identity",
        read_identity,
        "A worker's full identity, for the office that enrolled them (limited)",
        "operator",
        COUNTER_STAFF,
        response=s.WorkerOut,
        tags=("workers",),
        errors=(429,),
    ),
    Endpoint.signed_write(
        AMEND,
        "PATCH",
        _RN,
        amend,
        "Amend a worker (category changes from next month)",
        "operator",
        COUNTER_STAFF,
        body=s.AmendIn,
        response=s.WorkerOut,
        tags=("workers",),
    ),
    Endpoint(
        "GET",
        _RN + "/history",
        history,
        "A worker's amendment history, for the office that enrolled them (limited)",
        "operator",
        COUNTER_STAFF,
        response=s.HistoryOut,
        tags=("workers",),
        errors=(429,),
    ),
    Endpoint.signed_write(
        HISTORY_BY_CIN,
        "POST",
        "/v1/workers/history",
        history_by_cin,
        "A worker's amendment history, found by the CIN from their card (in the body)",
        "operator",
        COUNTER_STAFF,
        body=s.HistoryLookupIn,
        response=s.HistoryOut,
        tags=("workers",),
    ),
    Endpoint(
        "GET",
        "/v1/receipts/{number}",
        read_receipt,
        "Fetch again a receipt this office issued",
        "operator",
        COUNTER_STAFF,
        response=s.StoredReceiptOut,
        tags=("receipts",),
    ),
    Endpoint(
        "GET",
        "/v1/tariff",
        tariff,
        "Categories, brackets and the rates in force",
        "public",
        response=s.TariffOut,
        tags=("tariff",),
    ),
    Endpoint(
        "GET",
        "/v1/admin/tariff/rates",
        list_rates,
        "Every tariff rate, past and future",
        "admin",
        READ_REGISTRY,
        query=s.RateQuery,
        response=s.RateList,
        tags=("tariff",),
    ),
    Endpoint(
        "POST",
        "/v1/admin/tariff/rates",
        add_rate,
        "Announce a rate effective from a future month",
        "admin",
        MANAGE_TARIFF,
        body=s.RateIn,
        response=s.RateOut,
        status=201,
        tags=("tariff",),
    ),
    Endpoint(
        "POST",
        "/v1/admin/tariff/categories",
        add_category,
        "Add a category",
        "admin",
        MANAGE_TARIFF,
        body=s.CategoryIn,
        response=None,
        status=201,
        tags=("tariff",),
    ),
    Endpoint(
        "POST",
        "/v1/admin/tariff/categories/{category}/brackets",
        add_bracket,
        "Add a bracket to a category",
        "admin",
        MANAGE_TARIFF,
        body=s.BracketIn,
        status=201,
        tags=("tariff",),
    ),
    Endpoint(
        "POST",
        "/v1/admin/surcharge-waivers",
        add_waiver,
        "Waive late surcharges for a campaign window (amnesty)",
        "admin",
        MANAGE_TARIFF,
        body=s.WaiverIn,
        response=s.WaiverOut,
        status=201,
        tags=("tariff",),
    ),
    Endpoint(
        "GET",
        "/v1/admin/surcharge-waivers",
        list_waivers,
        "List amnesty windows",
        "admin",
        READ_REGISTRY,
        response=s.WaiverList,
        tags=("tariff",),
    ),
]
