"""The values reconciliation works on, shared by the file readers, the matchers, the simulator
and the daily run. Pure: no database, no files.

Amounts are integer centimes and always positive; the direction is carried apart (``sens``
``C``/``D`` on the ledger, ``kind`` on the hub, ``CRDT``/``DBIT`` at the bank), as in the
counterparts' own files.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

SETTLEMENT_REFERENCE = re.compile(r"QURB-STL-([A-Z0-9]{1,12})-(\d{8})")


def settlement_reference(network: str, day: date) -> str:
    """``QURB-STL-<NETWORK>-<YYYYMMDD>``: at most 9 + 12 + 1 + 8 = 30 characters, under the
    35 that banks keep of an ``EndToEndId``."""
    reference = f"QURB-STL-{network}-{day:%Y%m%d}"
    assert len(reference) <= 35
    return reference


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while a day's values are built. A national day is
    millions of small acyclic objects, and each generation-0 sweep over them would rescan a
    heap that only grows (measured: half the cost of loading the hub's lines)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class HubKind(StrEnum):
    COLLECTION = "collection"  # booked by CNSS as a credit (SENS C)
    REVERSAL = "reversal"  # booked by CNSS as a debit (SENS D)


@dataclass(frozen=True, slots=True)
class HubLine:
    """One collection or reversal the hub recorded for a network's business day.

    ``reference`` is the receipt number printed for it; a reversal also carries the receipt
    number of the collection it cancels (``original_reference``), since CNSS may book the
    debit under either."""

    reference: str
    kind: HubKind
    network: str
    business_date: date
    registration_number: str
    amount_centimes: int
    office: str = ""
    original_reference: str | None = None

    @property
    def sens(self) -> str:
        return "C" if self.kind is HubKind.COLLECTION else "D"

    @property
    def signed_centimes(self) -> int:
        return self.amount_centimes if self.kind is HubKind.COLLECTION else -self.amount_centimes


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One line of the CNSS ledger export (``docs/formats/cnss-ledger-export.md``)."""

    entry_id: str  # ID_ECRITURE
    value_date: date  # DATE_VALEUR
    network: str  # CODE_RESEAU
    reference: str | None  # REF_TRANSACTION; None when CNSS could not capture it
    registration_number: str  # NUM_IMMATRICULATION
    period: str | None  # PERIODE, "MM/YYYY"
    amount_centimes: int  # MONTANT, always positive
    sens: str  # "C" or "D"
    line: int = 0  # line number in its file, for messages

    @property
    def signed_centimes(self) -> int:
        return self.amount_centimes if self.sens == "C" else -self.amount_centimes


@dataclass(frozen=True, slots=True)
class BankCredit:
    """One transaction on the bank statement: a ``TxDtls`` of a camt.053 ``Ntry`` (or the
    entry itself when it has no details), or one line of a CSV export."""

    bank_reference: str  # AcctSvcrRef (+ "/n" for the n-th TxDtls of a batched entry)
    booking_date: date
    value_date: date | None
    amount_centimes: int  # always positive
    credit: bool  # CRDT (True) or DBIT (False)
    end_to_end_id: str | None  # None for absent or "NOTPROVIDED"
    remittance: str  # Ustrd and Strd/CdtrRefInf/Ref joined by spaces
    debtor: str

    def settlement_reference(self) -> tuple[str, date] | None:
        """The (network, business day) this credit pays, read from ``EndToEndId`` first and
        then from the remittance text; None when neither quotes a well-formed reference."""
        for text in (self.end_to_end_id or "", self.remittance):
            found = SETTLEMENT_REFERENCE.search(text.upper())
            if found is not None:
                try:
                    day = date(int(found[2][:4]), int(found[2][4:6]), int(found[2][6:]))
                except ValueError:
                    continue
                return found[1], day
        return None


class LedgerOutcome(StrEnum):
    """What line matching says of each hub line and each ledger entry."""

    MATCHED = "matched"
    MISSING_IN_LEDGER = "missing_in_ledger"  # the hub recorded it; CNSS never booked it
    MISSING_IN_HUB = "missing_in_hub"  # CNSS booked it; the hub never recorded it
    AMOUNT_MISMATCH = "amount_mismatch"  # paired, but the amounts differ
    DUPLICATE = "duplicate"  # CNSS booked the same receipt line twice
    CROSS_DAY = "cross_day"  # paired, but booked on another value date


class BankOutcome(StrEnum):
    EXACT = "exact"
    SHORT = "short"  # less arrived than the settlement's net
    OVER = "over"  # more arrived than the net
    MISSING = "missing"  # nothing arrived for the settlement
    UNEXPECTED = "unexpected"  # a credit no settlement accounts for


@dataclass(frozen=True, slots=True)
class LedgerResult:
    """One finding of line matching.

    ``hub`` and ``entries`` are what was paired (either may be empty: a hub line missing in
    the ledger has no entries, an entry missing in the hub has no hub lines).
    ``difference_centimes`` is signed ledger minus hub (0 when they agree)."""

    outcome: LedgerOutcome
    hub: tuple[HubLine, ...]
    entries: tuple[LedgerEntry, ...]
    difference_centimes: int = 0

    @property
    def hub_signed_centimes(self) -> int:
        return sum(h.signed_centimes for h in self.hub)

    @property
    def ledger_signed_centimes(self) -> int:
        return sum(e.signed_centimes for e in self.entries)


@dataclass(frozen=True, slots=True)
class BankResult:
    outcome: BankOutcome
    network: str | None
    business_date: date | None
    reference: str | None
    expected_centimes: int  # the settlement's net (0 for an unexpected credit)
    received_centimes: int  # credits less debits carrying the reference
    credits: tuple[BankCredit, ...]

    @property
    def difference_centimes(self) -> int:
        return self.received_centimes - self.expected_centimes
