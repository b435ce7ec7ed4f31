"""Which business day a collection joins, and closing a day.

The day is the Casablanca date the terminal signed the write (after the cutoff, the next
day). If that day is already closed for the network, the collection joins the first later
day still open and is flagged late, keeping its signed day: nothing ever joins a closed day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from agent_api.persistence.tables import BusinessDay


@dataclass(frozen=True)
class DayAssignment:
    business_date: date
    late: bool
    signed_business_date: date


def _day_row(session: Session, network_id: int, day: date, *, share: bool) -> BusinessDay:
    """The day's row, created OPEN when missing, locked in share mode (a collection) or
    exclusively (closing) for the rest of the transaction."""
    query = (
        select(BusinessDay)
        .where(BusinessDay.network_id == network_id)
        .where(BusinessDay.business_date == day)
    )
    query = query.with_for_update(read=share)
    row = session.exec(query).first()
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(
                BusinessDay(
                    network_id=network_id,
                    business_date=day,
                    status="open",
                    closed_at=None,
                    closed_by=None,
                )
            )
            session.flush()
    except IntegrityError:
        pass  # created by a concurrent transaction meanwhile: lock theirs
    return session.exec(query).one()


def assign_day(session: Session, network_id: int, signed_day: date) -> DayAssignment:
    day = signed_day
    for _ in range(366):
        row = _day_row(session, network_id, day, share=True)
        if row.status == "open":
            return DayAssignment(day, day != signed_day, signed_day)
        day += timedelta(days=1)
    raise RuntimeError("no open business day within a year")  # pragma: no cover


def is_closed(session: Session, network_id: int, day: date) -> bool:
    row = session.exec(
        select(BusinessDay.status)
        .where(BusinessDay.network_id == network_id)
        .where(BusinessDay.business_date == day)
    ).first()
    return row == "closed"


def close_day(session: Session, network_id: int, day: date, *, at: datetime, by: str) -> bool:
    """Close ``day`` for the network; False when it was already closed (a no-op)."""
    row = _day_row(session, network_id, day, share=False)
    if row.status == "closed":
        return False
    row.status = "closed"
    row.closed_at = at
    row.closed_by = by
    session.add(row)
    session.flush()
    return True
