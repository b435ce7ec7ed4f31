"""CNSS finance's queue of claims tracking exceptions, and its work on them.

The tracking run (``reconciliation.claims``) opens a finding and clears it when later events
explain it; finance works the open ones here: **take** one (it is assigned to the officer),
**note** what was done (free text, which may name the worker: sealed at rest, never in a log
or the audit log), **resolve** it with a reason (the envelope was found and sent again, the
worker was told, CNSS erred…) or **reopen** it. Each action is one transaction:

- the state changes by a conditional update (``WHERE state = 'open'``…), so two officers
  acting at once get one success and one clear refusal naming who acted and when;
- the action is a row keyed by the form that sent it (unique exception and request key):
  the same form posted twice (a double click, a retried request) records one action and
  answers the same;
- it appends a ``tracking_exception_worked`` audit leaf (who, which exception, the action,
  the reason, whether a note was written: never the note, nor the worker).

The queue reads worst first: missing envelopes (priority 1), then by the day it was opened.
Each row carries what an officer needs to act: the deposit, its office, network and business
day, its slip and that slip's day, how long it has been open, the worker by registration
number only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from agent_api.clock import CASABLANCA, Clock
from agent_api.domain.roles import Actor, Role
from agent_api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from agent_api.persistence.sql import insert_ignoring_duplicates
from agent_api.persistence.tables import (
    Deposit,
    Office,
    TrackingException,
    TrackingExceptionAction,
    TrackingExceptionWork,
    Transmittal,
    TransmittalItem,
    Worker,
    claims_work,
)
from agent_api.persistence.tables.claims_work import ACTIONS
from agent_api.persistence.tables.tracking import EXCEPTION_PRIORITY
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.services.log import audit_log

READERS = frozenset({Role.FINANCE, Role.AUDITOR, Role.CNSS_ADMIN})
WORKERS = frozenset({Role.FINANCE})
KINDS = tuple(EXCEPTION_PRIORITY)
WORK_STATES = ("open", "resolved")
# The reasons a resolution may give, for the screens that offer them.
RESOLUTIONS = claims_work.RESOLUTIONS
MAX_NOTE = 2000
LEAF_KIND = "tracking_exception_worked"
_REQUEST_KEY = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class ActionView:
    action: str
    resolution: str | None
    note: str | None
    by: str
    at: datetime


@dataclass(frozen=True)
class QueueRow:
    id: int
    kind: str
    priority: int
    network: str
    cleared: bool  # the tracking explained it (cleared_at says when)
    opened_at: datetime
    cleared_at: datetime | None
    open_days: int  # whole days open, until now or until it was cleared
    deposit_number: str | None
    office: str | None
    business_date: date | None  # the deposit's business day
    slip_number: str | None
    slip_date: date | None
    registration_number: str | None
    event_id: str | None
    detail: str
    state: str  # finance's: open or resolved
    assignee: str | None
    resolution: str | None
    changed_by: str | None
    changed_at: datetime | None


class ClaimsQueue:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    # -- reading --------------------------------------------------------------------------
    def find(
        self,
        actor: Actor,
        *,
        cleared: bool = False,
        kind: str | None = None,
        network: str | None = None,
        state: str | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[QueueRow]:
        """The exceptions the tracking holds open (``cleared``: those it cleared), worst
        first; ``state`` keeps finance's open or resolved ones."""
        _require(actor, READERS)
        if kind is not None and kind not in KINDS:
            raise ValidationFailed(f"kind must be one of {', '.join(KINDS)}", field="kind")
        if state is not None and state not in WORK_STATES:
            raise ValidationFailed("state is open or resolved", field="state")
        with self._uow() as uow:
            query = (
                select(TrackingException, TrackingExceptionWork)
                .outerjoin(
                    TrackingExceptionWork,
                    col(TrackingExceptionWork.exception_id) == col(TrackingException.id),
                )
                .where(TrackingException.status == ("cleared" if cleared else "open"))
            )
            if kind is not None:
                query = query.where(TrackingException.kind == kind)
            if network is not None:
                query = query.where(TrackingException.network == network)
            if state == "resolved":
                query = query.where(TrackingExceptionWork.state == "resolved")
            elif state == "open":
                query = query.where(
                    or_(
                        col(TrackingExceptionWork.id).is_(None),
                        col(TrackingExceptionWork.state) == "open",
                    )
                )
            order = (
                [col(TrackingException.cleared_at).desc()]
                if cleared
                else [col(TrackingException.priority), col(TrackingException.opened_at)]
            )
            rows = uow.session.exec(
                query.order_by(*order, col(TrackingException.id)).limit(limit).offset(offset)
            ).all()
            return _rows(uow.session, list(rows), self._clock())

    def get(self, actor: Actor, exception_id: int) -> tuple[QueueRow, list[ActionView]]:
        _require(actor, READERS)
        with self._uow() as uow:
            return self._read(uow.session, exception_id)

    def _read(self, session: Session, exception_id: int) -> tuple[QueueRow, list[ActionView]]:
        found = session.exec(
            select(TrackingException, TrackingExceptionWork)
            .outerjoin(
                TrackingExceptionWork,
                col(TrackingExceptionWork.exception_id) == col(TrackingException.id),
            )
            .where(TrackingException.id == exception_id)
        ).first()
        if found is None:
            raise NotFound(f"no tracking exception {exception_id}")
        actions = session.exec(
            select(TrackingExceptionAction)
            .where(TrackingExceptionAction.exception_id == exception_id)
            .order_by(col(TrackingExceptionAction.id))
        ).all()
        row = _rows(session, [(found[0], found[1])], self._clock())[0]
        return row, [ActionView(a.action, a.resolution, a.note, a.by, a.at) for a in actions]

    # -- working --------------------------------------------------------------------------
    def act(
        self,
        actor: Actor,
        exception_id: int,
        *,
        action: str,
        request_key: str,
        resolution: str | None = None,
        note: str | None = None,
    ) -> tuple[QueueRow, list[ActionView]]:
        """One action on one exception, in one transaction; the same ``request_key`` again
        changes nothing and answers the exception as it stands."""
        _require(actor, WORKERS)
        resolution, note = _checked(action, request_key, resolution, note)
        now = self._clock()
        with self._uow() as uow:
            session = uow.session
            exception = session.get(TrackingException, exception_id)
            if exception is None:
                raise NotFound(f"no tracking exception {exception_id}")
            sent_before = _replayed(session, exception_id, request_key)
            if sent_before == action:
                return self._read(session, exception_id)
            if sent_before is not None:
                raise Conflict(
                    f"this form already sent a {sent_before}: open the exception again to "
                    f"{action} it",
                    code="form_already_used",
                )
            connection = session.connection()
            work = TrackingExceptionWork.__table__  # type: ignore[attr-defined]
            connection.execute(
                insert_ignoring_duplicates(work, connection, ("exception_id",)),
                {
                    "exception_id": exception_id,
                    "state": "open",
                    "assignee": None,
                    "resolution": None,
                    "changed_by": actor.username,
                    "changed_at": now,
                },
            )
            if action != "note":
                changed = _change(
                    session, exception_id, action, by=actor.username, resolution=resolution, now=now
                )
                if not changed:
                    current = session.exec(
                        select(TrackingExceptionWork).where(
                            TrackingExceptionWork.exception_id == exception_id
                        )
                    ).one()
                    session.refresh(current)
                    if action == "take" and current.assignee == actor.username:
                        return self._read(session, exception_id)  # already mine: nothing to do
                    raise _refusal(exception_id, action, current)
            session.add(
                TrackingExceptionAction(
                    exception_id=exception_id,
                    request_key=request_key,
                    action=action,
                    resolution=resolution,
                    note=note,
                    by=actor.username,
                    at=now,
                )
            )
            try:
                session.flush()
            except IntegrityError:
                # The same form, posted at the same moment, got there first: its action stands.
                session.rollback()
                return self.get(actor, exception_id)
            audit_log.append(
                session,
                LEAF_KIND,
                {
                    **audit_log.actor_facts(actor),
                    "exception": exception_id,
                    "finding": exception.kind,
                    "action": action,
                    "resolution": resolution,
                    "noted": note is not None,
                },
                at=now,
            )
            uow.commit()
            session.expire_all()
            return self._read(session, exception_id)


