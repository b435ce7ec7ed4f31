"""Networks and offices: creation, listing and suspension, within the caller's scope.

An object outside the caller's scope is reported as not found, never as forbidden: a network
admin must not learn that another network's office exists.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from agent_api.clock import Clock
from agent_api.domain.permissions import MANAGE_NETWORKS, MANAGE_OFFICES, READ_REGISTRY, require
from agent_api.domain.registry import NetworkStatus, OfficeStatus
from agent_api.domain.roles import Actor
from agent_api.errors import AlreadyExists, Inactive, NotFound
from agent_api.persistence.tables import Network, Office
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.services import audit_log
from agent_api.services.views import NetworkView, OfficeView


def network_view(row: Network) -> NetworkView:
    return NetworkView(
        code=row.code,
        name=row.name,
        commission_fixed_centimes=row.commission_fixed_centimes,
        commission_bps=row.commission_bps,
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
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

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
            return [network_view(n) for n in uow.session.exec(query)]

    def get_network(self, actor: Actor, code: str) -> NetworkView:
        require(actor, READ_REGISTRY)
        with self._uow() as uow:
            return network_view(visible_network(uow.session, actor, code, field="code"))

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
            uow.commit()
            return network_view(network)

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
