"""Printing straight to an ESC/POS receipt printer (python-escpos): a receipt ticket with its
QR code, and the drawer's close report.

The printer is a terminal setting, ``printer`` in the terminal's config.json, set with
``qurb-terminal printer set``:

- ``none`` (or absent): nothing is sent to a printer; the ticket is on screen and can be
  written as PNG or PDF (``receipt print``);
- a device path such as ``/dev/usb/lp0``: the bytes are written to it (python-escpos File);
- ``tcp://HOST:PORT``: a network printer's raw port, usually 9100 (python-escpos Network).

Text goes as text in the printer's code page when every character has one (French does);
a ticket with Arabic, which thermal printers cannot shape or join, is drawn as an image by
``printing.text_image`` (the same fonts and bidi rules as the PNG and PDF tickets) and sent as
a raster image. The QR is sent as an image too (every printer draws images; not every one
has the native QR command), at the largest module size that fits the paper.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import qrcode  # type: ignore[import-untyped]
from escpos.constants import QR_ECLEVEL_M  # type: ignore[import-untyped]
from escpos.escpos import Escpos  # type: ignore[import-untyped]
from escpos.exceptions import Error as EscposError  # type: ignore[import-untyped]
from escpos.printer import File, Network  # type: ignore[import-untyped]

from terminal_client.printing import text_image

__all__ = [
    "PrinterSettingError",
    "PrinterUnreachable",
    "open_printer",
    "parse_printer",
    "print_ticket",
]

# Printable dots across 58 mm and 80 mm rolls at 203 dpi (as printing.py).
PRINTABLE_DOTS = {58: 384, 80: 576}
# What a printer's code page cannot hold but has a plain look-alike for.
_LOOKALIKES = str.maketrans({"—": "-", "–": "-", "’": "'", "…": "...", "×": "x"})
# Western European code page of most ESC/POS printers (with the euro sign); what it cannot
# encode is drawn as an image.
CODE_PAGE = "cp858"
_TCP = re.compile(r"tcp://[^/]+:\d{1,5}")


class PrinterSettingError(ValueError):
    """The ``printer`` setting is neither none, a device path nor tcp://HOST:PORT."""


class PrinterUnreachable(Exception):
    """The configured printer could not be opened (no such device, nothing listening)."""


def parse_printer(setting: str) -> dict[str, Any] | None:
    """The printer a setting names, or None for ``none``."""
    text = setting.strip()
    if text in ("", "none"):
        return None
    if text.startswith("/"):
        return {"kind": "file", "path": text}
    if _TCP.fullmatch(text):
        parts = urlsplit(text)
        if parts.hostname and parts.port:
            return {"kind": "network", "host": parts.hostname, "port": parts.port}
    raise PrinterSettingError(
        "printer: write none, a device path such as /dev/usb/lp0, or tcp://HOST:PORT"
    )


def open_printer(config: Mapping[str, Any], width: Literal[58, 80] = 58) -> Escpos | None:
    """The configured printer, opened, or None when printing is off."""
    setting = config.get("printer")
    if not isinstance(setting, str):
        return None
    printer_spec = parse_printer(setting)
    if printer_spec is None:
        return None
    printer: Escpos
    if printer_spec["kind"] == "file":
        printer = File(printer_spec["path"])
    else:
        printer = Network(printer_spec["host"], printer_spec["port"], timeout=10)
    try:
        printer.open()
    except (OSError, EscposError) as exc:
        raise PrinterUnreachable(type(exc).__name__) from None
    set_paper(printer, width)
    return printer


def set_paper(printer: Escpos, width: Literal[58, 80]) -> None:
    """Tell python-escpos how wide the paper is (centring an image needs it)."""
    # python-escpos reads ``media.width.pixels`` to centre an image or a QR.
    printer.profile.profile_data.setdefault("media", {}).setdefault("width", {})["pixels"] = (
        PRINTABLE_DOTS[width]
    )


def _as_text(ticket_text: str) -> str | None:
    """The ticket as the printer's code page can print it, or None (draw it instead)."""
    plain = ticket_text.translate(_LOOKALIKES)
    try:
        plain.encode(CODE_PAGE)
    except UnicodeEncodeError:
        return None
    return plain


def _qr_module_size(data: str, width: Literal[58, 80]) -> int:
    """The largest whole number of dots a module that fits the paper with its quiet zone."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    modules: int = code.modules_count
    return max(1, min(8, PRINTABLE_DOTS[width] // (modules + 8)))


def print_ticket(
    printer: Escpos,
    ticket_text: str,
    qr_data: str | None = None,
    *,
    width: Literal[58, 80] = 58,
) -> None:
    """The ticket's text (as text, or as an image when it holds what the code page cannot),
    then its QR, then a cut."""
    set_paper(printer, width)
    plain = _as_text(ticket_text)
    if plain is not None:
        printer.set(align="left")
        printer.text(plain if plain.endswith("\n") else plain + "\n")
    else:
        printer.image(text_image(ticket_text, width=width))
    if qr_data:
        printer.qr(
            qr_data,
            ec=QR_ECLEVEL_M,
            size=_qr_module_size(qr_data, width),
            native=False,
            center=True,
        )
    printer.cut()
