"""Operational endpoints: liveness, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agent_api import metrics
from agent_api.errors import Unavailable
from agent_api.http.middleware import ROUTE_KEY
from agent_api.persistence.db import is_reachable


async def healthz(_request: Request) -> Response:
    """The process is up and answering (no dependency checked)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready for traffic: the database answers."""
    if not await run_in_threadpool(is_reachable, request.app.state.services.engine):
        raise Unavailable("the database is not reachable")
    return JSONResponse({"status": "ready"})


async def metrics_endpoint(_request: Request) -> Response:
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


async def openapi(request: Request) -> Response:
    return JSONResponse(request.app.state.openapi)


def _route(path: str, endpoint: Callable[[Request], Awaitable[Response]]) -> Route:
    async def labelled(request: Request) -> Response:
        request.scope[ROUTE_KEY] = path
        return await endpoint(request)

    return Route(path, labelled, methods=["GET"])


ROUTES = [
    _route("/healthz", healthz),
    _route("/readyz", readyz),
    _route("/metrics", metrics_endpoint),
    _route("/openapi.json", openapi),
]
