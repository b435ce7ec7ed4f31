"""Step 1 of the daily run: close business day D per network, atomically.

Each network's day closes in its own transaction under the day row's exclusive lock, so a
collection being recorded finishes first and nothing joins the day afterwards. Closing a
closed day is a no-op that says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import col, select

from agent_api.clock import Clock
from agent_api.errors import NotFound
from agent_api.persistence.tables import Contribution, Network
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.services.accounts.business_days import close_day
from agent_api.services.log import audit_log


@dataclass(frozen=True)
class ClosedDay:
    network: str
    business_date: date
    closed_now: bool
    collections: int
    gross_centimes: int


class UnknownNetwork(NotFound):
    """Raised when a network code given to the run is not registered (field ``network``)."""

    code = "unknown_network"

    def __init__(self, codes: Sequence[str]) -> None:
        super().__init__(f"unknown network: {', '.join(codes)}", field="network")


class DayCloser:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        checkpoint: Callable[[], object] | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        # Every day close ends with a signed checkpoint of the audit log.
        self._checkpoint = checkpoint

    def close(
        self, day: date, *, networks: Sequence[str] | None = None, by: str
    ) -> list[ClosedDay]:
        with self._uow() as uow:
            rows = uow.session.exec(select(Network).order_by(col(Network.code))).all()
        known = {n.code: n for n in rows}
        wanted = list(networks) if networks else list(known)
        unknown = [code for code in wanted if code not in known]
        if unknown:
            raise UnknownNetwork(unknown)
        closed = [self._close_one(known[code], day, by) for code in wanted]
        if self._checkpoint is not None:
            self._checkpoint()
        return closed

    def _close_one(self, network: Network, day: date, by: str) -> ClosedDay:
        assert network.id is not None
        with self._uow() as uow:
            closed_at = close_day(uow.session, network.id, day, clock=self._clock, by=by)
            count, gross = uow.session.exec(
                select(func.count(), func.coalesce(func.sum(Contribution.amount_centimes), 0))
                .where(Contribution.network_id == network.id)
                .where(Contribution.business_date == day)
            ).one()
            if closed_at is not None:
                audit_log.append(
                    uow.session,
                    "day_closed",
                    {
                        "by": by,
                        "network": network.code,
                        "business_date": day.isoformat(),
                        "collections": int(count),
                        "gross_centimes": int(gross),
                    },
                    at=closed_at,
                )
            uow.commit()
        return ClosedDay(network.code, day, closed_at is not None, int(count), int(gross))
