"""Step 2 of the daily run: what each network owes CNSS for a closed business day.

Per network and per office: collections (count, gross), reversals (count, amount), late
collections, commission and the net due. The commission follows the network's rule in force on
the settled business day (a rule changed by the CNSS admin applies from its effective date on:
``RegistryService.announce_commission``), fixed per transaction and/or basis points, on every
collection that stands (a reversed collection earns none), each rounded half up to the centime
on its own: ``fixed + (amount × bps + 5000) // 10000`` (``agent_api.domain.commission``), so a
network can recompute any settlement line by line. The statement names the rule it used and
the day that rule started.

net = gross − reversed − commission. A network paid per reimbursement file (a fee set by the
CNSS admin, dated like the commission: ``agent_api.services.registry.file_fees``) has a
second figure, due *to* it: the files handled that day (deposits taken on that business day
and not cancelled) × the fee in force, counted and multiplied in SQL in integer centimes. It
stays apart from ``net``, which is what the network transfers for the day's collections and
what the bank reconciliation matches; with no fee the statement says 0 and shows no line.

The settlement is made once per network and day (a
unique constraint; the day is closed, so its inputs never change again) and carries the
reference ``QURB-STL-<NETWORK>-<YYYYMMDD>`` the network quotes on its transfer. Its statement
is a JWS under the service's receipt key, verifiable with the keys at ``GET /v1/keys``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import jwt
from sqlalchemy import BigInteger, ColumnElement, Connection, and_, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from agent_api.clock import Clock
from agent_api.domain.commission import CommissionRule
from agent_api.domain.permissions import require
from agent_api.domain.roles import Actor, Role
from agent_api.errors import Conflict, NotFound
from agent_api.persistence.tables import (
    Contribution,
    Deposit,
    DepositCancellation,
    Network,
    Office,
    Receipt,
    Reversal,
)
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.services.accounts.business_days import is_closed
from agent_api.services.log import audit_log
from agent_api.services.registry.file_fees import file_fee_on
from agent_api.services.registry.registry import commission_rule_on
from agent_api.services.writes.receipts import ReceiptSigner
from reconciliation.closing import UnknownNetwork
from reconciliation.model import settlement_reference
from reconciliation.tables import Settlement, SettlementOffice

STATEMENT_TYPE = "qurb-settlement+jwt"


@dataclass(frozen=True)
class OfficeFigures:
    office: str
    collections: int
    gross_centimes: int
    reversals: int
    reversed_centimes: int
    commission_centimes: int

    @property
    def net_centimes(self) -> int:
        return self.gross_centimes - self.reversed_centimes - self.commission_centimes


@dataclass(frozen=True)
class SettlementView:
    reference: str
    network: str
    business_date: date
    collections: int
    gross_centimes: int
    reversals: int
    reversed_centimes: int
    late_collections: int
    commission_centimes: int
    net_centimes: int
    files_handled: int
    file_fee_centimes: int
    file_fees_centimes: int  # due to the network for its files; 0 when it has no fee
    created_at: datetime
    created_now: bool
    statement: dict[str, Any]
    statement_jws: str


class DayNotClosed(Conflict):
    """Raised when a settlement is asked for a business day that is still open."""

    code = "day_not_closed"


def proportional_commission(amount: ColumnElement[int], basis_points: int) -> ColumnElement[int]:
    """``(amount × bps + 5000) // 10000`` for one collection, as integer SQL.

    SQLAlchemy's ``/`` is true division: it renders ``/ CAST(10000 AS NUMERIC)`` on PostgreSQL
    and ``/ (10000 + 0.0)`` on SQLite, so each collection kept its fraction and the office's sum
    was truncated once, paying the network up to a centime per collection too much. ``//``
    renders a plain integer ``/`` on both engines for integer operands; both truncate toward
    zero, and every operand here is non-negative (``CHECK amount > 0``, ``bps`` in 0..10000),
    so truncation is floor and the result is the domain's half-up rounding, exactly.
    """
    return (amount * literal(basis_points, BigInteger) + literal(5000, BigInteger)) // literal(
        10000, BigInteger
    )


def office_figures(
    connection: Connection, network_id: int, day: date, rule: CommissionRule
) -> list[OfficeFigures]:
    """Per office, from the database in a few aggregate queries (fast on a national day)."""
    c = Contribution.__table__  # type: ignore[attr-defined]
    r = Reversal.__table__  # type: ignore[attr-defined]
    o = Office.__table__  # type: ignore[attr-defined]
    on_day = and_(c.c.network_id == network_id, c.c.business_date == day)
    gross = {
        office: (int(n), int(s))
        for office, n, s in connection.execute(
            select(c.c.office_id, func.count(), func.sum(c.c.amount_centimes))
            .where(on_day)
            .group_by(c.c.office_id)
        )
    }
    proportional = proportional_commission(c.c.amount_centimes, rule.basis_points)
    standing = {
        office: (int(n), int(p))
        for office, n, p in connection.execute(
            select(c.c.office_id, func.count(), func.coalesce(func.sum(proportional), 0))
            .select_from(c.outerjoin(r, r.c.contribution_id == c.c.id))
            .where(on_day)
            .where(r.c.id.is_(None))
            .group_by(c.c.office_id)
        )
    }
    reversed_ = {
        office: (int(n), int(s))
        for office, n, s in connection.execute(
            select(r.c.office_id, func.count(), func.sum(r.c.amount_centimes))
            .where(r.c.network_id == network_id)
            .where(r.c.business_date == day)
            .group_by(r.c.office_id)
        )
    }
    ids = set(gross) | set(reversed_)
    codes: dict[int, str] = dict(
        connection.execute(select(o.c.id, o.c.code).where(o.c.id.in_(list(ids)))).all()
    )
    figures = []
    for office_id in ids:
        count, amount = gross.get(office_id, (0, 0))
        n_standing, prop = standing.get(office_id, (0, 0))
        n_reversed, reversed_amount = reversed_.get(office_id, (0, 0))
        figures.append(
            OfficeFigures(
                office=codes[office_id],
                collections=count,
                gross_centimes=amount,
                reversals=n_reversed,
                reversed_centimes=reversed_amount,
                commission_centimes=n_standing * rule.fixed_centimes + prop,
            )
        )
    return sorted(figures, key=lambda f: f.office)


def files_handled(connection: Connection, network_id: int, day: date, fee: int) -> tuple[int, int]:
    """The network's files handled on ``day`` (deposits of that business day that were not
    cancelled; one sent to CNSS counts, it was handled) and what they earn at ``fee`` per
    file, both from one integer query."""
    d = Deposit.__table__  # type: ignore[attr-defined]
    x = DepositCancellation.__table__  # type: ignore[attr-defined]
    count = func.count(d.c.id)
    n, amount = connection.execute(
        select(count, count * literal(fee, BigInteger))
        .select_from(d.outerjoin(x, x.c.deposit_id == d.c.id))
        .where(d.c.network_id == network_id, d.c.business_date == day, x.c.id.is_(None))
    ).one()
    return int(n), int(amount)


def collections_digest(connection: Connection, network_id: int, day: date) -> str:
    """SHA-256 over ``<receipt>;<C|D>;<centimes>\\n`` for every collection and reversal of the
    day, in receipt order: an auditor recomputes it from the receipts alone."""
    c = Contribution.__table__  # type: ignore[attr-defined]
    r = Reversal.__table__  # type: ignore[attr-defined]
    rec = Receipt.__table__  # type: ignore[attr-defined]
    lines = [
        (number, "C", amount)
        for number, amount in connection.execute(
            select(rec.c.number, c.c.amount_centimes)
            .join(rec, rec.c.id == c.c.receipt_id)
            .where(c.c.network_id == network_id, c.c.business_date == day)
        )
    ]
    lines += [
        (number, "D", amount)
        for number, amount in connection.execute(
            select(rec.c.number, r.c.amount_centimes)
            .join(rec, rec.c.id == r.c.receipt_id)
            .where(r.c.network_id == network_id, r.c.business_date == day)
        )
    ]
    lines.sort()
    digest = hashlib.sha256()
    for number, sens, amount in lines:
        digest.update(f"{number};{sens};{amount}\n".encode())
    return digest.hexdigest()


class Settler:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, signer: ReceiptSigner) -> None:
        self._uow = uow
        self._clock = clock
        self._signer = signer

    def settle(
        self, day: date, *, networks: Sequence[str] | None = None, by: str
    ) -> list[SettlementView]:
        with self._uow() as uow:
            rows = uow.session.exec(_select_networks(networks)).all()
        known = {n.code for n in rows}
        missing = [code for code in networks or () if code not in known]
        if missing:
            raise UnknownNetwork(missing)
        return [self._settle_one(network, day, by) for network in rows]

    def _settle_one(self, network: Network, day: date, by: str) -> SettlementView:
        assert network.id is not None
        with self._uow() as uow:
            existing = _existing(uow.session, network.id, day)
            if existing is not None:
                return _view(existing, network.code, created_now=False)
            if not is_closed(uow.session, network.id, day):
                raise DayNotClosed(
                    f"business day {day.isoformat()} of {network.code} is still open: "
                    "close it first (qurb-reconcile close)"
                )
            settlement = self._compute(uow.session, network, day, by)
            audit_log.append(
                uow.session,
                "settlement",
                {
                    "by": by,
                    "reference": settlement.reference,
                    "network": network.code,
                    "business_date": day.isoformat(),
                    "collections": settlement.collections,
                    "gross_centimes": settlement.gross_centimes,
                    "reversed_centimes": settlement.reversed_centimes,
                    "commission_centimes": settlement.commission_centimes,
                    "net_centimes": settlement.net_centimes,
                    "file_fees_centimes": settlement.file_fees_centimes,
                    "collections_digest": settlement.collections_digest,
                },
                at=settlement.created_at,
            )
            try:
                uow.session.flush()
            except IntegrityError:
                # Settled by a concurrent run meanwhile: the settlement is theirs.
                uow.session.rollback()
                existing = _existing(uow.session, network.id, day)
                assert existing is not None
                return _view(existing, network.code, created_now=False)
            uow.commit()
        return _view(settlement, network.code, created_now=True)

    def _compute(self, session: Session, network: Network, day: date, by: str) -> Settlement:
        assert network.id is not None
        connection = session.connection()
        dated = commission_rule_on(session, network, day)
        rule = dated.rule
        offices = office_figures(connection, network.id, day, rule)
        c = Contribution.__table__  # type: ignore[attr-defined]
        late = connection.execute(
            select(func.count()).where(
                c.c.network_id == network.id, c.c.business_date == day, c.c.late.is_(True)
            )
        ).scalar_one()
        now = self._clock()
        reference = settlement_reference(network.code, day)
        totals = {
            "collections": sum(f.collections for f in offices),
            "gross_centimes": sum(f.gross_centimes for f in offices),
            "reversals": sum(f.reversals for f in offices),
            "reversed_centimes": sum(f.reversed_centimes for f in offices),
            "late_collections": int(late),
            "commission_centimes": sum(f.commission_centimes for f in offices),
            "net_centimes": sum(f.net_centimes for f in offices),
        }
        digest = collections_digest(connection, network.id, day)
        fee = file_fee_on(session, network.id, day)
        files, fees = files_handled(connection, network.id, day, fee)
        statement: dict[str, Any] = {
            "type": "settlement",
            "reference": reference,
            "network": {"code": network.code, "name": network.name},
            "payer_account": network.settlement_account,
            "business_date": day.isoformat(),
            "currency": "MAD",
            "commission_rule": {
                "fixed_centimes": rule.fixed_centimes,
                "basis_points": rule.basis_points,
                "rounding": "per collection that stands: fixed + (amount * bps + 5000) // 10000",
                # The first business day of this rule; None: the rule the network was created
                # with, in force from its first day.
                "effective_from": (
                    dated.effective_from.isoformat() if dated.effective_from else None
                ),
            },
            "totals": totals,
            "file_fees": {"files_handled": files, "fee_centimes": fee, "amount_centimes": fees},
            "offices": [
                {
                    "office": f.office,
                    "collections": f.collections,
                    "gross_centimes": f.gross_centimes,
                    "reversals": f.reversals,
                    "reversed_centimes": f.reversed_centimes,
                    "commission_centimes": f.commission_centimes,
                    "net_centimes": f.net_centimes,
                }
                for f in offices
            ],
            "collections_digest": digest,
            "settled_at": now.isoformat(),
        }
        settlement = Settlement(
            network_id=network.id,
            business_date=day,
            reference=reference,
            collections=totals["collections"],
            gross_centimes=totals["gross_centimes"],
            reversals=totals["reversals"],
            reversed_centimes=totals["reversed_centimes"],
            late_collections=totals["late_collections"],
            commission_centimes=totals["commission_centimes"],
            net_centimes=totals["net_centimes"],
            commission_fixed_centimes=rule.fixed_centimes,
            commission_bps=rule.basis_points,
            files_handled=files,
            file_fee_centimes=fee,
            file_fees_centimes=fees,
            collections_digest=digest,
            statement_jws=self._signer.sign(statement, typ=STATEMENT_TYPE),
            created_at=now,
            created_by=by,
        )
        session.add(settlement)
        session.flush()
        assert settlement.id is not None
        office_ids = {
            code: office_id
            for code, office_id in session.exec(
                orm_select(Office.code, Office.id).where(col(Office.network_id) == network.id)
            ).all()
            if office_id is not None
        }
        for f in offices:
            session.add(
                SettlementOffice(
                    settlement_id=settlement.id,
                    office_id=office_ids[f.office],
                    collections=f.collections,
                    gross_centimes=f.gross_centimes,
                    reversals=f.reversals,
                    reversed_centimes=f.reversed_centimes,
                    commission_centimes=f.commission_centimes,
                    net_centimes=f.net_centimes,
                )
            )
        return settlement


def _select_networks(networks: Sequence[str] | None) -> Any:
    query = orm_select(Network).order_by(col(Network.code))
    if networks:
        query = query.where(col(Network.code).in_(list(networks)))
    return query


def _existing(session: Session, network_id: int, day: date) -> Settlement | None:
    return session.exec(
        orm_select(Settlement)
        .where(Settlement.network_id == network_id)
        .where(Settlement.business_date == day)
    ).first()


def _view(row: Settlement, network: str, *, created_now: bool) -> SettlementView:
    # Our own signed statement, read back from our own row: the payload is what we signed.
    statement = jwt.decode(row.statement_jws, options={"verify_signature": False})
    return SettlementView(
        reference=row.reference,
        network=network,
        business_date=row.business_date,
        collections=row.collections,
        gross_centimes=row.gross_centimes,
        reversals=row.reversals,
        reversed_centimes=row.reversed_centimes,
        late_collections=row.late_collections,
        commission_centimes=row.commission_centimes,
        net_centimes=row.net_centimes,
        files_handled=row.files_handled,
        file_fee_centimes=row.file_fee_centimes,
        file_fees_centimes=row.file_fees_centimes,
        created_at=row.created_at,
        created_now=created_now,
        statement=statement,
        statement_jws=row.statement_jws,
    )


SETTLEMENT_READERS = frozenset({Role.FINANCE, Role.AUDITOR, Role.CNSS_ADMIN, Role.NETWORK_ADMIN})


class SettlementQueries:
    """Reading settlements: CNSS roles see every network, a network admin its own (another
    network's settlement is "not found", as everywhere in the back office)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def list(
        self,
        actor: Actor,
        *,
        business_date: date | None,
        network: str | None,
        limit: int,
        offset: int,
    ) -> list[SettlementView]:
        require(actor, SETTLEMENT_READERS)
        with self._uow() as uow:
            query = orm_select(Settlement, Network).join(
                Network, col(Network.id) == col(Settlement.network_id)
            )
            if business_date is not None:
                query = query.where(Settlement.business_date == business_date)
            if network is not None:
                query = query.where(Network.code == network)
            if actor.scope != "national":
                query = query.where(Settlement.network_id == actor.network_id)
            rows = uow.session.exec(
                query.order_by(col(Settlement.business_date).desc(), col(Network.code))
                .limit(limit)
                .offset(offset)
            ).all()
            return [_view(s, n.code, created_now=False) for s, n in rows]

    def get(self, actor: Actor, reference: str) -> SettlementView:
        require(actor, SETTLEMENT_READERS)
        with self._uow() as uow:
            found = uow.session.exec(
                orm_select(Settlement, Network)
                .join(Network, col(Network.id) == col(Settlement.network_id))
                .where(Settlement.reference == reference)
            ).first()
            if found is None or not actor.sees_network(found[0].network_id):
                raise NotFound(f"no settlement {reference}")
            return _view(found[0], found[1].code, created_now=False)
