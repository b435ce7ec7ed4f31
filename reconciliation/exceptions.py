"""The exceptions queue: every difference a reconciliation run found, worked by CNSS finance.

open → resolved (a reason code and a comment) or written off (the same, for money that will
not be recovered). Only the finance role may work an exception; auditors read. Each action is
kept with who and when, and an exception is worked once: the change is a conditional update
(``WHERE status = 'open'``), so two people working it at once get one success and one clear
refusal. Several exceptions are worked in one action all or none (``work_many``): a
conflict on any of them changes none. Only the current version of a day's reconciliation is
worked; when a new version finds the same difference, its handling is carried over.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from agent_api.clock import Clock
from agent_api.domain.roles import Actor, Role
from agent_api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from agent_api.persistence.tables import Network
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.services.log import audit_log
from reconciliation.tables import ExceptionAction, ReconciliationException, ReconciliationRun

# Why an exception was closed; finance picks one, the comment says the rest.
REASON_CODES: dict[str, str] = {
    "cnss_booking_corrected": "CNSS corrected its booking",
    "booked_on_another_day": "the entry was booked on another value date",
    "network_transfer_completed": "the network paid the missing amount",
    "network_refund": "the excess was refunded to the network",
    "bank_delay": "the transfer arrived late",
    "duplicate_reversed": "CNSS reversed the duplicate entry",
    "hub_record_confirmed": "the hub's record was confirmed with the office",
    "immaterial_amount": "the difference is below the materiality threshold",
    "unrecoverable": "the money will not be recovered",
    "other": "other (the comment explains)",
}
READERS = frozenset({Role.FINANCE, Role.AUDITOR, Role.CNSS_ADMIN})
WORKERS = frozenset({Role.FINANCE})
STATUSES = ("open", "resolved", "written_off")
MAX_COMMENT = 2000
# How many exceptions one bulk action may work: a page of the queue.
MAX_AT_ONCE = 500


@dataclass(frozen=True)
class ActionView:
    action: str
    from_status: str
    to_status: str
    reason_code: str
    comment: str
    by: str
    at: datetime


@dataclass(frozen=True)
class ExceptionView:
    id: int
    business_date: date
    version: int
    current: bool
    network: str | None
    source: str
    kind: str
    hub_references: list[str]
    entry_ids: list[str]
    registration_number: str | None
    hub_centimes: int
    other_centimes: int
    difference_centimes: int
    detail: dict[str, Any]
    status: str
    reason_code: str | None
    comment: str | None
    worked_by: str | None
    worked_at: datetime | None
    carried_from: int | None
    actions: list[ActionView]


class ExceptionQueue:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def list(
        self,
        actor: Actor,
        *,
        business_date: date | None = None,
        network: str | None = None,
        status: str | None = None,
        current_only: bool = True,
        kind: str | None = None,
        min_difference_centimes: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[ExceptionView]:
        """The queue, newest day first; ``min_difference_centimes`` keeps the exceptions whose
        difference is at least that large either way (what finance calls "the amount")."""
        _require(actor, READERS)
        if status is not None and status not in STATUSES:
            raise ValidationFailed(f"status must be one of {', '.join(STATUSES)}", field="status")
        with self._uow() as uow:
            query = select(ReconciliationException, ReconciliationRun).join(
                ReconciliationRun,
                col(ReconciliationRun.id) == col(ReconciliationException.run_id),
            )
            if business_date is not None:
                query = query.where(ReconciliationException.business_date == business_date)
            if status is not None:
                query = query.where(ReconciliationException.status == status)
            if kind is not None:
                query = query.where(ReconciliationException.kind == kind)
            if min_difference_centimes is not None:
                query = query.where(
                    func.abs(col(ReconciliationException.difference_centimes))
                    >= min_difference_centimes
                )
            if network is not None:
                query = query.where(
                    ReconciliationException.network_id == _network_id(uow.session, network)
                )
            if current_only:
                later = aliased(ReconciliationRun)
                latest = (
                    select(func.max(later.version))
                    .where(later.business_date == ReconciliationRun.business_date)
                    .correlate(ReconciliationRun)
                    .scalar_subquery()
                )
                query = query.where(ReconciliationRun.version == latest)
            rows = uow.session.exec(
                query.order_by(
                    col(ReconciliationException.business_date).desc(),
                    col(ReconciliationException.id),
                )
                .limit(limit)
                .offset(offset)
            ).all()
            return [self._view(uow.session, e, r) for e, r in rows]

    def get(self, actor: Actor, exception_id: int) -> ExceptionView:
        _require(actor, READERS)
        with self._uow() as uow:
            found = _load(uow.session, exception_id)
            return self._view(uow.session, *found)

    def work(
        self, actor: Actor, exception_id: int, *, to: str, reason_code: str, comment: str
    ) -> ExceptionView:
        """Resolve (``to="resolved"``) or write off (``to="written_off"``) an open exception."""
        return self.work_many(
            actor, [exception_id], to=to, reason_code=reason_code, comment=comment
        )[0]

    def work_many(
        self,
        actor: Actor,
        exception_ids: Sequence[int],
        *,
        to: str,
        reason_code: str,
        comment: str,
    ) -> Sequence[ExceptionView]:
        """Resolve or write off several open exceptions with one reason and comment, all or
        none: if any of them was worked meanwhile (by someone else, or is not current), none
        is changed and the refusal names it, who worked it and when."""
        _require(actor, WORKERS)
        if to not in ("resolved", "written_off"):
            raise ValidationFailed("an exception is resolved or written off", field="status")
        if reason_code not in REASON_CODES:
            raise ValidationFailed(
                f"reason_code must be one of {', '.join(REASON_CODES)}", field="reason_code"
            )
        comment = comment.strip()
        if not comment:
            raise ValidationFailed("say what was done, in a comment", field="comment")
        if len(comment) > MAX_COMMENT:
            raise ValidationFailed(
                f"the comment is longer than {MAX_COMMENT} characters", field="comment"
            )
        ids = list(dict.fromkeys(exception_ids))
        if not ids:
            raise ValidationFailed("choose at least one exception", field="exception_ids")
        if len(ids) > MAX_AT_ONCE:
            raise ValidationFailed(
                f"at most {MAX_AT_ONCE} exceptions at once", field="exception_ids"
            )
        now = self._clock()
        with self._uow() as uow:
            for exception_id in ids:
                self._work_one(
                    uow.session,
                    actor,
                    exception_id,
                    to=to,
                    reason_code=reason_code,
                    comment=comment,
                    now=now,
                )
            uow.commit()
            uow.session.expire_all()
            return [self._view(uow.session, *_load(uow.session, i)) for i in ids]

    def _work_one(
        self,
        session: Session,
        actor: Actor,
        exception_id: int,
        *,
        to: str,
        reason_code: str,
        comment: str,
        now: datetime,
    ) -> None:
        exception, run = _load(session, exception_id)
        latest = _latest_version(session, run.business_date)
        if run.version != latest:
            raise Conflict(
                f"this exception belongs to version {run.version} of "
                f"{run.business_date.isoformat()}; version {latest} is current: work its "
                "exceptions instead",
                code="superseded_version",
            )
        changed = session.execute(
            update(ReconciliationException)
            .where(col(ReconciliationException.id) == exception_id)
            .where(col(ReconciliationException.status) == "open")
            .values(
                status=to,
                reason_code=reason_code,
                comment=comment,
                worked_by=actor.username,
                worked_at=now,
            )
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            session.refresh(exception)
            by = f" by {exception.worked_by}" if exception.worked_by else ""
            at = f" at {exception.worked_at.isoformat()}" if exception.worked_at else ""
            raise Conflict(
                f"exception {exception_id} is already {exception.status.replace('_', ' ')}{by}{at}",
                code="already_worked",
            )
        audit_log.append(
            session,
            "exception_worked",
            {
                **audit_log.actor_facts(actor),
                "exception": exception_id,
                "business_date": run.business_date.isoformat(),
                "version": run.version,
                "to": to,
                "reason_code": reason_code,
                "comment_sha256": hashlib.sha256(comment.encode()).hexdigest(),
            },
            at=now,
        )
        session.add(
            ExceptionAction(
                exception_id=exception_id,
                action="resolve" if to == "resolved" else "write_off",
                from_status="open",
                to_status=to,
                reason_code=reason_code,
                comment=comment,
                by=actor.username,
                at=now,
            )
        )

    def _view(
        self, session: Session, row: ReconciliationException, run: ReconciliationRun
    ) -> ExceptionView:
        assert row.id is not None
        network = (
            session.exec(select(Network.code).where(Network.id == row.network_id)).first()
            if row.network_id is not None
            else None
        )
        actions = session.exec(
            select(ExceptionAction)
            .where(ExceptionAction.exception_id == row.id)
            .order_by(col(ExceptionAction.id))
        ).all()
        return ExceptionView(
            id=row.id,
            business_date=row.business_date,
            version=run.version,
            current=run.version == _latest_version(session, run.business_date),
            network=network,
            source=row.source,
            kind=row.kind,
            hub_references=_split(row.hub_references),
            entry_ids=_split(row.entry_ids),
            registration_number=row.registration_number,
            hub_centimes=row.hub_centimes,
            other_centimes=row.other_centimes,
            difference_centimes=row.difference_centimes,
            detail=json.loads(row.detail),
            status=row.status,
            reason_code=row.reason_code,
            comment=row.comment,
            worked_by=row.worked_by,
            worked_at=row.worked_at,
            carried_from=row.carried_from_id,
            actions=[
                ActionView(
                    a.action, a.from_status, a.to_status, a.reason_code, a.comment, a.by, a.at
                )
                for a in actions
            ],
        )


def _require(actor: Actor, roles: frozenset[Role]) -> None:
    if actor.role not in roles:
        raise Forbidden(f"the {actor.role.value} role may not do this")


def _split(text: str) -> list[str]:
    return [part for part in text.split(" ") if part]


def _network_id(session: Session, code: str) -> int:
    found = session.exec(select(Network.id).where(Network.code == code)).first()
    if found is None:
        raise NotFound(f"no network {code}", field="network")
    return found


def _load(session: Session, exception_id: int) -> tuple[ReconciliationException, ReconciliationRun]:
    found = session.exec(
        select(ReconciliationException, ReconciliationRun)
        .join(ReconciliationRun, col(ReconciliationRun.id) == col(ReconciliationException.run_id))
        .where(ReconciliationException.id == exception_id)
    ).first()
    if found is None:
        raise NotFound(f"no exception {exception_id}")
    return found[0], found[1]


def _latest_version(session: Session, day: date) -> int:
    latest = session.exec(
        select(func.max(ReconciliationRun.version)).where(ReconciliationRun.business_date == day)
    ).one()
    return int(latest or 0)


def worked_elsewhere(
    session: Session, day: date, keys: Sequence[str]
) -> dict[str, ReconciliationException]:
    """The worked exceptions of D's previous version, by finding key: what a new version
    carries over."""
    latest = _latest_version(session, day)
    if latest == 0 or not keys:
        return {}
    rows = session.exec(
        select(ReconciliationException)
        .join(ReconciliationRun, col(ReconciliationRun.id) == col(ReconciliationException.run_id))
        .where(ReconciliationRun.business_date == day)
        .where(ReconciliationRun.version == latest)
        .where(col(ReconciliationException.status) != "open")
    ).all()
    wanted = set(keys)
    return {r.finding_key: r for r in rows if r.finding_key in wanted}
