"""The ticket on screen, its print page (58 or 80 mm roll, through the browser's print
dialog), its QR image, and today's tickets to reprint from.

A ticket is named by its outbox number: a queued payment's page shows the provisional
ticket (``#12``) and, once the queue has drained, the same page shows the final receipt.
The text is the CLI's ticket layout (terminal_client/ticket.py), the image its QR code
(terminal_client/printing.py).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Literal

from starlette.responses import Response

from terminal_client import journal
from terminal_client.commands.context import Explained
from terminal_client.commands.journal import ticket_text
from terminal_client.commands.printer import send_to_printer
from terminal_client.commands.records import qr_of
from terminal_client.i18n import N_
from terminal_client.printing import qr_png
from terminal_client.web import guard
from terminal_client.web.page import Page

WIDTHS = (58, 80)
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_CELL_GAP = re.compile(r"( {2,})")


def qr_data(page: Page, entry: journal.Entry) -> str:
    """What the ticket's QR code holds, as the printed ticket carries it: the link to the
    hub's verification page with the receipt's compact form (the JWS for a receipt kept
    before the compact form)."""
    assert entry.jws is not None
    return qr_of(page.ctx, entry.jws)


def ticket_lines(text: str) -> list[list[str]]:
    """The ticket's lines cut into columns (two spaces or more apart) so that an Arabic label
    and the amount beside it each keep their direction in their own cell (<bdi>), as the
    printed ticket does (terminal_client/printing.py)."""
    lines = text.rstrip("\n").split("\n")
    return [_CELL_GAP.split(line) if _RTL.search(line) else [line] for line in lines]


def _entry(page: Page) -> journal.Entry | None:
    seq = page.request.path_params["seq"]
    return journal.entry_of(page.ctx.terminal().outbox, int(seq))


def _width(page: Page) -> int:
    asked = page.query("width")
    return int(asked) if asked in ("58", "80") else 58


def _printer_set(page: Page) -> bool:
    """Whether this terminal has an ESC/POS receipt printer (``qurb-terminal printer set``)."""
    return str(page.ctx.home.config().get("printer") or "none") != "none"


def ticket(page: Page, *, status: int = 200, note: str = "", error: str = "") -> Response:
    entry = _entry(page)
    if entry is None:
        return page.render("error.html", 404, message=page.t("no_ticket"))
    text = ticket_text(page.ctx, page.ctx.terminal(), entry, _width(page))
    return page.render(
        "ticket.html",
        status,
        entry=entry,
        lines=ticket_lines(text),
        widths=WIDTHS,
        printer=_printer_set(page),
        note=note or (page.t("sent_to_printer") if page.query("printed") else ""),
        error=error,
    )


def escpos_print(page: Page) -> Response:
    """The ticket straight to the terminal's ESC/POS printer (the same bytes as
    ``receipt print --printer``): a printer off or out of paper is one sentence."""
    entry = _entry(page)
    if entry is None:
        return page.render("error.html", 404, message=page.t("no_ticket"))
    width: Literal[58, 80] = 80 if _width(page) == 80 else 58
    text = ticket_text(page.ctx, page.ctx.terminal(), entry, width)
    qr = qr_data(page, entry) if entry.jws is not None else None
    try:
        printed = send_to_printer(page.ctx, text, qr, width)
    except Explained as refused:
        return ticket(page, status=503, error=refused.sentence)
    if not printed:
        return ticket(page, status=409, error=page.t("no_printer"))
    return page.redirect(f"/tickets/{entry.seq}?printed=1")


def print_page(page: Page) -> Response:
    entry = _entry(page)
    if entry is None:
        return page.render("error.html", 404, message=page.t("no_ticket"))
    width = _width(page)
    text = ticket_text(page.ctx, page.ctx.terminal(), entry, width)
    return page.render("print.html", entry=entry, lines=ticket_lines(text), width=width)


def qr_image(page: Page) -> Response:
    entry = _entry(page)
    if entry is None or entry.jws is None:
        return guard.secure(Response(status_code=404))
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "qr.png"
        qr_png(qr_data(page, entry), path)
        image = path.read_bytes()
    return guard.secure(Response(image, media_type="image/png"))


# What each ticket of the list is, in the operator's words (the ticket layout's own labels).
KINDS = {
    "collection": N_("Collection"),
    "enrollment": N_("Enrollment"),
    "reversal": N_("Reversal"),
    "certificate": N_("Certificate"),
    "drawer_close": N_("Drawer close"),
    "deposit": N_("Deposit slip"),
    "deposit_cancel": N_("Deposit cancelled"),
}


def today(page: Page) -> Response:
    entries = journal.today(page.ctx.terminal().outbox)
    kinds = {e.seq: page.ctx._(KINDS.get(e.kind, e.kind)) for e in entries}
    return page.render("tickets.html", entries=entries, kinds=kinds)
