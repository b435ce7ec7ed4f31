"""What the readers of the semicolon CSV files that CNSS and the banks send share: the one
error that refuses a whole file (naming the file, the line and the column), the UTF-8
decoding with or without a BOM, the rows, the ``DD/MM/YYYY`` dates, the header check and the
``TOTAL`` trailer that must state exactly what the lines hold. Each format's module keeps
what is its own: its columns, its rules per line, its error code."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from agent_api.errors import ValidationFailed
from reconciliation.formats.amounts import COMMA_AMOUNT, format_comma

if TYPE_CHECKING:
    from _csv import Reader

TRAILER_TAG = "TOTAL"


class Refusal:
    """Builds the one error a refused file raises: ``code`` is the format's (for example
    ``ledger_file_refused``), ``what`` names the file in the sentence ("the ledger file")."""

    def __init__(self, source: str, *, code: str, what: str) -> None:
        self.source = source
        self._code = code
        self._what = what

    def __call__(self, line: int, field: str, problem: str) -> ValidationFailed:
        where = f"{self.source}, line {line}" if self.source else f"line {line}"
        details = {"line": str(line)}
        if self.source:
            details["source"] = self.source
        message = f"{where}: {problem}; {self._what} is refused"
        return ValidationFailed(message, code=self._code, field=field, details=details)


def decode(data: bytes, refuse: Refusal) -> str:
    """UTF-8, its BOM dropped when there is one; a byte that is not UTF-8 refuses the file on
    the line it is in."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise refuse(
            line,
            "encoding",
            f"byte 0x{data[exc.start]:02x} is not valid UTF-8; the file must be UTF-8",
        ) from None


def rows(text: str) -> Reader:
    """The rows of ``;``-separated, ``"``-quoted text (CRLF or LF), strictly: a stray quote
    is a ``csv.Error`` for the caller to refuse with its line. Read ``line_num`` on the
    returned reader for the line of the row just read."""
    return csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"', strict=True)


def header_problem(found: Sequence[str], expected: Sequence[str]) -> tuple[str, str] | None:
    """What is wrong with a CSV header line, as (column, message), or None when it is
    exactly ``expected``. Shared by the CSV readers: a missing, unknown or misplaced column
    is named, since the person fixing the export needs to know which."""
    if tuple(found) == tuple(expected):
        return None
    for position, name in enumerate(expected):
        present = found[position] if position < len(found) else None
        if present == name:
            continue
        if present is not None and present not in expected:
            return present, f"the header has unknown column {present!r} where {name} belongs"
        if name not in found:
            return name, f"the header lacks column {name}"
        return name, (
            f"column {name} is at position {list(found).index(name) + 1}, "
            f"expected at {position + 1}"
        )
    extra = found[len(expected)]
    return extra or "header", f"the header has an extra column {extra!r} after {expected[-1]}"


def parse_day(text: str, column: str, line: int, refuse: Refusal) -> date:
    """``DD/MM/YYYY`` → date; anything else (``2026-11-22``, ``22/11/26``, 31/02) refused
    naming ``column``."""
    if len(text) == 10 and text[2] == "/" and text[5] == "/":
        digits = text[:2] + text[3:5] + text[6:]
        if digits.isascii() and digits.isdigit():
            try:
                return date(int(text[6:]), int(text[3:5]), int(text[:2]))
            except ValueError:
                pass
    raise refuse(line, column, f"{column} {text!r} is not a DD/MM/YYYY date")


def check_trailer(
    trailer: list[str],
    line: int,
    *,
    count: int,
    total: int,
    width: int,
    amount: Callable[[str], int],
    refuse: Refusal,
) -> None:
    """``TOTAL;<count>;<sum>`` then empty fields up to ``width`` columns must state exactly
    what the lines hold. Trailing empty fields may be fewer (some exporters drop them); none
    may carry text. ``amount`` reads the sum (raising ``ValidationFailed`` when it cannot)."""
    shape = f"{TRAILER_TAG};<count>;<sum>" + ";" * (width - 3)
    if len(trailer) < 3 or any(field.strip() for field in trailer[3:]):
        raise refuse(line, TRAILER_TAG, f"the trailer is not {shape}")
    count_text, sum_text = trailer[1], trailer[2]
    if not (count_text.isascii() and count_text.isdigit()):
        raise refuse(line, TRAILER_TAG, f"the trailer's count {count_text!r} is not a number")
    stated_count = int(count_text)
    try:
        stated_total = amount(sum_text)
    except ValidationFailed:
        raise refuse(
            line, TRAILER_TAG, f"the trailer's sum {sum_text!r} is not {COMMA_AMOUNT}"
        ) from None
    if stated_count != count or stated_total != total:
        raise refuse(
            line,
            TRAILER_TAG,
            f"the trailer disagrees with the lines: expected count {count} and sum "
            f"{format_comma(total)} (from the lines), found count {stated_count} and sum "
            f"{format_comma(stated_total)} (in the trailer)",
        )
