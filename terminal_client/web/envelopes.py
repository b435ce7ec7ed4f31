"""A deposit's envelope once taken: its label to print (the deposit number as a Code 128
barcode and in clear, through the browser or on the ESC/POS printer), and its same-day
cancellation approved by a supervisor at this counter, as a reversal is (the CLI's
``deposit cancel``: never queued, the password forgotten once over)."""

from __future__ import annotations

import io
from typing import Literal

from starlette.responses import Response

from terminal_client import escpos, journal
from terminal_client.api import ServiceError
from terminal_client.commands.deposits import send_deposit_cancel
from terminal_client.label import bars_png, print_label
from terminal_client.web import guard
from terminal_client.web.page import REFUSALS, Page

FIELDS = ("reason", "supervisor_username", "supervisor_password")


def _deposit(page: Page) -> tuple[journal.Entry, str] | None:
    """Today's confirmed deposit slip ``seq`` of this terminal, and its deposit number."""
    entry = journal.entry_of(page.ctx.terminal().outbox, int(page.request.path_params["seq"]))
    if entry is None or entry.provisional or entry.kind != "deposit":
        return None
    number = journal.claims_of(entry).get("deposit_number")
    return (entry, str(number)) if isinstance(number, str) else None


def _width(page: Page) -> Literal[58, 80]:
    return 80 if page.query("width") == "80" else 58


def label_page(page: Page) -> Response:
    found = _deposit(page)
    if found is None:
        return page.render("error.html", 404, message=page.t("no_ticket"))
    entry, number = found
    return page.render("label.html", entry=entry, number=number, width=_width(page))


def label_image(page: Page) -> Response:
    found = _deposit(page)
    if found is None:
        return guard.secure(Response(status_code=404))
    image = io.BytesIO()
    bars_png(found[1], image, along_the_roll=_width(page) == 58)
    return guard.secure(Response(image.getvalue(), media_type="image/png"))


def label_escpos(page: Page) -> Response:
    """The label on the terminal's ESC/POS printer (its own barcode command on 80 mm)."""
    found = _deposit(page)
    if found is None:
        return page.render("error.html", 404, message=page.t("no_ticket"))
    entry, number = found
    width = _width(page)
    try:
        printer = escpos.open_printer(page.ctx.home.config(), width)
        if printer is None:
            return page.render(
                "label.html",
                409,
                entry=entry,
                number=number,
                width=width,
                error=page.t("no_printer"),
            )
        try:
            print_label(printer, number, width=width)
        finally:
            printer.close()
    except (OSError, escpos.PrinterSettingError, escpos.PrinterUnreachable):
        text = page.ctx._(
            "The printer did not print: check that it is on, connected and has paper, then "
            "print again."
        )
        return page.render("label.html", 503, entry=entry, number=number, width=width, error=text)
    return page.render(
        "label.html", entry=entry, number=number, width=width, note=page.t("sent_to_printer")
    )


def cancel_form(page: Page) -> Response:
    found = _deposit(page)
    if found is None:
        return page.render("error.html", 404, message=page.t("not_cancellable"))
    entry, number = found
    return page.render("deposit_cancel.html", entry=entry, number=number, reason="", username="")


def cancel_submit(page: Page) -> Response:
    found = _deposit(page)
    if found is None:
        return page.render("error.html", 404, message=page.t("not_cancellable"))
    entry, number = found
    reason, username = page.field("reason"), page.field("supervisor_username")
    password = page.field("supervisor_password")
    shown = {"entry": entry, "number": number, "reason": reason, "username": username}
    for name, value in zip(FIELDS, (reason, username, password), strict=True):
        if not value:
            error = page.t("field_required", field=page.t(name))
            return page.render("deposit_cancel.html", 422, **shown, error=error, field=name)
    if len(reason) < REASON_MIN:
        error = page.t("reason_too_short")
        return page.render("deposit_cancel.html", 422, **shown, error=error, field="reason")
    try:
        outcome = send_deposit_cancel(page.ctx.terminal(), number, reason, username, password)
        if outcome.state == "refused":
            raise outcome.error()
    except REFUSALS as exc:
        message, field = page.refusal(exc)
        status = exc.status if isinstance(exc, ServiceError) else 503
        named = "supervisor_password" if (field or "").startswith("supervisor") else "reason"
        return page.render("deposit_cancel.html", status, **shown, error=message, field=named)
    return page.redirect(f"/tickets/{outcome.seq}")


REASON_MIN = 3  # the hub's own minimum (docs/deposits.md)
