"""Applying CNSS's claims tracking files to the deposits the hub issued, and the exceptions
queue finance works from them (docs/deposits.md, "Following a file").

A file is applied whole or not at all, in one transaction: refused by its reader (a bad
line, a trailer that disagrees), nothing of it is recorded. A file already applied (same
SHA-256) or an event already recorded (same CNSS event id) adds nothing: the unique
constraints decide, so two imports racing end with one record each. A deposit's state is
derived from the set of its events (``agent_api.domain.claims``), so order does not matter.

What the file says that the hub cannot square becomes an exception, one per finding and
never duplicated (a unique key), cleared when later events explain it:

- ``missing_envelope``: the batch arrived without this deposit's envelope (and no event
  since says it was found) — first in the queue;
- ``conflicting_outcome``: reimbursed and refused;
- ``unreadable_label``: CNSS could not read the deposit number (the worker and the slip
  are named, and how many of that worker's deposits the slip holds);
- ``unacknowledged_slip``: a slip closed ``ack_days`` ago or more that no event names;
- ``unknown_deposit``, ``unknown_slip``: numbers the hub never issued.

The audit log gets one leaf per file applied (its name, digest, counts): no personal data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from agent_api.clock import Clock
from agent_api.domain.claims import FileState, Observed, TrackingStatus, derive
from agent_api.persistence.tables import Deposit, Transmittal, TransmittalItem, Worker
from agent_api.persistence.tables.tracking import (
    EXCEPTION_PRIORITY,
    TrackingEventRecord,
    TrackingException,
    TrackingFileRecord,
)
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.services.log import audit_log
from reconciliation.formats.tracking import TrackingEvent, parse_tracking

logger = logging.getLogger(__name__)

LEAF_KIND = "tracking_file"
_CHUNK = 500  # values per IN (...) list


@dataclass
class TrackingReport:
    """What applying one file found, for the operator who imported it."""

    source: str
    digest: str
    already_applied: bool
    events: int
    new_events: int = 0
    repeated_events: int = 0
    opened: list[str] = field(default_factory=list)  # the finding keys opened
    cleared: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Finding:
    key: str
    kind: str
    network: str
    detail: str
    deposit_id: int | None = None
    transmittal_id: int | None = None
    event_id: str | None = None
    registration_number: str | None = None


class ClaimsTracking:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, *, ack_days: int) -> None:
        self._uow = uow
        self._clock = clock
        self._ack_days = ack_days

    # -- applying a file ------------------------------------------------------------------
    def apply(self, data: bytes, *, source: str) -> TrackingReport:
        parsed = parse_tracking(data, source=source)  # refused whole, before anything
        now = self._clock()
        report = TrackingReport(source, parsed.digest, False, parsed.count)
        with self._uow() as uow:
            session = uow.session
            if session.exec(
                select(TrackingFileRecord.id).where(TrackingFileRecord.digest == parsed.digest)
            ).first():
                report.already_applied = True
                # The same bytes may be another day's file (a quiet day's file is every quiet
                # day's): no event again, but the days have passed for the slips all the same.
                late, acknowledged = self._slip_findings(session, now)
                report.opened = _open(session, late, now)
                report.cleared = _clear(session, acknowledged, now)
                uow.commit()
                return report
            record = TrackingFileRecord(
                digest=parsed.digest,
                source=source[-200:],
                events=parsed.count,
                new_events=0,
                received_at=now,
            )
            session.add(record)
            session.flush()
            assert record.id is not None
            known = _existing(session, [e.event_id for e in parsed.events])
            fresh = [e for e in parsed.events if e.event_id not in known]
            report.new_events = len(fresh)
            report.repeated_events = parsed.count - len(fresh)
            deposits = _ids_by_number(session, Deposit, [e.deposit_number for e in fresh])
            slips = _ids_by_number(session, Transmittal, [e.slip_number for e in fresh])
            findings: list[_Finding] = []
            for event in fresh:
                deposit_id = deposits.get(event.deposit_number or "")
                slip_id = slips.get(event.slip_number or "")
                session.add(_record(event, record.id, deposit_id, slip_id, now))
                findings += _event_findings(session, event, deposit_id, slip_id)
            session.flush()
            touched = {deposits[e.deposit_number] for e in fresh if e.deposit_number in deposits}
            states = _states(session, touched)
            raised, explained = _deposit_findings(session, states)
            findings += raised
            late, acknowledged = self._slip_findings(session, now)
            findings += late
            report.opened = _open(session, findings, now)
            report.cleared = _clear(session, explained + acknowledged, now)
            record.new_events = len(fresh)
            session.add(record)
            audit_log.append(
                session,
                LEAF_KIND,
                {
                    "name": record.source,
                    "sha256": parsed.digest,
                    "events": parsed.count,
                    "new_events": len(fresh),
                    "opened": len(report.opened),
                    "cleared": len(report.cleared),
                },
                at=now,
            )
            uow.commit()
        logger.info(
            "tracking_file_applied",
            extra={"events": parsed.count, "new_events": len(fresh), "opened": len(report.opened)},
        )
        return report

    def check_slips(self) -> tuple[list[str], list[str]]:
        """Look at the slips without a file: a slip CNSS never acknowledges must become an
        exception when its days have passed even if CNSS sends nothing at all (the daily
        run calls this every day). The finding keys opened and cleared."""
        now = self._clock()
        with self._uow() as uow:
            late, acknowledged = self._slip_findings(uow.session, now)
            opened = _open(uow.session, late, now)
            cleared = _clear(uow.session, acknowledged, now)
            uow.commit()
        return opened, cleared

    def _slip_findings(self, session: Session, now: datetime) -> tuple[list[_Finding], list[str]]:
        """Slips closed ``ack_days`` ago or more that no event names; and the keys of those
        that some event now names."""
        named = select(TrackingEventRecord.transmittal_id).where(
            col(TrackingEventRecord.transmittal_id).is_not(None)
        )
        late = session.exec(
            select(Transmittal).where(
                Transmittal.closed_at <= now - timedelta(days=self._ack_days),
                col(Transmittal.id).not_in(named),
            )
        ).all()
        findings = [
            _Finding(
                key=f"unacknowledged_slip:{slip.number}",
                kind="unacknowledged_slip",
                network=(slip.number or "").split("-")[1],
                detail=f"slip {slip.number} of {slip.business_date.isoformat()} "
                f"({slip.deposit_count} deposits) left {self._ack_days} days ago or more; "
                "CNSS never reported it",
                transmittal_id=slip.id,
            )
            for slip in late
        ]
        acknowledged = session.exec(
            select(Transmittal.number).where(col(Transmittal.id).in_(named))
        ).all()
        return findings, [f"unacknowledged_slip:{number}" for number in acknowledged]

    # -- reading --------------------------------------------------------------------------
    def queue(self) -> list[TrackingException]:
        """The open exceptions, the worst first: missing envelopes, then by age."""
        with self._uow() as uow:
            return list(
                uow.session.exec(
                    select(TrackingException)
                    .where(TrackingException.status == "open")
                    .order_by(
                        col(TrackingException.priority),
                        col(TrackingException.opened_at),
                        col(TrackingException.id),
                    )
                ).all()
            )

    def state_of(self, deposit_number: str) -> FileState | None:
        """Where a deposit stands at CNSS; None while CNSS has said nothing of it."""
        with self._uow() as uow:
            found = uow.session.exec(
                select(Deposit.id).where(Deposit.number == deposit_number)
            ).first()
            if found is None:
                return None
            return _states(uow.session, {found}).get(found)


def _existing(session: Session, event_ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(event_ids), _CHUNK):
        chunk = event_ids[start : start + _CHUNK]
        found.update(
            session.exec(
                select(TrackingEventRecord.event_id).where(
                    col(TrackingEventRecord.event_id).in_(chunk)
                )
            ).all()
        )
    return found


def _ids_by_number(
    session: Session, table: type[Deposit] | type[Transmittal], numbers: Iterable[str | None]
) -> dict[str, int]:
    wanted = sorted({n for n in numbers if n})
    found: dict[str, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = session.exec(
            select(table.number, table.id).where(
                col(table.number).in_(wanted[start : start + _CHUNK])
            )
        ).all()
        found.update({number: row_id for number, row_id in rows if number and row_id})
    return found


def _record(
    event: TrackingEvent, file_id: int, deposit_id: int | None, slip_id: int | None, now: datetime
) -> TrackingEventRecord:
    return TrackingEventRecord(
        event_id=event.event_id,
        file_id=file_id,
        event_date=event.event_date,
        network=event.network,
        slip_number=event.slip_number,
        deposit_number=event.deposit_number,
        registration_number=event.registration_number,
        cnss_file_number=event.cnss_file_number,
        status=event.status.value,
        reimbursed_centimes=event.reimbursed_centimes,
        reason_code=event.reason_code,
        reason_text=event.reason_text,
        deposit_id=deposit_id,
        transmittal_id=slip_id,
        recorded_at=now,
    )


def _event_findings(
    session: Session, event: TrackingEvent, deposit_id: int | None, slip_id: int | None
) -> list[_Finding]:
    found: list[_Finding] = []
    if event.slip_number and slip_id is None:
        found.append(
            _Finding(
                f"unknown_slip:{event.slip_number}",
                "unknown_slip",
                event.network,
                f"CNSS names slip {event.slip_number}, which the hub never issued "
                f"(event {event.event_id})",
                event_id=event.event_id,
            )
        )
    if event.status is TrackingStatus.SLIP_RECEIVED:
        return found
    if event.deposit_number and deposit_id is None:
        found.append(
            _Finding(
                f"unknown_deposit:{event.deposit_number}",
                "unknown_deposit",
                event.network,
                f"CNSS reports {event.status.value} for deposit {event.deposit_number}, which "
                f"the hub never issued (event {event.event_id})",
                event_id=event.event_id,
                registration_number=event.registration_number,
            )
        )
    elif event.deposit_number is None:
        candidates = _candidates(session, event.registration_number, slip_id)
        found.append(
            _Finding(
                f"unreadable_label:{event.event_id}",
                "unreadable_label",
                event.network,
                f"CNSS could not read the label of a file reported {event.status.value} "
                f"(event {event.event_id}, slip {event.slip_number or 'not named'}); "
                f"{candidates} deposit(s) of this worker in that slip",
                transmittal_id=slip_id,
                event_id=event.event_id,
                registration_number=event.registration_number,
            )
        )
    return found


def _candidates(session: Session, registration_number: str | None, slip_id: int | None) -> int:
    """How many of the worker's deposits the named slip holds: one is a likely match."""
    if registration_number is None or slip_id is None:
        return 0
    return int(
        session.exec(
            select(func.count())
            .select_from(TransmittalItem)
            .join(Deposit, col(Deposit.id) == col(TransmittalItem.deposit_id))
            .join(Worker, col(Worker.id) == col(Deposit.worker_id))
            .where(
                TransmittalItem.transmittal_id == slip_id,
                Worker.registration_number == registration_number,
            )
        ).one()
    )


