"""Fishing-day declarations: a fishing worker's days at sea and their earnings, declared
by the boat owner or the cooperative (the CLI's ``declare-day``; queued offline like it)."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from terminal_client.api import ServiceError
from terminal_client.commands.money import send_declaration
from terminal_client.fields import check_text
from terminal_client.money import AmountError, parse_mad
from terminal_client.web.page import REFUSALS, Page
from terminal_client.web.workers import REGISTRATION

ROWS = 7  # a week at sea on one screen; a longer season is declared week by week
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _render(page: Page, status: int = 200, **values: Any) -> Response:
    number = str(page.request.path_params["number"])
    form = {k: v for k, v in (page.form or {}).items() if isinstance(v, str)}
    defaults: dict[str, Any] = {"errors": {}, "error": None, "done": None}
    defaults.update(values)
    return page.render("fishing.html", status, number=number, values=form, rows=ROWS, **defaults)


def form(page: Page) -> Response:
    if not REGISTRATION.fullmatch(str(page.request.path_params["number"])):
        return page.redirect("/")
    return _render(page)


def submit(page: Page) -> Response:
    number = str(page.request.path_params["number"])
    if not REGISTRATION.fullmatch(number):
        return page.redirect("/")
    errors: dict[str, str] = {}
    declared_by = page.field("declared_by")
    problem = check_text(declared_by)
    if problem is not None:
        errors["declared_by"] = page.ctx._(problem)
    days = []
    for i in range(ROWS):
        day, earnings = page.field(f"day{i}"), page.field(f"earnings{i}")
        if not day and not earnings:
            continue
        if not _DATE.fullmatch(day):
            errors[f"day{i}"] = page.ctx._("Type the date as YYYY-MM-DD, for example 1985-04-12.")
        try:
            days.append({"date": day, "earnings_centimes": parse_mad(earnings)})
        except AmountError as exc:
            errors[f"earnings{i}"] = page.ctx._(exc.message_id)
    if not days and not errors:
        errors["day0"] = page.t("one_day_at_least")
    if errors:
        return _render(page, 422, errors=errors)
    try:
        outcome = send_declaration(page.ctx.terminal(), number, declared_by, days)
        if outcome.state == "refused":
            raise outcome.error()
    except REFUSALS as exc:
        message, _ = page.refusal(exc)
        status = exc.status if isinstance(exc, ServiceError) else 503
        return _render(page, status, error=message)
    if outcome.state == "queued":
        return page.render("message.html", message=page.t("declaration_queued", seq=outcome.seq))
    return _render(page, done=outcome.body)
