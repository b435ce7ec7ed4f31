"""Sign-in, sign-out and the home screen: the same accounts, lockout and throttling as
``POST /v1/admin/sessions`` (``AuthService.admin_login``), the same revocation as
``DELETE /v1/admin/sessions/current`` (``AuthService.end_session``)."""

from __future__ import annotations

import asyncio

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from agent_api.errors import AccountLocked, AuthenticationFailed, Forbidden
from agent_api.http.throttled import PERSISTENT_PAUSE_SECONDS
from agent_api.services.sessions.sign_in_throttle import TooManyAttempts
from qurb.backoffice import session as cookies
from qurb.backoffice.session import PREFIX
from qurb.backoffice.web import Page, error_page


async def sign_in_form(page: Page) -> Response:
    if not page.csrf:
        secret = cookies.new_sign_in_secret_value()
        page.csrf = cookies.csrf_token(secret)
        page.cookies_to_set.append(
            lambda r: cookies.keep_sign_in_secret(r, page.services.settings, secret)
        )
    notice = (
        "sign_in.signed_out"
        if page.query("signed_out")
        else "sign_in.expired"
        if page.query("expired")
        else None
    )
    return page.render("sign_in.html", notice=notice, username="")


async def sign_in(page: Page) -> Response:
    username = page.field("username")
    client = page.request.client
    try:
        signed = await page.services.auth.admin_login(
            username, page.field("password"), source=client.host if client else "unknown"
        )
    except TooManyAttempts as refused:
        if refused.persistent:
            await asyncio.sleep(PERSISTENT_PAUSE_SECONDS)  # as the API slows a flood
        response = error_page(
            page,
            429,
            "too_many_attempts",
            template="sign_in.html",
            context={"notice": None, "username": username},
            seconds=refused.retry_after_seconds,
        )
        response.headers["Retry-After"] = str(refused.retry_after_seconds)
        return response
    except (AuthenticationFailed, AccountLocked, Forbidden) as refused:
        return error_page(
            page,
            refused.status,
            refused.code,
            template="sign_in.html",
            context={"notice": None, "username": username},
        )
    response = page.redirect(f"{PREFIX}/")
    seconds = max(1, int((signed.expires_at - page.services.clock()).total_seconds()))
    cookies.set_session(response, page.services.settings, signed.token, seconds)
    response.delete_cookie(cookies.SIGN_IN_COOKIE, path=PREFIX)
    return response


async def sign_out(page: Page) -> Response:
    await run_in_threadpool(page.services.auth.end_session, page.who())
    response = page.redirect(f"{PREFIX}/sign-in?signed_out=1")
    cookies.end_session(response, page.services.settings)
    return response


async def home(page: Page) -> Response:
    return page.render("home.html")
