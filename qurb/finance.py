"""The finance endpoints: settlements, reconciliation results, reports and the exceptions
queue, under ``/v1/finance``. They live in the composition root because they join the agent
API's HTTP machinery (endpoint specs, back-office tokens, errors) to the reconciliation
services, and neither of those may import the other.

Who may do what: finance works exceptions; finance, auditors and the CNSS administrator read
everything; a network administrator reads its own network's settlements (it needs the
reference to quote on its transfer) and nothing else here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from agent_api.domain.roles import Role
from agent_api.errors import ValidationFailed
from agent_api.http.endpoints import Call, Endpoint
from agent_api.http.io import json_response, path_value
from agent_api.http.schemas.common import INT32_MAX, Input, IsoDate, Output, Paging, Query
from agent_api.http.security_headers import content_security_policy
from agent_api.services.container import Services
from reconciliation.container import Reconciliation
from reconciliation.exceptions import REASON_CODES
from reconciliation.report_html import PAGE_STYLE, statement_html
from reconciliation.reports import render

READ = frozenset({Role.FINANCE, Role.AUDITOR, Role.CNSS_ADMIN})
SETTLEMENTS = READ | {Role.NETWORK_ADMIN}
WORK = frozenset({Role.FINANCE})
TAGS = ("finance",)
# The pages' policy, computed once at start: their one inline style by its hash, nothing else.
HTML_POLICY = content_security_policy(styles=[PAGE_STYLE])


def reconciliation(call: Call) -> Reconciliation:
    """The reconciliation services over the app's engine, built once per app."""
    return reconciliation_of(call.request, call.services)


def reconciliation_of(request: Request, services: Services) -> Reconciliation:
    """The same, for any request of the app (the back office's screens use it too: one
    ``Reconciliation`` per app, so that a file imported is parsed once)."""
    state = request.app.state
    found: Reconciliation | None = getattr(state, "reconciliation", None)
    if found is None or getattr(state, "reconciliation_engine", None) is not services.engine:
        found = Reconciliation.build(services.settings, services.engine, services.clock)
        state.reconciliation = found
        state.reconciliation_engine = services.engine
    return found


# -- schemas ------------------------------------------------------------------------------


class SettlementQuery(Paging):
    date: IsoDate | None = None
    network: str | None = None


class SettlementOut(Output):
    reference: str = Field(description="QURB-STL-<NETWORK>-<YYYYMMDD>, to quote on the transfer")
    network: str
    business_date: date
    collections: int
    gross_centimes: int
    reversals: int
    reversed_centimes: int
    late_collections: int
    commission_centimes: int
    net_centimes: int = Field(description="gross − reversed − commission, due to CNSS")
    created_at: datetime


class SettlementList(Output):
    items: list[SettlementOut]


class StatementOut(Output):
    statement: dict[str, Any] = Field(description="the signed statement's content")
    jws: str = Field(description="the statement as a compact JWS (EdDSA), keys at /v1/keys")


class RunOut(Output):
    business_date: date
    version: int
    created_at: datetime
    created_by: str
    inputs: dict[str, Any]
    summary: dict[str, Any] = Field(description="per network: counts and amounts per outcome")
    matched: int
    exceptions: int


class RunList(Output):
    items: list[RunOut]


# reconciliation.report_labels.LANGUAGES, spelt out for the OpenAPI schema (a test holds them
# equal).
Language = Literal["fr", "ar"]


class StatementQuery(Query):
    lang: Language = Field(default="fr", description="the page's language: fr or ar")


class ReportQuery(Query):
    format: Literal["json", "csv", "html"] = "json"
    lang: Language = Field(default="fr", description="the HTML page's language: fr or ar")
    network: str | None = None
    version: int | None = Field(default=None, ge=1, le=INT32_MAX)


class ExceptionQuery(Paging):
    date: IsoDate | None = None
    network: str | None = None
    status: Literal["open", "resolved", "written_off"] | None = None
    all_versions: bool = False


class ActionOut(Output):
    action: str
    from_status: str
    to_status: str
    reason_code: str
    comment: str
    by: str
    at: datetime


class ExceptionOut(Output):
    id: int
    business_date: date
    version: int
    current: bool = Field(description="whether it belongs to the day's current version")
    network: str | None
    source: Literal["ledger", "bank"]
    kind: str
    hub_references: list[str]
    entry_ids: list[str] = Field(description="ledger ID_ECRITURE or bank references")
    registration_number: str | None
    hub_centimes: int
    other_centimes: int = Field(description="what the ledger or the bank shows")
    difference_centimes: int
    detail: dict[str, Any]
    status: str
    reason_code: str | None
    comment: str | None
    worked_by: str | None
    worked_at: datetime | None
    carried_from: int | None
    actions: list[ActionOut]


class ExceptionList(Output):
    items: list[ExceptionOut]


Comment = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class WorkIn(Input):
    reason_code: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(
        description="one of GET /v1/finance/reason-codes"
    )
    comment: Comment


class ReasonCodes(Output):
    items: dict[str, str]


# -- handlers -----------------------------------------------------------------------------


def _day(call: Call) -> date:
    try:
        return date.fromisoformat(call.path("day"))
    except ValueError:
        raise ValidationFailed("the day must be a date, YYYY-MM-DD", field="day") from None


async def list_settlements(call: Call) -> Response:
    q = call.query(SettlementQuery)
    views = await run_in_threadpool(
        lambda: reconciliation(call).settlements.list(
            call.who(), business_date=q.date, network=q.network, limit=q.limit, offset=q.offset
        )
    )
    return json_response(SettlementList(items=[SettlementOut.model_validate(v) for v in views]))


