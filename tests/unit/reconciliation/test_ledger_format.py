"""The CNSS ledger export, read exactly as CNSS writes it and refused whole when corrupt
(``docs/formats/cnss-ledger-export.md``); and the decimal-comma amounts it carries."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_api.errors import ValidationFailed
from reconciliation.formats.amounts import format_comma, parse_amount, parse_signed_amount
from reconciliation.formats.ledger import (
    HEADER,
    parse_ledger,
    parse_ledger_name,
    write_ledger,
)
from reconciliation.model import LedgerEntry

SETTINGS = settings(max_examples=150, deadline=None, database=None)
HEADER_LINE = ";".join(HEADER)

# The example of the format document, byte for byte (BOM, CRLF).
EXAMPLE = (
    "\ufeff" + HEADER_LINE + "\r\n"
    "E2026112200001;22/11/2026;CASHPLUS;R-CASHPLUS-000184;123456789;11/2026;218,00;C\r\n"
    "E2026112200002;22/11/2026;CASHPLUS;;987654321;11/2026;134,50;C\r\n"
    '"E2026112200003";22/11/2026;CASHPLUS;R-CASHPLUS-000190;555000111;;1 308,00;C\r\n'
    "E2026112200004;22/11/2026;CASHPLUS;R-CASHPLUS-000172;123450000;10/2026;218,00;D\r\n"
    "TOTAL;4;1 442,50;;;;;\r\n"
).encode()


def ledger(*lines: str, trailer: str | None = None, bom: bool = True) -> bytes:
    """A ledger file of these entry lines, with a correct trailer unless one is given."""
    if trailer is None:
        total = 0
        for line in lines:
            fields = line.split(";")
            amount = parse_amount(fields[6], field="MONTANT", line=0)
            total += amount if fields[7] == "C" else -amount
        trailer = f"TOTAL;{len(lines)};{format_comma(total)};;;;;"
    text = "\r\n".join([HEADER_LINE, *lines, trailer]) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode()


def refusal(data: bytes) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        parse_ledger(data, source="CNSS_ENCAISSEMENTS_CASHPLUS_20261122.csv")
    assert caught.value.code == "ledger_file_refused"
    return caught.value


LINE = "E1;22/11/2026;CASHPLUS;R-1;123456789;11/2026;218,00;C"


# --- reading ------------------------------------------------------------------------------


def test_the_documented_example_reads_as_its_four_entries() -> None:
    read = parse_ledger(EXAMPLE, source="CNSS_ENCAISSEMENTS_CASHPLUS_20261122.csv")

    assert read.count == 4
    assert read.total_centimes == 144250
    assert read.networks == ("CASHPLUS",)
    assert read.value_dates == (date(2026, 11, 22),)
    assert read.source == "CNSS_ENCAISSEMENTS_CASHPLUS_20261122.csv"
    assert read.entries[0] == LedgerEntry(
        entry_id="E2026112200001",
        value_date=date(2026, 11, 22),
        network="CASHPLUS",
        reference="R-CASHPLUS-000184",
        registration_number="123456789",
        period="11/2026",
        amount_centimes=21800,
        sens="C",
        line=2,
    )
    assert [e.reference for e in read.entries] == [
        "R-CASHPLUS-000184",
        None,  # CNSS could not capture it
        "R-CASHPLUS-000190",
        "R-CASHPLUS-000172",
    ]
    assert read.entries[2].entry_id == "E2026112200003"  # the quotes are not part of the id
    assert read.entries[2].period is None
    assert read.entries[2].amount_centimes == 130800
    assert read.entries[3].signed_centimes == -21800


def test_the_digest_identifies_the_exact_bytes_received() -> None:
    first = parse_ledger(EXAMPLE)
    assert first.digest == parse_ledger(EXAMPLE).digest
    assert len(first.digest) == 64
    assert parse_ledger(EXAMPLE.replace(b"\r\n", b"\n")).digest != first.digest


def test_a_file_without_bom_and_with_plain_lf_line_ends_reads_the_same() -> None:
    relaxed = EXAMPLE.removeprefix("\ufeff".encode()).replace(b"\r\n", b"\n")
    assert parse_ledger(relaxed).entries == parse_ledger(EXAMPLE).entries


@pytest.mark.parametrize("separator", [" ", "\u00a0", "\u202f"])
def test_thousands_may_be_grouped_by_a_space_or_either_no_break_space(separator: str) -> None:
    data = ledger(f"E1;22/11/2026;CASHPLUS;R-1;123;;1{separator}234{separator}567,89;C")
    assert parse_ledger(data).entries[0].amount_centimes == 123456789


def test_arabic_and_accented_text_in_a_field_survives_reading() -> None:
    data = ledger("E1;22/11/2026;CASHPLUS;إيصال-١٨٤ Réf. é;123;;218,00;C")
    assert parse_ledger(data).entries[0].reference == "إيصال-١٨٤ Réf. é"


def test_a_quoted_field_may_hold_the_separator_and_quotes() -> None:
    data = ledger('E1;22/11/2026;CASHPLUS;"R;1 ""bis""";123;;218,00;C', trailer="TOTAL;1;218,00")
    assert parse_ledger(data).entries[0].reference == 'R;1 "bis"'


