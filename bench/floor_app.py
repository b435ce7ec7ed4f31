"""The floor the collection benchmark is measured against: the same server stack (uvicorn,
Starlette, the service's middleware, SQLAlchemy engine and unit of work, the same database)
doing one bare insert per request: no signature, no token, no logic.

    uvicorn --factory --app-dir bench floor_app:app_from_env
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, Table, insert
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from agent_api.http.app import limit_threads
from agent_api.http.middleware import BodyLimitMiddleware, RequestContextMiddleware
from agent_api.persistence.db import build_engine
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.settings import Settings

FLOOR = Table(
    "bench_floor",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("amount_centimes", BigInteger, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)


def app_from_env() -> Starlette:
    url = os.environ["QURB_DATABASE_URL"]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The service's own threading, from the same setting.
        limit_threads(int(os.environ.get("QURB_WORKER_THREADS", Settings.worker_threads)))
        engine = build_engine(url, pool_size=10)
        FLOOR.create(engine, checkfirst=True)
        app.state.engine = engine
        try:
            yield
        finally:
            engine.dispose()

    async def bare_insert(request: Request) -> JSONResponse:
        body = await request.json()
        engine = request.app.state.engine

        def write() -> None:
            with UnitOfWork(engine) as uow:
                uow.session.execute(
                    insert(FLOOR).values(
                        amount_centimes=int(body["amount_centimes"]),
                        recorded_at=datetime.now(UTC),
                    )
                )
                uow.commit()

        await run_in_threadpool(write)
        return JSONResponse({"ok": True}, status_code=201)

    return Starlette(
        routes=[Route("/floor", bare_insert, methods=["POST"])],
        middleware=[
            Middleware(RequestContextMiddleware),
            Middleware(BodyLimitMiddleware, max_bytes=64 * 1024),
        ],
        lifespan=lifespan,
    )
