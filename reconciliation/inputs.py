"""Importing what CNSS and the bank send, and finding the files a run must read.

Every file is checked whole before anything is written (a refused file leaves no trace) and
then kept byte for byte, zlib-compressed (level 1: a national file in a fraction of a
second, still about a fifth of its size), under its SHA-256: importing the same file again is
a no-op (a unique constraint), and an auditor can always get back exactly what was received.

A newer file for the same scope and value date (a ledger file) or with the same statement id
(a bank statement) replaces the older one for the next runs; the older one stays, and so do
the runs that read it.
"""

from __future__ import annotations

import zlib
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from agent_api.clock import Clock
from agent_api.errors import ValidationFailed
from agent_api.persistence.unit_of_work import UnitOfWork, UnitOfWorkFactory
from agent_api.services.log import audit_log
from reconciliation import formats
from reconciliation.model import BankCredit, LedgerEntry, bulk_allocation
from reconciliation.tables import BankStatement, LedgerFile

Stored = TypeVar("Stored", LedgerFile, BankStatement)

# At most this many parsed ledger entries stay in memory (a few national days).
PARSED_CACHE_ENTRIES = 3_000_000

# How long after day D a settlement transfer may still turn up on a statement.
BANK_LOOKAHEAD = timedelta(days=31)


@dataclass(frozen=True)
class Imported:
    kind: str  # "ledger" or "bank"
    name: str
    digest: str
    scope: str  # a network code or ALL (ledger), the statement id (bank)
    first_date: date
    last_date: date
    lines: int
    total_centimes: int
    imported_at: datetime
    imported_now: bool


