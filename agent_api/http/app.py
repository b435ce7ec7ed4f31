"""Builds the agent API's ASGI application from settings: one plain list of routes, the
middleware stack, and a lifespan that owns the engine."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import AsyncIterator, Sequence

import anyio.to_thread
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from agent_api.clock import Clock, utc_now
from agent_api.errors import QurbError
from agent_api.http import (
    admin,
    audit,
    contributions,
    deposits,
    drawers,
    openapi,
    receipt_standing,
    system,
    terminal,
    tiles,
    workers,
)
from agent_api.http.endpoints import Endpoint, routes
from agent_api.http.errors import EXCEPTION_HANDLERS
from agent_api.http.middleware import BodyLimitMiddleware, RequestContextMiddleware
from agent_api.persistence.db import build_engine
from agent_api.services.container import Services
from agent_api.services.log.witnessing import WitnessConfig, Witnessing
from agent_api.services.sessions.passwords import HashingPool
from agent_api.services.sessions.sign_in_throttle import SignInThrottle
from agent_api.settings import Settings

VERSION = "0.1.0"


def agent_endpoints() -> list[Endpoint]:
    """Every endpoint of the agent API, in one list."""
    return [
        *terminal.ENDPOINTS,
        *workers.ENDPOINTS,
        *contributions.ENDPOINTS,
        *drawers.ENDPOINTS,
        *deposits.ENDPOINTS,
        *admin.ENDPOINTS,
        *audit.ENDPOINTS,
        *tiles.ENDPOINTS,
        *receipt_standing.ENDPOINTS,
    ]


def create_app(
    settings: Settings,
    *,
    extra_endpoints: Sequence[Endpoint] = (),
    extra_routes: Sequence[BaseRoute] = (),
    upload_paths: Sequence[str] = (),
    clock: Clock = utc_now,
) -> Starlette:
    """The agent API. ``extra_routes`` are mounted beside its endpoints (the back office's
    screens); a request under one of ``upload_paths`` may carry a body up to
    ``settings.max_upload_bytes`` (a day's ledger file) instead of ``max_body_bytes``."""
    endpoints = [*agent_endpoints(), *extra_endpoints]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        limit_threads(settings.worker_threads)
        engine = build_engine(settings.database_url, pool_size=settings.db_pool_size)
        services = Services.build(settings, engine, clock)
        services.auth.configure_sign_in(
            pool=HashingPool(
                services.hasher,
                threads=settings.password_hash_threads,
                queue=settings.password_hash_queue,
            ),
            throttle=SignInThrottle(
                clock,
                per_source=settings.sign_in_per_source,
                per_username=settings.sign_in_per_username,
                window_seconds=settings.sign_in_window_seconds,
            ),
            clock_skew_seconds=settings.signature_window_seconds,
        )
        app.state.services = services
        witnessing = Witnessing(
            services.new_uow,
            services.audit,
            WitnessConfig.parse(settings.witnesses),
            timeout_ms=settings.witness_timeout_ms,
            clock=clock,
        )
        ticker = (
            asyncio.create_task(
                _sign_checkpoints(services, witnessing, settings.checkpoint_interval_seconds)
            )
            if settings.checkpoint_interval_seconds
            else None
        )
        stopping = threading.Event()
        sequencer = services.audit.sequencer
        # The process's sequencer thread: writes wake it, it sweeps every interval. Without
        # an interval (0), each write sequences in its own thread after its commit.
        thread = (
            threading.Thread(
                target=sequencer.run,
                args=(stopping, settings.sequence_interval_ms / 1000),
                name="qurb-sequencer",
                daemon=True,
            )
            if settings.sequence_interval_ms
            else None
        )
        if thread is not None:
            thread.start()
        try:
            yield
        finally:
            if thread is not None:
                # It ends its round and stops before the engine is disposed: a round cut
                # short would go on holding a connection.
                stopping.set()
                sequencer.stop()
                await anyio.to_thread.run_sync(thread.join)
            if ticker is not None:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
            await witnessing.aclose()
            services.auth.close()
            engine.dispose()

    app = Starlette(
        routes=[*system.ROUTES, *routes(endpoints), *extra_routes],
        middleware=[
            Middleware(RequestContextMiddleware),
            Middleware(
                BodyLimitMiddleware,
                max_bytes=settings.max_body_bytes,
                uploads=(tuple(upload_paths), settings.max_upload_bytes),
            ),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.endpoints = endpoints
    app.state.openapi = openapi.build(endpoints, title="Qurb API", version=VERSION)
    return app


logger = logging.getLogger(__name__)

# How long a thread may hold the interpreter before another waiting one gets it (Python's
# default is 5 ms). A request thread back from a database round trip, maybe holding the
# audit log's head, waits at most this long to run again.
SWITCH_INTERVAL_SECONDS = 0.001


def limit_threads(count: int) -> None:
    """At most ``count`` requests of this process run their blocking part at once (the
    rest wait their turn in the event loop), each thread waiting little for the GIL."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = count
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)


async def _sign_checkpoints(services: Services, witnessing: Witnessing, interval: int) -> None:
    """Sign a checkpoint of the audit log every ``interval`` seconds when it grew, then have
    the witnesses cosign the latest one (those that have not yet). Several workers may all
    try: the checkpoint's size is its key, each only ever extends the last one, and a witness
    cosigns a size once per key."""
    while True:
        await asyncio.sleep(interval)
        try:
            latest = await run_in_threadpool(services.audit.checkpoint)
        except QurbError as exc:
            # Refusing to sign is the log's alarm; the service keeps serving.
            logger.error("checkpoint_refused", extra={"code": exc.code})
            continue
        if witnessing.configured:
            try:
                await witnessing.submit(latest)
            except QurbError as exc:  # the log cannot prove its own consistency: an alarm
                logger.error("witness_submission_failed", extra={"code": exc.code})
            except Exception as exc:  # noqa: BLE001 - a failed round must not end the loop
                logger.error(
                    "witness_submission_failed",
                    extra={"code": "witness_submission_failed", "error": type(exc).__name__},
                )
