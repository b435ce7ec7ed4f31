"""Which business day a collection joins, and closing a day.

The day is the Casablanca date the terminal signed the write (after the cutoff, the next
day). If that day is already closed for the network, the collection joins the first later
day still open and is flagged late, keeping its signed day: nothing ever joins a closed day.

Every collection reads its day here, so the statements are SQLAlchemy Core, built once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from agent_api.persistence.fast import Fast
from agent_api.persistence.sql import insert_ignoring_duplicates
from agent_api.persistence.tables import BusinessDay

_bd = BusinessDay.__table__  # type: ignore[attr-defined]
_WHERE = (
    _bd.c.network_id == bindparam("of_network"),
    _bd.c.business_date == bindparam("on_day"),
)
_STATUS_SELECT = select(_bd.c.status).where(*_WHERE)
_STATUS = Fast(_STATUS_SELECT)
# A collection holds its day's row in share mode until it commits; closing takes it
# exclusively: nothing joins a day while it is being closed.
_STATUS_SHARED = Fast(_STATUS_SELECT.with_for_update(read=True))
_STATUS_EXCLUSIVE = Fast(_STATUS_SELECT.with_for_update())
_CLOSE = (
    update(_bd)
    .where(*_WHERE)
    .values(status="closed", closed_at=bindparam("at"), closed_by=bindparam("by"))
)


@dataclass(frozen=True)
class DayAssignment:
    business_date: date
    late: bool
    signed_business_date: date


def _day_status(session: Session, network_id: int, day: date, *, share: bool) -> str:
    """The day's status, its row created OPEN when missing and locked in share mode (a
    collection) or exclusively (closing) for the rest of the transaction."""
    session.flush()  # what the transaction wrote so far takes its locks before the day's
    connection = session.connection()
    params = {"of_network": network_id, "on_day": day}
    query = _STATUS_SHARED if share else _STATUS_EXCLUSIVE
    status = query.scalar(connection, params)
    if status is not None:
        return str(status)
    # Created by whichever transaction gets there first; the others then lock that row.
    connection.execute(
        insert_ignoring_duplicates(_bd, connection, ("network_id", "business_date")),
        {"network_id": network_id, "business_date": day, "status": "open"},
    )
    status = query.scalar(connection, params)
    assert status is not None, "the day's row exists once inserted"
    return str(status)


def assign_day(session: Session, network_id: int, signed_day: date) -> DayAssignment:
    day = signed_day
    for _ in range(366):
        if _day_status(session, network_id, day, share=True) == "open":
            return DayAssignment(day, day != signed_day, signed_day)
        day += timedelta(days=1)
    raise RuntimeError("no open business day within a year")  # pragma: no cover


def is_closed(session: Session, network_id: int, day: date) -> bool:
    status = _STATUS.scalar(session.connection(), {"of_network": network_id, "on_day": day})
    return bool(status == "closed")


def close_day(
    session: Session, network_id: int, day: date, *, clock: Callable[[], datetime], by: str
) -> datetime | None:
    """Close ``day`` for the network; the moment it closed, or None when it was already
    closed (a no-op). The moment is read once the day's row is held exclusively: collections
    that held it first have committed by then, and none is recorded after the close."""
    if _day_status(session, network_id, day, share=False) == "closed":
        return None
    at = clock()
    session.connection().execute(
        _CLOSE, {"of_network": network_id, "on_day": day, "at": at, "by": by}
    )
    return at
