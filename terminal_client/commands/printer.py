"""``printer set`` and ``printer test``: the counter's ESC/POS receipt printer, and sending a
ticket to it (``receipt print --printer``, ``drawer close``)."""

from __future__ import annotations

import argparse
from typing import Any, Literal

from terminal_client import escpos
from terminal_client.commands.context import BadInput, Context, Explained
from terminal_client.i18n import N_
from terminal_client.messages import Exit
from terminal_client.ticket import HEADER


def set_printer(ctx: Context, args: argparse.Namespace) -> int:
    try:
        chosen = escpos.parse_printer(args.setting)
    except escpos.PrinterSettingError:
        raise BadInput(
            N_("Write none, a device path such as /dev/usb/lp0, or tcp://HOST:PORT."), "printer"
        ) from None
    ctx.home.update_config(printer=args.setting.strip() if chosen else "none")
    ctx.say(ctx._("Printer: {printer}").format(printer=args.setting.strip() or "none"))
    return 0


def test_printer(ctx: Context, args: argparse.Namespace) -> int:
    text = f"{HEADER}\n{ctx._('Printer test: if you can read this, printing works.')}\n"
    if not send_to_printer(ctx, text, None, args.width):
        raise Explained(ctx._("No printer is set: qurb-terminal printer set …"), Exit.BAD_INPUT)
    return 0


def send_to_printer(ctx: Context, text: str, qr_data: str | None, width: Literal[58, 80]) -> bool:
    """``text`` (and its QR) on the configured printer; whether a printer is set. A printer
    that cannot be opened or written is a sentence, never a traceback."""
    config: dict[str, Any] = ctx.home.config()
    try:
        printer = escpos.open_printer(config, width)
        if printer is None:
            return False
        try:
            escpos.print_ticket(printer, text, qr_data, width=width)
        finally:
            printer.close()
    except (OSError, escpos.PrinterSettingError, escpos.PrinterUnreachable):
        text = ctx._(
            "The printer did not print: check that it is on, connected and has paper, then "
            "print again."
        )
        raise Explained(text, Exit.ERROR) from None
    return True
