"""The queries of the cash-drawer close: what a drawer should hold, the close already made,
and the closes of an office or a network (``services.accounts.drawer_closes`` decides)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, and_, cast, func, or_, select
from sqlmodel import Session, col
from sqlmodel import select as select_models

from agent_api.persistence.tables import Contribution, DrawerClose, Office, Reversal, Terminal, User


@dataclass(frozen=True)
class Expected:
    """What a drawer should hold, from the database: collections in, reversals out."""

    collections: int
    collected_centimes: int
    reversals: int
    reversed_centimes: int

    @property
    def expected_centimes(self) -> int:
        return self.collected_centimes - self.reversed_centimes


def expected_cash(session: Session, office_id: int, terminal_id: int, day: date) -> Expected:
    """The terminal's collections taken on ``day`` and the reversals it paid back that day,
    summed by the database as BIGINTs (PostgreSQL's SUM of a BIGINT is a NUMERIC: cast
    back, never through a float).

    A collection counts on the day it was taken: one that joined a later settlement day
    because its own was closed (``late``) counts on its ``signed_business_date``."""

    def total(amount: Any) -> Any:
        return cast(func.coalesce(func.sum(amount), 0), BigInteger)

    taken_that_day = or_(
        and_(
            col(Contribution.business_date) == day,
            col(Contribution.signed_business_date).is_(None),
        ),
        col(Contribution.signed_business_date) == day,
    )
    collected = (
        select(func.count(), total(Contribution.amount_centimes))
        .where(col(Contribution.office_id) == office_id)
        # Every row taken that day belongs to it or to a later day (a late one): the range
        # keeps the read on the office's days from ``day`` on (ix_contributions_office_day),
        # not on its whole history.
        .where(col(Contribution.business_date) >= day)
        .where(col(Contribution.terminal_id) == terminal_id)
        .where(taken_that_day)
    )
    paid_back = (
        select(func.count(), total(Reversal.amount_centimes))
        .where(col(Reversal.office_id) == office_id)  # its index: an office's few reversals
        .where(col(Reversal.terminal_id) == terminal_id)
        .where(col(Reversal.business_date) == day)
    )
    collections, collected_centimes = session.execute(collected).one()
    reversals, reversed_centimes = session.execute(paid_back).one()
    return Expected(
        int(collections), int(collected_centimes), int(reversals), int(reversed_centimes)
    )


def existing_close(session: Session, terminal_id: int, day: date) -> DrawerClose | None:
    """The close of this drawer's day, if one was made (by the unique constraint, one)."""
    found: DrawerClose | None = session.execute(
        select(DrawerClose)
        .where(col(DrawerClose.terminal_id) == terminal_id)
        .where(col(DrawerClose.business_date) == day)
    ).scalar_one_or_none()
    return found


@dataclass(frozen=True)
class ClosedDrawer:
    """A close with the names it is read by: its office's code, its terminal's label and
    the operator's username."""

    close: DrawerClose
    office: str
    terminal: str
    operator: str


def closes_of(
    session: Session, day: date, *, office_id: int | None = None, network_id: int | None = None
) -> list[ClosedDrawer]:
    """The signed closes of ``day`` of one office, or of every office of one network."""
    if (office_id is None) == (network_id is None):
        raise ValueError("closes are read for one office or one network")
    scope = (
        col(DrawerClose.office_id) == office_id
        if office_id is not None
        else col(DrawerClose.network_id) == network_id
    )
    rows = session.exec(
        select_models(DrawerClose, Office.code, Terminal.label, User.username)
        .join(Office, col(Office.id) == DrawerClose.office_id)
        .join(Terminal, col(Terminal.id) == DrawerClose.terminal_id)
        .join(User, col(User.id) == DrawerClose.operator_id)
        .where(scope, col(DrawerClose.business_date) == day)
        .where(col(DrawerClose.number).is_not(None))
        .order_by(Office.code, Terminal.label)
    ).all()
    return [ClosedDrawer(close, office, label, username) for close, office, label, username in rows]
