"""Networks and offices: creation, listing and suspension, within the caller's scope; a
network's commission rule changed from a future business date.

An object outside the caller's scope is reported as not found, never as forbidden: a network
admin must not learn that another network's office exists.

A network's commission rule is effective-dated (``agent_api.domain.commission``): the rule it
was created with stays on its row, each change is a ``CommissionChange`` row from a business
date at least one day after the current one. Announcing again for a date that is still in the
future replaces what was announced for it (the unique constraint on network and date decides,
under concurrency too); a date that has come is refused like any date not in the future. The
settlement asks ``commission_rule_on`` for the rule of the day it settles.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from agent_api.clock import Clock
from agent_api.domain.business_day import business_date
from agent_api.domain.commission import (
    MAX_BASIS_POINTS,
    CommissionRule,
    DatedRule,
    first_changeable_day,
    rule_on,
)
from agent_api.domain.permissions import MANAGE_NETWORKS, MANAGE_OFFICES, READ_REGISTRY, require
from agent_api.domain.registry import NetworkStatus, OfficeStatus
from agent_api.domain.roles import Actor
from agent_api.errors import AlreadyExists, Conflict, Inactive, NotFound, ValidationFailed
from agent_api.persistence.sql import insert_ignoring_duplicates
from agent_api.persistence.tables import BusinessDay, Network, Office
from agent_api.persistence.tables.registry import CommissionChange
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.services.log import audit_log
from agent_api.services.registry.views import NetworkView, OfficeView

# The most a fixed commission may be, as the API's input model bounds it: 100 000,00 MAD.
MAX_FIXED_CENTIMES = 100_000_00


@dataclass(frozen=True)
class CommissionRuleView:
    """One rule of a network's history: from ``effective_from`` (``None``: since the network
    was created) through ``until`` (``None``: open-ended), who announced it and when."""

    fixed_centimes: int
    basis_points: int
    effective_from: date | None
    until: date | None
    announced_at: datetime
    announced_by: str | None


@dataclass(frozen=True)
class CommissionRulesView:
    """A network's rules as of the current business day: the one in force, those announced
    for later days (soonest first), and every rule that has applied (newest first, the one in
    force included); ``first_changeable_day`` is the earliest date a new rule may start."""

    network: str
    business_date: date
    current: CommissionRuleView
    scheduled: list[CommissionRuleView]
    history: list[CommissionRuleView]
    first_changeable_day: date


@dataclass(frozen=True)
class CommissionAnnounced:
    network: str
    rule: CommissionRuleView
    replaced: bool


def network_view(row: Network, current: CommissionRule | None = None) -> NetworkView:
    """The network with the commission rule in force today (``current``), or, without it,
    the rule it was created with."""
    rule = current or CommissionRule(row.commission_fixed_centimes, row.commission_bps)
    return NetworkView(
        code=row.code,
        name=row.name,
        commission_fixed_centimes=rule.fixed_centimes,
        commission_bps=rule.basis_points,
        settlement_account=row.settlement_account,
        status=row.status,
        created_at=row.created_at,
    )


def office_view(row: Office, network_code: str) -> OfficeView:
    return OfficeView(
        code=row.code,
        network=network_code,
        name=row.name,
        city=row.city,
        region=row.region,
        status=row.status,
        created_at=row.created_at,
    )


def visible_network(session: Session, actor: Actor, code: str, *, field: str) -> Network:
    network = session.exec(select(Network).where(Network.code == code)).first()
    if network is None or network.id is None or not actor.sees_network(network.id):
        raise NotFound(f"no network {code!r}", field=field)
    return network


def initial_rule(network: Network) -> CommissionRule:
    return CommissionRule(network.commission_fixed_centimes, network.commission_bps)


def _dated(change: CommissionChange) -> DatedRule:
    return DatedRule(
        CommissionRule(change.fixed_centimes, change.basis_points), change.effective_from
    )


def _changes_up_to(
    session: Session, network_ids: Iterable[int], day: date
) -> dict[int, list[DatedRule]]:
    found: dict[int, list[DatedRule]] = {}
    rows = session.exec(
        select(CommissionChange)
        .where(col(CommissionChange.network_id).in_(list(network_ids)))
        .where(CommissionChange.effective_from <= day)
    )
    for change in rows:
        found.setdefault(change.network_id, []).append(_dated(change))
    return found


def commission_rule_on(session: Session, network: Network, day: date) -> DatedRule:
    """The commission rule in force on business day ``day`` for ``network``: the settlement's
    rule for that day."""
    assert network.id is not None
    changes = _changes_up_to(session, [network.id], day).get(network.id, [])
    return rule_on(day, initial_rule(network), changes)


def _current_rules(
    session: Session, networks: list[Network], today: date
) -> dict[int, CommissionRule]:
    ids = [n.id for n in networks if n.id is not None]
    changes = _changes_up_to(session, ids, today)
    return {
        n.id: rule_on(today, initial_rule(n), changes.get(n.id, [])).rule
        for n in networks
        if n.id is not None
    }


def visible_office(session: Session, actor: Actor, code: str, *, field: str) -> Office:
    office = session.exec(select(Office).where(Office.code == code)).first()
    if office is None or office.id is None or not actor.sees_office(office.id, office.network_id):
        raise NotFound(f"no office {code!r}", field=field)
    return office


def require_active(network: Network, office: Office | None = None) -> None:
    if network.status != NetworkStatus.ACTIVE:
        raise Inactive(f"network {network.code} is suspended", code="network_suspended")
    if office is not None and office.status != OfficeStatus.ACTIVE:
        raise Inactive(f"office {office.code} is suspended", code="office_suspended")


class RegistryService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, *, cutoff: time = time(0, 0)) -> None:
        self._uow = uow
        self._clock = clock
        # The business day's cutoff: past it, collections join tomorrow, so tomorrow is no
        # longer a day a commission change may start from.
        self._cutoff = cutoff

    def _today(self) -> date:
        return business_date(self._clock(), self._cutoff)

    # -- networks -------------------------------------------------------------------------
    def create_network(
        self,
        actor: Actor,
        *,
        code: str,
        name: str,
        commission_fixed_centimes: int,
        commission_bps: int,
        settlement_account: str,
    ) -> NetworkView:
        require(actor, MANAGE_NETWORKS)
        with self._uow() as uow:
            row = Network(
                code=code,
                name=name,
                commission_fixed_centimes=commission_fixed_centimes,
                commission_bps=commission_bps,
                settlement_account=settlement_account,
                status=NetworkStatus.ACTIVE,
                created_at=self._clock(),
            )
            uow.session.add(row)
            try:
                uow.session.flush()
            except IntegrityError:
                raise AlreadyExists(f"network {code!r} already exists", field="code") from None
            audit_log.append(
                uow.session,
                "network_created",
                {**audit_log.actor_facts(actor), "network": code},
                at=self._clock(),
            )
            uow.commit()
            return network_view(row)

    def list_networks(self, actor: Actor, *, limit: int, offset: int) -> list[NetworkView]:
        require(actor, READ_REGISTRY)
        with self._uow() as uow:
            query = select(Network).order_by(col(Network.code)).limit(limit).offset(offset)
            if actor.scope != "national":
                query = query.where(Network.id == actor.network_id)
            rows = list(uow.session.exec(query))
            current = _current_rules(uow.session, rows, self._today())
            return [network_view(n, current.get(n.id or 0)) for n in rows]

    def get_network(self, actor: Actor, code: str) -> NetworkView:
        require(actor, READ_REGISTRY)
        with self._uow() as uow:
            network = visible_network(uow.session, actor, code, field="code")
            assert network.id is not None
            current = _current_rules(uow.session, [network], self._today())
            return network_view(network, current[network.id])

    def set_network_status(self, actor: Actor, code: str, status: NetworkStatus) -> NetworkView:
        require(actor, MANAGE_NETWORKS)
        with self._uow() as uow:
            network = visible_network(uow.session, actor, code, field="code")
            network.status = status
            uow.session.add(network)
            audit_log.append(
                uow.session,
                "network_status",
                {**audit_log.actor_facts(actor), "network": network.code, "status": network.status},
                at=self._clock(),
            )
            assert network.id is not None
            current = _current_rules(uow.session, [network], self._today())
            uow.commit()
            return network_view(network, current[network.id])

    # -- commission rules -----------------------------------------------------------------
    def commission_rules(self, actor: Actor, code: str) -> CommissionRulesView:
        """The rule in force, those announced, and the history, of a network the caller
        sees (national readers: any; a network admin: its own)."""
        require(actor, READ_REGISTRY)
        today = self._today()
        with self._uow() as uow:
            network = visible_network(uow.session, actor, code, field="code")
            changes = list(
                uow.session.exec(
                    select(CommissionChange)
                    .where(CommissionChange.network_id == network.id)
                    .order_by(col(CommissionChange.effective_from))
                )
            )
            return _rules_view(network, changes, today)

    def announce_commission(
        self,
        actor: Actor,
        code: str,
        *,
        effective_from: date,
        fixed_centimes: int,
        basis_points: int,
    ) -> CommissionAnnounced:
        """A new commission rule for the network from ``effective_from``, a business date
        after the current one. A rule already announced for that same date is replaced (it
        has not applied to anything yet); one audit leaf per announcement, in its
        transaction."""
        require(actor, MANAGE_NETWORKS)
        earliest = first_changeable_day(self._clock(), self._cutoff)
        if effective_from < earliest:
            raise ValidationFailed(
                f"effective_from: must be a future business date, {earliest.isoformat()} or "
                "later (days already collected or settled keep their rule)",
                field="effective_from",
            )
        if isinstance(fixed_centimes, bool) or not 0 <= fixed_centimes <= MAX_FIXED_CENTIMES:
            raise ValidationFailed(
                f"fixed_centimes: must be whole centimes from 0 to {MAX_FIXED_CENTIMES}",
                field="fixed_centimes",
            )
        if isinstance(basis_points, bool) or not 0 <= basis_points <= MAX_BASIS_POINTS:
            raise ValidationFailed(
                f"basis_points: must be a whole number from 0 to {MAX_BASIS_POINTS}",
                field="basis_points",
            )
        now = self._clock()
        with self._uow() as uow:
            network = visible_network(uow.session, actor, code, field="code")
            assert network.id is not None
            refuse_if_closed_from(uow.session, network, effective_from)
            values = {
                "network_id": network.id,
                "effective_from": effective_from,
                "fixed_centimes": fixed_centimes,
                "basis_points": basis_points,
                "announced_at": now,
                "announced_by": actor.username,
            }
            connection = uow.session.connection()
            table = CommissionChange.__table__  # type: ignore[attr-defined]
            unique = ("network_id", "effective_from")
            inserted = connection.execute(
                insert_ignoring_duplicates(table, connection, unique).returning(table.c.id),
                values,
            ).first()
            # Announced for that date before (or by a concurrent request that got there
            # first): the row is locked and takes this announcement's rule; the last
            # announcement to commit is the rule, and each has its leaf.
            row = uow.session.exec(
                select(CommissionChange)
                .where(CommissionChange.network_id == network.id)
                .where(CommissionChange.effective_from == effective_from)
                .with_for_update()
            ).one()
            replaced = inserted is None
            if replaced:
                row.fixed_centimes = fixed_centimes
                row.basis_points = basis_points
                row.announced_at = now
                row.announced_by = actor.username
                uow.session.add(row)
            audit_log.append(
                uow.session,
                "commission_change",
                {
                    **audit_log.actor_facts(actor),
                    "network": network.code,
                    "effective_from": effective_from.isoformat(),
                    "fixed_centimes": fixed_centimes,
                    "basis_points": basis_points,
                    "replaced": replaced,
                },
                at=now,
            )
            view = _rule_view(row, until=None)
            uow.commit()
            return CommissionAnnounced(network=network.code, rule=view, replaced=replaced)

    # -- offices --------------------------------------------------------------------------
    def create_office(
        self, actor: Actor, *, code: str, network: str, name: str, city: str, region: str
    ) -> OfficeView:
        require(actor, MANAGE_OFFICES)
        with self._uow() as uow:
            parent = visible_network(uow.session, actor, network, field="network")
            require_active(parent)
            assert parent.id is not None
            row = Office(
                code=code,
                network_id=parent.id,
                name=name,
                city=city,
                region=region,
                status=OfficeStatus.ACTIVE,
                created_at=self._clock(),
            )
            uow.session.add(row)
            try:
                uow.session.flush()
            except IntegrityError:
                raise AlreadyExists(f"office {code!r} already exists", field="code") from None
            audit_log.append(
                uow.session,
                "office_created",
                {**audit_log.actor_facts(actor), "office": code},
                at=self._clock(),
            )
            uow.commit()
            return office_view(row, parent.code)

    def list_offices(
        self, actor: Actor, *, network: str | None, city: str | None, limit: int, offset: int
    ) -> list[OfficeView]:
        require(actor, READ_REGISTRY)
        with self._uow() as uow:
            query = (
                select(Office, Network.code)
                .join(Network, Network.id == Office.network_id)  # type: ignore[arg-type]
                .order_by(col(Office.code))
                .limit(limit)
                .offset(offset)
            )
            if actor.scope != "national":
                query = query.where(Office.network_id == actor.network_id)
            if network is not None:
                query = query.where(Network.code == network)
            if city is not None:
                query = query.where(Office.city == city)
            return [office_view(o, n) for o, n in uow.session.exec(query)]

    def get_office(self, actor: Actor, code: str) -> OfficeView:
        require(actor, READ_REGISTRY)
        with self._uow() as uow:
            office = visible_office(uow.session, actor, code, field="code")
            parent = uow.session.get(Network, office.network_id)
            assert parent is not None
            return office_view(office, parent.code)

    def set_office_status(self, actor: Actor, code: str, status: OfficeStatus) -> OfficeView:
        require(actor, MANAGE_OFFICES)
        with self._uow() as uow:
            office = visible_office(uow.session, actor, code, field="code")
            parent = uow.session.get(Network, office.network_id)
            assert parent is not None
            if status == OfficeStatus.ACTIVE:
                require_active(parent)
            office.status = status
            uow.session.add(office)
            audit_log.append(
                uow.session,
                "office_status",
                {**audit_log.actor_facts(actor), "office": office.code, "status": office.status},
                at=self._clock(),
            )
            uow.commit()
            return office_view(office, parent.code)


def refuse_if_closed_from(session: Session, network: Network, day: date) -> None:
    """A day from ``day`` on already closed for the network (closed ahead of time by hand)
    has its collections fixed: its rule must not change under it."""
    closed = session.exec(
        select(col(BusinessDay.business_date))
        .where(BusinessDay.network_id == network.id)
        .where(BusinessDay.business_date >= day)
        .where(BusinessDay.status == "closed")
        .order_by(col(BusinessDay.business_date))
    ).first()
    if closed is not None:
        raise Conflict(
            f"effective_from: business day {closed.isoformat()} of {network.code} is already "
            "closed; a new rule must start after it",
            code="day_already_closed",
            field="effective_from",
        )


def _rule_view(row: CommissionChange, *, until: date | None) -> CommissionRuleView:
    return CommissionRuleView(
        fixed_centimes=row.fixed_centimes,
        basis_points=row.basis_points,
        effective_from=row.effective_from,
        until=until,
        announced_at=row.announced_at,
        announced_by=row.announced_by,
    )


def _rules_view(
    network: Network, changes: list[CommissionChange], today: date
) -> CommissionRulesView:
    """``changes`` in date order: each runs until the day before the next one starts."""
    rules = [
        CommissionRuleView(
            fixed_centimes=network.commission_fixed_centimes,
            basis_points=network.commission_bps,
            effective_from=None,
            until=None,
            announced_at=network.created_at,
            announced_by=None,
        )
    ]
    for row in changes:
        previous = rules[-1]
        rules[-1] = replace(previous, until=row.effective_from - timedelta(days=1))
        rules.append(_rule_view(row, until=None))
    started = [r for r in rules if r.effective_from is None or r.effective_from <= today]
    return CommissionRulesView(
        network=network.code,
        business_date=today,
        current=started[-1],
        scheduled=[r for r in rules if r.effective_from is not None and r.effective_from > today],
        history=started[::-1],
        first_changeable_day=today + timedelta(days=1),
    )
