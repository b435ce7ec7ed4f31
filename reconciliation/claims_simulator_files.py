"""``qurb-reconcile simulate --claims``: the tracking files CNSS would send over the days after
a day of deposits, read from the hub's deposits and slips of that day, written where
``qurb-reconcile tracking`` reads them, with the ground truth beside:

- ``CNSS_SUIVI_DOSSIERS_<NETWORK>_<YYYYMMDD>.csv`` per network and day, D+1 to D+``days``;
- ``claims_truth_<YYYYMMDD of D>.json``: each deposit's final stage (with the amount or the
  reason) and the exceptions the queue must hold once every file is applied (at ``as_of``
  or later), whatever their order and however often each is applied.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import or_
from sqlmodel import Session, col, select

from agent_api.errors import ValidationFailed
from agent_api.persistence.tables import (
    Deposit,
    DepositCancellation,
    Network,
    TrackingEventRecord,
    Transmittal,
    TransmittalItem,
    Worker,
)
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from reconciliation.claims_simulation import (
    ClaimsRates,
    HubDeposit,
    HubSlip,
    SimulatedClaims,
    claims_truth_to_json,
    simulate_claims,
)


def parse_claims_rates(text: str) -> ClaimsRates:
    try:
        return ClaimsRates.parse(text)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="rates") from None


def hub_day(session: Session, day: date) -> tuple[list[HubDeposit], list[HubSlip]]:
    """The deposits taken on business day ``day`` at every office, and that day's slips."""
    rows = session.exec(
        select(Deposit, Worker.registration_number, Network.code)
        .join(Worker, col(Worker.id) == col(Deposit.worker_id))
        .join(Network, col(Network.id) == col(Deposit.network_id))
        .where(Deposit.business_date == day)
        .order_by(col(Deposit.id))
    ).all()
    ids = [deposit.id for deposit, _, _ in rows]
    cancelled = set(
        session.exec(
            select(DepositCancellation.deposit_id).where(
                col(DepositCancellation.deposit_id).in_(ids)
            )
        ).all()
    )
    sent = dict(
        session.exec(
            select(TransmittalItem.deposit_id, Transmittal.number)
            .join(Transmittal, col(Transmittal.id) == col(TransmittalItem.transmittal_id))
            .where(col(TransmittalItem.deposit_id).in_(ids))
        ).all()
    )
    deposits = []
    for deposit, registration, network in rows:
        assert deposit.id is not None
        deposits.append(
            HubDeposit(
                number=deposit.number,
                network=network,
                registration_number=registration or "",
                amount_spent_centimes=deposit.amount_spent_centimes,
                warnings=tuple(w for w in deposit.warnings.split(",") if w),
                slip=sent.get(deposit.id),
                cancelled=deposit.id in cancelled,
            )
        )
    slips = [
        HubSlip(number, network, closed_at)
        for number, network, closed_at in session.exec(
            select(Transmittal.number, Network.code, Transmittal.closed_at)
            .join(Network, col(Network.id) == col(Transmittal.network_id))
            .where(Transmittal.business_date == day, col(Transmittal.number).is_not(None))
        ).all()
        if number is not None
    ]
    return deposits, slips


def simulate_day(
    uow: UnitOfWorkFactory,
    day: date,
    *,
    rates: ClaimsRates,
    seed: int,
    ack_days: int,
    days: int,
) -> SimulatedClaims:
    """What CNSS would report about the deposits of ``day``, never reusing an event id the
    hub recorded nor inventing a deposit number it issued."""
    with uow() as unit:
        session = unit.session
        deposits, slips = hub_day(session, day)
        prefixes = [f"V{day + timedelta(days=n):%Y%m%d}" for n in range(1, days + 1)]
        taken = session.exec(
            select(TrackingEventRecord.event_id).where(
                or_(*(col(TrackingEventRecord.event_id).startswith(p) for p in prefixes))
            )
        ).all()
        # The simulator's invented numbers all look like D-<NETWORK>-9xxxxxxx: never one
        # the hub issued, nor one CNSS already named (a finding already open).
        issued = set(
            session.exec(select(Deposit.number).where(col(Deposit.number).like("D-%-9%"))).all()
        ) | {
            number
            for number in session.exec(
                select(TrackingEventRecord.deposit_number).where(
                    col(TrackingEventRecord.deposit_number).like("D-%-9%")
                )
            ).all()
            if number is not None
        }
    return simulate_claims(
        day,
        deposits,
        slips,
        rates,
        seed=seed,
        ack_days=ack_days,
        days=days,
        taken_event_ids=taken,
        issued_numbers=issued,
    )


def write_claims_simulation(
    uow: UnitOfWorkFactory,
    day: date,
    out: Path,
    *,
    rates: str,
    seed: int,
    ack_days: int,
    days: int | None = None,
) -> list[Path]:
    """Writes the files and the truth; their paths, the truth last. ``days`` defaults to
    one more than ``ack_days``, so that a slip CNSS never acknowledged is late by the last
    file."""
    span = ack_days + 1 if days is None else days
    if span < 1:
        raise ValidationFailed("days: at least one day of files", field="days")
    simulated = simulate_day(
        uow, day, rates=parse_claims_rates(rates), seed=seed, ack_days=ack_days, days=span
    )
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for file in simulated.files:
        path = out / file.name
        path.write_bytes(file.data)
        written.append(path)
    truth = out / f"claims_truth_{day:%Y%m%d}.json"
    truth.write_text(claims_truth_to_json(simulated.truth), encoding="utf-8")
    written.append(truth)
    return written
