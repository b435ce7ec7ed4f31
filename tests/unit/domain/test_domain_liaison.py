"""The liaison CSV: a bad line is reported and skipped, a bad header rejects the file."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_api.domain.liaison import COLUMNS, LiaisonRow, LineError, parse_liaison_csv
from agent_api.domain.tariff import SEED_CATEGORIES_BY_CODE

HEADER = ";".join(COLUMNS)
GOOD = (
    "AB123456;Alami;Fatima Zahra;03/04/1985;ARTISAN;REGISTERED;CA-001234;0612345678;Fès;"
    "Chambre d'artisanat de Fès-Meknès"
)
CINS = ["AB123456", "JK98765", "X4321", "BE777777", "Q123"]


def parse(*lines: str, newline: str = "\n") -> tuple[list[LiaisonRow], list[LineError]]:
    text = newline.join((HEADER, *lines)) + newline
    return parse_liaison_csv(text, known_categories=SEED_CATEGORIES_BY_CODE)


def line(**cells: str) -> str:
    base = dict(zip(COLUMNS, GOOD.split(";"), strict=True))
    base.update(cells)
    return ";".join(base[column] for column in COLUMNS)


def test_a_good_line_becomes_a_row_with_normalized_values() -> None:
    rows, errors = parse(GOOD)
    assert errors == []
    assert rows == [
        LiaisonRow(
            line=2,
            cin="AB123456",
            last_name="Alami",
            first_name="Fatima Zahra",
            birth_date=date(1985, 4, 3),
            category="ARTISAN",
            bracket="REGISTERED",
            document_number="CA-001234",
            phone="+212612345678",
            city="Fès",
            source="Chambre d'artisanat de Fès-Meknès",
        )
    ]


def test_only_cin_names_and_category_are_required() -> None:
    rows, errors = parse("ab 123456;Alami;Fatima;;farmer;;;;;")
    assert errors == []
    assert rows[0].cin == "AB123456"
    assert rows[0].category == "FARMER"
    assert (rows[0].birth_date, rows[0].bracket, rows[0].phone, rows[0].city) == (None,) * 4


def test_columns_may_come_in_any_order_and_fields_may_be_quoted() -> None:
    header = ";".join(reversed(COLUMNS))
    cells = GOOD.split(";")
    cells[-1] = '"Fédération; section ""Nord"""'
    text = header + "\n" + ";".join(reversed(cells)) + "\n"
    rows, errors = parse_liaison_csv(text, known_categories=SEED_CATEGORIES_BY_CODE)
    assert errors == []
    assert rows[0].source == 'Fédération; section "Nord"'


def test_a_bom_and_crlf_line_endings_are_tolerated() -> None:
    text = "\ufeff" + HEADER + "\r\n" + GOOD + "\r\n"
    rows, errors = parse_liaison_csv(text, known_categories=SEED_CATEGORIES_BY_CODE)
    assert errors == []
    assert rows[0].source == "Chambre d'artisanat de Fès-Meknès"


@pytest.mark.parametrize(
    ("cells", "field", "message"),
    [
        ({"CIN": ""}, "CIN", "is required"),
        ({"CIN": "12345678"}, "CIN", "one or two letters followed by 3 to 6 digits"),
        ({"NOM": ""}, "NOM", "is required"),
        ({"PRENOM": "Fatima3"}, "PRENOM", "Latin or Arabic letters"),
        ({"DATE_NAISSANCE": "1985-04-03"}, "DATE_NAISSANCE", "DD/MM/YYYY"),
        ({"DATE_NAISSANCE": "31/02/1985"}, "DATE_NAISSANCE", "not a real calendar date"),
        ({"DATE_NAISSANCE": "01/01/1850"}, "DATE_NAISSANCE", "before 1900"),
        ({"CATEGORIE": "ASTRONAUT"}, "CATEGORIE", "not a known category"),
        ({"TRANCHE": "PROFIT_OVER_100K"}, "TRANCHE", "not a bracket of category ARTISAN"),
        ({"NUM_DOCUMENT": "n°1"}, "NUM_DOCUMENT", "not in the expected format"),
        ({"TELEPHONE": "+33612345678"}, "TELEPHONE", "not a Moroccan phone number"),
        ({"VILLE": "x" * 101}, "VILLE", "at most 100 characters"),
    ],
)
def test_a_bad_line_is_reported_with_its_line_and_column_and_skipped(
    cells: dict[str, str], field: str, message: str
) -> None:
    rows, errors = parse(line(**cells), line(CIN="JK98765"))
    assert [row.cin for row in rows] == ["JK98765"]
    assert len(errors) == 1
    assert errors[0].line == 2
    assert errors[0].field == field
    assert message in errors[0].message


def test_a_line_with_the_wrong_number_of_fields_or_a_broken_quote_is_reported() -> None:
    rows, errors = parse("AB123456;Alami", 'JK98765;"Alami;Fatima;;FARMER;;;;;', GOOD)
    assert [row.line for row in rows] == [4]
    assert [(error.line, error.field) for error in errors] == [(2, "line"), (3, "line")]
    assert "expected 10 fields" in errors[0].message


def test_the_second_occurrence_of_a_cin_points_back_to_the_first() -> None:
    rows, errors = parse(GOOD, "", line(CIN="JK98765"), line(CIN="ab-123456"))
    assert [row.line for row in rows] == [2, 4]
    assert errors == [LineError(5, "CIN", "duplicate CIN in this file, see line 2")]


def test_line_numbers_count_physical_lines_including_blank_ones() -> None:
    _, errors = parse("", "", line(CIN="bad"), newline="\r\n")
    assert errors[0].line == 4


@pytest.mark.parametrize(
    ("header", "complaint"),
    [
        (HEADER.replace(";VILLE", ""), "missing column(s): VILLE"),
        (HEADER + ";EMAIL", "unknown column(s): EMAIL"),
        (HEADER + ";CIN", "a column appears twice"),
    ],
)
def test_a_bad_header_rejects_the_whole_file(header: str, complaint: str) -> None:
    with pytest.raises(ValueError, match="bad header line") as info:
        parse_liaison_csv(header + "\n" + GOOD, known_categories=SEED_CATEGORIES_BY_CODE)
    assert complaint in str(info.value)


def test_a_file_without_its_header_is_rejected_without_quoting_its_first_person() -> None:
    with pytest.raises(ValueError, match="not the header line") as info:
        parse_liaison_csv(GOOD + "\n", known_categories=SEED_CATEGORIES_BY_CODE)
    assert "AB123456" not in str(info.value)
    assert "Alami" not in str(info.value)


def test_an_empty_file_is_rejected() -> None:
    with pytest.raises(ValueError, match="header"):
        parse_liaison_csv("", known_categories=SEED_CATEGORIES_BY_CODE)


@settings(max_examples=200, deadline=None, database=None)
@given(st.sampled_from(CINS), st.text(max_size=12), st.sampled_from(list(COLUMNS)))
def test_no_error_message_ever_contains_the_cin(cin: str, junk: str, column: str) -> None:
    cells = {column: junk.replace("\n", " ").replace("\r", " ").replace(";", ",")}
    cells.setdefault("CIN", cin)
    _, errors = parse(line(CIN=cin), line(**cells))
    for error in errors:
        assert cin not in error.message
        assert cin.lower() not in error.message.lower()
