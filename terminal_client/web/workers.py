"""Finding a worker: by registration number, or by the CIN on the card the worker hands
over. There is no search by name and birth date: the service offers a counter no such
read (a name search would let a counter list people it does not serve; docs/terminal.md),
and the screen's help says so."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from terminal_client.commands.workers import (
    LOOKUP_STATUSES,
    WORKER_LINES,
    lookup_cin,
    shown_value,
)
from terminal_client.fields import check_cin, normalize_cin
from terminal_client.web.page import REFUSALS, Page

REGISTRATION = re.compile(r"[0-9]{1,20}")


def home(page: Page) -> Response:
    return page.render("home.html", number="", cin_error=None)


def worker_rows(page: Page, worker: dict[str, Any]) -> list[tuple[str, str]]:
    """The worker's lines as the CLI's ``find`` shows them, in the operator's language."""
    rows = [
        (page.ctx._(label), shown_value(key, worker[key], page.ctx))
        for key, label in WORKER_LINES
        if worker.get(key) not in (None, "", [])
    ]
    if isinstance(worker.get("dependents"), int) and worker["dependents"]:
        rows.append((page.ctx._("Dependents"), str(worker["dependents"])))
    return rows


def find_by_number(page: Page) -> Response:
    number = page.query("number")
    if not REGISTRATION.fullmatch(number):
        return page.render(
            "home.html",
            422,
            number=number,
            error=page.t("number_digits"),
            field="number",
            cin_error=None,
        )
    return page.redirect(f"/workers/{number}")


def worker(page: Page) -> Response:
    number = str(page.request.path_params["number"])
    if not REGISTRATION.fullmatch(number):
        return page.redirect("/")
    try:
        found = page.ctx.terminal().get(f"/v1/workers/{number}")
    except REFUSALS as exc:
        message, _ = page.refusal(exc)
        return page.render(
            "home.html", 404, number=number, error=message, field="number", cin_error=None
        )
    already = None
    if page.query("already"):
        text = page.ctx._("This CIN is already enrolled under registration number {number}.")
        already = text.format(number=number)
    return _card(page, found, status_text=None, already=already)


def find_by_cin(page: Page) -> Response:
    typed = page.field("cin")
    problem = check_cin(typed)
    if problem is not None:
        return page.render("home.html", 422, number="", cin_error=page.ctx._(problem), field="cin")
    try:
        found = lookup_cin(page.ctx.terminal(), normalize_cin(typed))
    except REFUSALS as exc:
        message, _ = page.refusal(exc)
        return page.render("home.html", 404, number="", cin_error=message, field="cin")
    person = found.get("worker") or found.get("pre_registration") or {}
    status = LOOKUP_STATUSES.get(found.get("status", ""), found.get("status", ""))
    return _card(page, person, status_text=page.ctx._(status))


def _card(
    page: Page, found: dict[str, Any], *, status_text: str | None, already: str | None = None
) -> Response:
    number = found.get("registration_number")
    return page.render(
        "worker.html",
        worker=found,
        number=number,
        name=f"{found.get('first_name', '')} {found.get('last_name', '')}".strip(),
        rows=worker_rows(page, found),
        status_text=status_text,
        amount="",
        already=already,
    )
