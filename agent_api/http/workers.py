"""The counter's worker API: enroll, look up by CIN, read, amend, history, receipts; and
the tariff, read by everyone and edited by CNSS admins.

Read by registration number, a worker is the counter view; the full identity and history
need the CIN from the worker's card (in a signed body, never in a URL) or the enrolling
office, and reads by number are limited per terminal (issue 16, services/worker_reads)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from agent_api.domain.permissions import COUNTER_STAFF, MANAGE_TARIFF, READ_REGISTRY
from agent_api.domain.rights import Rights
from agent_api.http.endpoints import Call, Endpoint, stored_response
from agent_api.http.io import json_response, path_value
from agent_api.http.schemas import workers as s
from agent_api.http.schemas.rights import RightsOut
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.services.enrollment import Enrolled, NewDependent, NewWorker
from agent_api.services.worker_reads import ReadLimit
from agent_api.services.worker_views import WorkerView
from agent_api.services.workers import Amendment, HistoryEntry

_RN = "/v1/workers/{registration_number}"


def _dependents(items: list[s.DependentIn]) -> tuple[NewDependent, ...]:
    return tuple(NewDependent(**d.model_dump()) for d in items)


@dataclass(frozen=True)
class _EnrolledWithRights:
    enrolled: Enrolled
    rights: Rights


async def enroll(call: Call) -> Response:
    body = call.body(s.WorkerIn)
    services = call.services
    # The salt only keeps the body's digest unguessable (docs/audit.md): it is not stored.
    fields = body.model_dump(exclude={"dependents", "salt"})
    new = NewWorker(**fields, dependents=_dependents(body.dependents))
    actor, terminal, write = call.who(), call.at_terminal(), call.write()

    def work(uow: UnitOfWork) -> _EnrolledWithRights:
        done = services.enrollment.enroll(uow, actor, terminal, new, signed_at=write.signed_at)
        # The rights the new account has, read in the enrollment's own transaction: what
        # the operator tells the worker at the counter (suspended from day one, say).
        standing = services.accounts.rights_in(uow, done.worker.registration_number)
        return _EnrolledWithRights(done, standing)

    def render(both: _EnrolledWithRights) -> tuple[int, object]:
        done = both.enrolled
        out = s.EnrolledOut(
            registration_number=done.worker.registration_number,
            dues_start=done.worker.coverage_start,
            worker=s.WorkerOut.model_validate(done.worker),
            receipt=s.ReceiptRef(number=done.receipt_number, receipt=done.receipt),
            rights=RightsOut.model_validate(both.rights),
            suspended_from_enrollment=both.rights.status == "suspended",
        )
        return 201, out.model_dump(mode="json")

    outcome = await run_in_threadpool(services.writes.execute, write, work, render)
    return stored_response(outcome)


async def lookup(call: Call) -> Response:
    body = call.body(s.LookupIn)
    services = call.services

    def render(found: object) -> tuple[int, object]:
        return 200, s.LookupOut.model_validate(found).model_dump(mode="json")

    # A read, but a POST so the CIN travels in the signed body, never in a URL or a log.
    outcome = await run_in_threadpool(
        services.writes.execute,
        call.write(),
        lambda uow: services.enrollment.lookup(uow, body.cin),
        render,
    )
    return stored_response(outcome)


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


async def amend(call: Call) -> Response:
    body = call.body(s.AmendIn)
    services = call.services
    change = Amendment(
        **body.model_dump(exclude={"add_dependents", "remove_dependents", "salt"}),
        add_dependents=_dependents(body.add_dependents),
        remove_dependents=tuple(body.remove_dependents),
    )
    actor, terminal, write = call.who(), call.at_terminal(), call.write()
    rn = call.path("registration_number")

    def render(view: WorkerView) -> tuple[int, object]:
        return 200, s.WorkerOut.model_validate(view).model_dump(mode="json")

    outcome = await run_in_threadpool(
        services.writes.execute,
        write,
        lambda uow: services.workers.amend(uow, actor, terminal, rn, change, sequence=write.key),
        render,
    )
    return stored_response(outcome)


async def history(call: Call) -> Response:
    services, terminal = call.services, call.at_terminal()
    rn = call.path("registration_number")
    items = await run_in_threadpool(
        lambda: services.workers.history(terminal, rn, limit=_limit(call), events=services.events)
    )
    return json_response(s.HistoryOut(items=[s.HistoryEntryOut.model_validate(i) for i in items]))


async def history_by_cin(call: Call) -> Response:
    body = call.body(s.HistoryLookupIn)
    services = call.services

    def render(items: list[HistoryEntry]) -> tuple[int, object]:
        out = s.HistoryOut(items=[s.HistoryEntryOut.model_validate(i) for i in items])
        return 200, out.model_dump(mode="json")

    # A read, but a POST so the CIN travels in the signed body, never in a URL or a log.
    outcome = await run_in_threadpool(
        services.writes.execute,
        call.write(),
        lambda uow: services.workers.history_by_cin(uow, body.cin),
        render,
    )
    return stored_response(outcome)


async def read_receipt(call: Call) -> Response:
    number = path_value(call.path("number"), "number")
    found = await run_in_threadpool(call.services.workers.receipt, call.who(), number)
    return json_response(s.StoredReceiptOut.model_validate(found))


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
    Endpoint(
        "POST",
        "/v1/workers",
        enroll,
        "Enroll a worker",
        "operator",
        COUNTER_STAFF,
        body=s.WorkerIn,
        response=s.EnrolledOut,
        status=201,
        tags=("workers",),
    ),
    Endpoint(
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
    Endpoint(
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
    Endpoint(
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
