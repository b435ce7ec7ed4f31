"""A network's fee per reimbursement file handled, set by the CNSS admin from a future
business date, like its commission rule (``registry.announce_commission``).

Some networks are paid by CNSS for each file their counters take. The fee of a day is the one
set with the latest ``effective_from`` on or before it; a network never given one has no
fee (0), and its settlement shows no line. A day already collected, closed or settled keeps
its fee: a new fee starts the day after the current business day at the earliest, and never
on or before a day already closed. Setting again for a date still to come replaces what was
set for it (the unique constraint decides, concurrent requests too); each setting is an audit
leaf, in its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlmodel import Session, col, select

from agent_api.clock import Clock
from agent_api.domain.business_day import business_date
from agent_api.domain.commission import first_changeable_day
from agent_api.domain.permissions import MANAGE_NETWORKS, READ_REGISTRY, require
from agent_api.domain.roles import Actor
from agent_api.errors import ValidationFailed
from agent_api.persistence.sql import insert_ignoring_duplicates
from agent_api.persistence.tables import NetworkFileFee
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.services.log import audit_log
from agent_api.services.registry.registry import refuse_if_closed_from, visible_network

# The most a fee per file may be: 1 000,00 MAD, far above any fee a network is paid.
MAX_FEE_CENTIMES = 1_000_00


@dataclass(frozen=True)
class FileFeeView:
    """One fee of a network's history: from ``effective_from`` through ``until`` (``None``:
    open-ended), who set it and when."""

    fee_centimes: int
    effective_from: date
    until: date | None
    announced_at: datetime
    announced_by: str


@dataclass(frozen=True)
class FileFeesView:
    network: str
    current_centimes: int  # the fee in force today; 0 when none
    announced: list[FileFeeView]  # from a day still to come
    history: list[FileFeeView]  # in force today or before, newest first


def file_fee_on(session: Session, network_id: int, day: date) -> int:
    """The fee per file in force on business day ``day``: the settlement's fee; 0 when the
    network has none."""
    found = session.exec(
        select(NetworkFileFee.fee_centimes)
        .where(NetworkFileFee.network_id == network_id)
        .where(NetworkFileFee.effective_from <= day)
        .order_by(col(NetworkFileFee.effective_from).desc())
    ).first()
    return int(found or 0)


class FileFees:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, *, cutoff: time = time(0, 0)) -> None:
        self._uow = uow
        self._clock = clock
        self._cutoff = cutoff

    def of_network(self, actor: Actor, code: str) -> FileFeesView:
        require(actor, READ_REGISTRY)
        today = business_date(self._clock(), self._cutoff)
        with self._uow() as uow:
            network = visible_network(uow.session, actor, code, field="code")
            rows = list(
                uow.session.exec(
                    select(NetworkFileFee)
                    .where(NetworkFileFee.network_id == network.id)
                    .order_by(col(NetworkFileFee.effective_from))
                )
            )
        views = [
            FileFeeView(
                r.fee_centimes,
                r.effective_from,
                rows[i + 1].effective_from if i + 1 < len(rows) else None,
                r.announced_at,
                r.announced_by,
            )
            for i, r in enumerate(rows)
        ]
        past = [v for v in views if v.effective_from <= today]
        return FileFeesView(
            network=network.code,
            current_centimes=past[-1].fee_centimes if past else 0,
            announced=[v for v in views if v.effective_from > today],
            history=list(reversed(past)),
        )

    def announce(
        self, actor: Actor, code: str, *, effective_from: date, fee_centimes: int
    ) -> FileFeeView:
        """The network's fee per file from ``effective_from`` (0: no fee from that day)."""
        require(actor, MANAGE_NETWORKS)
        earliest = first_changeable_day(self._clock(), self._cutoff)
        if effective_from < earliest:
            raise ValidationFailed(
                f"effective_from: must be a future business date, {earliest.isoformat()} or "
                "later (days already collected or settled keep their fee)",
                field="effective_from",
            )
        if isinstance(fee_centimes, bool) or not 0 <= fee_centimes <= MAX_FEE_CENTIMES:
            raise ValidationFailed(
                f"fee_centimes: must be whole centimes from 0 to {MAX_FEE_CENTIMES}",
                field="fee_centimes",
            )
        now = self._clock()
        with self._uow() as uow:
            network = visible_network(uow.session, actor, code, field="code")
            assert network.id is not None
            refuse_if_closed_from(uow.session, network, effective_from)
            connection = uow.session.connection()
            table = NetworkFileFee.__table__  # type: ignore[attr-defined]
            inserted = connection.execute(
                insert_ignoring_duplicates(
                    table, connection, ("network_id", "effective_from")
                ).returning(table.c.id),
                {
                    "network_id": network.id,
                    "effective_from": effective_from,
                    "fee_centimes": fee_centimes,
                    "announced_at": now,
                    "announced_by": actor.username,
                },
            ).first()
            # Set for that date before (or by a concurrent request that got there first): the
            # row is locked and takes this fee; the last to commit is the fee, each its leaf.
            row = uow.session.exec(
                select(NetworkFileFee)
                .where(NetworkFileFee.network_id == network.id)
                .where(NetworkFileFee.effective_from == effective_from)
                .with_for_update()
            ).one()
            replaced = inserted is None
            if replaced:
                row.fee_centimes = fee_centimes
                row.announced_at = now
                row.announced_by = actor.username
                uow.session.add(row)
            audit_log.append(
                uow.session,
                "file_fee_change",
                {
                    **audit_log.actor_facts(actor),
                    "network": network.code,
                    "effective_from": effective_from.isoformat(),
                    "fee_centimes": fee_centimes,
                    "replaced": replaced,
                },
                at=now,
            )
            view = FileFeeView(fee_centimes, effective_from, None, now, actor.username)
            uow.commit()
            return view
