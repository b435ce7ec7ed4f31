"""The counter application's routes, in one list, and the checks every request passes:
the Host header must name this loopback address (a page of another site that resolves its
name to 127.0.0.1 gets nothing), and every answer carries the strict headers."""

from __future__ import annotations

from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from terminal_client.web import (
    deposits,
    drawer,
    enroll,
    envelopes,
    fishing,
    guard,
    payments,
    reversal,
    rights,
    session,
    tickets,
    transmittals,
    workers,
)
from terminal_client.web.page import screen
from terminal_client.web.state import Counter

STATIC = Path(__file__).parent / "static"


def routes() -> list[BaseRoute]:
    return [
        screen("/sign-in", session.sign_in_form, signed_in=False),
        screen("/sign-in", session.sign_in_submit, methods=("POST",), signed_in=False),
        screen("/sign-out", session.sign_out_submit, methods=("POST",)),
        screen("/", workers.home),
        screen("/enroll", enroll.form),
        screen("/enroll", enroll.submit, methods=("POST",)),
        screen("/enroll/check", enroll.check_field, methods=("POST",)),
        screen("/workers", workers.find_by_number),
        screen("/workers/lookup", workers.find_by_cin, methods=("POST",)),
        screen("/workers/{number}", workers.worker),
        screen("/workers/{number}/rights", rights.rights),
        screen("/workers/{number}/fishing-days", fishing.form),
        screen("/workers/{number}/fishing-days", fishing.submit, methods=("POST",)),
        screen("/workers/{number}/certificates", rights.certificate, methods=("POST",)),
        screen("/payments/new", payments.preview),
        screen("/payments", payments.collect, methods=("POST",)),
        screen("/tickets", tickets.today),
        screen("/tickets/{seq:int}", tickets.ticket),
        screen("/tickets/{seq:int}/print", tickets.print_page),
        screen("/tickets/{seq:int}/qr.png", tickets.qr_image),
        screen("/tickets/{seq:int}/escpos", tickets.escpos_print, methods=("POST",)),
        screen("/tickets/{seq:int}/reversal", reversal.form),
        screen("/tickets/{seq:int}/reversal", reversal.submit, methods=("POST",)),
        screen("/workers/{number}/deposits", deposits.files),
        screen("/workers/{number}/deposits/new", deposits.form),
        screen("/workers/{number}/deposits", deposits.submit, methods=("POST",)),
        screen("/deposits/check", deposits.check_field, methods=("POST",)),
        screen("/tickets/{seq:int}/label", envelopes.label_page),
        screen("/tickets/{seq:int}/label.png", envelopes.label_image),
        screen("/tickets/{seq:int}/label/escpos", envelopes.label_escpos, methods=("POST",)),
        screen("/tickets/{seq:int}/deposit-cancel", envelopes.cancel_form),
        screen("/tickets/{seq:int}/deposit-cancel", envelopes.cancel_submit, methods=("POST",)),
        screen("/transmittal", transmittals.form),
        screen("/transmittal", transmittals.submit, methods=("POST",)),
        screen("/transmittals/{seq:int}", transmittals.bordereau),
        screen("/transmittals/{seq:int}/print", transmittals.print_page),
        screen("/transmittals/{seq:int}/qr.png", transmittals.qr_image),
        screen("/transmittals/{seq:int}/escpos", transmittals.escpos_print, methods=("POST",)),
        screen("/drawer", drawer.form),
        screen("/drawer", drawer.submit, methods=("POST",)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


class HostCheck:
    """Refuse a request whose Host is not this app's loopback address (DNS rebinding), and
    put the strict headers on every answer, static files included."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if host not in self.hosts:
            refused = guard.secure(PlainTextResponse("unknown host", status_code=421))
            await refused(scope, receive, send)
            return

        async def secured(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))  # type: ignore[call-overload]
                names = {name.lower() for name, _ in headers}
                for name, value in guard.HEADERS.items():
                    if name.lower().encode() not in names:
                        headers.append((name.lower().encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, secured)  # type: ignore[arg-type]


def build_app(counter: Counter) -> Starlette:
    app = Starlette(routes=routes(), middleware=[Middleware(HostCheck, hosts=counter.hosts)])
    app.state.counter = counter
    return app


def run(counter: Counter, host: str, port: int) -> None:
    """Serve the counter until Ctrl-C (uvicorn's own signal handling stops it cleanly)."""
    uvicorn.run(build_app(counter), host=host, port=port, log_level="warning")


__all__ = ["Route", "build_app", "run"]
