"""Printing a ticket: its QR code in the terminal, and the whole ticket (text and QR) as a
PNG or a PDF for printers that only take files. The QR code holds the receipt's JWS itself,
so the ticket verifies offline."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import qrcode  # type: ignore[import-untyped]
from PIL import Image, ImageDraw, ImageFont, features

from terminal_client.ticket import LINE_WIDTH

# -- QR code, PNG and PDF ----------------------------------------------------------------------

# Thermal printers print 203 dots per inch; of 58 mm (80 mm) paper, 48 mm (72 mm) is printable.
_DPI = 203
_PRINTABLE_DOTS = {58: 384, 80: 576}
# Monospace TrueType fonts with Arabic glyphs, looked up by file name in the system's font
# folders (Debian/Fedora/Arch ship DejaVu; Windows and macOS ship Courier New).
_MONOSPACE_FONTS: tuple[str, ...] = ("DejaVuSansMono.ttf", "cour.ttf", "Courier New.ttf")
_LATIN1_LOOKALIKES = str.maketrans({"—": "-", "–": "-", "’": "'", "…": "..."})


def _qr_matrix(data: str) -> list[list[bool]]:
    """Modules of the QR code for ``data`` (True is dark), with the 4-module quiet zone.

    Level M (15 % recovery) survives a crease or a faded thermal line on a kept ticket.
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    return matrix


def qr_text(data: str, *, dark_background: bool = True) -> str:
    """The QR code drawn with half-block characters, two module rows per text line.

    Scanners need dark modules on a light ground: on a dark terminal the light modules and
    the quiet zone are what gets drawn, on a light one (``dark_background=False``) the dark.
    """
    ink = [[dark != dark_background for dark in row] for row in _qr_matrix(data)]
    if len(ink) % 2:
        ink.append([dark_background] * len(ink[0]))  # more quiet zone
    blocks = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}
    lines = [
        "".join(blocks[pair] for pair in zip(top, bottom, strict=True))
        for top, bottom in zip(ink[::2], ink[1::2], strict=True)
    ]
    return "\n".join(lines) + "\n"


def _qr_image(matrix: list[list[bool]], module_px: int) -> Image.Image:
    size = len(matrix)
    image = Image.new("1", (size, size), 255)
    image.putdata([0 if dark else 255 for row in matrix for dark in row])
    return image.resize((size * module_px, size * module_px), Image.Resampling.NEAREST)


def qr_png(data: str, path: Path) -> None:
    """Write the QR code of ``data`` as a black-and-white PNG, 8 pixels a module."""
    _qr_image(_qr_matrix(data), 8).save(path, format="PNG")


def _truetype(char_px: int) -> ImageFont.FreeTypeFont | None:
    """The first monospace font found, sized so one character is at most ``char_px`` wide."""
    for name in _MONOSPACE_FONTS:
        try:
            probe = ImageFont.truetype(name, size=100)
        except OSError:
            continue
        return ImageFont.truetype(name, size=int(char_px * 100 / probe.getlength("M")))
    return None


_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_CELL_GAP = re.compile(r"( {2,})")


def _isolate_cells(line: str) -> str:
    """Keep a line's columns in place when it holds right-to-left text.

    The ticket is laid out in columns separated by two or more spaces. Each column becomes a
    first-strong isolate (Unicode bidi, UAX #9 §2.4): an Arabic label reads right to left in
    its own column, and "1 234,56 MAD" after it is not reordered to "MAD 234,56 1".
    """
    if not _RTL.search(line):
        return line
    cells = _CELL_GAP.split(line)
    return "".join(cell if not cell.strip() else f"\u2068{cell}\u2069" for cell in cells)


def _text_image(lines: Sequence[str], cols: int, width_px: int) -> Image.Image:
    font = _truetype(width_px // cols)
    if font is not None:
        ascent, descent = font.getmetrics()
        line_px = ascent + descent + 2
        image = Image.new("L", (width_px, line_px * len(lines)), 255)
        draw = ImageDraw.Draw(image)
        # Lines run left to right as their columns were counted; see _isolate_cells.
        direction = "ltr" if features.check_feature("raqm") else None
        for row, line in enumerate(lines):
            shown = _isolate_cells(line) if direction else line
            draw.text((0, row * line_px), shown, font=font, fill=0, direction=direction)
        return image
    # Pillow's built-in bitmap font: 6×11 dots, monospace, Latin-1 only; scaled up to fill.
    bitmap = ImageFont.load_default_imagefont()
    latin = [line.translate(_LATIN1_LOOKALIKES) for line in lines]
    for line in latin:
        if not all(ord(char) < 256 for char in line):
            raise ValueError(
                "no monospace font for this text on this computer: install DejaVu Sans Mono"
            )
    image = Image.new("L", (cols * 6, 12 * len(latin)), 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(latin):
        draw.text((0, row * 12), line, font=bitmap, fill=0)
    scale = max(1, width_px // (cols * 6))
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)


def _ticket_page(ticket_text: str, qr_data: str, width: Literal[58, 80]) -> Image.Image:
    """The whole ticket as the printer draws it: the width of the paper at 203 dpi, the
    ticket's text (header, lines, amounts, where and when) in a monospace font, then the QR,
    1-bit so that nothing blurs the QR on its way to the printer."""
    if width not in LINE_WIDTH:
        raise ValueError("tickets are 58 or 80 mm wide")
    printable = _PRINTABLE_DOTS[width]
    paper = round(width / 25.4 * _DPI)
    text = _text_image(ticket_text.rstrip("\n").split("\n"), LINE_WIDTH[width], printable)
    matrix = _qr_matrix(qr_data)
    qr = _qr_image(matrix, max(1, min(6, printable // len(matrix))))
    margin = (paper - printable) // 2
    page = Image.new("L", (paper, margin + text.height + margin + qr.height + 2 * margin), 255)
    page.paste(text, (margin, margin))
    page.paste(qr.convert("L"), ((paper - qr.width) // 2, 2 * margin + text.height))
    return page.convert("1", dither=Image.Dither.NONE)


def ticket_png(ticket_text: str, qr_data: str, path: Path, *, width: Literal[58, 80] = 58) -> None:
    """The ticket as a PNG at the printer's 203 dpi: the same page as :func:`ticket_pdf`."""
    _ticket_page(ticket_text, qr_data, width).save(path, format="PNG", dpi=(_DPI, _DPI))


def ticket_pdf(ticket_text: str, qr_data: str, path: Path, *, width: Literal[58, 80] = 58) -> None:
    """A one-page PDF the width of the paper: the ticket in a monospace font, then the QR.

    The page is drawn at the printer's 203 dpi and stored 1-bit, so nothing is resampled or
    JPEG-blurred on the way to the printer (a blurred QR does not scan).
    """
    _ticket_page(ticket_text, qr_data, width).save(path, format="PDF", resolution=_DPI)


def text_image(ticket_text: str, *, width: Literal[58, 80] = 58) -> Image.Image:
    """The ticket's text alone, 1-bit, the printable width of the paper: what an ESC/POS
    printer that cannot shape Arabic (or lacks a character's code page) prints instead of
    text (terminal_client.escpos)."""
    if width not in LINE_WIDTH:
        raise ValueError("tickets are 58 or 80 mm wide")
    lines = ticket_text.rstrip("\n").split("\n")
    image = _text_image(lines, LINE_WIDTH[width], _PRINTABLE_DOTS[width])
    return image.convert("1", dither=Image.Dither.NONE)
