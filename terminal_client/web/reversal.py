"""Reversing one of today's collections: the supervisor types their username and password
at this counter, the reason is given, and the service answers with the reversal's receipt
(the CLI's ``reverse``: never queued, the password forgotten by the outbox once over)."""

from __future__ import annotations

from starlette.responses import Response

from terminal_client import journal
from terminal_client.api import ServiceError
from terminal_client.commands.money import send_reversal
from terminal_client.web.page import REFUSALS, Page

# The fields of the form, in order, as the operator fills them.
FIELDS = ("reason", "supervisor_username", "supervisor_password")


def _collection(page: Page) -> journal.Entry | None:
    entry = journal.entry_of(page.ctx.terminal().outbox, int(page.request.path_params["seq"]))
    if entry is None or entry.provisional or entry.kind != "collection" or not entry.number:
        return None
    return entry


def form(page: Page) -> Response:
    entry = _collection(page)
    if entry is None:
        return page.render("error.html", 404, message=page.t("not_reversible"))
    return page.render("reversal.html", entry=entry, reason="", username="")


def submit(page: Page) -> Response:
    entry = _collection(page)
    if entry is None or entry.number is None:
        return page.render("error.html", 404, message=page.t("not_reversible"))
    reason, username = page.field("reason"), page.field("supervisor_username")
    password = page.field("supervisor_password")
    for name, value in zip(FIELDS, (reason, username, password), strict=True):
        if not value:
            return page.render(
                "reversal.html",
                422,
                entry=entry,
                reason=reason,
                username=username,
                error=page.t("field_required", field=page.t(name)),
                field=name,
            )
    try:
        outcome = send_reversal(page.ctx.terminal(), entry.number, reason, username, password)
        if outcome.state == "refused":
            raise outcome.error()
    except REFUSALS as exc:
        message, field = page.refusal(exc)
        status = exc.status if isinstance(exc, ServiceError) else 503
        named = "supervisor_password" if (field or "").startswith("supervisor") else "reason"
        return page.render(
            "reversal.html",
            status,
            entry=entry,
            reason=reason,
            username=username,
            error=message,
            field=named,
        )
    return page.redirect(f"/tickets/{outcome.seq}")
