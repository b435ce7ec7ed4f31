"""Deposits and transmittal slips per office and network, for the back office: a network
admin reads its own network, CNSS finance and the CNSS admin every network.

For a business day: per office, the files deposited (and cancelled), their documents, how
many are still at the office or sent, and where CNSS says the sent ones are (no word yet,
received, missing, reimbursed with the amount, refused); the slips closed that day, each
acknowledged or not (an event of the tracking file names it) with the same breakdown. One
slip lists its deposits with each file's stage, the worker by registration number only.
A file's stage is derived from the set of its tracking events (``agent_api.domain.claims``),
as the counter shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from agent_api.domain.claims import FileState, Observed, TrackingStatus, derive
from agent_api.domain.roles import Actor, Role
from agent_api.errors import Forbidden, NotFound
from agent_api.persistence.tables import (
    Deposit,
    DepositCancellation,
    Network,
    Office,
    TrackingEventRecord,
    Transmittal,
    TransmittalItem,
    Worker,
)
from agent_api.persistence.unit_of_work import UnitOfWorkFactory

READERS = frozenset({Role.NETWORK_ADMIN, Role.FINANCE, Role.CNSS_ADMIN})
# A file's stage, in the counter's words (``GET /v1/workers/{rn}/deposits``).
STAGES = {
    TrackingStatus.RECEIVED: "received",
    TrackingStatus.NOT_RECEIVED: "not_received",
    TrackingStatus.INCOMPLETE: "incomplete",
    TrackingStatus.UNDER_REVIEW: "under_review",
    TrackingStatus.REIMBURSED: "reimbursed",
    TrackingStatus.REFUSED: "refused",
}
# CNSS has the file and has not decided yet.
IN_PROGRESS = frozenset({"received", "incomplete", "under_review"})
_CHUNK = 500


@dataclass
class Figures:
    """How many files, and where they are."""

    deposits: int = 0
    cancelled: int = 0
    documents: int = 0  # of the files not cancelled
    at_office: int = 0
    sent: int = 0  # sent, CNSS has said nothing of them yet
    received: int = 0  # CNSS has them, no outcome yet
    missing: int = 0
    reimbursed: int = 0
    refused: int = 0
    reimbursed_centimes: int = 0

    def count(self, stage: str, documents: int, state: FileState | None) -> None:
        self.deposits += 1
        if stage == "cancelled":
            self.cancelled += 1
            return
        self.documents += documents
        if stage == "at_office":
            self.at_office += 1
        elif stage == "sent":
            self.sent += 1
        elif stage in IN_PROGRESS:
            self.received += 1
        elif stage == "not_received":
            self.missing += 1
        elif stage == "reimbursed":
            self.reimbursed += 1
            self.reimbursed_centimes += state.reimbursed_centimes or 0 if state else 0
        elif stage == "refused":
            self.refused += 1


@dataclass
class OfficeDay:
    network: str
    office: str
    figures: Figures = field(default_factory=Figures)


@dataclass
class SlipRow:
    number: str
    network: str
    office: str
    business_date: date
    closed_at: datetime
    acknowledged: bool
    figures: Figures = field(default_factory=Figures)


@dataclass(frozen=True)
class SlipDeposit:
    position: int
    number: str
    registration_number: str
    documents: int
    recorded_at: datetime
    stage: str
    since: date | None
    reimbursed_centimes: int | None
    reason_code: str | None


class DepositBook:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def day(
        self, actor: Actor, day: date, *, network: str | None = None
    ) -> tuple[list[OfficeDay], list[SlipRow]]:
        """The offices' files of business day ``day`` and the slips closed for it."""
        _require(actor)
        with self._uow() as uow:
            session = uow.session
            scope = _scope(session, actor, network)
            deposits = session.exec(
                select(Deposit)
                .where(Deposit.business_date == day)
                .where(*([col(Deposit.network_id).in_(scope)] if scope is not None else []))
            ).all()
            slips = session.exec(
                select(Transmittal)
                .where(Transmittal.business_date == day)
                .where(*([col(Transmittal.network_id).in_(scope)] if scope is not None else []))
                .order_by(col(Transmittal.number))
            ).all()
            facts = _Facts.read(session, deposits, slips)
            offices: dict[int, OfficeDay] = {}
            for deposit in sorted(deposits, key=lambda d: d.number):
                assert deposit.id is not None
                row = offices.setdefault(
                    deposit.office_id,
                    OfficeDay(facts.networks[deposit.network_id], facts.offices[deposit.office_id]),
                )
                stage, state = facts.stage(deposit.id)
                row.figures.count(stage, deposit.documents, state)
            return (
                sorted(offices.values(), key=lambda o: (o.network, o.office)),
                [_slip_row(s, facts) for s in slips],
            )

    def slip(self, actor: Actor, number: str) -> tuple[SlipRow, list[SlipDeposit]]:
        """One slip with its deposits in the order of its manifest."""
        _require(actor)
        with self._uow() as uow:
            session = uow.session
            slip = session.exec(select(Transmittal).where(Transmittal.number == number)).first()
            if slip is None or not actor.sees_network(slip.network_id):
                raise NotFound(f"no slip {number}")
            rows = session.exec(
                select(TransmittalItem.position, Deposit)
                .join(Deposit, col(Deposit.id) == col(TransmittalItem.deposit_id))
                .where(TransmittalItem.transmittal_id == slip.id)
                .order_by(col(TransmittalItem.position))
            ).all()
            deposits = [d for _, d in rows]
            facts = _Facts.read(session, deposits, [slip])
            listed = []
            for position, deposit in rows:
                assert deposit.id is not None
                stage, state = facts.stage(deposit.id)
                listed.append(
                    SlipDeposit(
                        position=position,
                        number=deposit.number,
                        registration_number=facts.workers[deposit.worker_id],
                        documents=deposit.documents,
                        recorded_at=deposit.recorded_at,
                        stage=stage,
                        since=state.since if state else None,
                        reimbursed_centimes=state.reimbursed_centimes if state else None,
                        reason_code=state.reason_code if state else None,
                    )
                )
            return _slip_row(slip, facts), listed


