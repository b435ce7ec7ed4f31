"""The CSV account export some banks send instead of camt.053: read into the same
transactions, refused whole with the line and column named when a line is wrong."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_api.errors import ValidationFailed
from reconciliation.formats import read_bank_statement
from reconciliation.formats.bank_csv import HEADER, parse_bank_csv, write_bank_csv
from reconciliation.model import BankCredit

SETTINGS = settings(max_examples=100, deadline=None, database=None)
HEADER_LINE = ";".join(HEADER)
SOURCE = "/inbox/RELEVE_CNSS_20261123.csv"

EXPORT = (
    "\ufeff" + HEADER_LINE + "\r\n"
    "23/11/2026;23/11/2026;VIR261123001;CASH PLUS SA;REGLEMENT CNSS AMO TNS;"
    "QURB-STL-CASHPLUS-20261122;;284 310,50\r\n"
    "23/11/2026;23/11/2026;VIR261123002;WAFACASH;VIR QURB-STL-WAFACASH-20261122 CNSS;"
    "NOTPROVIDED;;98\u00a0445,00\r\n"
    '23/11/2026;;FRS261123003;BANQUE;"FRAIS; TENUE DE COMPTE";;12,50;\r\n'
).encode()


def export(*lines: str) -> bytes:
    return ("\r\n".join([HEADER_LINE, *lines]) + "\r\n").encode()


def refusal(data: bytes) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        parse_bank_csv(data, source=SOURCE)
    assert caught.value.code == "bank_statement_refused"
    return caught.value


GOOD = "23/11/2026;23/11/2026;VIR1;CASH PLUS SA;LIBELLE;;;100,00"


def test_a_bank_export_reads_as_its_credits_and_debits() -> None:
    statement = parse_bank_csv(EXPORT, source=SOURCE)

    assert statement.kind == "csv"
    assert statement.version == ""
    assert statement.statement_id == "RELEVE_CNSS_20261123"
    assert statement.credits == [
        BankCredit(
            bank_reference="VIR261123001",
            booking_date=date(2026, 11, 23),
            value_date=date(2026, 11, 23),
            amount_centimes=28431050,
            credit=True,
            end_to_end_id="QURB-STL-CASHPLUS-20261122",
            remittance="REGLEMENT CNSS AMO TNS",
            debtor="CASH PLUS SA",
        ),
        BankCredit(
            bank_reference="VIR261123002",
            booking_date=date(2026, 11, 23),
            value_date=date(2026, 11, 23),
            amount_centimes=9844500,
            credit=True,
            end_to_end_id=None,
            remittance="VIR QURB-STL-WAFACASH-20261122 CNSS",
            debtor="WAFACASH",
        ),
        BankCredit(
            bank_reference="FRS261123003",
            booking_date=date(2026, 11, 23),
            value_date=None,
            amount_centimes=1250,
            credit=False,
            end_to_end_id=None,
            remittance="FRAIS; TENUE DE COMPTE",
            debtor="BANQUE",
        ),
    ]


def test_the_settlement_reference_is_found_in_the_client_reference_or_the_label() -> None:
    credits = parse_bank_csv(EXPORT).credits
    assert credits[0].settlement_reference() == ("CASHPLUS", date(2026, 11, 22))
    assert credits[1].settlement_reference() == ("WAFACASH", date(2026, 11, 22))
    assert credits[2].settlement_reference() is None


def test_an_export_without_bom_padded_fields_and_lf_line_ends_is_read() -> None:
    data = export(" 23/11/2026 ; 23/11/2026 ; VIR1 ; CASH PLUS ; X ;  ;  ; 1 000,00 ").replace(
        b"\r\n", b"\n"
    )
    [credit] = parse_bank_csv(data).credits
    assert (credit.bank_reference, credit.debtor, credit.amount_centimes) == (
        "VIR1",
        "CASH PLUS",
        100000,
    )
    assert credit.end_to_end_id is None


def test_empty_lines_are_skipped() -> None:
    assert len(parse_bank_csv(export(GOOD, "", ";;;;;;;")).credits) == 1


def test_the_digest_identifies_the_bytes_received() -> None:
    assert parse_bank_csv(EXPORT).digest != parse_bank_csv(EXPORT + b"\r\n").digest


@pytest.mark.parametrize(
    ("line", "field", "said"),
    [
        ("23/11/2026;23/11/2026;VIR2;X;Y;;10,00;20,00", "CREDIT", "both are"),
        ("23/11/2026;23/11/2026;VIR2;X;Y;;;", "CREDIT", "neither is"),
        ("2026-11-23;23/11/2026;VIR2;X;Y;;;10,00", "DATE_COMPTABLE", "'2026-11-23'"),
        ("23/11/2026;32/11/2026;VIR2;X;Y;;;10,00", "DATE_VALEUR", "'32/11/2026'"),
        ("23/11/2026;23/11/2026;;X;Y;;;10,00", "REFERENCE_BANQUE", "is empty"),
        ("23/11/2026;23/11/2026;VIR2;X;Y;;;10.00", "CREDIT", "'10.00'"),
        ("23/11/2026;23/11/2026;VIR2;X;Y;;-10,00;", "DEBIT", "'-10,00'"),
        ("23/11/2026;23/11/2026;VIR2;X;Y;;;10,00;EXTRA", "format", "9 fields"),
        ("23/11/2026;23/11/2026;VIR1;X;Y;;;10,00", "REFERENCE_BANQUE", "repeats the one of line 2"),
    ],
)
def test_a_wrong_line_refuses_the_export_naming_the_line_and_column(
    line: str, field: str, said: str
) -> None:
    error = refusal(export(GOOD, line))
    assert error.field == field
    assert error.message.startswith(f"{SOURCE}, line 3:")
    assert said in error.message


@pytest.mark.parametrize(
    ("header", "field"),
    [
        (HEADER_LINE.replace(";LIBELLE", ""), "LIBELLE"),
        (HEADER_LINE.replace("CREDIT", "MONTANT"), "MONTANT"),
        (HEADER_LINE.replace("DEBIT;CREDIT", "CREDIT;DEBIT"), "DEBIT"),
    ],
)
def test_a_header_other_than_the_documented_columns_is_refused_naming_the_column(
    header: str, field: str
) -> None:
    error = refusal(export(GOOD).replace(HEADER_LINE.encode(), header.encode()))
    assert error.field == field
    assert "line 1" in error.message


def test_an_export_that_is_not_utf8_is_refused() -> None:
    error = refusal(export(GOOD.replace("LIBELLE", "RÉGLEMENT")).replace("É".encode(), b"\xc9"))
    assert error.field == "encoding"
    assert "line 2" in error.message


def test_an_export_is_recognised_as_csv_and_an_empty_file_is_refused() -> None:
    assert read_bank_statement(EXPORT, source=SOURCE).kind == "csv"
    with pytest.raises(ValidationFailed, match="empty") as caught:
        read_bank_statement(b"\xef\xbb\xbf \r\n", source=SOURCE)
    assert caught.value.code == "bank_statement_refused"


def test_written_exports_group_thousands_and_put_the_amount_in_its_column() -> None:
    credit = BankCredit("V1", date(2026, 11, 23), None, 123456789, False, None, "", "")
    text = write_bank_csv([credit]).decode()
    assert text.startswith("\ufeff" + HEADER_LINE + "\r\n")
    assert text.endswith("23/11/2026;;V1;;;;1 234 567,89;\r\n")


# Text as a bank keeps it: no surrounding blanks (the reader trims them).
texts = st.text(
    st.characters(codec="utf-8") | st.sampled_from(list(';"\r\n éعربي')), max_size=20
).map(str.strip)

credits_strategy = st.lists(
    st.builds(
        BankCredit,
        bank_reference=texts.filter(bool),
        booking_date=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
        value_date=st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
        amount_centimes=st.integers(min_value=0, max_value=10**14),
        credit=st.booleans(),
        end_to_end_id=st.none() | texts.filter(lambda text: text not in ("", "NOTPROVIDED")),
        remittance=texts,
        debtor=texts,
    ),
    max_size=10,
    unique_by=lambda credit: credit.bank_reference,
)


@SETTINGS
@given(credits=credits_strategy, thousands=st.sampled_from([" ", "\u00a0", ""]))
def test_any_written_export_reads_back_as_the_same_transactions(
    credits: list[BankCredit], thousands: str
) -> None:
    assert parse_bank_csv(write_bank_csv(credits, thousands=thousands)).credits == credits
