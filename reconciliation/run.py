"""Steps 3 to 6 of the daily run: match day D line by line against the CNSS ledger and the
settlements against the bank, record every difference as an exception, as a version of D.

A run reads the settlements of D, the current ledger files of D-1..D+1 (an entry may be
booked a day off) and the current bank statements that may carry D's transfers. The digest of
those inputs names the result: re-running D on the same inputs finds the same version (a
unique constraint); corrected or new inputs make the next version, and the old one stays.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from agent_api.clock import Clock
from agent_api.errors import Conflict
from agent_api.persistence.tables import Network
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.services.log import audit_log
from reconciliation.bank_matching import Expected, match_bank
from reconciliation.exceptions import worked_elsewhere
from reconciliation.hub import hub_lines
from reconciliation.inputs import Inputs
from reconciliation.matching import match_ledger, summarize
from reconciliation.model import (
    BankOutcome,
    BankResult,
    LedgerOutcome,
    LedgerResult,
    bulk_allocation,
)
from reconciliation.tables import ReconciliationException, ReconciliationRun, Settlement

# Bumped when the matching rules change, so that the same files make a new version.
RULES_VERSION = 1


class NothingToReconcile(Conflict):
    """Raised when no network has a settlement for the day yet."""

    code = "not_settled"


@dataclass
class NetworkFigures:
    """What one network's part of a run found, for the summary and the reports."""

    settlement_reference: str | None = None
    net_centimes: int = 0
    hub_lines: int = 0
    hub_centimes: int = 0
    ledger_centimes: int = 0
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    bank_outcome: str | None = None
    bank_received_centimes: int = 0

    def add(self, kind: str, hub: int, other: int, difference: int) -> None:
        row = self.outcomes.setdefault(
            kind, {"count": 0, "hub_centimes": 0, "other_centimes": 0, "difference_centimes": 0}
        )
        row["count"] += 1
        row["hub_centimes"] += hub
        row["other_centimes"] += other
        row["difference_centimes"] += difference


@dataclass(frozen=True)
class RunView:
    id: int
    business_date: date
    version: int
    created_now: bool
    created_at: datetime
    created_by: str
    inputs: dict[str, Any]
    summary: dict[str, Any]
    matched: int
    exceptions: int


