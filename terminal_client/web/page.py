"""The machinery every counter screen shares: the browser's cookie and CSRF token, the
signed-in check, the language, the header with the office's day, and refusals as sentences.

A view is ``def view(page: Page) -> Response``, run on a worker thread under the counter's
lock with ``page.ctx``, the same context a CLI command gets. Before a signed-in view runs,
what waits in the outbox is sent (as every CLI command does first).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from terminal_client.api import NetworkUnreachable, Outcome, ServiceError, signed_document
from terminal_client.commands.context import (
    CASABLANCA,
    BadInput,
    Context,
    Explained,
    Holdings,
    deliver_queue,
    outbox_holdings,
    refusal_code,
)
from terminal_client.commands.money import office_day
from terminal_client.home import HomeError
from terminal_client.i18n import LANGUAGES
from terminal_client.messages import Exit, exit_code, explain
from terminal_client.money import format_mad
from terminal_client.receipts import ReceiptInvalid
from terminal_client.web import guard, words
from terminal_client.web.state import Counter

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters["mad"] = format_mad
TEMPLATES.filters["local_time"] = lambda moment: moment.astimezone(CASABLANCA).strftime("%H:%M")


@dataclass(frozen=True)
class Day:
    """The header: who works where, the office's day at CNSS, what waits in the outbox."""

    office: str
    operator: str
    date: str
    count: int | None
    gross_centimes: int | None
    held: Holdings
    offline: bool


