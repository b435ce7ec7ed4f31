"""The envelope's label: the deposit number as a Code 128 barcode, which the scanners at
CNSS read, with the number in clear beneath it for the eye.

Code 128 is the barcode of parcel and document labels: every scanner reads it, it holds
capital letters, digits and hyphens, and its check character catches a misread. The bars
come from python-barcode (which picks the shortest mix of its code sets); they are drawn
here pixel by pixel, two printer dots a module, so nothing is resampled on the way to a
203 dpi thermal printer (0.25 mm bars, well within what a counter scanner reads).

On the ESC/POS printer, 80 mm paper takes the printer's own barcode command
(``GS k``, function B); a label on 58 mm paper is too narrow for the number's bars across,
so the same bars are sent as an image turned a quarter, running along the paper.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Literal

from barcode import Code128  # type: ignore[import-untyped]
from escpos.escpos import Escpos  # type: ignore[import-untyped]
from PIL import Image, ImageDraw, ImageFont

from terminal_client.escpos import PRINTABLE_DOTS, set_paper
from terminal_client.printing import _truetype

__all__ = ["bars_png", "label_image", "label_png", "modules", "print_label"]

MODULE_DOTS = 2  # 0.25 mm at 203 dpi
QUIET_MODULES = 10  # Code 128 asks for 10 modules of white on either side
BAR_DOTS = 120  # 15 mm of bar height: a hand scanner's line finds it at once
_DPI = 203


def modules(number: str) -> str:
    """The barcode's modules, ``1`` for a bar and ``0`` for a space, quiet zones excluded."""
    built: list[str] = Code128(number).build()
    return built[0]


def _bars(number: str, module_dots: int) -> Image.Image:
    pattern = "0" * QUIET_MODULES + modules(number) + "0" * QUIET_MODULES
    image = Image.new("1", (len(pattern) * module_dots, BAR_DOTS), 1)
    draw = ImageDraw.Draw(image)
    for index, module in enumerate(pattern):
        if module == "1":
            left = index * module_dots
            draw.rectangle((left, 0, left + module_dots - 1, BAR_DOTS - 1), fill=0)
    return image


def label_image(number: str, *, module_dots: int = MODULE_DOTS) -> Image.Image:
    """The label: the bars, and the number in clear centred beneath them."""
    bars = _bars(number, module_dots)
    font = _truetype(max(12, bars.width // (len(number) + 4)))
    caption = Image.new("L", (bars.width, 40), 255)
    draw = ImageDraw.Draw(caption)
    face = font if font is not None else ImageFont.load_default()
    width = draw.textlength(number, font=face)
    draw.text(((bars.width - width) / 2, 6), number, font=face, fill=0)
    page = Image.new("L", (bars.width, bars.height + caption.height), 255)
    page.paste(bars.convert("L"), (0, 0))
    page.paste(caption, (0, bars.height))
    return page.convert("1", dither=Image.Dither.NONE)


def label_png(number: str, path: Path | io.BytesIO) -> None:
    """The label as a PNG at the printer's resolution, the number beneath the bars."""
    label_image(number).save(path, format="PNG", dpi=(_DPI, _DPI))


def bars_png(number: str, path: Path | io.BytesIO, *, along_the_roll: bool = False) -> None:
    """The bars alone (the screen writes the number in clear as text), turned a quarter to
    run along a 58 mm roll, which is too narrow for them across."""
    image = _bars(number, MODULE_DOTS)
    if along_the_roll:
        image = image.rotate(90, expand=True)
    image.save(path, format="PNG", dpi=(_DPI, _DPI))


def print_label(printer: Escpos, number: str, *, width: Literal[58, 80] = 58) -> None:
    """The label on the receipt printer, then a cut."""
    set_paper(printer, width)
    across = (len(modules(number)) + 2 * QUIET_MODULES) * MODULE_DOTS
    if across <= PRINTABLE_DOTS[width]:
        # python-escpos says on stdout which renderer it picked; a ticket may be on stdout.
        with contextlib.redirect_stdout(io.StringIO()):
            printer.barcode(
                "{B" + number,
                "CODE128",
                height=BAR_DOTS,
                width=MODULE_DOTS,
                pos="BELOW",
                function_type="B",
            )
    else:
        printer.image(label_image(number).rotate(90, expand=True), center=True)
    printer.set(align="center", double_height=True)
    printer.text(number + "\n")
    printer.set(align="left", double_height=False)
    printer.cut()