class Inputs:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock
        # Files parsed by this process, by digest (their content never changes): the daily
        # run imports a file and matches it at once, and need not parse a national day twice.
        self._parsed: OrderedDict[str, formats.LedgerFile] = OrderedDict()

    def _remember(self, parsed: formats.LedgerFile) -> formats.LedgerFile:
        self._parsed[parsed.digest] = parsed
        self._parsed.move_to_end(parsed.digest)
        while sum(p.count for p in self._parsed.values()) > PARSED_CACHE_ENTRIES:
            self._parsed.popitem(last=False)
        return parsed

    def _ledger_file(self, row: LedgerFile) -> formats.LedgerFile:
        found = self._parsed.get(row.digest)
        if found is None:
            found = formats.parse_ledger(zlib.decompress(row.content), source=row.name)
        return self._remember(found)

    def unit_of_work(self) -> UnitOfWork:
        return self._uow()

    # -- imports ---------------------------------------------------------------------------

    def import_ledger(self, data: bytes, *, name: str, by: str) -> Imported:
        with bulk_allocation():
            parsed = formats.parse_ledger(data, source=name)
        self._remember(parsed)
        scope, value_date = _ledger_scope(parsed, name)
        row = LedgerFile(
            digest=parsed.digest,
            name=name[-200:],
            scope=scope,
            value_date=value_date,
            entries=parsed.count,
            total_centimes=parsed.total_centimes,
            content=zlib.compress(data, 1),
            imported_at=self._clock(),
            imported_by=by,
        )
        stored, now = self._store(row, LedgerFile, parsed.digest)
        return Imported(
            "ledger",
            stored.name,
            stored.digest,
            stored.scope,
            stored.value_date,
            stored.value_date,
            stored.entries,
            stored.total_centimes,
            stored.imported_at,
            now,
        )

    def import_bank(self, data: bytes, *, name: str, by: str) -> Imported:
        statement = formats.read_bank_statement(data, source=name)
        if not statement.credits:
            raise ValidationFailed(
                f"{name}: the statement holds no booked transaction", code="bank_statement_refused"
            )
        dates = [c.booking_date for c in statement.credits]
        total = sum(
            c.amount_centimes if c.credit else -c.amount_centimes for c in statement.credits
        )
        row = BankStatement(
            digest=statement.digest,
            name=name[-200:],
            kind=statement.kind,
            statement_key=statement.statement_id[:200],
            first_booking=min(dates),
            last_booking=max(dates),
            transactions=len(statement.credits),
            content=zlib.compress(data, 1),
            imported_at=self._clock(),
            imported_by=by,
        )
        stored, now = self._store(row, BankStatement, statement.digest)
        return Imported(
            "bank",
            stored.name,
            stored.digest,
            stored.statement_key,
            stored.first_booking,
            stored.last_booking,
            stored.transactions,
            total,
            stored.imported_at,
            now,
        )

    def _store(self, row: Stored, table: type[Stored], digest: str) -> tuple[Stored, bool]:
        with self._uow() as uow:
            existing = uow.session.exec(select(table).where(table.digest == digest)).first()
            if existing is not None:
                return existing, False
            uow.session.add(row)
            audit_log.append(
                uow.session,
                "ledger_file" if isinstance(row, LedgerFile) else "bank_statement",
                {"name": row.name, "sha256": row.digest, "by": row.imported_by},
                at=row.imported_at,
            )
            try:
                uow.commit()
            except IntegrityError:
                # The same file imported concurrently: theirs is the stored one.
                uow.session.rollback()
                return uow.session.exec(select(table).where(table.digest == digest)).one(), False
        return row, True

    # -- what a run reads ------------------------------------------------------------------

    def ledger_for(self, session: Session, day: date) -> tuple[list[LedgerEntry], list[LedgerFile]]:
        """The entries of value dates D-1..D+1 from the current files: per network and date,
        the newest network file, else that network's lines of the newest ALL file."""
        dates = [day - timedelta(days=1), day, day + timedelta(days=1)]
        rows = session.exec(
            select(LedgerFile)
            .where(col(LedgerFile.value_date).in_(dates))
            .order_by(col(LedgerFile.imported_at).desc(), col(LedgerFile.id).desc())
        ).all()
        current: dict[tuple[str, date], LedgerFile] = {}
        for row in rows:
            current.setdefault((row.scope, row.value_date), row)
        entries: list[LedgerEntry] = []
        used: list[LedgerFile] = []
        for (scope, value_date), row in sorted(current.items()):
            parsed = self._ledger_file(row)
            if scope == "ALL":
                own = {s for s, d in current if d == value_date and s != "ALL"}
                kept = [e for e in parsed.entries if e.network not in own]
            else:
                kept = [e for e in parsed.entries if e.network == scope]
            entries.extend(kept)
            used.append(row)
        return entries, used

    def ledger_sources(
        self, files: Sequence[LedgerFile], entries: Sequence[LedgerEntry]
    ) -> list[str]:
        """The name of the file each of ``entries`` was read from, in their order ("" for an
        entry none of ``files`` holds): finance opens that file at that line. Meant for the
        few entries a run reports; a file's entries are in line order, so each is found by
        bisection. A network's own file is looked at before an ``ALL`` file, as ``ledger_for``
        prefers it."""
        held = [
            (row.name, row.scope, self._ledger_file(row).entries)
            for row in sorted(files, key=lambda row: row.scope == "ALL")
        ]
        names = []
        for entry in entries:
            name = ""
            for file_name, scope, lines in held:
                if scope not in {entry.network, "ALL"}:
                    continue
                at = bisect_left(lines, entry.line, key=attrgetter("line"))
                # Equal, not identical: a file evicted from the cache is parsed again.
                if at < len(lines) and lines[at] == entry:
                    name = file_name
                    break
            names.append(name)
        return names

    def bank_for(self, session: Session, day: date) -> tuple[list[BankCredit], list[BankStatement]]:
        """The transactions of the current statements that may carry D's settlements."""
        rows = session.exec(
            select(BankStatement)
            .where(col(BankStatement.last_booking) >= day)
            .where(col(BankStatement.first_booking) <= day + BANK_LOOKAHEAD)
            .order_by(col(BankStatement.imported_at).desc(), col(BankStatement.id).desc())
        ).all()
        current: dict[str, BankStatement] = {}
        for row in rows:
            current.setdefault(row.statement_key, row)
        credits: list[BankCredit] = []
        for key in sorted(current):
            row = current[key]
            statement = formats.read_bank_statement(zlib.decompress(row.content), source=row.name)
            credits.extend(statement.credits)
        return credits, [current[k] for k in sorted(current)]


def _ledger_scope(parsed: formats.LedgerFile, name: str) -> tuple[str, date]:
    """The network (or ALL) and the value date a ledger file stands for: from its standard
    name, else from its lines when they name one network and one date."""
    from_name = formats.parse_ledger_name(name.rsplit("/", 1)[-1])
    if from_name is not None:
        scope, value_date = from_name
        strays = _strays(parsed.entries, scope)
        if strays:
            raise ValidationFailed(
                f"{name}: line {strays[0].line} is for network {strays[0].network}, "
                f"but the file is named for {scope}",
                code="ledger_file_refused",
                field="CODE_RESEAU",
            )
        return scope, value_date
    networks: Sequence[str] = list(parsed.networks)
    dates = sorted(parsed.value_dates)
    if len(dates) != 1:
        raise ValidationFailed(
            f"{name}: the file holds several value dates and its name is not "
            "CNSS_ENCAISSEMENTS_<NETWORK|ALL>_<YYYYMMDD>.csv, so its date is unknown",
            code="ledger_file_refused",
            field="name",
        )
    scope = networks[0] if len(networks) == 1 else "ALL"
    return scope, dates[0]


def _strays(entries: Iterable[LedgerEntry], scope: str) -> list[LedgerEntry]:
    if scope == "ALL":
        return []
    return [e for e in entries if e.network != scope][:1]