async def get_settlement(call: Call) -> Response:
    reference = path_value(call.path("reference"), "reference")
    view = await run_in_threadpool(reconciliation(call).settlements.get, call.who(), reference)
    return json_response(StatementOut(statement=view.statement, jws=view.statement_jws))


async def settlement_html(call: Call) -> Response:
    q = call.query(StatementQuery)
    reference = path_value(call.path("reference"), "reference")
    view = await run_in_threadpool(reconciliation(call).settlements.get, call.who(), reference)
    return Response(
        statement_html(view.statement, view.statement_jws, q.lang),
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": HTML_POLICY},
    )


async def list_runs(call: Call) -> Response:
    day = _day(call)
    views = await run_in_threadpool(reconciliation(call).reconciler.versions, day)
    return json_response(RunList(items=[RunOut.model_validate(v) for v in views]))


async def report(call: Call) -> Response:
    q = call.query(ReportQuery)
    day = _day(call)
    data = await run_in_threadpool(
        lambda: reconciliation(call).reports.day(
            call.who(), day, network=q.network, version=q.version
        )
    )
    text, media_type = render(data, q.format, q.lang)
    name = f"reconciliation-{day:%Y%m%d}-v{data['version']}{'-' + q.network if q.network else ''}"
    headers = {"Content-Disposition": f'inline; filename="{name}.{q.format}"'}
    if q.format == "html":
        headers["Content-Security-Policy"] = HTML_POLICY
    return Response(text, media_type=media_type, headers=headers)


async def list_exceptions(call: Call) -> Response:
    q = call.query(ExceptionQuery)
    views = await run_in_threadpool(
        lambda: reconciliation(call).exceptions.list(
            call.who(),
            business_date=q.date,
            network=q.network,
            status=q.status,
            current_only=not q.all_versions,
            limit=q.limit,
            offset=q.offset,
        )
    )
    return json_response(ExceptionList(items=[ExceptionOut.model_validate(v) for v in views]))


async def get_exception(call: Call) -> Response:
    exception_id = path_value(call.path("exception_id"), "exception_id")
    view = await run_in_threadpool(reconciliation(call).exceptions.get, call.who(), exception_id)
    return json_response(ExceptionOut.model_validate(view))


def _work(to: str) -> Any:
    async def handler(call: Call) -> Response:
        body = call.body(WorkIn)
        exception_id = path_value(call.path("exception_id"), "exception_id")
        view = await run_in_threadpool(
            lambda: reconciliation(call).exceptions.work(
                call.who(),
                exception_id,
                to=to,
                reason_code=body.reason_code,
                comment=body.comment,
            )
        )
        return json_response(ExceptionOut.model_validate(view))

    return handler


async def reason_codes(call: Call) -> Response:
    return json_response(ReasonCodes(items=REASON_CODES))


DAY = "{day}"

ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET",
        "/v1/finance/settlements",
        list_settlements,
        "List settlements",
        "admin",
        SETTLEMENTS,
        query=SettlementQuery,
        response=SettlementList,
        tags=TAGS,
    ),
    Endpoint(
        "GET",
        "/v1/finance/settlements/{reference}",
        get_settlement,
        "A signed settlement statement",
        "admin",
        SETTLEMENTS,
        response=StatementOut,
        tags=TAGS,
        errors=(404,),
    ),
    Endpoint(
        "GET",
        "/v1/finance/settlements/{reference}/statement.html",
        settlement_html,
        "A settlement statement, printable",
        "admin",
        SETTLEMENTS,
        query=StatementQuery,
        tags=TAGS,
        errors=(404,),
    ),
    Endpoint(
        "GET",
        f"/v1/finance/reconciliations/{DAY}",
        list_runs,
        "The versions of a day's reconciliation",
        "admin",
        READ,
        response=RunList,
        tags=TAGS,
    ),
    Endpoint(
        "GET",
        f"/v1/finance/reconciliations/{DAY}/report",
        report,
        "A day's report (JSON, CSV or HTML), per network or whole",
        "admin",
        READ,
        query=ReportQuery,
        tags=TAGS,
        errors=(404,),
    ),
    Endpoint(
        "GET",
        "/v1/finance/exceptions",
        list_exceptions,
        "The exceptions queue",
        "admin",
        READ,
        query=ExceptionQuery,
        response=ExceptionList,
        tags=TAGS,
        errors=(404,),  # a network filter naming no network
    ),
    Endpoint(
        "GET",
        "/v1/finance/exceptions/{exception_id:int}",
        get_exception,
        "One exception and its history",
        "admin",
        READ,
        response=ExceptionOut,
        tags=TAGS,
        errors=(404,),
    ),
    Endpoint(
        "POST",
        "/v1/finance/exceptions/{exception_id:int}/resolve",
        _work("resolved"),
        "Resolve an exception with a reason",
        "admin",
        WORK,
        body=WorkIn,
        response=ExceptionOut,
        tags=TAGS,
        errors=(404, 409, 422),
    ),
    Endpoint(
        "POST",
        "/v1/finance/exceptions/{exception_id:int}/write-off",
        _work("written_off"),
        "Write an exception off with a reason",
        "admin",
        WORK,
        body=WorkIn,
        response=ExceptionOut,
        tags=TAGS,
        errors=(404, 409, 422),
    ),
    Endpoint(
        "GET",
        "/v1/finance/reason-codes",
        reason_codes,
        "The reason codes an exception is closed with",
        "admin",
        READ,
        response=ReasonCodes,
        tags=TAGS,
    ),
]