def test_entries_of_several_networks_and_days_are_listed_sorted() -> None:
    data = ledger(
        "E1;23/11/2026;WAFACASH;R-1;1;;1,00;C",
        "E2;22/11/2026;CASHPLUS;R-2;2;;2,00;C",
        "E3;22/11/2026;WAFACASH;R-3;3;;3,00;D",
    )
    read = parse_ledger(data)
    assert read.networks == ("CASHPLUS", "WAFACASH")
    assert read.value_dates == (date(2026, 11, 22), date(2026, 11, 23))
    assert read.total_centimes == 0


def test_a_trailer_sum_is_negative_when_debits_exceed_credits() -> None:
    data = ledger(
        "E1;22/11/2026;CASHPLUS;R-1;1;;1 000,00;D",
        "E2;22/11/2026;CASHPLUS;R-2;2;;0,50;C",
        trailer="TOTAL;2;-999,50;;;;;",
    )
    assert parse_ledger(data).total_centimes == -99950


def test_blank_lines_after_the_trailer_are_ignored() -> None:
    assert parse_ledger(EXAMPLE + b"\r\n\r\n;;;;;;;\r\n").count == 4


def test_a_file_with_no_entries_and_a_zero_trailer_is_accepted() -> None:
    read = parse_ledger(ledger(trailer="TOTAL;0;0,00;;;;;"))
    assert read.entries == []
    assert read.networks == ()


# --- refusing -----------------------------------------------------------------------------


def test_a_trailer_whose_sum_disagrees_refuses_the_whole_file() -> None:
    error = refusal(ledger(LINE, trailer="TOTAL;1;218,01;;;;;"))
    assert error.field == "TOTAL"
    assert "line 3" in error.message
    assert "expected count 1 and sum 218,00" in error.message
    assert "found count 1 and sum 218,01" in error.message


def test_a_trailer_whose_count_disagrees_refuses_the_whole_file() -> None:
    error = refusal(ledger(LINE, trailer="TOTAL;2;218,00;;;;;"))
    assert "expected count 1" in error.message
    assert "found count 2" in error.message


def test_a_file_that_ends_without_its_trailer_is_refused() -> None:
    data = ("\ufeff" + HEADER_LINE + "\r\n" + LINE + "\r\n").encode()
    error = refusal(data)
    assert error.field == "TOTAL"
    assert "without its TOTAL trailer" in error.message


def test_a_line_after_the_trailer_is_refused() -> None:
    error = refusal(ledger(LINE) + (LINE.replace("E1", "E2") + "\r\n").encode())
    assert "line 4" in error.message
    assert "follows the TOTAL trailer of line 3" in error.message


def test_a_negative_sign_is_refused_outside_the_trailer() -> None:
    error = refusal(ledger("E1;22/11/2026;CASHPLUS;R-1;1;;-218,00;C", trailer="TOTAL;1;-218,00"))
    assert error.field == "MONTANT"
    assert "line 2" in error.message


