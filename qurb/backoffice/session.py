"""The back-office session as the browser holds it, and its CSRF tokens.

The session is the API's own back-office session (``AuthService.admin_login``): a row and a
signed token, revoked by sign-out, suspension or lockout on the very next request. The
browser keeps the token in a cookie it never shows to scripts (``HttpOnly``), never sends from
another site (``SameSite=Strict``), only over TLS outside development (``Secure``), and that
dies with the token (``Max-Age``).

Every form carries a synchronizer token derived from that session token (an HMAC of it): a
page of another site can neither read the cookie nor compute the token, and a token stops
working when its session ends. Before sign-in, the sign-in form is bound the same way to a
random pre-session cookie (login CSRF).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from agent_api.settings import Settings

SESSION_COOKIE = "qurb_back_office"
SIGN_IN_COOKIE = "qurb_back_office_sign_in"
LANGUAGE_COOKIE = "qurb_back_office_lang"
CSRF_FIELD = "csrf_token"
PREFIX = "/back-office"
# How long the sign-in form's pre-session cookie lives: time enough to type a password.
SIGN_IN_COOKIE_SECONDS = 15 * 60
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
_CSRF_CONTEXT = b"qurb back-office csrf v1"


def csrf_token(secret: str) -> str:
    """The form token bound to ``secret`` (the session token, or the pre-session cookie)."""
    mac = hmac.new(secret.encode(), _CSRF_CONTEXT, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def csrf_matches(secret: str | None, sent: str | None) -> bool:
    if not secret or not sent:
        return False
    return hmac.compare_digest(csrf_token(secret), sent)


def secure(settings: Settings) -> bool:
    """Cookies travel over TLS only, but on a developer's plain-HTTP demo."""
    return settings.environment != "development"


def set_session(response: Response, settings: Settings, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path=PREFIX,
        secure=secure(settings),
        httponly=True,
        samesite="strict",
    )


def end_session(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=PREFIX, secure=secure(settings), httponly=True, samesite="strict"
    )


def sign_in_secret(request: Request) -> str | None:
    return request.cookies.get(SIGN_IN_COOKIE)


def new_sign_in_secret_value() -> str:
    return secrets.token_urlsafe(32)


def keep_sign_in_secret(response: Response, settings: Settings, secret: str) -> None:
    response.set_cookie(
        SIGN_IN_COOKIE,
        secret,
        max_age=SIGN_IN_COOKIE_SECONDS,
        path=PREFIX,
        secure=secure(settings),
        httponly=True,
        samesite="strict",
    )


def set_language(response: Response, settings: Settings, lang: str) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE,
        lang,
        max_age=LANGUAGE_COOKIE_SECONDS,
        path=PREFIX,
        secure=secure(settings),
        httponly=True,
        samesite="strict",
    )
