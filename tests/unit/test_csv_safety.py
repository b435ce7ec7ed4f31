"""The one rule every CSV Qurb writes for people follows: no cell a spreadsheet would run,
and every integer still the number a machine reads (OWASP, CSV Injection)."""

from __future__ import annotations

import csv
import io

import pytest

from agent_api.csv_safety import formula_safe, write_csv


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("https://evil.example","x")', '\'=HYPERLINK("https://evil.example","x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t'=1"),
        ("\r=1", "'\r'=1"),
        ("-", "'-"),
        ("-18341x", "'-18341x"),
        ("-1²", "'-1²"),  # a superscript two is no digit
        ("a;=1+1", "a;'=1+1"),
        ("a,@x", "a,'@x"),
        ("ligne 1\n-5 ok", "ligne 1\n'-5 ok"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(cell: str, written: str) -> None:
    assert formula_safe(cell) == written


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (-18341, "-18341"),
        ("-18341", "-18341"),
        (0, "0"),
        ("a;-5", "a;-5"),
        ("R-CASHPLUS-00000001", "R-CASHPLUS-00000001"),
        ("CNSS rebooked it on D+1", "CNSS rebooked it on D+1"),
        ("", ""),
        (None, ""),
    ],
)
def test_numbers_and_ordinary_text_are_written_as_they_are(cell: object, written: str) -> None:
    assert formula_safe(cell) == written


def test_a_csv_reads_back_its_integers_and_names_every_column() -> None:
    out = io.StringIO()
    write_csv(out, ("amount", "comment"), [{"amount": -18341, "comment": "=1+1"}, {"amount": 5}])
    assert out.getvalue() == "amount,comment\r\n-18341,'=1+1\r\n5,\r\n"
    assert [int(r["amount"]) for r in csv.DictReader(io.StringIO(out.getvalue()))] == [-18341, 5]


def test_a_row_with_a_column_the_header_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="surprise"):
        write_csv(io.StringIO(), ("amount",), [{"amount": 1, "surprise": "x"}])
