"""The CNSS ledger export (``docs/formats/cnss-ledger-export.md``): read it, refuse it whole
when it is corrupt, and write it (for the simulator and the benchmark).

The file is the counterpart's, read exactly as CNSS produces it: UTF-8 (BOM or not), ``;``,
CRLF (LF accepted), a header of eight named columns, ``"``-quoted fields where needed, decimal
comma amounts, ``DD/MM/YYYY`` dates, and a last line ``TOTAL;<count>;<C minus D>;;;;;``. A
file that breaks any rule, or whose trailer disagrees with its lines, raises
``ValidationFailed(code="ledger_file_refused")`` naming the line and what is wrong, and
nothing of it is returned: a half-read ledger would report missing entries that are not.

Parsing is on the daily run's critical path (a million lines on a big day), so the loop does
one ``csv`` split per line and otherwise only dictionary look-ups: dates, periods, amounts
and network codes repeat, and each distinct spelling is parsed once.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import date
from pathlib import PurePath
from typing import TYPE_CHECKING

from agent_api.errors import ValidationFailed
from reconciliation.formats.amounts import (
    COMMA_AMOUNT,
    format_comma,
    parse_amount,
    parse_signed_amount,
)
from reconciliation.formats.semicolon_csv import (
    Refusal,
    check_trailer,
    decode,
    header_problem,
    parse_day,
    rows,
)
from reconciliation.model import LedgerEntry

if TYPE_CHECKING:
    from _csv import Reader

HEADER = (
    "ID_ECRITURE",
    "DATE_VALEUR",
    "CODE_RESEAU",
    "REF_TRANSACTION",
    "NUM_IMMATRICULATION",
    "PERIODE",
    "MONTANT",
    "SENS",
)
TRAILER_TAG = "TOTAL"
REFUSED = "ledger_file_refused"

_FILE_NAME = re.compile(r"CNSS_ENCAISSEMENTS_([A-Z][A-Z0-9]{1,11})_([0-9]{8})\.(?:csv|CSV)")
# Past this many distinct amount spellings the cache stops growing: a file of all-different
# amounts gains nothing from it and should not pay for it in memory.
_AMOUNT_CACHE_LIMIT = 100_000
_SIGNS = {"C": 1, "D": -1}
_NOT_AN_AMOUNT = f"is not {COMMA_AMOUNT}"


@dataclass(frozen=True, slots=True)
class LedgerFile:
    """One accepted ledger export: its entries in file order and what describes it."""

    entries: list[LedgerEntry]
    count: int
    total_centimes: int  # Σ C − Σ D, as the trailer states it
    networks: tuple[str, ...]  # the CODE_RESEAU values present, sorted
    value_dates: tuple[date, ...]  # the DATE_VALEUR values present, sorted
    digest: str  # SHA-256 of the raw bytes: the same file delivered twice is recognised
    source: str = ""


def parse_ledger_name(name: str) -> tuple[str, date] | None:
    """``CNSS_ENCAISSEMENTS_<NETWORK>_<YYYYMMDD>.csv`` → (network or ``"ALL"``, value date);
    None for any other name. A directory part is ignored."""
    return network_and_day(_FILE_NAME, name)


def network_and_day(pattern: re.Pattern[str], name: str) -> tuple[str, date] | None:
    """A CNSS file name whose ``pattern`` captures the network and ``YYYYMMDD`` → (network,
    day); None when the name does not match or names no real day. A directory part is
    ignored."""
    found = pattern.fullmatch(PurePath(name).name)
    if found is None:
        return None
    stamp = found[2]
    try:
        day = date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))
    except ValueError:
        return None
    return found[1], day


def parse_ledger(data: bytes, *, source: str = "") -> LedgerFile:
    """Read a whole ledger export, or refuse it (see the module docstring)."""
    digest = hashlib.sha256(data).hexdigest()
    refuse = Refusal(source, code=REFUSED, what="the ledger file")
    reader = rows(decode(data, refuse))
    try:
        header = next(reader, None)
        if header is None:
            raise refuse(1, "header", "the file is empty")
        problem = header_problem(header, HEADER)
        if problem is not None:
            raise refuse(1, *problem)
        lines = _read_lines(reader, refuse)
        if lines.trailer is None:
            raise refuse(
                reader.line_num,
                TRAILER_TAG,
                f"the file ends without its {TRAILER_TAG} trailer line",
            )
        for row in reader:
            if "".join(row).strip():
                raise refuse(
                    reader.line_num,
                    TRAILER_TAG,
                    f"a line follows the {TRAILER_TAG} trailer of line {lines.trailer_line}",
                )
    except csv.Error as exc:
        raise refuse(reader.line_num, "format", f"not a readable ';' CSV line ({exc})") from None

    entries = lines.entries
    check_trailer(
        lines.trailer,
        lines.trailer_line,
        count=len(entries),
        total=lines.total,
        width=len(HEADER),
        amount=lambda text: parse_signed_amount(text, field=TRAILER_TAG, line=lines.trailer_line),
        refuse=refuse,
    )
    return LedgerFile(
        entries=entries,
        count=len(entries),
        total_centimes=lines.total,
        # The caches of the loop hold each distinct code and date once.
        networks=tuple(sorted(lines.networks)),
        value_dates=tuple(sorted(lines.value_dates)),
        digest=digest,
        source=source,
    )


def write_ledger(
    entries: Iterable[LedgerEntry], *, thousands: str = " ", quote_ids: bool = False
) -> bytes:
    """The export CNSS would send for these entries: BOM, header, one CRLF line each and the
    trailer. ``thousands`` is what groups digits in amounts (" ", "\\u00a0", "\\u202f" or
    ""); ``quote_ids`` puts every ID_ECRITURE in quotes, as some exports do."""
    parts = ["\ufeff", ";".join(HEADER), "\r\n"]
    dates: dict[date, str] = {}
    amounts: dict[int, str] = {}
    count = total = 0
    for entry in entries:
        entry_id = entry.entry_id
        if not entry_id or entry_id == TRAILER_TAG:
            raise ValueError(f"an entry id cannot be {entry_id!r} in a ledger export")
        day = dates.get(entry.value_date)
        if day is None:
            value_date = entry.value_date
            day = f"{value_date.day:02d}/{value_date.month:02d}/{value_date.year:04d}"
            dates[value_date] = day
        amount = amounts.get(entry.amount_centimes)
        if amount is None:
            amount = format_comma(entry.amount_centimes, thousands=thousands)
            amount = amounts[entry.amount_centimes] = _quote_if_needed(amount)
        rest = (
            entry.network,
            entry.reference or "",
            entry.registration_number,
            entry.period or "",
        )
        joined = ";".join(rest)
        if joined.count(";") != 3 or _needs_quotes(joined):
            joined = ";".join(_quote_if_needed(field) for field in rest)
        parts += (
            _quote(entry_id) if quote_ids or _needs_quotes(entry_id) else entry_id,
            ";",
            day,
            ";",
            joined,
            ";",
            amount,
            ";",
            entry.sens,
            "\r\n",
        )
        count += 1
        total += entry.signed_centimes
    parts += (TRAILER_TAG, ";", str(count), ";", format_comma(total, thousands=thousands))
    parts.append(";;;;;\r\n")
    return "".join(parts).encode("utf-8")


@dataclass(slots=True)
class _Lines:
    """What the entry lines held, up to the trailer."""

    entries: list[LedgerEntry]
    total: int  # Σ C − Σ D
    networks: Iterable[str]
    value_dates: Iterable[date]
    trailer: list[str] | None  # its fields, None when the file has none
    trailer_line: int


def _read_lines(reader: Reader, refuse: Refusal) -> _Lines:
    entries: list[LedgerEntry] = []
    append = entries.append
    seen: set[str] = set()
    dates: dict[str, date] = {}
    periods: dict[str, str | None] = {"": None}  # PERIODE may be empty
    amounts: dict[str, int] = {}
    networks: dict[str, str] = {}
    total = 0
    entry = _ENTRY
    for row in reader:
        line = reader.line_num
        if len(row) != 8 or row[0] == TRAILER_TAG:
            if not row:
                continue
            if row[0] == TRAILER_TAG:
                return _Lines(entries, total, networks.values(), dates.values(), row, line)
            raise refuse(line, "format", f"{len(row)} fields where the header has {len(HEADER)}")
        entry_id, value_text, network_text, reference, number, period_text, amount_text, sens = row

        if (not entry_id or entry_id in seen) and _blank_or_refuse(row, entries, line, refuse):
            continue
        seen.add(entry_id)

        value_date = dates.get(value_text)
        if value_date is None:
            value_date = dates[value_text] = parse_day(value_text, "DATE_VALEUR", line, refuse)
        network = networks.get(network_text)
        if network is None:
            network = networks[network_text] = _check_network(network_text, line, refuse)
        if period_text not in periods:
            periods[period_text] = _check_period(period_text, line, refuse)
        centimes = amounts.get(amount_text)
        if centimes is None:
            centimes = _new_amount(amount_text, amounts, line, refuse)
        sign = _SIGNS.get(sens)
        if sign is None:
            raise refuse(line, "SENS", f"SENS is {sens!r}, expected C or D")
        total += sign * centimes
        append(
            entry(
                entry_id,
                value_date,
                network,
                reference or None,
                number,
                periods[period_text],
                centimes,
                sens,
                line,
            )
        )
    return _Lines(entries, total, networks.values(), dates.values(), None, reader.line_num)


_EntryMaker = Callable[[str, date, str, str | None, str, str | None, int, str, int], LedgerEntry]
_ENTRY_FIELDS = (
    "entry_id",
    "value_date",
    "network",
    "reference",
    "registration_number",
    "period",
    "amount_centimes",
    "sens",
    "line",
)


def _entry_maker() -> _EntryMaker:
    """A LedgerEntry constructor for the parsing loop.

    The frozen dataclass's ``__init__`` goes through ``object.__setattr__`` once per field,
    which costs more than splitting the CSV line itself; filling the slots through their
    descriptors builds the same frozen object in a third of the time. Should the model ever
    gain a field this does not know, the plain constructor is used instead."""
    if tuple(f.name for f in fields(LedgerEntry)) != _ENTRY_FIELDS:
        return LedgerEntry
    slots = vars(LedgerEntry)
    (
        set_id,
        set_value_date,
        set_network,
        set_reference,
        set_number,
        set_period,
        set_amount,
        set_sens,
        set_line,
    ) = (slots[name].__set__ for name in _ENTRY_FIELDS)
    new = object.__new__

    # Positional, like LedgerEntry's own constructor it stands in for.
    def make(  # noqa: PLR0917
        entry_id: str,
        value_date: date,
        network: str,
        reference: str | None,
        registration_number: str,
        period: str | None,
        amount_centimes: int,
        sens: str,
        line: int,
    ) -> LedgerEntry:
        entry: LedgerEntry = new(LedgerEntry)
        set_id(entry, entry_id)
        set_value_date(entry, value_date)
        set_network(entry, network)
        set_reference(entry, reference)
        set_number(entry, registration_number)
        set_period(entry, period)
        set_amount(entry, amount_centimes)
        set_sens(entry, sens)
        set_line(entry, line)
        return entry

    return make


_ENTRY = _entry_maker()


def _blank_or_refuse(
    row: list[str], entries: list[LedgerEntry], line: int, refuse: Refusal
) -> bool:
    """True for a spreadsheet's empty ``;;;;;;;`` row (skipped); otherwise the ID_ECRITURE is
    empty or repeated, and the file is refused."""
    if not "".join(row).strip():
        return True
    entry_id = row[0]
    if not entry_id:
        raise refuse(line, "ID_ECRITURE", "ID_ECRITURE is empty")
    first = next(e.line for e in entries if e.entry_id == entry_id)
    raise refuse(line, "ID_ECRITURE", f"ID_ECRITURE {entry_id!r} repeats the one of line {first}")


def _check_network(text: str, line: int, refuse: Refusal) -> str:
    if not text:
        raise refuse(line, "CODE_RESEAU", "CODE_RESEAU is empty")
    return text


def _new_amount(text: str, amounts: dict[str, int], line: int, refuse: Refusal) -> int:
    try:
        centimes = parse_amount(text, field="MONTANT", line=line, code=REFUSED)
    except ValidationFailed:
        raise refuse(line, "MONTANT", f"MONTANT {text!r} {_NOT_AN_AMOUNT}") from None
    if len(amounts) < _AMOUNT_CACHE_LIMIT:
        amounts[text] = centimes
    return centimes


def _check_period(text: str, line: int, refuse: Refusal) -> str:
    """``MM/YYYY`` with a month 01–12, returned unchanged."""
    if len(text) == 7 and text[2] == "/":
        digits = text[:2] + text[3:]
        if digits.isascii() and digits.isdigit() and 1 <= int(text[:2]) <= 12:
            return text
    raise refuse(line, "PERIODE", f"PERIODE {text!r} is not MM/YYYY")


_SPECIAL = re.compile(r'[;"\r\n]')


def _needs_quotes(text: str) -> bool:
    return _SPECIAL.search(text) is not None


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _quote_if_needed(text: str) -> str:
    return _quote(text) if _needs_quotes(text) else text
