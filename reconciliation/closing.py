"""Step 1 of the daily run: close business day D per network, atomically.

Each network's day closes in its own transaction under the day row's exclusive lock, so a
collection being recorded finishes first and nothing joins the day afterwards. Closing a
closed day is a no-op that says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import col, select

from agent_api.clock import Clock
from agent_api.persistence.tables import Contribution, Network
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.services.business_days import close_day


@dataclass(frozen=True)
class ClosedDay:
    network: str
    business_date: date
    closed_now: bool
    collections: int
    gross_centimes: int


class UnknownNetwork(ValueError):
    """A network code given to the run is not registered."""


class DayCloser:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def close(
        self, day: date, *, networks: Sequence[str] | None = None, by: str
    ) -> list[ClosedDay]:
        with self._uow() as uow:
            rows = uow.session.exec(select(Network).order_by(col(Network.code))).all()
        known = {n.code: n for n in rows}
        wanted = list(networks) if networks else list(known)
        unknown = [code for code in wanted if code not in known]
        if unknown:
            raise UnknownNetwork(f"unknown network: {', '.join(unknown)}")
        return [self._close_one(known[code], day, by) for code in wanted]

    def _close_one(self, network: Network, day: date, by: str) -> ClosedDay:
        assert network.id is not None
        with self._uow() as uow:
            closed_now = close_day(uow.session, network.id, day, at=self._clock(), by=by)
            count, gross = uow.session.exec(
                select(func.count(), func.coalesce(func.sum(Contribution.amount_centimes), 0))
                .where(Contribution.network_id == network.id)
                .where(Contribution.business_date == day)
            ).one()
            uow.commit()
        return ClosedDay(network.code, day, closed_now, int(count), int(gross))
