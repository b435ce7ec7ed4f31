"""``printer set`` and ``printer test``: the counter's ESC/POS receipt printer (sending a ticket
to it is ``context.send_to_printer``: every receipt a command prints goes there too)."""

from __future__ import annotations

import argparse

from terminal_client import escpos
from terminal_client.commands.context import BadInput, Context, Explained, send_to_printer
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


__all__ = ["send_to_printer", "set_printer", "test_printer"]
