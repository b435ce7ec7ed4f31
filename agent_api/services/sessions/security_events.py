"""Security events: what auditors and network admins must see, recorded without secrets."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from agent_api import metrics
from agent_api.clock import Clock
from agent_api.domain.permissions import READ_SECURITY_EVENTS, require
from agent_api.domain.roles import Actor
from agent_api.persistence.tables import Network, Office, SecurityEvent, Terminal
from agent_api.persistence.unit_of_work import UnitOfWorkFactory

logger = logging.getLogger(__name__)

# Every kind the service records, for a reader's filter: a signed write's number used twice
# or skipped, a retired or revoked key still signing, activation codes and supervisor
# passwords guessed at, a terminal walking the registry of workers.
KINDS = (
    "sequence_gap",
    "idempotency_key_reused",
    "revoked_key_used",
    "activation_failed",
    "supervisor_refused",
    "worker_reads_throttled",
)


@dataclass(frozen=True)
class SecurityEventView:
    id: int
    occurred_at: datetime
    kind: str
    terminal_id: int | None
    office: str | None
    network: str | None
    keyid: str | None
    detail: dict[str, Any]


def record_event(
    session: Session,
    *,
    at: datetime,
    kind: str,
    terminal_id: int | None,
    keyid: str | None = None,
    **detail: Any,
) -> None:
    """Add an event to the caller's transaction (it is kept only if that commits)."""
    session.add(
        SecurityEvent(
            occurred_at=at,
            kind=kind,
            terminal_id=terminal_id,
            keyid=keyid,
            detail=json.dumps(detail, sort_keys=True, default=str),
        )
    )
    metrics.SECURITY_EVENTS.labels(kind).inc()
    logger.warning("security_event", extra={"kind": kind, "terminal_id": terminal_id, **detail})


class SecurityEventService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def record(
        self, kind: str, *, terminal_id: int | None, keyid: str | None = None, **detail: Any
    ) -> None:
        """Record an event in a transaction of its own: used when the request itself fails."""
        with self._uow() as uow:
            record_event(
                uow.session,
                at=self._clock(),
                kind=kind,
                terminal_id=terminal_id,
                keyid=keyid,
                **detail,
            )
            uow.commit()

    def list(
        self,
        actor: Actor,
        *,
        kind: str | None,
        terminal_id: int | None,
        limit: int,
        offset: int,
        network: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[SecurityEventView]:
        """Newest first, within the caller's scope; ``since`` inclusive, ``until`` exclusive."""
        require(actor, READ_SECURITY_EVENTS)
        with self._uow() as uow:
            query = (
                select(SecurityEvent, Office.code, Network.code)
                .outerjoin(Terminal, Terminal.id == SecurityEvent.terminal_id)  # type: ignore[arg-type]
                .outerjoin(Office, Office.id == Terminal.office_id)  # type: ignore[arg-type]
                .outerjoin(Network, Network.id == Office.network_id)  # type: ignore[arg-type]
                .order_by(col(SecurityEvent.id).desc())
                .limit(limit)
                .offset(offset)
            )
            if actor.scope != "national":
                # A network admin sees its own terminals' events only.
                query = query.where(Office.network_id == actor.network_id)
            if kind is not None:
                query = query.where(SecurityEvent.kind == kind)
            if terminal_id is not None:
                query = query.where(SecurityEvent.terminal_id == terminal_id)
            if network is not None:
                query = query.where(Network.code == network)
            if since is not None:
                query = query.where(col(SecurityEvent.occurred_at) >= since)
            if until is not None:
                query = query.where(col(SecurityEvent.occurred_at) < until)
            return [
                SecurityEventView(
                    id=e.id or 0,
                    occurred_at=e.occurred_at,
                    kind=e.kind,
                    terminal_id=e.terminal_id,
                    office=office,
                    network=network,
                    keyid=e.keyid,
                    detail=json.loads(e.detail),
                )
                for e, office, network in uow.session.exec(query)
            ]
