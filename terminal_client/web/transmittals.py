"""The day's transmittal slip: the office's deposits of today closed into one slip for the
courier, its bordereau on screen and printed (58 or 80 mm, or the ESC/POS printer) with the
signed manifest's QR (the CLI's ``transmittal close``).

The bordereau is named by the outbox number of the write that closed it: the outbox keeps
the hub's answer, so it can be printed again all day long."""

from __future__ import annotations

import io
from typing import Any, Literal

from starlette.responses import Response

from terminal_client.commands.context import Explained, send_to_printer
from terminal_client.commands.deposits import bordereau_text, send_transmittal
from terminal_client.printing import _qr_image, _qr_matrix
from terminal_client.web import guard
from terminal_client.web.page import REFUSALS, Page
from terminal_client.web.tickets import WIDTHS, ticket_lines

TRANSMITTALS_PATH = "/v1/offices/current/transmittals"
# Past this length a manifest no longer fits a QR code a phone reads off a roll of paper.
QR_LIMIT = 2300


def form(page: Page) -> Response:
    return page.render("transmittal.html")


def submit(page: Page) -> Response:
    try:
        outcome = send_transmittal(page.ctx.terminal())
        if outcome.state == "refused":
            raise outcome.error()
    except REFUSALS as exc:
        message, _ = page.refusal(exc)
        return page.render("transmittal.html", 409, error=message)
    return page.redirect(f"/transmittals/{outcome.seq}")


def _answer(page: Page) -> tuple[int, dict[str, Any]] | None:
    seq = int(page.request.path_params["seq"])
    item = page.ctx.terminal().outbox.find(seq)
    if item is None or item.state != "done" or item.path != TRANSMITTALS_PATH:
        return None
    answer = item.response
    return (seq, answer) if isinstance(answer, dict) and "manifest" in answer else None


def _width(page: Page) -> Literal[58, 80]:
    return 80 if page.query("width") == "80" else 58


def _printer_set(page: Page) -> bool:
    return str(page.ctx.home.config().get("printer") or "none") != "none"


def bordereau(page: Page, *, status: int = 200, note: str = "", error: str = "") -> Response:
    found = _answer(page)
    if found is None:
        return page.render("error.html", 404, message=page.t("no_bordereau"))
    seq, answer = found
    text = bordereau_text(page.ctx, answer, _width(page))
    return page.render(
        "bordereau.html",
        status,
        seq=seq,
        answer=answer,
        lines=ticket_lines(text),
        widths=WIDTHS,
        printer=_printer_set(page),
        with_qr=len(str(answer["manifest"])) <= QR_LIMIT,
        note=note,
        error=error,
    )


def print_page(page: Page) -> Response:
    found = _answer(page)
    if found is None:
        return page.render("error.html", 404, message=page.t("no_bordereau"))
    seq, answer = found
    width = _width(page)
    text = bordereau_text(page.ctx, answer, width)
    return page.render(
        "bordereau_print.html",
        seq=seq,
        lines=ticket_lines(text),
        width=width,
        with_qr=len(str(answer["manifest"])) <= QR_LIMIT,
    )


def qr_image(page: Page) -> Response:
    found = _answer(page)
    if found is None or len(str(found[1]["manifest"])) > QR_LIMIT:
        return guard.secure(Response(status_code=404))
    image = io.BytesIO()
    _qr_image(_qr_matrix(str(found[1]["manifest"])), 4).save(image, format="PNG")
    return guard.secure(Response(image.getvalue(), media_type="image/png"))


def escpos_print(page: Page) -> Response:
    found = _answer(page)
    if found is None:
        return page.render("error.html", 404, message=page.t("no_bordereau"))
    _, answer = found
    width = _width(page)
    text = bordereau_text(page.ctx, answer, width)
    manifest = str(answer["manifest"])
    try:
        printed = send_to_printer(
            page.ctx, text, manifest if len(manifest) <= QR_LIMIT else None, width
        )
    except Explained as refused:
        return bordereau(page, status=503, error=refused.sentence)
    if not printed:
        return bordereau(page, status=409, error=page.t("no_printer"))
    return bordereau(page, note=page.t("sent_to_printer"))
