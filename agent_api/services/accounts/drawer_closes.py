"""Closing a counter's cash drawer at the end of its business day, and reading the closes.

The operator counts the cash by denomination without being shown what the hub expects (a
blind count: a figure shown first is a figure counted to). The hub then computes, from the
database and in integer centimes, what the drawer should hold: the terminal's collections of
that business day minus the reversals it paid back; it stores counted, expected and the
difference, and signs a close report with the receipt key (a receipt-like JWS of kind
``drawer_close``, numbered ``C-<NETWORK>-<8 digits>``, naming its audit-log leaf).

One close per terminal and business day (a unique constraint): the same count sent again,
under any sequence number, gets the same report; another count is refused with a conflict
naming ``counts``. Validation comes first (``domain.cash``), then everything in the signed
write's one transaction.

The business day is that of the signed time (the drawer's day, in Casablanca with the
cutoff). A collection counts on the day it was taken: an offline collection that joined a
later settlement day because its own was closed (``signed_business_date``) is in the drawer
of the day it was signed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from agent_api.clock import Clock
from agent_api.domain.business_day import business_date
from agent_api.domain.cash import CashCount
from agent_api.domain.roles import Actor, Role
from agent_api.errors import Conflict, Forbidden
from agent_api.persistence.drawers import closes_of, existing_close, expected_cash
from agent_api.persistence.tables import DrawerClose
from agent_api.persistence.unit_of_work import UnitOfWork, UnitOfWorkFactory
from agent_api.services.log import audit_log
from agent_api.services.sessions.terminal_auth import TerminalContext
from agent_api.services.writes.idempotency import WriteContext
from agent_api.services.writes.receipts import ReceiptSigner
from agent_api.services.writes.signed_writes import Decision

KIND = "drawer_close"


@dataclass(frozen=True)
class DrawerClosed:
    """A close and its signed report; ``repeated`` when it was made by an earlier request."""

    number: str
    report: str
    business_date: date
    counts: list[tuple[int, int]]
    counted_centimes: int
    expected_centimes: int
    difference_centimes: int
    collections: int
    collected_centimes: int
    reversals: int
    reversed_centimes: int
    closed_at: datetime
    repeated: bool
    # The report's compact form (QC1:…, for its QR), made again from the JWS: the same text.
    compact: str | None = None

    def decision(self) -> Decision:
        # The report's number and day; the amounts are in the report, signed, not in the leaf
        # (a leaf's amount_centimes is money collected, which a count is not).
        return Decision(receipt=self.number, business_date=self.business_date)


@dataclass(frozen=True)
class CloseLine:
    """A close as the office's supervisor and the network admin read it."""

    number: str
    business_date: date
    office: str
    terminal_id: int
    terminal: str
    operator: str
    counted_centimes: int
    expected_centimes: int
    difference_centimes: int
    collections: int
    reversals: int
    closed_at: datetime


