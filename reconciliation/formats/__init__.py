"""Readers and writers of the counterparts' files: the CNSS ledger export, the bank's
camt.053 statement, the bank CSV export and the CNSS claims tracking file. Pure: bytes in,
model values out (or a ValidationFailed naming the line and field), and the reverse for the
simulator."""

from __future__ import annotations

from agent_api.domain.claims import TrackingStatus
from agent_api.errors import ValidationFailed
from reconciliation.formats.amounts import (
    format_comma,
    format_point,
    parse_amount,
    parse_decimal_point,
    parse_signed_amount,
)
from reconciliation.formats.bank_csv import parse_bank_csv, write_bank_csv
from reconciliation.formats.camt053 import BankStatement, parse_camt053, write_camt053
from reconciliation.formats.ledger import (
    LedgerFile,
    parse_ledger,
    parse_ledger_name,
    write_ledger,
)
from reconciliation.formats.tracking import (
    TrackingEvent,
    TrackingFile,
    parse_tracking,
    parse_tracking_name,
    write_tracking,
)

__all__ = [
    "BankStatement",
    "LedgerFile",
    "TrackingEvent",
    "TrackingFile",
    "TrackingStatus",
    "format_comma",
    "format_point",
    "parse_amount",
    "parse_bank_csv",
    "parse_camt053",
    "parse_decimal_point",
    "parse_ledger",
    "parse_ledger_name",
    "parse_signed_amount",
    "parse_tracking",
    "parse_tracking_name",
    "read_bank_statement",
    "write_bank_csv",
    "write_camt053",
    "write_ledger",
    "write_tracking",
]

_BOM = b"\xef\xbb\xbf"


def read_bank_statement(data: bytes, *, source: str) -> BankStatement:
    """A bank statement in whichever form the bank sent: camt.053 when the first character
    (after any BOM and blanks) is ``<``, the CSV export otherwise."""
    start = data.removeprefix(_BOM).lstrip()
    if not start:
        raise ValidationFailed(
            f"{source or 'the bank statement'} is empty; the bank statement is refused",
            code="bank_statement_refused",
            field="file",
        )
    if start.startswith(b"<"):
        return parse_camt053(data, source=source)
    return parse_bank_csv(data, source=source)