def _require(actor: Actor) -> None:
    if actor.role not in READERS:
        raise Forbidden(f"the {actor.role.value} role may not do this")


def _scope(session: Session, actor: Actor, network: str | None) -> list[int] | None:
    """The networks the caller reads: a network admin its own, whatever it asks; None: all."""
    if actor.scope != "national":
        return [actor.network_id] if actor.network_id is not None else []
    if network is None:
        return None
    found = session.exec(select(Network.id).where(Network.code == network)).first()
    return [found] if found is not None else []


@dataclass
class _Facts:
    networks: dict[int, str]
    offices: dict[int, str]
    workers: dict[int, str]
    cancelled: set[int]
    slip_of: dict[int, int]  # deposit → slip
    states: dict[int, FileState]
    acknowledged: set[int]  # slips some event names
    deposits_of: dict[int, list[Deposit]]  # slip → its deposits

    @classmethod
    def read(
        cls, session: Session, deposits: Iterable[Deposit], slips: Iterable[Transmittal]
    ) -> _Facts:
        deposits = list(deposits)
        slips = list(slips)
        slip_ids = [s.id for s in slips if s.id is not None]
        in_slips = _chunked(
            session,
            lambda part: select(TransmittalItem.deposit_id, TransmittalItem.transmittal_id).where(
                col(TransmittalItem.transmittal_id).in_(part)
            ),
            slip_ids,
        )
        by_id = {d.id: d for d in deposits if d.id is not None}
        missing_ids = [d for d, _ in in_slips if d not in by_id]
        for extra in _chunked(
            session, lambda part: select(Deposit).where(col(Deposit.id).in_(part)), missing_ids
        ):
            by_id[extra.id] = extra
        ids = sorted(i for i in by_id if i is not None)
        slip_of = dict(
            _chunked(
                session,
                lambda part: select(
                    TransmittalItem.deposit_id, TransmittalItem.transmittal_id
                ).where(col(TransmittalItem.deposit_id).in_(part)),
                ids,
            )
        )
        cancelled = set(
            _chunked(
                session,
                lambda part: select(DepositCancellation.deposit_id).where(
                    col(DepositCancellation.deposit_id).in_(part)
                ),
                ids,
            )
        )
        observed: dict[int, list[Observed]] = {}
        for event in _chunked(
            session,
            lambda part: select(TrackingEventRecord).where(
                col(TrackingEventRecord.deposit_id).in_(part)
            ),
            ids,
        ):
            assert event.deposit_id is not None
            observed.setdefault(event.deposit_id, []).append(
                Observed(
                    event.event_id,
                    event.event_date,
                    TrackingStatus(event.status),
                    event.reimbursed_centimes,
                    event.reason_code,
                    event.cnss_file_number,
                )
            )
        states = {i: s for i, events in observed.items() if (s := derive(events)) is not None}
        acknowledged = set(
            _chunked(
                session,
                lambda part: select(TrackingEventRecord.transmittal_id).where(
                    col(TrackingEventRecord.transmittal_id).in_(part)
                ),
                slip_ids,
            )
        )
        everything = list(by_id.values())
        office_ids = {d.office_id for d in everything} | {s.office_id for s in slips}
        network_ids = {d.network_id for d in everything} | {s.network_id for s in slips}
        deposits_of: dict[int, list[Deposit]] = {}
        for deposit_id, slip_id in in_slips:
            deposits_of.setdefault(slip_id, []).append(by_id[deposit_id])
        return cls(
            networks={
                i: code
                for i, code in session.exec(
                    select(Network.id, Network.code).where(col(Network.id).in_(network_ids))
                ).all()
                if i is not None
            },
            offices={
                i: code
                for i, code in session.exec(
                    select(Office.id, Office.code).where(col(Office.id).in_(office_ids))
                ).all()
                if i is not None
            },
            workers=dict(
                _chunked(
                    session,
                    lambda part: select(Worker.id, Worker.registration_number).where(
                        col(Worker.id).in_(part)
                    ),
                    sorted({d.worker_id for d in everything}),
                )
            ),
            cancelled=cancelled,
            slip_of=slip_of,
            states=states,
            acknowledged={a for a in acknowledged if a is not None},
            deposits_of=deposits_of,
        )

    def stage(self, deposit_id: int) -> tuple[str, FileState | None]:
        state = self.states.get(deposit_id)
        if state is not None:
            return STAGES[state.status], state
        if deposit_id in self.cancelled:
            return "cancelled", None
        return ("sent" if deposit_id in self.slip_of else "at_office"), None


def _chunked(session: Session, query: Callable[[list[int]], Any], values: list[int]) -> list[Any]:
    """``query(part)`` over ``values`` a chunk at a time (an IN list stays short)."""
    found: list[Any] = []
    for start in range(0, len(values), _CHUNK):
        found.extend(session.exec(query(values[start : start + _CHUNK])).all())
    return found


def _slip_row(slip: Transmittal, facts: _Facts) -> SlipRow:
    assert slip.id is not None
    row = SlipRow(
        number=slip.number or "",
        network=facts.networks[slip.network_id],
        office=facts.offices[slip.office_id],
        business_date=slip.business_date,
        closed_at=slip.closed_at,
        acknowledged=slip.id in facts.acknowledged,
    )
    for deposit in facts.deposits_of.get(slip.id, []):
        assert deposit.id is not None
        stage, state = facts.stage(deposit.id)
        row.figures.count(stage, deposit.documents, state)
    return row