@pytest.mark.parametrize(
    ("line", "field", "said"),
    [
        ("E2;22/11/2026;CASHPLUS;R-1;1;;218,00", "format", "7 fields"),
        ("E2;22/11/2026;CASHPLUS;R-1;1;;218,00;C;x", "format", "9 fields"),
        ("E2;2026-11-22;CASHPLUS;R-1;1;;218,00;C", "DATE_VALEUR", "'2026-11-22'"),
        ("E2;31/02/2026;CASHPLUS;R-1;1;;218,00;C", "DATE_VALEUR", "'31/02/2026'"),
        ("E2;22/11/2026;CASHPLUS;R-1;1;;218.00;C", "MONTANT", "'218.00'"),
        ("E2;22/11/2026;CASHPLUS;R-1;1;;218,0;C", "MONTANT", "'218,0'"),
        ("E2;22/11/2026;CASHPLUS;R-1;1;;218;C", "MONTANT", "'218'"),
        ("E2;22/11/2026;CASHPLUS;R-1;1;;12 34,00;C", "MONTANT", "'12 34,00'"),
        ("E2;22/11/2026;CASHPLUS;R-1;1;;٢١٨,٠٠;C", "MONTANT", "'٢١٨,٠٠'"),
        ("E2;22/11/2026;CASHPLUS;R-1;1;;218,00;c", "SENS", "'c'"),
        ("E2;22/11/2026;CASHPLUS;R-1;1;;218,00;", "SENS", "''"),
        ("E2;22/11/2026;CASHPLUS;R-1;1;13/2026;218,00;C", "PERIODE", "'13/2026'"),
        (";22/11/2026;CASHPLUS;R-1;1;;218,00;C", "ID_ECRITURE", "ID_ECRITURE is empty"),
        ("E2;22/11/2026;;R-1;1;;218,00;C", "CODE_RESEAU", "CODE_RESEAU is empty"),
    ],
)
def test_a_malformed_line_refuses_the_file_naming_its_line_and_column(
    line: str, field: str, said: str
) -> None:
    error = refusal(ledger(LINE, line, trailer="TOTAL;2;436,00;;;;;"))
    assert error.field == field
    assert "CNSS_ENCAISSEMENTS_CASHPLUS_20261122.csv, line 3" in error.message
    assert said in error.message
    assert error.details["line"] == "3"


def test_the_same_entry_id_twice_in_one_file_is_refused() -> None:
    error = refusal(ledger(LINE, "E2;22/11/2026;CASHPLUS;R-2;1;;1,00;C", LINE))
    assert error.field == "ID_ECRITURE"
    assert "line 4" in error.message
    assert "'E1' repeats the one of line 2" in error.message


def test_a_file_that_is_not_utf8_is_refused_naming_the_line() -> None:
    data = ledger(LINE, "E2;22/11/2026;CASHPLUS;R-é;1;;1,00;C").replace(
        "é".encode(), "é".encode("latin-1")
    )
    error = refusal(data)
    assert error.field == "encoding"
    assert "line 3" in error.message
    assert "UTF-8" in error.message


def test_an_unterminated_quote_is_refused() -> None:
    error = refusal(ledger('E1;22/11/2026;CASHPLUS;"R-1;1;;218,00;C'))
    assert error.field == "format"


def test_an_empty_file_is_refused() -> None:
    assert "empty" in refusal(b"").message
    assert "empty" in refusal("\ufeff".encode()).message


@pytest.mark.parametrize(
    ("header", "field", "said"),
    [
        (HEADER_LINE.replace(";PERIODE", ""), "PERIODE", "lacks column PERIODE"),
        (HEADER_LINE.replace("MONTANT", "MONTANT_MAD"), "MONTANT_MAD", "unknown column"),
        (
            HEADER_LINE.replace("MONTANT;SENS", "SENS;MONTANT"),
            "MONTANT",
            "column MONTANT is at position 8, expected at 7",
        ),
        (HEADER_LINE + ";COMMENTAIRE", "COMMENTAIRE", "extra column"),
        (HEADER_LINE.lower(), "id_ecriture", "unknown column"),
    ],
)
def test_a_header_that_is_not_exactly_the_eight_columns_is_refused_naming_the_column(
    header: str, field: str, said: str
) -> None:
    data = ledger(LINE).replace(HEADER_LINE.encode(), header.encode(), 1)
    error = refusal(data)
    assert error.field == field
    assert "line 1" in error.message
    assert said in error.message


# --- file names ---------------------------------------------------------------------------


def test_a_ledger_file_name_gives_its_network_and_value_date() -> None:
    assert parse_ledger_name("CNSS_ENCAISSEMENTS_CASHPLUS_20261122.csv") == (
        "CASHPLUS",
        date(2026, 11, 22),
    )
    assert parse_ledger_name("/inbox/CNSS_ENCAISSEMENTS_ALL_20261122.csv") == (
        "ALL",
        date(2026, 11, 22),
    )


@pytest.mark.parametrize(
    "name",
    [
        "CNSS_ENCAISSEMENTS_CASHPLUS_20261131.csv",
        "CNSS_ENCAISSEMENTS_CASHPLUS_2026112.csv",
        "CNSS_ENCAISSEMENTS__20261122.csv",
        "CNSS_ENCAISSEMENTS_CASHPLUS_20261122.xlsx",
        "cnss_encaissements_cashplus_20261122.csv",
        "releve.csv",
    ],
)
def test_any_other_file_name_is_not_a_ledger(name: str) -> None:
    assert parse_ledger_name(name) is None


# --- writing ------------------------------------------------------------------------------


