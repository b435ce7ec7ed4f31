"""Taking a payment: the worker's name and what the amount pays shown first, confirmed with
one key (Enter), then the ticket. The write is the CLI's (``send_collection``): signed into
the outbox before it is sent, queued with a provisional ticket when the hub is unreachable.

A confirmation form can be used once: the second Enter of a double press, or the form sent
again with Back, shows the ticket of the first and collects nothing more.
"""

from __future__ import annotations

import re
import secrets

from starlette.responses import Response

from terminal_client.api import NetworkUnreachable
from terminal_client.commands.money import (
    collection_preview,
    covers_text,
    send_collection,
)
from terminal_client.money import AmountError, parse_mad
from terminal_client.web.page import REFUSALS, Page
from terminal_client.web.workers import REGISTRATION

_NONCE = re.compile(r"[A-Za-z0-9_-]{20,64}")
_CENTIMES = re.compile(r"[0-9]{1,12}")


def _amount_error(page: Page, number: str, typed: str, message: str) -> Response:
    return page.render(
        "worker.html",
        422,
        worker={},
        number=number,
        name="",
        rows=[],
        status_text=None,
        already=None,
        amount=typed,
        error=message,
        field="amount",
    )


def preview(page: Page) -> Response:
    number, typed = page.query("number"), page.query("amount")
    if not REGISTRATION.fullmatch(number):
        return page.redirect("/")
    try:
        amount = parse_mad(typed)
    except AmountError as exc:
        return _amount_error(page, number, typed, page.ctx._(exc.message_id))
    if amount <= 0:
        return _amount_error(page, number, typed, page.ctx._("The amount must be more than 0 MAD."))
    checked = True
    name, other_office, covers = "", None, ""
    try:
        found = collection_preview(page.ctx, page.ctx.terminal(), number, amount)
    except NetworkUnreachable:
        checked = False  # offline: the payment is queued unchecked, and the screen says so
        page.offline = True
    except REFUSALS as exc:
        message, _ = page.refusal(exc)
        return _amount_error(page, number, typed, message)
    else:
        if found.coverage.too_much:
            return _amount_error(page, number, typed, covers_text(page.ctx, found.coverage))
        name = f"{found.worker['first_name']} {found.worker['last_name']}"
        other_office, covers = found.other_office, covers_text(page.ctx, found.coverage)
    return page.render(
        "confirm.html",
        number=number,
        amount=amount,
        typed=typed,
        name=name,
        checked=checked,
        other_office=other_office,
        covers=covers,
        nonce=secrets.token_urlsafe(18),
    )


def collect(page: Page) -> Response:
    number, nonce = page.field("number"), page.field("nonce")
    centimes = page.field("amount_centimes")
    if (
        not (
            REGISTRATION.fullmatch(number)
            and _NONCE.fullmatch(nonce)
            and _CENTIMES.fullmatch(centimes)
        )
        or int(centimes) <= 0
    ):
        return page.render("error.html", 400, message=page.t("form_damaged"))
    done = page.counter.used_confirmations.get(nonce)
    if done is not None:
        return page.redirect(f"/tickets/{done}")
    try:
        outcome = send_collection(page.ctx.terminal(), number, int(centimes))
    except REFUSALS as exc:
        message, _ = page.refusal(exc)
        return _amount_error(page, number, "", message)
    if outcome.state == "refused":
        message, _ = page.refusal(outcome.error())
        return _amount_error(page, number, "", message)
    page.counter.used_confirmations[nonce] = outcome.seq
    return page.redirect(f"/tickets/{outcome.seq}")