def _states(session: Session, deposit_ids: set[int]) -> dict[int, FileState]:
    events: dict[int, list[Observed]] = {}
    ids = sorted(deposit_ids)
    for start in range(0, len(ids), _CHUNK):
        rows = session.exec(
            select(TrackingEventRecord).where(
                col(TrackingEventRecord.deposit_id).in_(ids[start : start + _CHUNK])
            )
        ).all()
        for row in rows:
            assert row.deposit_id is not None
            events.setdefault(row.deposit_id, []).append(
                Observed(
                    row.event_id,
                    row.event_date,
                    TrackingStatus(row.status),
                    row.reimbursed_centimes,
                    row.reason_code,
                    row.cnss_file_number,
                )
            )
    states = {deposit_id: derive(observed) for deposit_id, observed in events.items()}
    return {deposit_id: state for deposit_id, state in states.items() if state is not None}


def _deposit_findings(
    session: Session, states: dict[int, FileState]
) -> tuple[list[_Finding], list[str]]:
    numbers = dict(
        session.exec(
            select(Deposit.id, Deposit.number).where(col(Deposit.id).in_(sorted(states)))
        ).all()
    )
    raised: list[_Finding] = []
    explained: list[str] = []
    for deposit_id, state in states.items():
        number = numbers[deposit_id]
        network = number.split("-")[1]
        missing = f"missing_envelope:{number}"
        if state.missing:
            raised.append(
                _Finding(
                    missing,
                    "missing_envelope",
                    network,
                    f"the batch arrived at CNSS without the envelope of deposit {number} "
                    f"(reported {state.since.isoformat()})",
                    deposit_id=deposit_id,
                )
            )
        else:
            explained.append(missing)
        conflict = f"conflicting_outcome:{number}"
        if state.conflicting:
            raised.append(
                _Finding(
                    conflict,
                    "conflicting_outcome",
                    network,
                    f"CNSS reported deposit {number} both reimbursed and refused",
                    deposit_id=deposit_id,
                )
            )
        else:
            explained.append(conflict)
    return raised, explained