def test_writing_the_example_entries_gives_back_the_documented_bytes() -> None:
    entries = parse_ledger(EXAMPLE).entries
    written = write_ledger(entries)
    assert written == EXAMPLE.replace(b'"E2026112200003"', b"E2026112200003")
    quoted = write_ledger(entries, quote_ids=True)
    assert quoted.count(b'"E20261122') == 4


def test_a_written_ledger_groups_thousands_as_asked() -> None:
    entry = LedgerEntry("E1", date(2026, 11, 22), "CASHPLUS", None, "1", None, 123456789, "C")
    assert "1\u00a0234\u00a0567,89;C\r\n" in write_ledger([entry], thousands="\u00a0").decode()
    assert "1234567,89;C\r\n" in write_ledger([entry], thousands="").decode()
    assert write_ledger([entry]).endswith(b"TOTAL;1;1 234 567,89;;;;;\r\n")


# Any text UTF-8 carries, with the characters that trouble a CSV (and Arabic) made frequent.
troublesome = st.sampled_from(list(';"\r\n \u00a0éعربي'))
texts = st.text(st.characters(codec="utf-8") | troublesome, max_size=20)
entries_strategy = st.lists(
    st.builds(
        LedgerEntry,
        entry_id=texts.filter(lambda text: text not in ("", "TOTAL")),
        value_date=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
        network=texts.filter(bool),
        reference=st.none() | texts.filter(bool),
        registration_number=texts,
        period=st.none()
        | st.builds(
            "{:02d}/{:04d}".format,
            st.integers(min_value=1, max_value=12),
            st.integers(min_value=2000, max_value=2099),
        ),
        amount_centimes=st.integers(min_value=0, max_value=10**14),
        sens=st.sampled_from(["C", "D"]),
    ),
    max_size=12,
    unique_by=lambda entry: entry.entry_id,
)


@SETTINGS
@given(
    entries=entries_strategy,
    thousands=st.sampled_from([" ", "\u00a0", "\u202f", ""]),
    quote_ids=st.booleans(),
)
def test_any_written_ledger_reads_back_as_the_same_entries(
    entries: list[LedgerEntry], thousands: str, quote_ids: bool
) -> None:
    read = parse_ledger(write_ledger(entries, thousands=thousands, quote_ids=quote_ids))

    assert [
        (e.entry_id, e.value_date, e.network, e.reference, e.registration_number, e.period)
        for e in read.entries
    ] == [
        (e.entry_id, e.value_date, e.network, e.reference, e.registration_number, e.period)
        for e in entries
    ]
    assert [(e.amount_centimes, e.sens) for e in read.entries] == [
        (e.amount_centimes, e.sens) for e in entries
    ]
    assert read.total_centimes == sum(e.signed_centimes for e in entries)
    assert read.count == len(entries)


# --- amounts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "centimes"),
    [
        ("0,00", 0),
        ("0,10", 10),
        ("218,00", 21800),
        ("1 308,00", 130800),
        ("1\u00a0234\u202f567,89", 123456789),
        ("999 999 999 999,99", 99999999999999),
    ],
)
def test_a_decimal_comma_amount_reads_as_exact_centimes(text: str, centimes: int) -> None:
    assert parse_amount(text, field="MONTANT", line=7) == centimes
    assert parse_amount(format_comma(centimes), field="MONTANT", line=7) == centimes


@pytest.mark.parametrize(
    "text",
    [
        "",
        ",00",
        "218",
        "218,0",
        "218,000",
        "218.00",
        "-218,00",
        "+218,00",
        " 218,00",
        "1,234,00",
        "1234 567,00",
        "1 2345,00",
        "1.234,00",
        "2e3,00",
        "218,0O",
        "9" * 5000 + ",00",
    ],
)
def test_anything_but_a_two_decimal_comma_amount_is_refused_naming_line_and_field(
    text: str,
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_amount(text, field="MONTANT", line=7)
    assert caught.value.field == "MONTANT"
    assert caught.value.message.startswith("line 7, MONTANT:")


def test_only_a_total_may_carry_a_minus_sign() -> None:
    assert parse_signed_amount("-1 442,50", field="TOTAL", line=9) == -144250
    assert format_comma(-144250) == "-1 442,50"
    with pytest.raises(ValidationFailed):
        parse_signed_amount("--1,00", field="TOTAL", line=9)


@SETTINGS
@given(
    centimes=st.integers(min_value=0, max_value=10**15),
    thousands=st.sampled_from([" ", "\u00a0", "\u202f", ""]),
)
def test_any_amount_written_with_a_decimal_comma_reads_back_exactly(
    centimes: int, thousands: str
) -> None:
    text = format_comma(centimes, thousands=thousands)
    assert parse_amount(text, field="MONTANT", line=1) == centimes