@dataclass
class Page:
    request: Request
    counter: Counter
    lang: str
    cookie: str
    ctx: Context
    form: FormData | None = None
    signed_in: bool = False
    delivered: list[Outcome] = field(default_factory=list)
    offline: bool = False
    cookies_to_set: list[tuple[str, str]] = field(default_factory=list)

    def t(self, key: str, **values: object) -> str:
        text = self.ctx._(words.WORDS[key])
        return text.format(**values) if values else text

    def field(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else ""

    def query(self, name: str) -> str:
        return self.request.query_params.get(name, "").strip()

    @property
    def csrf(self) -> str:
        return guard.csrf_token(self.counter.secret, self.cookie)

    def day(self) -> Day:
        """The office's day: CNSS's count and cash (unless offline) and the outbox's queue."""
        session = self.ctx.home.session() or {}
        config = self.ctx.home.config()
        office = config.get("office") or {}
        count = gross = None
        if not self.offline:
            try:
                found = office_day(self.ctx.terminal())
                count, gross = int(found["count"]), int(found["gross_centimes"])
            except NetworkUnreachable:
                self.offline = True
            except ServiceError:
                pass  # the header stays readable; the screen says what went wrong
        return Day(
            office=f"{office.get('code', '')} {office.get('name', '')}".strip(),
            operator=str(session.get("full_name") or session.get("username") or ""),
            date=datetime.now(UTC).astimezone(CASABLANCA).strftime("%d/%m/%Y"),
            count=count,
            gross_centimes=gross,
            held=outbox_holdings(self.ctx.terminal()),
            offline=self.offline,
        )

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        context: dict[str, Any] = {
            "t": self.t,
            "lang": self.lang,
            "dir": "rtl" if self.lang == "ar" else "ltr",
            "other_lang": "ar" if self.lang == "fr" else "fr",
            "csrf": self.csrf,
            "csrf_field": guard.CSRF_FIELD,
            "path": self.request.url.path,
            "day": self.day() if self.signed_in else None,
            "delivered": _receipts_of(self.delivered),
            "here": self.request.url.path if self.request.method == "GET" else "/",
            "error": None,
            "field": None,
        }
        context.update(values)
        html = TEMPLATES.get_template(template).render(**context)
        return self.finish(HTMLResponse(html, status_code=status))

    def redirect(self, path: str) -> Response:
        return self.finish(RedirectResponse(path, status_code=303))

    def finish(self, response: Response) -> Response:
        for name, value in self.cookies_to_set:
            guard.set_cookie(response, name, value)
        return guard.secure(response)

    def refusal(self, exc: Exception) -> tuple[str, str | None]:
        """The operator's sentence for a refusal, and the field it names."""
        lang = self.lang
        if isinstance(exc, ServiceError):
            code = refusal_code(exc)
            sentence = explain(
                code, lang, server_message=exc.message, field=exc.field, details=exc.details
            )
            return sentence, exc.field
        if isinstance(exc, NetworkUnreachable):
            return explain("server_unreachable", lang), None
        if isinstance(exc, BadInput):
            return self.ctx._(str(exc)), exc.field
        if isinstance(exc, Explained):
            return exc.sentence, None
        if isinstance(exc, HomeError):
            return explain(exc.code, lang, server_message=exc.message), None
        if isinstance(exc, ReceiptInvalid):
            return explain("receipt_invalid", lang, server_message=str(exc)), None
        raise exc


def _receipts_of(outcomes: list[Outcome]) -> list[tuple[int, str, str | None]]:
    """(outbox number, receipt number, deposit number of a deposit) of each queued write
    the service just answered."""
    found = []
    for outcome in outcomes:
        body = outcome.body if outcome.state == "done" else None
        receipt = signed_document(body)
        if receipt is not None and receipt.get("number"):
            deposit = body.get("deposit_number") if isinstance(body, dict) else None
            found.append((outcome.seq, str(receipt["number"]), str(deposit) if deposit else None))
    return found


View = Callable[[Page], Response]
REFUSALS = (ServiceError, NetworkUnreachable, BadInput, Explained, HomeError, ReceiptInvalid)


def language(request: Request, counter: Counter) -> tuple[str, bool]:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return str(asked), True
    kept = request.cookies.get(guard.LANG_COOKIE)
    return (kept if kept in LANGUAGES else counter.default_lang), False


def _session_over(exc: Exception) -> bool:
    """The operator's own session is over (a supervisor's wrong password is not)."""
    code = refusal_code(exc) if isinstance(exc, ServiceError) else ""
    code = exc.code if isinstance(exc, HomeError) else code
    return bool(code) and exit_code(code) == Exit.SESSION


def screen(
    path: str, view: View, *, methods: tuple[str, ...] = ("GET",), signed_in: bool = True
) -> Route:
    """A screen's route. A browser not signed in here is sent to sign in; a POST without
    its form's CSRF token, or from another site, is refused before anything is read."""

    async def endpoint(request: Request) -> Response:
        counter: Counter = request.app.state.counter
        form = await request.form() if request.method == "POST" else None
        try:
            return await run_in_threadpool(_run, request, counter, form)
        finally:
            if form is not None:
                await form.close()

    def _run(request: Request, counter: Counter, form: FormData | None) -> Response:
        lang, chosen = language(request, counter)
        cookie = request.cookies.get(guard.COOKIE) or ""
        with counter.work(lang) as ctx:
            page = Page(request, counter, lang, cookie or guard.new_cookie(), ctx, form)
            if not cookie:
                page.cookies_to_set.append((guard.COOKIE, page.cookie))
            if chosen:
                page.cookies_to_set.append((guard.LANG_COOKIE, lang))
            if request.method == "POST" and not (
                guard.same_origin(request, counter.hosts)
                and guard.csrf_matches(
                    counter.secret, cookie, form.get(guard.CSRF_FIELD) if form else None
                )
            ):
                return page.render("error.html", 403, message=page.t("csrf_refused"))
            page.signed_in = (
                counter.signed_in is not None
                and cookie == counter.signed_in
                and ctx.home.session() is not None
            )
            if signed_in and not page.signed_in:
                return page.redirect("/sign-in")
            try:
                if page.signed_in:
                    page.delivered = deliver_queue(ctx, ctx.terminal())
                    page.offline = any(
                        o.state == "queued" and o.status is None for o in page.delivered
                    )
                return view(page)
            except REFUSALS as exc:
                return _refused(page, counter, exc)
            except Exception as exc:  # noqa: BLE001 - the last guard: a sentence, not a trace
                where = _record(ctx, request, exc)
                text = ctx._(
                    "Unexpected error: the command stopped. The details for support are in {path}."
                )
                return page.render("error.html", 500, message=text.format(path=where))

    return Route(path, endpoint, methods=list(methods))


def _refused(page: Page, counter: Counter, exc: Exception) -> Response:
    """A refusal no screen handled: the operator's own session ended (sign in again), or
    the sentence on the error screen."""
    if _session_over(exc):
        counter.signed_in = None
        page.ctx.home.save_session(None)
        return page.redirect("/sign-in?expired=1")
    message, _ = page.refusal(exc)
    status = 503 if isinstance(exc, NetworkUnreachable) else 400
    return page.render("error.html", status, message=message)


def _record(ctx: Context, request: Request, exc: BaseException) -> str:
    """Where the screen failed, for support, in the terminal's ``errors.log`` as the CLI
    writes it: the path and the exception's type and frames, never its message, a form
    value or a query (they may hold a CIN, a phone number or a password)."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    route = request.scope.get("route")
    name = getattr(route, "path", "?")
    lines = [f"{stamp} qurb-terminal serve {request.method} {name}: {type(exc).__qualname__}\n"]
    lines += [
        f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n'
        for frame in traceback.extract_tb(exc.__traceback__)
    ]
    try:
        return str(ctx.home.record_error("".join(lines) + "\n"))
    except OSError:
        return "errors.log"
