"""Signing the operator in and out from the browser. The password goes from the form to
this process, which signs the request with the terminal's key; the session token stays
here, and the browser gets a fresh cookie (another one than before it signed in)."""

from __future__ import annotations

from starlette.responses import Response

from terminal_client.api import NetworkUnreachable, ServiceError
from terminal_client.commands.setup import sign_in, sign_out
from terminal_client.web import guard
from terminal_client.web.page import REFUSALS, Page


def sign_in_form(page: Page) -> Response:
    if page.signed_in:
        return page.redirect("/")
    notice = None
    if page.query("expired"):
        notice = page.t("session_expired")
    elif page.query("out"):
        notice = page.t("signed_out")
    return page.render("sign_in.html", notice=notice, username="")


def sign_in_submit(page: Page) -> Response:
    username, password = page.field("username"), page.field("password")
    missing = "username" if not username else "password" if not password else None
    if missing is not None:
        return page.render(
            "sign_in.html",
            422,
            error=page.t("field_required", field=page.t(missing)),
            field=missing,
            username=username,
            notice=None,
        )
    try:
        sign_in(page.ctx, page.ctx.terminal(), username, password)
    except REFUSALS as exc:
        message, field = page.refusal(exc)
        status = 503 if isinstance(exc, NetworkUnreachable) else 401
        if isinstance(exc, ServiceError) and exc.status >= 400:
            status = exc.status
        return page.render(
            "sign_in.html",
            status,
            error=message,
            field=field or "password",
            username=username,
            notice=None,
        )
    # A new cookie for the signed-in browser: one planted before sign-in is worth nothing.
    fresh = guard.new_cookie()
    page.counter.signed_in = fresh
    page.cookies_to_set.append((guard.COOKIE, fresh))
    return page.redirect("/")


def sign_out_submit(page: Page) -> Response:
    sign_out(page.ctx, page.ctx.terminal())
    page.counter.signed_in = None
    page.cookies_to_set.append((guard.COOKIE, guard.new_cookie()))
    return page.redirect("/sign-in?out=1")
