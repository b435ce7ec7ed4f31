"""The business days as finance sees them: per day and network, where the day stands (open,
closed, settled, reconciled, or reconciled with exceptions still open) and what it collected.

Read in five aggregate queries over a date range (a month at most), whatever the number of
collections: the calendar is finance's first screen of the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from agent_api.domain.roles import Actor
from agent_api.errors import Forbidden, ValidationFailed
from agent_api.persistence.tables import BusinessDay, Contribution, Network
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from reconciliation.exceptions import READERS
from reconciliation.tables import ReconciliationException, ReconciliationRun, Settlement

# The states in the order a day goes through them; "exceptions" is "reconciled" with
# differences still to work.
STATES = ("open", "closed", "settled", "reconciled", "exceptions")
MAX_DAYS = 62


@dataclass(frozen=True)
class DayCell:
    business_date: date
    network: str
    state: str
    collections: int
    gross_centimes: int
    open_exceptions: int
    reconciled_version: int | None


class BusinessCalendar:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def days(self, actor: Actor, first: date, last: date) -> list[DayCell]:
        """Every (day, network) from ``first`` to ``last`` that collected, was closed or
        settled, by day then network."""
        if actor.role not in READERS:
            raise Forbidden(f"the {actor.role.value} role may not do this")
        if last < first or (last - first) > timedelta(days=MAX_DAYS):
            raise ValidationFailed(
                f"a calendar spans 1 to {MAX_DAYS + 1} days, first before last", field="month"
            )
        c = Contribution.__table__  # type: ignore[attr-defined]
        d = BusinessDay.__table__  # type: ignore[attr-defined]
        s = Settlement.__table__  # type: ignore[attr-defined]
        r = ReconciliationRun.__table__  # type: ignore[attr-defined]
        e = ReconciliationException.__table__  # type: ignore[attr-defined]
        n = Network.__table__  # type: ignore[attr-defined]
        with self._uow() as uow:
            connection = uow.session.connection()
            codes: dict[int, str] = dict(connection.execute(select(n.c.id, n.c.code)).all())
            collected = {
                (day, network): (int(count), int(total or 0))
                for network, day, count, total in connection.execute(
                    select(
                        c.c.network_id,
                        c.c.business_date,
                        func.count(),
                        func.sum(c.c.amount_centimes),
                    )
                    .where(c.c.business_date.between(first, last))
                    .group_by(c.c.network_id, c.c.business_date)
                )
            }
            status = {
                (day, network): str(state)
                for network, day, state in connection.execute(
                    select(d.c.network_id, d.c.business_date, d.c.status).where(
                        d.c.business_date.between(first, last)
                    )
                )
            }
            settled = {
                (day, network)
                for network, day in connection.execute(
                    select(s.c.network_id, s.c.business_date).where(
                        s.c.business_date.between(first, last)
                    )
                )
            }
            latest = {
                day: int(version)
                for day, version in connection.execute(
                    select(r.c.business_date, func.max(r.c.version))
                    .where(r.c.business_date.between(first, last))
                    .group_by(r.c.business_date)
                )
            }
            open_ = {
                (day, network): int(count)
                for day, version, network, count in connection.execute(
                    select(r.c.business_date, r.c.version, e.c.network_id, func.count())
                    .select_from(e.join(r, r.c.id == e.c.run_id))
                    .where(r.c.business_date.between(first, last))
                    .where(e.c.status == "open")
                    .group_by(r.c.business_date, r.c.version, e.c.network_id)
                )
                if latest.get(day) == version and network is not None
            }
        cells = []
        for key in sorted(set(collected) | set(status) | settled):
            day, network = key
            count, total = collected.get(key, (0, 0))
            reconciled = key in settled and day in latest
            open_count = open_.get(key, 0)
            if reconciled and open_count:
                state = "exceptions"
            elif reconciled:
                state = "reconciled"
            elif key in settled:
                state = "settled"
            else:
                state = status.get(key, "open")
            cells.append(
                DayCell(
                    day,
                    codes[network],
                    state,
                    count,
                    total,
                    open_count,
                    latest.get(day) if reconciled else None,
                )
            )
        return sorted(cells, key=lambda cell: (cell.business_date, cell.network))

    def kinds(self, actor: Actor, first: date, last: date) -> list[KindCount]:
        if actor.role not in READERS:
            raise Forbidden(f"the {actor.role.value} role may not do this")
        return exception_kinds(self._uow, first, last)


@dataclass(frozen=True)
class KindCount:
    business_date: date
    kind: str
    count: int


def exception_kinds(session_factory: UnitOfWorkFactory, first: date, last: date) -> list[KindCount]:
    """How many exceptions of each kind the current version of each day found."""
    r = ReconciliationRun.__table__  # type: ignore[attr-defined]
    e = ReconciliationException.__table__  # type: ignore[attr-defined]
    with session_factory() as uow:
        connection = uow.session.connection()
        latest = {
            day: int(version)
            for day, version in connection.execute(
                select(r.c.business_date, func.max(r.c.version))
                .where(r.c.business_date.between(first, last))
                .group_by(r.c.business_date)
            )
        }
        rows = connection.execute(
            select(r.c.business_date, r.c.version, e.c.kind, func.count())
            .select_from(e.join(r, r.c.id == e.c.run_id))
            .where(r.c.business_date.between(first, last))
            .group_by(r.c.business_date, r.c.version, e.c.kind)
        ).all()
    return sorted(
        (
            KindCount(day, str(kind), int(n))
            for day, version, kind, n in rows
            if latest[day] == version
        ),
        key=lambda k: (k.business_date, k.kind),
    )
