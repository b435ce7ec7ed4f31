"""Builds the agent API's ASGI application from settings: one plain list of routes, the
middleware stack, and a lifespan that owns the engine."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware

from agent_api.clock import Clock, utc_now
from agent_api.http import admin, contributions, openapi, system, terminal, workers
from agent_api.http.endpoints import Endpoint, routes
from agent_api.http.errors import EXCEPTION_HANDLERS
from agent_api.http.middleware import BodyLimitMiddleware, RequestContextMiddleware
from agent_api.persistence.db import build_engine
from agent_api.services.container import Services
from agent_api.settings import Settings

VERSION = "0.1.0"


def agent_endpoints() -> list[Endpoint]:
    """Every endpoint of the agent API, in one list."""
    return [*terminal.ENDPOINTS, *workers.ENDPOINTS, *contributions.ENDPOINTS, *admin.ENDPOINTS]


def create_app(
    settings: Settings,
    *,
    extra_endpoints: Sequence[Endpoint] = (),
    clock: Clock = utc_now,
) -> Starlette:
    endpoints = [*agent_endpoints(), *extra_endpoints]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = build_engine(settings.database_url, pool_size=settings.db_pool_size)
        app.state.services = Services.build(settings, engine, clock)
        try:
            yield
        finally:
            engine.dispose()

    app = Starlette(
        routes=[*system.ROUTES, *routes(endpoints)],
        middleware=[
            Middleware(RequestContextMiddleware),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.endpoints = endpoints
    app.state.openapi = openapi.build(endpoints, title="Qurb API", version=VERSION)
    return app
