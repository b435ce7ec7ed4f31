"""Transmittal slips (bordereaux): closing an office's deposits of a business day into the
bundle a courier takes to CNSS, with a signed manifest listing the deposit numbers in it.

A slip is made closed, in one signed write: its deposits are locked, those cancelled or
already sent are left out, and the slip and its items are written with the manifest. The
database keeps the rules whatever the code does: a deposit is in at most one slip (unique),
and a slip holds exactly the deposits it was closed with (its items take positions 1..size,
the size fixed in their foreign key), so nothing can be added to it afterwards.

The race with a same-day cancellation is settled by the deposit's row lock: both take it
first and look at the other's table after (PostgreSQL's READ COMMITTED gives each statement
the rows committed before it), so a deposit is either cancelled or sent, never both.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import exists
from sqlmodel import col, select

from agent_api.clock import Clock
from agent_api.domain.business_day import business_date
from agent_api.domain.roles import Actor
from agent_api.errors import Conflict, ValidationFailed
from agent_api.persistence.tables import (
    Deposit,
    DepositCancellation,
    Transmittal,
    TransmittalItem,
)
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.services.log import audit_log
from agent_api.services.sessions.terminal_auth import TerminalContext
from agent_api.services.writes.idempotency import WriteContext
from agent_api.services.writes.receipts import ReceiptSigner
from agent_api.services.writes.signed_writes import Decision

MANIFEST_TYPE = "qurb-transmittal+jwt"


@dataclass(frozen=True)
class Transmitted:
    number: str
    manifest: str  # compact JWS under the receipt key
    business_date: date
    deposits: list[str]  # the deposit numbers in the bundle, in the order they were taken
    documents: int  # documents in all the envelopes, for the courier to count

    def decision(self) -> Decision:
        return Decision(
            business_date=self.business_date,
            transmittal=self.number,
            manifest_sha256=hashlib.sha256(self.manifest.encode()).hexdigest(),
        )


def transmittal_number(network_code: str, transmittal_id: int) -> str:
    """``B-<NETWORK>-<6 digits>``: the number CNSS quotes in ``NUM_BORDEREAU``."""
    return f"B-{network_code}-{transmittal_id:06d}"


class TransmittalService:
    def __init__(self, clock: Clock, receipts: ReceiptSigner, cutoff: time) -> None:
        self._clock = clock
        self._receipts = receipts
        self._cutoff = cutoff

    def close(
        self,
        uow: UnitOfWork,
        actor: Actor,
        terminal: TerminalContext,
        write: WriteContext,
        *,
        day: date | None,
    ) -> Transmitted:
        session = uow.session
        now = self._clock()
        today = business_date(now, self._cutoff)
        day = day or today
        if day > today:
            raise ValidationFailed(
                f"business_date: {day.isoformat()} has not begun", field="business_date"
            )
        # Lock this office's deposits of the day not yet in a slip, then leave out those
        # cancelled or sent meanwhile (read after the locks are held).
        candidates = session.exec(
            select(Deposit)
            .where(
                Deposit.office_id == terminal.office_id,
                Deposit.business_date == day,
                ~exists().where(col(TransmittalItem.deposit_id) == col(Deposit.id)),
            )
            .order_by(col(Deposit.id))
            .with_for_update()
        ).all()
        ids = [d.id for d in candidates]
        gone = set(
            session.exec(
                select(DepositCancellation.deposit_id).where(
                    col(DepositCancellation.deposit_id).in_(ids)
                )
            ).all()
        ) | set(
            session.exec(
                select(TransmittalItem.deposit_id).where(col(TransmittalItem.deposit_id).in_(ids))
            ).all()
        )
        sent = [d for d in candidates if d.id not in gone]
        if not sent:
            raise Conflict(
                f"no deposit of business day {day.isoformat()} at this office is waiting to be "
                "sent",
                code="nothing_to_transmit",
                field="business_date",
            )
        slip = Transmittal(
            number=None,
            network_id=terminal.network_id,
            office_id=terminal.office_id,
            business_date=day,
            deposit_count=len(sent),
            closed_at=now,
            closed_by=actor.user_id,
            terminal_id=terminal.terminal_id,
            sequence=write.key,
            manifest="",
        )
        session.add(slip)
        session.flush()
        assert slip.id is not None
        number = transmittal_number(terminal.network_code, slip.id)
        for position, deposit in enumerate(sent, start=1):
            assert deposit.id is not None
            session.add(
                TransmittalItem(
                    transmittal_id=slip.id,
                    slip_size=len(sent),
                    position=position,
                    deposit_id=deposit.id,
                )
            )
        numbers = [d.number for d in sent]
        documents = sum(d.documents for d in sent)
        reservation = audit_log.reserve(session)
        manifest = self._receipts.sign(
            {
                "transmittal_number": number,
                "kind": "transmittal",
                "iat": int(now.timestamp()),
                "network": terminal.network_code,
                "office": terminal.office_code,
                "business_date": day.isoformat(),
                "deposits": numbers,
                "count": len(numbers),
                "documents": documents,
                "closed_by": actor.username,
                "closed_at": now.isoformat(),
                # The entry that records this write and the log's promise to hold it by
                # then (docs/audit.md): with its inclusion proof, the manifest proves it is
                # in the audit log.
                "log_entry": reservation.entry,
                "log_by": int(reservation.promise(now).timestamp()),
            },
            typ=MANIFEST_TYPE,
        )
        slip.number = number
        slip.manifest = manifest
        session.add(slip)
        session.flush()
        return Transmitted(number, manifest, day, numbers, documents)