class DrawerCloseService:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, receipts: ReceiptSigner, cutoff: time
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._receipts = receipts
        self._cutoff = cutoff

    # -- the close ------------------------------------------------------------------------
    def close(
        self,
        uow: UnitOfWork,
        actor: Actor,
        terminal: TerminalContext,
        write: WriteContext,
        count: CashCount,
    ) -> DrawerClosed:
        """Record ``count`` as the close of this terminal's business day (validated by the
        caller through ``domain.cash.cash_count``), in the caller's transaction."""
        session = uow.session
        day = business_date(write.signed_at, self._cutoff)
        earlier = existing_close(session, terminal.terminal_id, day)
        if earlier is not None:
            return self._compact(_again(earlier, count))
        expected = expected_cash(session, terminal.office_id, terminal.terminal_id, day)
        now = self._clock()
        row = DrawerClose(
            network_id=terminal.network_id,
            office_id=terminal.office_id,
            terminal_id=terminal.terminal_id,
            operator_id=actor.user_id,
            number=None,
            business_date=day,
            counts=count.canonical(),
            counted_centimes=count.total_centimes,
            collections=expected.collections,
            collected_centimes=expected.collected_centimes,
            reversals=expected.reversals,
            reversed_centimes=expected.reversed_centimes,
            expected_centimes=expected.expected_centimes,
            difference_centimes=count.total_centimes - expected.expected_centimes,
            signed_at=write.signed_at,
            closed_at=now,
            sequence=write.key,
            jws="",
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            # A concurrent close of the same drawer committed first: judge against it.
            raced = existing_close(session, terminal.terminal_id, day)
            if raced is None:
                raise
            return self._compact(_again(raced, count))
        assert row.id is not None
        number = f"C-{terminal.network_code}-{row.id:08d}"
        reservation = audit_log.reserve(session)
        payload = _claims(
            number,
            row,
            count=count,
            terminal=terminal,
            operator=actor.username,
            log_entry=reservation.entry,
            log_by=int(reservation.promise(row.closed_at).timestamp()),
        )
        jws = self._receipts.sign(payload)
        session.execute(
            update(DrawerClose).where(col(DrawerClose.id) == row.id).values(number=number, jws=jws)
        )
        return self._compact(_closed(row, number, jws, count, repeated=False))

    def _compact(self, closed: DrawerClosed) -> DrawerClosed:
        return dataclasses.replace(closed, compact=self._receipts.compact_of(closed.report))

    # -- reading the closes ---------------------------------------------------------------
    def of_office(self, actor: Actor, day: date) -> list[CloseLine]:
        """The closes of the actor's office on ``day``: its supervisor's view."""
        if actor.role != Role.SUPERVISOR or actor.office_id is None:
            raise Forbidden(f"the {actor.role.value} role may not read the office's closes")
        return self._lines(day, office_id=actor.office_id)

    def of_network(self, actor: Actor, day: date) -> list[CloseLine]:
        """The closes of every office of the actor's network on ``day``: its admin's view."""
        if actor.role != Role.NETWORK_ADMIN or actor.network_id is None:
            raise Forbidden(f"the {actor.role.value} role may not read the network's closes")
        return self._lines(day, network_id=actor.network_id)

    def _lines(self, day: date, **scope: int | None) -> list[CloseLine]:
        with self._uow() as uow:
            found = closes_of(uow.session, day, **scope)
        return [
            CloseLine(
                number=c.close.number or "",
                business_date=c.close.business_date,
                office=c.office,
                terminal_id=c.close.terminal_id,
                terminal=c.terminal,
                operator=c.operator,
                counted_centimes=c.close.counted_centimes,
                expected_centimes=c.close.expected_centimes,
                difference_centimes=c.close.difference_centimes,
                collections=c.close.collections,
                reversals=c.close.reversals,
                closed_at=c.close.closed_at,
            )
            for c in found
        ]


def _again(earlier: DrawerClose, count: CashCount) -> DrawerClosed:
    """The same count again: the report already made. Another count: refused."""
    if earlier.counts != count.canonical():
        raise Conflict(
            f"counts: this drawer's business day {earlier.business_date.isoformat()} is already "
            f"closed (report {earlier.number}) with another count; a drawer is closed once a "
            "day, ask the supervisor to record the difference",
            code="drawer_already_closed",
            field="counts",
        )
    assert earlier.number is not None
    return _closed(earlier, earlier.number, earlier.jws, count, repeated=True)


def _closed(
    row: DrawerClose, number: str, jws: str, count: CashCount, *, repeated: bool
) -> DrawerClosed:
    return DrawerClosed(
        number=number,
        report=jws,
        business_date=row.business_date,
        counts=count.lines(),
        counted_centimes=row.counted_centimes,
        expected_centimes=row.expected_centimes,
        difference_centimes=row.difference_centimes,
        collections=row.collections,
        collected_centimes=row.collected_centimes,
        reversals=row.reversals,
        reversed_centimes=row.reversed_centimes,
        closed_at=row.closed_at,
        repeated=repeated,
    )


def _claims(
    number: str,
    row: DrawerClose,
    *,
    count: CashCount,
    terminal: TerminalContext,
    operator: str,
    log_entry: str,
    log_by: int,
) -> dict[str, Any]:
    """The signed close report (docs/drawer.md): the count, the hub's figures, where, when."""
    return {
        "receipt_number": number,
        "kind": KIND,
        "iat": int(row.closed_at.timestamp()),
        "business_date": row.business_date.isoformat(),
        "counts": [{"denomination_centimes": d, "quantity": q} for d, q in count.lines()],
        "counted_centimes": row.counted_centimes,
        "collections": row.collections,
        "collected_centimes": row.collected_centimes,
        "reversals": row.reversals,
        "reversed_centimes": row.reversed_centimes,
        "expected_centimes": row.expected_centimes,
        "difference_centimes": row.difference_centimes,
        "network": terminal.network_code,
        "office": terminal.office_code,
        "terminal": terminal.terminal_id,
        "operator": operator,
        "signed_at": row.signed_at.isoformat(),
        "recorded_at": row.closed_at.isoformat(),
        # The audit-log entry that records the close, and the log's promise to hold it by
        # then (docs/audit.md), as on a receipt.
        "log_entry": log_entry,
        "log_by": log_by,
    }
