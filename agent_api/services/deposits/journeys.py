"""Where each deposited file is now, and since when: at the office, cancelled, sent in a
transmittal slip, or CNSS's latest word about it (``agent_api.domain.claims``).

One reading for the two places that show it: the counter's list of a worker's files
(``DepositService.of_worker``) and the public verification page, which shows the holder of
an authentic slip where their file is (``DepositService.journey_of_slip``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from agent_api.domain.claims import Observed, TrackingStatus, derive
from agent_api.persistence.tables import (
    Deposit,
    DepositCancellation,
    TrackingEventRecord,
    Transmittal,
    TransmittalItem,
)

_STAGES = {
    TrackingStatus.RECEIVED: "received",
    TrackingStatus.NOT_RECEIVED: "not_received",
    TrackingStatus.INCOMPLETE: "incomplete",
    TrackingStatus.UNDER_REVIEW: "under_review",
    TrackingStatus.REIMBURSED: "reimbursed",
    TrackingStatus.REFUSED: "refused",
}


@dataclass(frozen=True)
class Journey:
    """``stage``: ``at_office`` (not yet sent), ``cancelled``, ``sent`` (in a transmittal
    slip, CNSS has said nothing yet), or CNSS's latest word: ``received``, ``not_received``,
    ``incomplete``, ``under_review``, ``reimbursed``, ``refused``. ``dated``: the day the file
    reached that stage (the deposit's, the cancellation's or the slip's business day, or the
    date of CNSS's event)."""

    stage: str
    dated: date
    transmittal: str | None
    since: date | None  # the date of CNSS's latest word
    reimbursed_centimes: int | None
    reason_code: str | None
    cnss_file_number: str | None


def journeys(session: Session, deposits: Sequence[Deposit]) -> dict[int, Journey]:
    """The journey of each deposit, by its id; a few queries whatever their number."""
    ids = [d.id for d in deposits if d.id is not None]
    cancelled: dict[int, date] = dict(
        session.exec(
            select(
                col(DepositCancellation.deposit_id), col(DepositCancellation.business_date)
            ).where(col(DepositCancellation.deposit_id).in_(ids))
        ).all()
    )
    sent = {
        deposit_id: (number, day)
        for deposit_id, number, day in session.exec(
            select(
                col(TransmittalItem.deposit_id),
                col(Transmittal.number),
                col(Transmittal.business_date),
            )
            .join(Transmittal, col(Transmittal.id) == col(TransmittalItem.transmittal_id))
            .where(col(TransmittalItem.deposit_id).in_(ids))
        ).all()
    }
    observed: dict[int, list[Observed]] = {}
    for event in session.exec(
        select(TrackingEventRecord).where(col(TrackingEventRecord.deposit_id).in_(ids))
    ).all():
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
    found = {}
    for deposit in deposits:
        assert deposit.id is not None
        state = derive(observed.get(deposit.id, []))
        slip, sent_on = sent.get(deposit.id, (None, None))
        if state is not None:
            stage, dated = _STAGES[state.status], state.since
        elif deposit.id in cancelled:
            stage, dated = "cancelled", cancelled[deposit.id]
        elif sent_on is not None:
            stage, dated = "sent", sent_on
        else:
            stage, dated = "at_office", deposit.business_date
        found[deposit.id] = Journey(
            stage=stage,
            dated=dated,
            transmittal=slip,
            since=state.since if state else None,
            reimbursed_centimes=state.reimbursed_centimes if state else None,
            reason_code=state.reason_code if state else None,
            cnss_file_number=state.cnss_file_number if state else None,
        )
    return found