class Reconciler:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, inputs: Inputs) -> None:
        self._uow = uow
        self._clock = clock
        self._inputs = inputs

    def run(self, day: date, *, by: str) -> RunView:
        with bulk_allocation(), self._uow() as uow:
            session = uow.session
            settlements = _settlements(session, day)
            if not settlements:
                raise NothingToReconcile(
                    f"no network is settled for {day.isoformat()}: close and settle it first"
                )
            entries, ledger_files = self._inputs.ledger_for(session, day)
            credits, statements = self._inputs.bank_for(session, day)
            inputs = {
                "rules": RULES_VERSION,
                "settlements": [
                    [s.reference, s.net_centimes, s.collections_digest] for s in settlements
                ],
                "ledger_files": sorted([f.digest, f.name] for f in ledger_files),
                "bank_statements": sorted([b.digest, b.name] for b in statements),
            }
            digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
            existing = _run_with(session, day, digest)
            if existing is not None:
                return _view(existing, created_now=False)
            days = [day - timedelta(days=1), day, day + timedelta(days=1)]
            codes = {
                nid: code
                for nid, code in session.exec(select(Network.id, Network.code)).all()
                if nid is not None
            }
            hub = list(hub_lines(session.connection(), days))
            ledger = match_ledger(day, hub, entries)
            expected = [
                Expected(codes[s.network_id], day, s.reference, s.net_centimes) for s in settlements
            ]
            bank = match_bank(day, expected, credits)
            figures = _figures(settlements, codes, day=day, hub=hub, ledger=ledger, bank=bank)
            reported = [
                e for r in ledger if r.outcome is not LedgerOutcome.MATCHED for e in r.entries
            ]
            files = dict(
                zip(
                    map(id, reported),
                    self._inputs.ledger_sources(ledger_files, reported),
                    strict=True,
                )
            )
            rows = [*_ledger_exceptions(ledger, files), *_bank_exceptions(bank, day)]
            carried = worked_elsewhere(session, day, [r["finding_key"] for r in rows])
            latest = session.exec(
                select(func.max(ReconciliationRun.version)).where(
                    ReconciliationRun.business_date == day
                )
            ).one()
            run = ReconciliationRun(
                business_date=day,
                version=int(latest or 0) + 1,
                inputs_digest=digest,
                inputs=json.dumps(inputs, sort_keys=True),
                summary=json.dumps(
                    {code: vars(f) for code, f in sorted(figures.items())}, sort_keys=True
                ),
                matched=sum(1 for r in ledger if r.outcome is LedgerOutcome.MATCHED),
                exceptions=len(rows),
                created_at=self._clock(),
                created_by=by,
            )
            session.add(run)
            try:
                session.flush()
            except IntegrityError:
                # The same inputs (or the same version number) run concurrently: theirs stands.
                session.rollback()
                existing = _run_with(session, day, digest)
                if existing is None:
                    raise Conflict(
                        "another run of this day is being recorded; run again",
                        code="run_in_progress",
                    ) from None
                return _view(existing, created_now=False)
            assert run.id is not None
            audit_log.append(
                session,
                "reconciliation_run",
                {
                    "by": by,
                    "business_date": day.isoformat(),
                    "version": run.version,
                    "inputs_sha256": digest,
                    "matched": run.matched,
                    "exceptions": run.exceptions,
                },
                at=run.created_at,
            )
            ids = {code: nid for nid, code in codes.items()}
            for row in rows:
                network = row.pop("network")
                previous = carried.get(row["finding_key"])
                row.update(
                    run_id=run.id,
                    network_id=ids.get(network) if network else None,
                    business_date=day,
                    status=previous.status if previous else "open",
                    reason_code=previous.reason_code if previous else None,
                    comment=previous.comment if previous else None,
                    worked_by=previous.worked_by if previous else None,
                    worked_at=previous.worked_at if previous else None,
                    carried_from_id=previous.id if previous else None,
                )
            if rows:
                # One executemany, not an ORM object per difference.
                session.execute(insert(ReconciliationException.__table__), rows)  # type: ignore[attr-defined]
            uow.commit()
            return _view(run, created_now=True)

    def versions(self, day: date) -> list[RunView]:
        with self._uow() as uow:
            rows = uow.session.exec(
                select(ReconciliationRun)
                .where(ReconciliationRun.business_date == day)
                .order_by(col(ReconciliationRun.version))
            ).all()
            return [_view(r, created_now=False) for r in rows]


def _settlements(session: Session, day: date) -> list[Settlement]:
    return list(
        session.exec(
            select(Settlement)
            .where(Settlement.business_date == day)
            .order_by(col(Settlement.reference))
        ).all()
    )


def _run_with(session: Session, day: date, digest: str) -> ReconciliationRun | None:
    return session.exec(
        select(ReconciliationRun)
        .where(ReconciliationRun.business_date == day)
        .where(ReconciliationRun.inputs_digest == digest)
    ).first()


def _view(row: ReconciliationRun, *, created_now: bool) -> RunView:
    assert row.id is not None
    return RunView(
        id=row.id,
        business_date=row.business_date,
        version=row.version,
        created_now=created_now,
        created_at=row.created_at,
        created_by=row.created_by,
        inputs=json.loads(row.inputs),
        summary=json.loads(row.summary),
        matched=row.matched,
        exceptions=row.exceptions,
    )


