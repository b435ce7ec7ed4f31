"""CSV a person may open in a spreadsheet without it running anything (OWASP, CSV Injection).

Every CSV Qurb writes for people goes through ``write_csv``, which passes every cell through
``formula_safe``: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is written with a leading apostrophe, which spreadsheets read as "this is text" and do
not show. A plain integer (``-18341``, an amount in centimes) is a number, not a formula, and
is written as it is, so the figures a machine reads do not change.

A spreadsheet may also split a line where the writer did not: French-locale Excel splits on
``;`` a file written with ``,``, and a quote in the middle of its field does not protect what
follows. So the start of every piece after a ``,``, ``;``, tab or line break inside a cell is
judged like the start of a cell. Legitimate text almost never puts a formula sign right after
one of those; hostile text that does gets an apostrophe there too.

The files Qurb writes to stand for what a bank or CNSS sends (simulations, benchmark inputs)
imitate those machines' formats byte for byte and are not written here.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO

# What a spreadsheet reads as the start of a formula (OWASP's list).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_INTEGER = re.compile(r"-?[0-9]+")  # ASCII digits only: "²" is no digit here
# A break a spreadsheet may split on, followed by a formula sign that is not a plain integer
# running to the next break or the end.
_INNER_LEAD = re.compile(r"(?<=[,;\t\r\n])(?=[=+\-@])(?!-[0-9]+(?:[,;\t\r\n]|\Z))")


def formula_safe(value: object) -> str:
    """The cell as text no spreadsheet will run: ``None`` is empty, an integer is its digits,
    any other text that would start a formula (at its start, or after a break inside it)
    gets a leading apostrophe there."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_LEADS) and not _PLAIN_INTEGER.fullmatch(text):
        text = "'" + text
    return _INNER_LEAD.sub("'", text)


def write_csv(out: TextIO, columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> None:
    """A header line, then one line per row (a missing column is empty), every cell made
    formula-safe; ``,`` between cells, CRLF, ``"`` around a cell only where needed."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([formula_safe(name) for name in columns])
    for row in rows:
        unknown = set(row) - set(columns)
        if unknown:
            raise ValueError(f"no column {sorted(unknown)} in this CSV")
        writer.writerow([formula_safe(row.get(name)) for name in columns])