def _require(actor: Actor, roles: frozenset[Role]) -> None:
    if actor.role not in roles:
        raise Forbidden(f"the {actor.role.value} role may not do this")


def _checked(
    action: str, request_key: str, resolution: str | None, note: str | None
) -> tuple[str | None, str | None]:
    """The action's reason and note as stored, or the refusal naming the field at fault."""
    if action not in ACTIONS:
        raise ValidationFailed(f"action must be one of {', '.join(ACTIONS)}", field="action")
    if _REQUEST_KEY.fullmatch(request_key) is None:
        raise ValidationFailed("the form's key is 32 hexadecimal digits", field="request_key")
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise ValidationFailed(f"the note is longer than {MAX_NOTE} characters", field="note")
    if action == "note" and note is None:
        raise ValidationFailed("write what was done", field="note")
    if action != "resolve":
        return None, note
    if resolution not in RESOLUTIONS:
        raise ValidationFailed(
            f"resolution must be one of {', '.join(RESOLUTIONS)}", field="resolution"
        )
    return resolution, note


def _replayed(session: Session, exception_id: int, request_key: str) -> str | None:
    """The action the form with this key already recorded, if it did."""
    return session.exec(
        select(TrackingExceptionAction.action).where(
            TrackingExceptionAction.exception_id == exception_id,
            TrackingExceptionAction.request_key == request_key,
        )
    ).first()


