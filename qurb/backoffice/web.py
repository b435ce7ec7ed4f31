"""The machinery every back-office screen shares: a route with its role guard, the session
and CSRF checks, the language, the template and the answer to a refused action.

A view is ``async def view(page: Page) -> Response``: ``page.actor`` is the signed-in user
(already checked against the route's roles), ``page.form`` the posted form (already checked
for its CSRF token), ``page.render`` renders its one template with the page's language. A
service's refusal (``QurbError``) raised by a view becomes the error screen with the status
the JSON API would answer, its text from the catalog by the refusal's code.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from agent_api.domain.roles import BACK_OFFICE_ROLES, Actor, Role
from agent_api.errors import (
    AuthenticationFailed,
    MalformedRequest,
    PayloadTooLarge,
    QurbError,
    ValidationFailed,
)
from agent_api.http.middleware import ROUTE_KEY
from agent_api.http.security_headers import PAGE_POLICY
from agent_api.services.container import Services
from agent_api.services.sessions.sign_in_throttle import TooManyAttempts
from agent_api.services.sessions.tokens import ADMIN_AUDIENCE
from qurb.backoffice import formatting, labels
from qurb.backoffice import session as cookies
from qurb.backoffice.session import CSRF_FIELD, PREFIX

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters.update(formatting.FILTERS)
# The form parts a page accepts at most: an upload is one file and a few fields.
MAX_FORM_FILES = 4
MAX_FORM_FIELDS = 2000  # a bulk action on a long page of exceptions


# A row id or a count as people type it: ASCII digits only ("²".isdigit() is true and int()
# refuses it), and no larger than the database's INTEGER, which a bigger one would overflow.
_WHOLE = re.compile(r"[0-9]{1,19}")
INTEGER_MAX = 2**31 - 1


def whole_number(text: str, *, maximum: int = INTEGER_MAX) -> int | None:
    """``text`` as a whole number from 0 to ``maximum``, or None when it is not one."""
    if _WHOLE.fullmatch(text) is None:
        return None
    value = int(text)
    return value if value <= maximum else None


def _nul_in(request: Request, form: FormData | None) -> str | None:
    """The name of the first query, path or form value holding a NUL: PostgreSQL refuses
    the character in text, so it is refused here, before any view reads it."""
    values: list[tuple[str, object]] = [
        *request.query_params.multi_items(),
        *request.path_params.items(),
        *(form.multi_items() if form is not None else []),
    ]
    for name, value in values:
        if "\x00" in name or (isinstance(value, str) and "\x00" in value):
            return name.replace("\x00", "")
    return None


@dataclass(frozen=True)
class NavItem:
    """An entry of the menu: the catalog key of its name, its path, who sees it."""

    label: str
    path: str
    roles: frozenset[Role]


# The menu, in the order it shows; each role's screens add their entries (routes.py).
NAVIGATION: list[NavItem] = []


@dataclass
class Page:
    request: Request
    services: Services
    lang: str
    actor: Actor | None = None
    form: FormData | None = None
    csrf: str = ""
    cookies_to_set: list[Callable[[Response], None]] = field(default_factory=list)

    def who(self) -> Actor:
        assert self.actor is not None
        return self.actor

    def t(self, key: str, **values: object) -> str:
        return labels.text(self.lang, key, **values)

    def field(self, name: str) -> str:
        """A posted text field, stripped ("" when absent)."""
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else ""

    def fields(self, name: str) -> list[str]:
        """Every value of a repeated field (checkboxes)."""
        if self.form is None:
            return []
        return [v.strip() for v in self.form.getlist(name) if isinstance(v, str)]

    def file(self, name: str) -> UploadFile | None:
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, UploadFile) else None

    def query(self, name: str) -> str:
        return self.request.query_params.get(name, "").strip()

    def context(self) -> dict[str, Any]:
        """What every template may use: the words, the user, the menu, the CSRF token."""
        actor = self.actor
        return {
            "t": self.t,
            "lang": self.lang,
            "dir": "rtl" if self.lang == "ar" else "ltr",
            "actor": actor,
            "csrf_field": CSRF_FIELD,
            "csrf": self.csrf,
            "prefix": PREFIX,
            "path": self.request.url.path,
            "here": _here(self.request),
            "nav": [n for n in NAVIGATION if actor is not None and actor.role in n.roles],
        }

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        html = TEMPLATES.get_template(template).render(**self.context(), **values)
        return self.finish(HTMLResponse(html, status_code=status))

    def redirect(self, path: str) -> Response:
        return self.finish(RedirectResponse(path, status_code=303))

    def finish(self, response: Response) -> Response:
        response.headers["Content-Security-Policy"] = PAGE_POLICY
        # A signed-in page is never kept: after sign-out, Back shows nothing of it.
        response.headers["Cache-Control"] = "no-store"
        for set_cookie in self.cookies_to_set:
            set_cookie(response)
        return response


View = Callable[[Page], Awaitable[Response]]


def _here(request: Request) -> str:
    """The current path with its query, to come back to after a language switch."""
    query = "&".join(
        f"{quote(k)}={quote(v)}" for k, v in request.query_params.multi_items() if k != "lang"
    )
    return request.url.path + (f"?{query}" if query else "")


def language(request: Request) -> tuple[str, str | None]:
    """The page's language and, when ``?lang=`` chose a new one, that choice to remember."""
    asked = request.query_params.get("lang")
    if asked in labels.LANGUAGES:
        return asked, asked
    kept = request.cookies.get(cookies.LANGUAGE_COOKIE)
    return (kept if kept in labels.LANGUAGES else labels.DEFAULT_LANGUAGE), None


