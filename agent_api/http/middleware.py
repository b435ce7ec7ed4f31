"""Pure ASGI middleware: request ids, security headers (``security_headers``), body cap,
access log and request metrics.

Pure ASGI (not ``BaseHTTPMiddleware``) so that the raw body stream reaches the endpoint
untouched: request signatures are verified over the exact bytes received.

A client that goes away before its body is complete (a counter losing its link mid-upload)
is no server error: its access line is logged at info as ``client_aborted`` (no traceback,
no ``http_request`` line besides) and counted under 499, the status nginx uses for it;
nothing is answered, since nobody is listening.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent_api import metrics
from agent_api.errors import PayloadTooLarge
from agent_api.http.security_headers import secured
from agent_api.observability import request_id_var

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = b"x-request-id"
_CLIENT_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{8,64}$")
ROUTE_KEY = "qurb.route"  # set by the endpoint wrapper: the route template, for labels
CLIENT_ABORTED = 499  # nginx's "client closed request": no response was sent


class RequestContextMiddleware:
    """Gives each request an id (the client's ``X-Request-ID`` if well-formed), echoes it in
    the response with the security headers, logs one access line and counts the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                headers = secured(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            # Not an error of ours: its one log line is the access line below, named for it.
            status = CLIENT_ABORTED
        except Exception:
            # Answered here, inside the request's context, so the 500 carries the request id
            # in its header and its log line; the traceback goes to the log, not the client.
            logger.exception("unexpected_error")
            if started_response:
                raise
            await _send_json(
                send_with_id,
                500,
                "internal_error",
                f"an unexpected error occurred; quote request id {request_id}",
            )
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get(ROUTE_KEY, "unmatched")
            metrics.HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            metrics.HTTP_LATENCY.labels(scope["method"], route).observe(elapsed)
            logger.info(
                "client_aborted" if status == CLIENT_ABORTED else "http_request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id_var.reset(token)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER and _CLIENT_REQUEST_ID.match(value):
            return str(value.decode())
    return uuid.uuid4().hex


class BodyLimitMiddleware:
    """Refuses bodies over ``max_bytes``: at once when Content-Length says so, otherwise as
    soon as the streamed body passes the cap (the endpoint then answers 413)."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        uploads: tuple[tuple[str, ...], int] = ((), 0),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Paths (exact) that take a file upload, and their larger cap.
        self.upload_paths, self.max_upload_bytes = uploads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.max_upload_bytes if scope["path"] in self.upload_paths else self.max_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length" and (not value.isdigit() or int(value) > cap):
                await _send_json(send, 413, "payload_too_large", f"the body exceeds {cap} bytes")
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise PayloadTooLarge(f"the body exceeds {cap} bytes")
            return message

        await self.app(scope, limited_receive, send)


async def _send_json(send: Send, status: int, code: str, message: str) -> None:
    metrics.REFUSALS.labels(code).inc()
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
