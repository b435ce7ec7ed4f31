"""The CSV account export some banks send instead of camt.053: read it, and write it for the
simulator.

It is shaped like the account-movement export of Moroccan banks' online banking:

- UTF-8, with or without a BOM; ``;`` between fields; CRLF or LF; ``"`` quotes a field that
  holds a ``;``, a quote or a line break;
- a header line naming exactly these columns, in this order:

  ==================  ==================================================================
  ``DATE_COMPTABLE``  booking date, ``DD/MM/YYYY`` (camt ``BookgDt``)
  ``DATE_VALEUR``     value date, ``DD/MM/YYYY``, or empty (camt ``ValDt``)
  ``REFERENCE_BANQUE`` the bank's own id of the movement, unique in the file
                      (camt ``AcctSvcrRef``)
  ``DONNEUR_ORDRE``   the payer's name (camt ``Dbtr/Nm``), may be empty
  ``LIBELLE``         the transfer's free text (camt ``RmtInf/Ustrd``), may be empty
  ``REFERENCE_CLIENT`` the payer's end-to-end reference when the bank kept it, else empty
                      or ``NOTPROVIDED`` (camt ``EndToEndId``)
  ``DEBIT``           amount leaving the account, decimal comma (``1 234,56``), or empty
  ``CREDIT``          amount arriving, decimal comma, or empty
  ==================  ==================================================================

- exactly one of ``DEBIT`` and ``CREDIT`` is filled on each line; no total line.

Fields are trimmed of surrounding blanks (bank exports pad them). A line that breaks a rule
raises ``ValidationFailed(code="bank_statement_refused")`` naming the line and column, and
nothing of the file is returned.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from datetime import date
from pathlib import PurePath

from agent_api.errors import ValidationFailed
from reconciliation.formats.amounts import COMMA_AMOUNT, format_comma, parse_amount
from reconciliation.formats.camt053 import NOT_PROVIDED, REFUSED, BankStatement
from reconciliation.formats.semicolon_csv import Refusal, decode, header_problem, parse_day, rows
from reconciliation.model import BankCredit

HEADER = (
    "DATE_COMPTABLE",
    "DATE_VALEUR",
    "REFERENCE_BANQUE",
    "DONNEUR_ORDRE",
    "LIBELLE",
    "REFERENCE_CLIENT",
    "DEBIT",
    "CREDIT",
)


def parse_bank_csv(data: bytes, *, source: str = "") -> BankStatement:
    """Read a bank CSV export; its statement id is the stem of ``source``'s file name."""
    digest = hashlib.sha256(data).hexdigest()
    refuse = Refusal(source, code=REFUSED, what="the bank statement")
    reader = rows(decode(data, refuse))
    credits: list[BankCredit] = []
    lines: dict[str, int] = {}  # REFERENCE_BANQUE → its line, to name a repeat
    try:
        header = next(reader, None)
        if header is None:
            raise refuse(1, "header", "the file is empty")
        problem = header_problem([name.strip() for name in header], HEADER)
        if problem is not None:
            raise refuse(1, *problem)
        for row in reader:
            fields = [field.strip() for field in row]
            if not any(fields):
                continue
            credit = _credit(fields, reader.line_num, refuse)
            first = lines.setdefault(credit.bank_reference, reader.line_num)
            if first != reader.line_num:
                raise refuse(
                    reader.line_num,
                    "REFERENCE_BANQUE",
                    f"REFERENCE_BANQUE {credit.bank_reference!r} repeats the one of line {first}",
                )
            credits.append(credit)
    except csv.Error as exc:
        raise refuse(reader.line_num, "format", f"not a readable ';' CSV line ({exc})") from None
    return BankStatement(
        statement_id=PurePath(source).stem if source else "",
        version="",
        credits=credits,
        digest=digest,
        source=source,
        kind="csv",
    )


def write_bank_csv(credits: Iterable[BankCredit], *, thousands: str = " ") -> bytes:
    """The export a bank would send for these transactions (BOM, CRLF, header first)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for credit in credits:
        amount = format_comma(credit.amount_centimes, thousands=thousands)
        writer.writerow(
            (
                _format_date(credit.booking_date),
                _format_date(credit.value_date) if credit.value_date else "",
                credit.bank_reference,
                credit.debtor,
                credit.remittance,
                credit.end_to_end_id or "",
                "" if credit.credit else amount,
                amount if credit.credit else "",
            )
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _credit(fields: list[str], line: int, refuse: Refusal) -> BankCredit:
    if len(fields) != len(HEADER):
        raise refuse(line, "format", f"{len(fields)} fields where the header has {len(HEADER)}")
    booked, valued, reference, debtor, label, client_reference, debit, credit = fields
    if not reference:
        raise refuse(line, "REFERENCE_BANQUE", "REFERENCE_BANQUE is empty")
    if bool(debit) == bool(credit):
        raise refuse(
            line,
            "CREDIT",
            "exactly one of DEBIT and CREDIT must be filled, "
            + ("both are" if debit else "neither is"),
        )
    column = "CREDIT" if credit else "DEBIT"
    try:
        amount = parse_amount(credit or debit, field=column, line=line)
    except ValidationFailed:
        raise refuse(line, column, f"{column} {credit or debit!r} is not {COMMA_AMOUNT}") from None
    return BankCredit(
        bank_reference=reference,
        booking_date=parse_day(booked, "DATE_COMPTABLE", line, refuse),
        value_date=parse_day(valued, "DATE_VALEUR", line, refuse) if valued else None,
        amount_centimes=amount,
        credit=bool(credit),
        end_to_end_id=None if client_reference in ("", NOT_PROVIDED) else client_reference,
        remittance=label,
        debtor=debtor,
    )


def _format_date(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