def _figures(
    settlements: Sequence[Settlement],
    codes: dict[int, str],
    *,
    day: date,
    hub: Iterable[Any],
    ledger: Sequence[LedgerResult],
    bank: Sequence[BankResult],
) -> dict[str, NetworkFigures]:
    figures: defaultdict[str, NetworkFigures] = defaultdict(NetworkFigures)
    for s in settlements:
        f = figures[codes[s.network_id]]
        f.settlement_reference = s.reference
        f.net_centimes = s.net_centimes
    for line in hub:
        if line.business_date == day:
            f = figures[line.network]
            f.hub_lines += 1
            f.hub_centimes += line.signed_centimes
    for network, totals in summarize(ledger).items():
        f = figures[network]
        f.ledger_centimes = totals.ledger_signed_centimes
        for outcome, t in totals.by_outcome.items():
            if t.count:
                f.outcomes[outcome.value] = {
                    "count": t.count,
                    "hub_centimes": t.hub_signed_centimes,
                    "other_centimes": t.ledger_signed_centimes,
                    "difference_centimes": t.difference_centimes,
                }
    for b in bank:
        key = b.network or "(unknown)"
        f = figures[key]
        f.add(
            "bank_" + b.outcome.value,
            b.expected_centimes,
            b.received_centimes,
            b.difference_centimes,
        )
        if b.outcome is not BankOutcome.UNEXPECTED:
            f.bank_outcome = b.outcome.value
            f.bank_received_centimes = b.received_centimes
    return dict(figures)


def _key(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _ledger_exceptions(
    results: Iterable[LedgerResult], files: dict[int, str]
) -> list[dict[str, Any]]:
    """One row per finding that is not a match. ``files`` names the file of each reported
    entry, by ``id(entry)`` (the entries are alive for the whole run)."""
    rows = []
    for r in results:
        if r.outcome is LedgerOutcome.MATCHED:
            continue
        refs = " ".join(sorted(h.reference for h in r.hub))
        ids = " ".join(sorted(e.entry_id for e in r.entries))
        first = r.hub[0] if r.hub else None
        rows.append(
            {
                "network": first.network if first else r.entries[0].network,
                "source": "ledger",
                "kind": r.outcome.value,
                "finding_key": _key("ledger", r.outcome.value, refs, ids),
                "hub_references": refs,
                "entry_ids": ids,
                "registration_number": (
                    first.registration_number if first else r.entries[0].registration_number
                )[:10],
                # A duplicate names the hub line it repeats, whose money the result that
                # paired it counts already (as in ``summarize``): hub + difference = ledger.
                "hub_centimes": (
                    0 if r.outcome is LedgerOutcome.DUPLICATE else r.hub_signed_centimes
                ),
                "other_centimes": r.ledger_signed_centimes,
                "difference_centimes": r.difference_centimes,
                "detail": json.dumps(
                    {
                        "hub": [
                            {
                                "reference": h.reference,
                                "kind": h.kind.value,
                                "business_date": h.business_date.isoformat(),
                                "office": h.office,
                                "amount_centimes": h.amount_centimes,
                            }
                            for h in r.hub
                        ],
                        "ledger": [
                            {
                                "entry_id": e.entry_id,
                                "value_date": e.value_date.isoformat(),
                                "reference": e.reference,
                                "period": e.period,
                                "amount_centimes": e.amount_centimes,
                                "sens": e.sens,
                                "file": files.get(id(e), ""),
                                "line": e.line,
                            }
                            for e in r.entries
                        ],
                    },
                    sort_keys=True,
                ),
            }
        )
    return rows


def _bank_exceptions(results: Iterable[BankResult], day: date) -> list[dict[str, Any]]:
    rows = []
    for b in results:
        if b.outcome is BankOutcome.EXACT:
            continue
        refs = " ".join(sorted(c.bank_reference for c in b.credits))
        rows.append(
            {
                "network": b.network,
                "source": "bank",
                "kind": b.outcome.value,
                "finding_key": _key("bank", b.outcome.value, b.reference or "", refs),
                "hub_references": b.reference or "",
                "entry_ids": refs,
                "registration_number": None,
                "hub_centimes": b.expected_centimes,
                "other_centimes": b.received_centimes,
                "difference_centimes": b.difference_centimes,
                "detail": json.dumps(
                    {
                        "business_date": (b.business_date or day).isoformat(),
                        "credits": [
                            {
                                "bank_reference": c.bank_reference,
                                "booking_date": c.booking_date.isoformat(),
                                "value_date": c.value_date.isoformat() if c.value_date else None,
                                "amount_centimes": c.amount_centimes,
                                "direction": "CRDT" if c.credit else "DBIT",
                                "end_to_end_id": c.end_to_end_id,
                                "remittance": c.remittance,
                                "debtor": c.debtor,
                            }
                            for c in b.credits
                        ],
                    },
                    sort_keys=True,
                ),
            }
        )
    return rows
