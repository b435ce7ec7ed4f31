"""Closing the cash drawer at the end of the day: the operator types how many of each note
and coin the drawer holds (a blind count: what the hub expects is shown only once the count
is sent), the close is sent as a signed write, and its signed report is the ticket shown,
printed and reprinted like a receipt (terminal_client/drawer.py: never queued, since a close
needs the hub's figure)."""

from __future__ import annotations

from starlette.responses import Response

from terminal_client.drawer import (
    COINS_CENTIMES,
    NOTES_CENTIMES,
    CountError,
    OutboxNotEmpty,
    close_drawer,
    quantity_of,
)
from terminal_client.i18n import N_
from terminal_client.money import format_mad
from terminal_client.web.page import REFUSALS, Page

_OUTBOX = N_(
    "Writes still wait in the outbox ({count}): the server has not counted them, so the "
    "drawer cannot be closed yet. Send them first (outbox sync)."
)
_UNREACHABLE = N_(
    "The server cannot be reached: closing the drawer needs its figures, so nothing was "
    "sent. Close the drawer when the network is back."
)


def field_name(centimes: int) -> str:
    return f"c{centimes}"


def _rows(typed: dict[int, str]) -> dict[str, list[dict[str, object]]]:
    def row(value: int) -> dict[str, object]:
        return {
            "name": field_name(value),
            "label": format_mad(value),
            "typed": typed.get(value, ""),
        }

    return {
        "notes": [row(v) for v in NOTES_CENTIMES],
        "coins": [row(v) for v in COINS_CENTIMES],
    }


def form(page: Page) -> Response:
    return page.render("drawer.html", groups=_rows({}))


def submit(page: Page) -> Response:
    typed = {v: page.field(field_name(v)) for v in (*NOTES_CENTIMES, *COINS_CENTIMES)}
    counts: dict[int, int] = {}
    for value, text in typed.items():
        try:
            counts[value] = quantity_of(text) if text else 0
        except CountError as exc:
            return page.render(
                "drawer.html",
                422,
                groups=_rows(typed),
                error=f"{format_mad(value)} : {page.ctx._(exc.message_id)}",
                field=field_name(value),
            )
    try:
        closed = close_drawer(page.ctx.terminal(), counts)
    except OutboxNotEmpty as waiting:
        message = page.ctx._(_OUTBOX).format(count=waiting.waiting)
        return page.render("drawer.html", 409, groups=_rows(typed), error=message)
    except REFUSALS as exc:
        message, _ = page.refusal(exc)
        if type(exc).__name__ == "NetworkUnreachable":
            message = page.ctx._(_UNREACHABLE)
        status = getattr(exc, "status", 503)
        return page.render("drawer.html", status, groups=_rows(typed), error=message)
    # The report is the ticket of the close's write: shown, printed, and listed for reprint.
    return page.redirect(f"/tickets/{closed.seq}")
