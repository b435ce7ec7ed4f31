"""A worker's health rights, and the signed certificates the counter prints: the CLI's
``rights`` and ``certificate`` (issued now, never queued), on a screen."""

from __future__ import annotations

from starlette.responses import Response

from terminal_client.commands.money import send_certificate, worker_rights
from terminal_client.rights import STATUSES, rights_reason
from terminal_client.web.page import REFUSALS, Page
from terminal_client.web.workers import REGISTRATION

KINDS = ("rights", "payments")


def _month(value: str) -> str:
    return f"{value[5:7]}/{value[:4]}" if len(value) >= 7 else value


def rights(page: Page) -> Response:
    number = str(page.request.path_params["number"])
    if not REGISTRATION.fullmatch(number):
        return page.redirect("/")
    state = worker_rights(page.ctx.terminal(), number)
    status = page.ctx._(STATUSES.get(state["status"], state["status"]))
    covered = state.get("covered_through")
    return page.render(
        "rights.html",
        number=number,
        rights_status=status,
        open=state["status"] == "open",
        covered=_month(str(covered)) if covered else None,
        reason=rights_reason(state, page.ctx._),
    )


def certificate(page: Page) -> Response:
    number, kind = str(page.request.path_params["number"]), page.field("kind")
    if not REGISTRATION.fullmatch(number) or kind not in KINDS:
        return page.render("error.html", 400, message=page.t("form_damaged"))
    try:
        outcome = send_certificate(page.ctx.terminal(), number, kind)
        if outcome.state == "refused":
            raise outcome.error()
    except REFUSALS as exc:
        message, _ = page.refusal(exc)
        return page.render("error.html", 400, message=message)
    return page.redirect(f"/tickets/{outcome.seq}")