def _change(
    session: Session,
    exception_id: int,
    action: str,
    *,
    by: str,
    resolution: str | None,
    now: datetime,
) -> bool:
    """The conditional update of one action; False when the exception was not in the state
    the action starts from (someone else acted first)."""
    w = TrackingExceptionWork
    mine = col(w.exception_id) == exception_id
    stamp = {"changed_by": by, "changed_at": now}
    if action == "take":
        statement = (
            update(w)
            .where(mine, col(w.state) == "open")
            .where(or_(col(w.assignee).is_(None), col(w.assignee) != by))
            .values(assignee=by, **stamp)
        )
    elif action == "resolve":
        statement = (
            update(w)
            .where(mine, col(w.state) == "open")
            .values(state="resolved", resolution=resolution, **stamp)
        )
    else:  # reopen
        statement = (
            update(w)
            .where(and_(mine, col(w.state) == "resolved"))
            .values(state="open", resolution=None, **stamp)
        )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def _refusal(exception_id: int, action: str, current: TrackingExceptionWork) -> Conflict:
    at = current.changed_at.astimezone(CASABLANCA).strftime("%Y-%m-%d %H:%M")
    if action == "reopen":
        return Conflict(
            f"tracking exception {exception_id} is open: there is nothing to reopen",
            code="not_resolved",
        )
    return Conflict(
        f"tracking exception {exception_id} was resolved by {current.changed_by} at {at}",
        code="already_resolved",
    )


def _rows(
    session: Session,
    found: list[tuple[TrackingException, TrackingExceptionWork | None]],
    now: datetime,
) -> list[QueueRow]:
    """The page's rows with the deposit, office, slip and worker each names, read in a few
    queries for the whole page."""
    deposit_ids = {e.deposit_id for e, _ in found if e.deposit_id is not None}
    deposits = {
        d.id: d for d in session.exec(select(Deposit).where(col(Deposit.id).in_(deposit_ids))).all()
    }
    items = dict(
        session.exec(
            select(TransmittalItem.deposit_id, TransmittalItem.transmittal_id).where(
                col(TransmittalItem.deposit_id).in_(deposit_ids)
            )
        ).all()
    )
    slip_ids = set(items.values()) | {e.transmittal_id for e, _ in found if e.transmittal_id}
    slips = {
        s.id: s
        for s in session.exec(select(Transmittal).where(col(Transmittal.id).in_(slip_ids))).all()
    }
    office_ids = {d.office_id for d in deposits.values()} | {s.office_id for s in slips.values()}
    offices = dict(
        session.exec(select(Office.id, Office.code).where(col(Office.id).in_(office_ids))).all()
    )
    workers = dict(
        session.exec(
            select(Worker.id, Worker.registration_number).where(
                col(Worker.id).in_({d.worker_id for d in deposits.values()})
            )
        ).all()
    )
    rows = []
    for e, w in found:
        assert e.id is not None
        deposit = deposits.get(e.deposit_id) if e.deposit_id is not None else None
        slip_id = items.get(e.deposit_id) if e.deposit_id is not None else e.transmittal_id
        slip = slips.get(slip_id) if slip_id is not None else None
        office_id = deposit.office_id if deposit else (slip.office_id if slip else None)
        until = e.cleared_at if e.cleared_at is not None else now
        # A number the hub never issued is known only as CNSS quoted it, in the finding.
        quoted = e.finding_key.split(":", 1)[1]
        rows.append(
            QueueRow(
                id=e.id,
                kind=e.kind,
                priority=e.priority,
                network=e.network,
                cleared=e.status == "cleared",
                opened_at=e.opened_at,
                cleared_at=e.cleared_at,
                open_days=max((until - e.opened_at).days, 0),
                deposit_number=(
                    deposit.number if deposit else (quoted if e.kind == "unknown_deposit" else None)
                ),
                office=offices.get(office_id) if office_id is not None else None,
                business_date=deposit.business_date if deposit else None,
                slip_number=slip.number if slip else (quoted if e.kind == "unknown_slip" else None),
                slip_date=slip.business_date if slip else None,
                registration_number=(
                    workers.get(deposit.worker_id) if deposit else e.registration_number
                ),
                event_id=e.event_id,
                detail=e.detail,
                state=w.state if w is not None else "open",
                assignee=w.assignee if w is not None else None,
                resolution=w.resolution if w is not None else None,
                changed_by=w.changed_by if w is not None else None,
                changed_at=w.changed_at if w is not None else None,
            )
        )
    return rows
