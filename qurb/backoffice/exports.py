"""Every list the back office exports, as CSV or XLSX from the same rows and columns.

A view builds its rows once (a dict per row, keyed by the column's machine name) and answers
``await export(fmt, stem, columns, rows)``: the same rows become a CSV through
``agent_api.csv_safety.write_csv`` or a one-sheet workbook here, so the two files never
disagree on a column or a figure.

The workbook is written with XlsxWriter, cell by cell with the cell's type, never guessed:

- an integer (an amount in centimes, a count, an id) is a number cell, exact (a centime
  amount is far below 2**53, the largest integer a spreadsheet's double holds exactly);
- every other value is a string cell (``write_string``), which no spreadsheet evaluates:
  ``=HYPERLINK(…)`` or ``+1+1`` in a comment is the text ``=HYPERLINK(…)``. A string cell
  that starts with a formula sign also gets Excel's quote prefix, so that editing the cell and
  pressing Enter does not turn it into a formula either. No apostrophe is added to the text
  (the CSV needs one; a typed cell does not), so what a machine reads is the value itself;
- an empty value (``None``) is an empty cell.

Dates stay the ISO text the CSV carries (``2026-11-20``): one format for both files, and no
spreadsheet's locale reads a day as a month. The file is built in memory (no temporary file)
and sent as an attachment.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence

import xlsxwriter  # type: ignore[import-untyped]
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from agent_api.csv_safety import FORMULA_LEADS, write_csv

FORMATS = ("csv", "xlsx")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# What a spreadsheet cell holds at most (Excel's limit). A longer text (a duplicate's list of
# hundreds of ledger lines) is cut there and ends with "…", so the cut shows; the CSV has it all.
MAX_CELL_CHARS = 32_767
# A sheet's name: at most 31 characters, none of []:*?/\ (Excel's rules).
_SHEET_NAME = re.compile(r"[^A-Za-z0-9 _.-]")

Row = Mapping[str, object]


def csv_bytes(columns: Sequence[str], rows: Sequence[Row]) -> bytes:
    out = io.StringIO()
    write_csv(out, columns, rows)
    return out.getvalue().encode()


def xlsx_bytes(columns: Sequence[str], rows: Sequence[Row], *, sheet: str = "export") -> bytes:
    """One sheet: the column names in a frozen, filterable header row, then one line per row
    (a missing column is an empty cell); each cell typed as the module says."""
    buffer = io.BytesIO()
    # in_memory: no temporary files. The strings_to_* options only matter for write(); every
    # cell here goes through write_string or write_number, but keep them off all the same.
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    try:
        worksheet = workbook.add_worksheet(_SHEET_NAME.sub("_", sheet)[:31] or "export")
        header = workbook.add_format({"bold": True})
        quoted = workbook.add_format({"quote_prefix": True})
        for col, name in enumerate(columns):
            worksheet.write_string(0, col, name, header)
        widths = [len(name) for name in columns]
        for line, row in enumerate(rows, start=1):
            unknown = set(row) - set(columns)
            if unknown:
                raise ValueError(f"no column {sorted(unknown)} in this export")
            for col, name in enumerate(columns):
                value = row.get(name)
                if value is None:
                    continue
                if isinstance(value, int) and not isinstance(value, bool):
                    worksheet.write_number(line, col, value)
                    shown = len(str(value))
                else:
                    text = str(value)
                    if len(text) > MAX_CELL_CHARS:
                        text = text[: MAX_CELL_CHARS - 1] + "…"
                    style = quoted if text.startswith(FORMULA_LEADS) else None
                    worksheet.write_string(line, col, text, style)
                    shown = len(text)
                widths[col] = max(widths[col], shown)
        for col, width in enumerate(widths):
            worksheet.set_column(col, col, min(width, 60) + 2)
        worksheet.freeze_panes(1, 0)
        worksheet.autofilter(0, 0, max(len(rows), 1), max(len(columns) - 1, 0))
    finally:
        workbook.close()
    return buffer.getvalue()


def download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def export(fmt: str, stem: str, columns: Sequence[str], rows: Sequence[Row]) -> Response:
    """``rows`` as ``<stem>.csv`` or ``<stem>.xlsx``, to download (``fmt`` in ``FORMATS``).
    The file is written in a worker thread: 10,000 rows take XlsxWriter a second or two, which
    the event loop must not wait for."""
    if fmt == "xlsx":
        body = await run_in_threadpool(lambda: xlsx_bytes(columns, rows, sheet=stem))
        return download(body, XLSX_MEDIA_TYPE, f"{stem}.xlsx")
    if fmt == "csv":
        body = await run_in_threadpool(csv_bytes, columns, rows)
        return download(body, CSV_MEDIA_TYPE, f"{stem}.csv")
    raise ValueError(f"no export format {fmt!r}")
