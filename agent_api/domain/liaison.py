"""The liaison CSV: lists of people a liaison body expects to register, checked line by line.

Chambers of crafts, professional orders and federations send the CNSS who should enrol. One
bad line must not reject a file of thousands, so each bad line becomes one ``LineError`` (the
first problem found, with its physical line number) and the good lines go through; only a
wrong header rejects the whole file, because then no column can be trusted.

The format is documented in ``docs/enrollment.md``. Messages never quote a cell: they carry a
line number and a column name, which is enough to fix the file and leaks no CIN.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from agent_api.domain.identity import (
    check_arabic_name,
    check_latin_name,
    normalize_cin,
    normalize_phone,
)
from agent_api.domain.tariff import Category, check_document

COLUMNS = (
    "CIN",
    "NOM",
    "PRENOM",
    "DATE_NAISSANCE",
    "CATEGORIE",
    "TRANCHE",
    "NUM_DOCUMENT",
    "TELEPHONE",
    "VILLE",
    "ORGANISME",
)
REQUIRED = frozenset({"CIN", "NOM", "PRENOM", "CATEGORIE"})
SEPARATOR = ";"
FREE_TEXT_MAX = 100
EARLIEST_BIRTH_YEAR = 1900

_DATE = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")
# Only cells shaped like a column name are quoted back in a header error.
_COLUMN_NAME = re.compile(r"[A-Z_]{1,40}")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class LiaisonRow:
    line: int
    cin: str
    last_name: str
    first_name: str
    birth_date: date | None
    category: str
    bracket: str | None
    document_number: str | None
    phone: str | None
    city: str | None
    source: str | None


@dataclass(frozen=True)
class LineError:
    line: int
    field: str
    message: str


class _BadField(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _physical_lines(text: str) -> list[str]:
    # Split on LF only and drop one trailing CR, so that CRLF and LF files number their lines
    # the same way and nothing else (form feed, U+2028…) counts as a line break.
    if text.startswith("\ufeff"):
        text = text[1:]
    return [line.removesuffix("\r") for line in text.split("\n")]


def _split(line: str) -> list[str]:
    # One physical line is one record: a field may be quoted but may not hold a line break,
    # so a stray quote spoils one line, never the rest of the file.
    return next(csv.reader([line], delimiter=SEPARATOR, quotechar='"', strict=True))


def _header(line: str) -> tuple[str, ...]:
    try:
        names = tuple(name.strip().upper() for name in _split(line))
    except csv.Error:
        raise ValueError("the header line is badly quoted") from None
    known = [name for name in names if name in COLUMNS]
    if len(known) < len(COLUMNS) // 2:
        # Most likely a file sent without its header: its first line is a person, whose
        # cells (CIN, names) must not be quoted back in the error.
        raise ValueError("the first line is not the header line: " + SEPARATOR.join(COLUMNS))
    problems = []
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        problems.append("missing column(s): " + ", ".join(missing))
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        shown = [name for name in unknown if _COLUMN_NAME.fullmatch(name)]
        text = "unknown column(s)"
        if shown:
            text += ": " + ", ".join(shown)
        if len(shown) < len(unknown):
            text += f" ({len(unknown) - len(shown)} not shown)"
        problems.append(text)
    if len(set(names)) != len(names):
        problems.append("a column appears twice")
    if problems:
        raise ValueError("bad header line: " + "; ".join(problems))
    return names


def _name(field: str, value: str) -> str:
    if not value:
        raise _BadField(field, "is required")
    try:
        return check_latin_name(value)
    except ValueError:
        pass
    try:
        return check_arabic_name(value)
    except ValueError:
        raise _BadField(
            field, "must be written in Latin or Arabic letters, 1 to 60 characters"
        ) from None


def _birth_date(value: str) -> date | None:
    if not value:
        return None
    match = _DATE.fullmatch(value)
    if match is None:
        raise _BadField("DATE_NAISSANCE", "must be a date written DD/MM/YYYY")
    day, month, year = (int(part) for part in match.groups())
    try:
        born = date(year, month, day)
    except ValueError:
        raise _BadField("DATE_NAISSANCE", "is not a real calendar date") from None
    if year < EARLIEST_BIRTH_YEAR:
        raise _BadField("DATE_NAISSANCE", "a birth date before 1900 is not plausible")
    return born


def _free_text(field: str, value: str) -> str | None:
    cleaned = _SPACES.sub(" ", value).strip()
    if len(cleaned) > FREE_TEXT_MAX:
        raise _BadField(field, f"must be at most {FREE_TEXT_MAX} characters")
    return cleaned or None


def _row(
    line: int,
    cells: Mapping[str, str],
    known_categories: Mapping[str, Category],
    first_seen: dict[str, int],
) -> LiaisonRow:
    if not cells["CIN"]:
        raise _BadField("CIN", "is required")
    try:
        cin = normalize_cin(cells["CIN"])
    except ValueError as error:
        raise _BadField("CIN", str(error)) from None
    earlier = first_seen.setdefault(cin, line)
    if earlier != line:
        raise _BadField("CIN", f"duplicate CIN in this file, see line {earlier}")

    last_name = _name("NOM", cells["NOM"])
    first_name = _name("PRENOM", cells["PRENOM"])
    birth_date = _birth_date(cells["DATE_NAISSANCE"])

    code = cells["CATEGORIE"].upper()
    if not code:
        raise _BadField("CATEGORIE", "is required")
    category = known_categories.get(code)
    if category is None:
        raise _BadField("CATEGORIE", "is not a known category code")
    bracket = cells["TRANCHE"].upper() or None
    if bracket is not None and not category.has_bracket(bracket):
        raise _BadField("TRANCHE", f"is not a bracket of category {category.code}")

    document = _SPACES.sub("", cells["NUM_DOCUMENT"]).upper() or None
    if document is not None:
        problem = check_document(category, document)
        if problem is not None:
            raise _BadField("NUM_DOCUMENT", problem)

    phone = None
    if cells["TELEPHONE"]:
        try:
            phone = normalize_phone(cells["TELEPHONE"])
        except ValueError as error:
            raise _BadField("TELEPHONE", str(error)) from None

    return LiaisonRow(
        line=line,
        cin=cin,
        last_name=last_name,
        first_name=first_name,
        birth_date=birth_date,
        category=category.code,
        bracket=bracket,
        document_number=document,
        phone=phone,
        city=_free_text("VILLE", cells["VILLE"]),
        source=_free_text("ORGANISME", cells["ORGANISME"]),
    )


def parse_liaison_csv(
    text: str, *, known_categories: Mapping[str, Category]
) -> tuple[list[LiaisonRow], list[LineError]]:
    """The good lines of a liaison file and one error per bad line.

    ``ValueError`` when the header is missing, incomplete or has an unknown column.
    """
    lines = _physical_lines(text)
    if not lines[0].strip():
        raise ValueError("the first line must be the header line")
    header = _header(lines[0])
    rows: list[LiaisonRow] = []
    errors: list[LineError] = []
    first_seen: dict[str, int] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue  # blank lines, including the one after the final line break
        try:
            fields = _split(line)
        except csv.Error:
            errors.append(LineError(number, "line", "a quoted field is not closed properly"))
            continue
        if len(fields) != len(header):
            errors.append(
                LineError(
                    number,
                    "line",
                    f"expected {len(header)} fields separated by ';', found {len(fields)}",
                )
            )
            continue
        cells = {name: value.strip() for name, value in zip(header, fields, strict=True)}
        try:
            rows.append(_row(number, cells, known_categories, first_seen))
        except _BadField as bad:
            errors.append(LineError(number, bad.field, bad.message))
    return rows, errors