def _open(session: Session, findings: list[_Finding], now: datetime) -> list[str]:
    """Open each finding not already open; a cleared one opens again."""
    opened: list[str] = []
    for finding in {f.key: f for f in findings}.values():
        row = session.exec(
            select(TrackingException).where(TrackingException.finding_key == finding.key)
        ).first()
        if row is not None and row.status == "open":
            continue
        if row is None:
            row = TrackingException(
                finding_key=finding.key,
                kind=finding.kind,
                priority=EXCEPTION_PRIORITY[finding.kind],
                network=finding.network,
                deposit_id=finding.deposit_id,
                transmittal_id=finding.transmittal_id,
                event_id=finding.event_id,
                registration_number=finding.registration_number,
                detail=finding.detail,
                status="open",
                opened_at=now,
                cleared_at=None,
            )
        else:
            row.status, row.cleared_at, row.detail = "open", None, finding.detail
        session.add(row)
        opened.append(finding.key)
    session.flush()
    return opened


def _clear(session: Session, keys: list[str], now: datetime) -> list[str]:
    cleared: list[str] = []
    for start in range(0, len(keys), _CHUNK):
        rows = session.exec(
            select(TrackingException).where(
                col(TrackingException.finding_key).in_(keys[start : start + _CHUNK]),
                TrackingException.status == "open",
            )
        ).all()
        for row in rows:
            row.status, row.cleared_at = "cleared", now
            session.add(row)
            cleared.append(row.finding_key)
    session.flush()
    return cleared
