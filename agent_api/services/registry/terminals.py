"""Terminals as the back office manages them: creation with a one-time activation code,
suspension, reactivation, revocation, and a fresh code for a terminal still waiting.

A revoked terminal is final and its keys are revoked with it; the key history stays.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from agent_api.clock import Clock
from agent_api.domain import activation
from agent_api.domain.permissions import MANAGE_TERMINALS, READ_REGISTRY, require
from agent_api.domain.registry import TerminalStatus
from agent_api.domain.roles import Actor
from agent_api.errors import AlreadyExists, Conflict, NotFound
from agent_api.persistence.tables import Network, Office, Terminal, TerminalKey
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.services.log import audit_log
from agent_api.services.registry.registry import require_active, visible_office
from agent_api.services.registry.views import NewTerminal, TerminalKeyView, TerminalView


def terminal_view(session: Session, terminal: Terminal) -> TerminalView:
    office = session.get(Office, terminal.office_id)
    assert office is not None
    network = session.get(Network, office.network_id)
    assert network is not None
    keys = session.exec(
        select(TerminalKey)
        .where(TerminalKey.terminal_id == terminal.id)
        .order_by(col(TerminalKey.id))
    ).all()
    return TerminalView(
        id=terminal.id or 0,
        office=office.code,
        network=network.code,
        label=terminal.label,
        status=terminal.status,
        activation_expires_at=terminal.activation_expires_at,
        created_at=terminal.created_at,
        activated_at=terminal.activated_at,
        keys=[TerminalKeyView(k.keyid, k.status, k.created_at, k.retired_at) for k in keys],
    )


class TerminalAdminService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, *, code_ttl_seconds: int) -> None:
        self._uow = uow
        self._clock = clock
        self._code_ttl = timedelta(seconds=code_ttl_seconds)

    def _visible(self, session: Session, actor: Actor, terminal_id: int) -> Terminal:
        terminal = session.get(Terminal, terminal_id)
        if terminal is not None:
            office = session.get(Office, terminal.office_id)
            assert office is not None
            assert office.id is not None
            if actor.sees_office(office.id, office.network_id):
                return terminal
        raise NotFound(f"no terminal {terminal_id}", field="id")

    def create(self, actor: Actor, *, office: str, label: str) -> NewTerminal:
        require(actor, MANAGE_TERMINALS)
        now = self._clock()
        with self._uow() as uow:
            parent = visible_office(uow.session, actor, office, field="office")
            network = uow.session.get(Network, parent.network_id)
            assert network is not None
            assert parent.id is not None
            require_active(network, parent)
            terminal = Terminal(
                office_id=parent.id,
                label=label,
                status=TerminalStatus.PENDING,
                activation_secret_hash=None,
                activation_expires_at=now + self._code_ttl,
                activation_attempts=0,
                created_at=now,
                activated_at=None,
            )
            uow.session.add(terminal)
            try:
                uow.session.flush()  # the id is part of the code
            except IntegrityError:
                raise AlreadyExists(
                    f"office {office} already has a terminal labelled {label!r}", field="label"
                ) from None
            assert terminal.id is not None
            code, secret_hash = activation.new_code(terminal.id)
            terminal.activation_secret_hash = secret_hash
            uow.session.add(terminal)
            audit_log.append(
                uow.session,
                "terminal_created",
                {**audit_log.actor_facts(actor), "office": office},
                at=now,
            )
            uow.commit()
            return NewTerminal(terminal_view(uow.session, terminal), code)

    def list(
        self, actor: Actor, *, office: str | None, status: str | None, limit: int, offset: int
    ) -> list[TerminalView]:
        require(actor, READ_REGISTRY)
        with self._uow() as uow:
            query = (
                select(Terminal)
                .join(Office, Office.id == Terminal.office_id)  # type: ignore[arg-type]
                .order_by(col(Terminal.id))
                .limit(limit)
                .offset(offset)
            )
            if actor.scope != "national":
                query = query.where(Office.network_id == actor.network_id)
            if office is not None:
                query = query.where(Office.code == office)
            if status is not None:
                query = query.where(Terminal.status == status)
            return [terminal_view(uow.session, t) for t in uow.session.exec(query)]

    def get(self, actor: Actor, terminal_id: int) -> TerminalView:
        require(actor, READ_REGISTRY)
        with self._uow() as uow:
            return terminal_view(uow.session, self._visible(uow.session, actor, terminal_id))

    def suspend(self, actor: Actor, terminal_id: int) -> TerminalView:
        require(actor, MANAGE_TERMINALS)
        with self._uow() as uow:
            terminal = self._visible(uow.session, actor, terminal_id)
            if terminal.status == TerminalStatus.REVOKED:
                raise Conflict("a revoked terminal cannot be suspended", code="terminal_revoked")
            terminal.status = TerminalStatus.SUSPENDED
            uow.session.add(terminal)
            audit_log.append(
                uow.session,
                "terminal_suspended",
                {**audit_log.actor_facts(actor), "terminal": terminal_id},
                at=self._clock(),
            )
            uow.commit()
            return terminal_view(uow.session, terminal)

    def reactivate(self, actor: Actor, terminal_id: int) -> TerminalView:
        require(actor, MANAGE_TERMINALS)
        with self._uow() as uow:
            terminal = self._visible(uow.session, actor, terminal_id)
            if terminal.status == TerminalStatus.REVOKED:
                raise Conflict("a revoked terminal stays revoked", code="terminal_revoked")
            has_key = uow.session.exec(
                select(TerminalKey.id)
                .where(TerminalKey.terminal_id == terminal.id)
                .where(TerminalKey.status == "active")
            ).first()
            terminal.status = TerminalStatus.ACTIVE if has_key else TerminalStatus.PENDING
            uow.session.add(terminal)
            audit_log.append(
                uow.session,
                "terminal_reactivated",
                {**audit_log.actor_facts(actor), "terminal": terminal_id},
                at=self._clock(),
            )
            uow.commit()
            return terminal_view(uow.session, terminal)

    def revoke(self, actor: Actor, terminal_id: int) -> TerminalView:
        require(actor, MANAGE_TERMINALS)
        now = self._clock()
        with self._uow() as uow:
            terminal = self._visible(uow.session, actor, terminal_id)
            terminal.status = TerminalStatus.REVOKED
            terminal.activation_secret_hash = None
            terminal.activation_expires_at = None
            uow.session.add(terminal)
            uow.session.execute(
                update(TerminalKey)
                .where(TerminalKey.terminal_id == terminal.id)  # type: ignore[arg-type]
                .where(TerminalKey.status == "active")  # type: ignore[arg-type]
                .values(status="revoked", retired_at=now)
            )
            audit_log.append(
                uow.session,
                "terminal_revoked",
                {**audit_log.actor_facts(actor), "terminal": terminal_id},
                at=now,
            )
            uow.commit()
            return terminal_view(uow.session, terminal)

    def new_activation_code(self, actor: Actor, terminal_id: int) -> NewTerminal:
        """A fresh code for a terminal that has not activated yet (the old code dies)."""
        require(actor, MANAGE_TERMINALS)
        now = self._clock()
        with self._uow() as uow:
            terminal = self._visible(uow.session, actor, terminal_id)
            if terminal.status != TerminalStatus.PENDING:
                raise Conflict(
                    f"terminal {terminal_id} is {terminal.status}; only a pending terminal "
                    "gets an activation code",
                    code="terminal_not_pending",
                )
            assert terminal.id is not None
            code, secret_hash = activation.new_code(terminal.id)
            terminal.activation_secret_hash = secret_hash
            terminal.activation_expires_at = now + self._code_ttl
            terminal.activation_attempts = 0
            uow.session.add(terminal)
            audit_log.append(
                uow.session,
                "terminal_activation_code",
                {**audit_log.actor_facts(actor), "terminal": terminal_id},
                at=now,
            )
            uow.commit()
            return NewTerminal(terminal_view(uow.session, terminal), code)
