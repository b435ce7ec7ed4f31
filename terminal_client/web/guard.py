"""What protects the local app from other pages the counter's browser may open: the Host
header (DNS rebinding), the Origin of a POST, the CSRF token of every form, the cookie."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "qurb_counter"
LANG_COOKIE = "qurb_counter_lang"
CSRF_FIELD = "csrf"
# Pages only ever come from this process: its own files, no inline code, no frames.
POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",  # counter.js checks an enrollment field as it is typed
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    # Nothing leaves for another site; same-origin (not no-referrer) so that the browser
    # names this page's origin on a POST instead of "null", and same_origin can check it.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def is_loopback(host: str) -> bool:
    """``127.0.0.1``, ``::1`` or ``localhost``: the only addresses the app may listen on."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The Host headers a request to this app may carry: a page served from any other name
    (a rebinding attacker's domain resolving to 127.0.0.1) is refused."""
    names = {host, "127.0.0.1", "localhost"}
    return frozenset(f"{name}:{port}" for name in names)


def new_cookie() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(secret: bytes, cookie: str) -> str:
    """The form token of this browser: bound to its cookie, which other sites cannot read."""
    return hmac.new(secret, cookie.encode(), hashlib.sha256).hexdigest()


def csrf_matches(secret: bytes, cookie: str | None, sent: object) -> bool:
    if not cookie or not isinstance(sent, str):
        return False
    return hmac.compare_digest(csrf_token(secret, cookie), sent)


def same_origin(request: Request, hosts: frozenset[str]) -> bool:
    """A POST from another site is refused whatever it carries (``Origin`` and the
    browser's ``Sec-Fetch-Site``, when sent)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return origin is None or origin in {f"http://{h}" for h in hosts}


def set_cookie(response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="strict", path="/")


def secure(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers[name] = value
    return response