async def _capped(request: Request, cap: int) -> AsyncGenerator[bytes, None]:
    """The request's body, refused as soon as it passes ``cap`` bytes."""
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > cap:
            raise PayloadTooLarge(f"the form is over {cap} bytes", code="image_too_large")
        yield chunk


async def _form_in_memory(request: Request, cap: int) -> FormData:
    """A form read into memory only, its body refused past ``cap`` bytes (with or without a
    Content-Length): a file part, at most ``cap``, never rolls over to a temporary file on
    disk as Starlette's parser does past 1 MiB. For an upload that must not be stored, not
    even for a moment."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > cap:
        raise PayloadTooLarge(f"the form is over {cap} bytes", code="image_too_large")
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return FormData()  # no form: its CSRF token is missing, 403
    async with aclosing(_capped(request, cap)) as stream:
        parser: FormParser | MultiPartParser
        if kind == "multipart/form-data":
            parser = MultiPartParser(
                request.headers, stream, max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS
            )
            parser.spool_max_size = cap + 1  # never reached: the stream stops at cap
        else:
            parser = FormParser(request.headers, stream, max_fields=MAX_FORM_FIELDS)
        try:
            return await parser.parse()
        except MultiPartException as bad:
            raise MalformedRequest(bad.message) from None


async def _read_form(request: Request, in_memory_upload: int | None) -> FormData:
    if in_memory_upload is not None:
        return await _form_in_memory(request, in_memory_upload)
    return await request.form(max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS)


def page(
    path: str,
    view: View,
    *,
    roles: frozenset[Role] | None,
    methods: tuple[str, ...] = ("GET",),
    name: str | None = None,
    in_memory_upload: int | None = None,
) -> Route:
    """A screen's route. ``roles=None``: open without a session (sign-in only). Otherwise a
    request without a live session is sent to sign in, a role not in ``roles`` gets 403, and
    a POST without its form's CSRF token gets 403 before anything is read or written.
    ``in_memory_upload``: the most bytes a posted form may have, read in memory only (an
    image the auditor checks and nobody keeps); the path also belongs in
    ``qurb.asgi.UPLOAD_PATHS``, past the API's small body cap."""
    template = PREFIX + path

    async def endpoint(request: Request) -> Response:
        request.scope[ROUTE_KEY] = template
        services: Services = request.app.state.services
        lang, chosen = language(request)
        current = Page(request, services, lang)
        if chosen is not None:
            current.cookies_to_set.append(
                lambda r: cookies.set_language(r, services.settings, chosen)
            )
        try:
            if roles is not None:
                found = await _actor(request, services)
                if found is None:
                    return _to_sign_in(current)
                current.actor, secret = found
                if current.actor.role not in roles:
                    return error_page(current, 403, "forbidden")
            else:
                secret = cookies.sign_in_secret(request) or ""
            current.csrf = cookies.csrf_token(secret) if secret else ""
            if request.method == "POST":
                current.form = await _read_form(request, in_memory_upload)
                sent = current.form.get(CSRF_FIELD)
                if not cookies.csrf_matches(secret, sent if isinstance(sent, str) else None):
                    return error_page(current, 403, "csrf")
            bad = _nul_in(request, current.form)
            if bad is not None:
                raise ValidationFailed("must not contain a NUL character", field=bad)
            return await view(current)
        except TooManyAttempts:
            return error_page(current, 429, "rate_limited")
        except QurbError as refused:
            return error_page(current, refused.status, refused.code, refused=refused)
        finally:
            if current.form is not None:
                await current.form.close()  # an upload's spooled file

    return Route(path, endpoint, methods=list(methods), name=name)


async def _actor(request: Request, services: Services) -> tuple[Actor, str] | None:
    token = request.cookies.get(cookies.SESSION_COOKIE)
    if not token:
        return None
    try:
        actor = await run_in_threadpool(services.auth.authenticate, token, audience=ADMIN_AUDIENCE)
    except AuthenticationFailed:
        return None
    if actor.role not in BACK_OFFICE_ROLES:
        return None
    return actor, token


def _to_sign_in(current: Page) -> Response:
    had_cookie = cookies.SESSION_COOKIE in current.request.cookies
    target = f"{PREFIX}/sign-in" + ("?expired=1" if had_cookie else "")
    response = current.redirect(target)
    if had_cookie:
        cookies.end_session(response, current.services.settings)
    return response


def error_page(
    current: Page,
    status: int,
    code: str,
    *,
    refused: QurbError | None = None,
    template: str = "error.html",
    context: dict[str, Any] | None = None,
    **values: object,
) -> Response:
    """The screen for a refusal: the catalog's sentence for ``code`` (a generic one for a code
    it does not know), the field at fault, and the service's own words as technical detail
    (they name the line of a refused file). ``template`` may be the form that was refused, shown
    again with ``context``; ``values`` fill the sentence's placeholders."""
    key = f"error.{code}"
    message = (
        current.t(key, **values)
        if labels.has(current.lang, key)
        else current.t("error.validation_failed" if status == 422 else "error.generic")
    )
    if refused is not None and status >= 500:
        logger.warning("back_office_refused", extra={"code": code, "status": status})
    return current.render(
        template,
        status=status,
        message=message,
        field=refused.field if refused is not None else None,
        detail=refused.message if refused is not None and status in (409, 422) else None,
        **(context or {}),
    )
