"""Worker accounts at the counter: quotes, collections, reversals, fishing-day declarations,
health rights.

A collection locks the worker's row for its transaction (PostgreSQL ``FOR UPDATE``; SQLite
serializes writers), so two offices paying for the same worker at once are allocated one
after the other and neither is lost. Allocations are computed from the stored history and
written once; a reversal writes their mirror image.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from agent_api.clock import CASABLANCA, Clock
from agent_api.domain.account import (
    AmountTooLarge,
    MonthLine,
    SurchargeRule,
    allocate,
)
from agent_api.domain.business_day import business_date
from agent_api.domain.dues import monthly_dues
from agent_api.domain.months import add_months, first_of_month, format_month
from agent_api.domain.rights import AccountEvent, Rights, RightsRules, rights
from agent_api.domain.roles import Actor
from agent_api.errors import Conflict, NotFound, ValidationFailed
from agent_api.persistence.tables import (
    AccountAllocation,
    Category,
    Contribution,
    DailyDeclaration,
    Receipt,
    Reversal,
    SurchargeWaiver,
    User,
    Worker,
)
from agent_api.persistence.unit_of_work import UnitOfWork, UnitOfWorkFactory
from agent_api.services.business_days import assign_day, is_closed
from agent_api.services.idempotency import WriteContext
from agent_api.services.receipts import ReceiptSigner
from agent_api.services.terminal_auth import TerminalContext
from agent_api.services.worker_views import counter_categories, load_periods, load_rates
from agent_api.services.workers import find_worker


@dataclass(frozen=True)
class QuoteLine:
    month: date
    base_centimes: int
    due_centimes: int
    surcharge_centimes: int
    paid_centimes: int
    outstanding_centimes: int


@dataclass(frozen=True)
class Quote:
    registration_number: str
    through: date
    lines: list[QuoteLine]
    total_centimes: int


@dataclass(frozen=True)
class Credited:
    month: date
    kind: str
    amount_centimes: int


@dataclass(frozen=True)
class Collected:
    receipt_number: str
    receipt: str
    registration_number: str
    amount_centimes: int
    business_date: date
    allocations: list[Credited]
    rights: Rights


@dataclass(frozen=True)
class Reversed:
    receipt_number: str
    receipt: str
    reverses: str
    amount_centimes: int
    business_date: date


@dataclass(frozen=True)
class RightsView:
    registration_number: str
    rights: Rights
    collected_at_counter: bool


@dataclass(frozen=True)
class AccountSettings:
    max_collection_centimes: int
    horizon_months: int
    surcharge: SurchargeRule
    rights: RightsRules
    cutoff: time


class AccountService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        receipts: ReceiptSigner,
        settings: AccountSettings,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._receipts = receipts
        self._settings = settings

    def _this_month(self) -> date:
        return first_of_month(self._clock().astimezone(CASABLANCA).date())

    # -- the account ----------------------------------------------------------------------
    def _lines(
        self, session: Session, worker: Worker, through: date, current: date
    ) -> tuple[list[MonthLine], dict[date, int]]:
        """Each month from the coverage start to ``through``, and each month's base."""
        assert worker.id is not None
        periods = load_periods(session, worker.id)
        dues = monthly_dues(
            periods,
            load_rates(session, {p.category for p in periods}),
            first=worker.coverage_start,
            last=through,
            counter_categories=counter_categories(session),
        )
        owed = {d.month: d.due_centimes for d in dues}
        bases = {d.month: d.base_centimes for d in dues}
        for day, amount in session.exec(
            select(col(DailyDeclaration.day), col(DailyDeclaration.contribution_centimes)).where(
                DailyDeclaration.worker_id == worker.id
            )
        ):
            month = first_of_month(day)
            if month <= through:
                owed[month] = owed.get(month, 0) + amount
        paid: dict[tuple[date, str], int] = defaultdict(int)
        for month, kind, amount in session.execute(
            sa_select(
                col(AccountAllocation.month),
                col(AccountAllocation.kind),
                func.sum(col(AccountAllocation.amount_centimes)),
            )
            .where(col(AccountAllocation.worker_id) == worker.id)
            .group_by(col(AccountAllocation.month), col(AccountAllocation.kind))
        ):
            paid[(month, kind)] = int(amount)
        waived = self._waived(session, worker.category)
        lines = []
        for month in sorted(set(owed) | {m for m, _ in paid}):
            due = owed.get(month, 0)
            surcharge = 0 if waived else self._settings.surcharge.on(due, month, current)
            lines.append(
                MonthLine(
                    month=month,
                    due_centimes=due,
                    surcharge_centimes=max(surcharge, paid[(month, "surcharge")]),
                    paid_due_centimes=paid[(month, "due")],
                    paid_surcharge_centimes=paid[(month, "surcharge")],
                )
            )
        return lines, bases

    def _waived(self, session: Session, category: str) -> bool:
        today = self._clock().astimezone(CASABLANCA).date()
        for waiver in session.exec(
            select(SurchargeWaiver)
            .where(SurchargeWaiver.starts_on <= today)
            .where(SurchargeWaiver.ends_on >= today)
        ):
            codes = {c for c in waiver.categories.split(",") if c}
            if not codes or category in codes:
                return True
        return False

    def _horizon(self) -> date:
        return add_months(self._this_month(), self._settings.horizon_months)

    # -- quote ----------------------------------------------------------------------------
    def quote(self, registration_number: str, through: date | None) -> Quote:
        current = self._this_month()
        target = through or current
        if target < current:
            raise ValidationFailed(
                f"through: must not be before the current month {format_month(current)}",
                field="through",
            )
        if target > self._horizon():
            raise ValidationFailed(
                f"through: at most {format_month(self._horizon())} "
                f"({self._settings.horizon_months} months ahead)",
                field="through",
            )
        with self._uow() as uow:
            worker = find_worker(uow.session, registration_number)
            lines, bases = self._lines(uow.session, worker, target, current)
        quote_lines = [
            QuoteLine(
                month=line.month,
                base_centimes=bases.get(line.month, 0),
                due_centimes=line.due_centimes,
                surcharge_centimes=line.surcharge_centimes,
                paid_centimes=line.paid_due_centimes + line.paid_surcharge_centimes,
                outstanding_centimes=line.outstanding,
            )
            for line in lines
            if line.month <= target
        ]
        assert worker.registration_number is not None
        return Quote(
            registration_number=worker.registration_number,
            through=target,
            lines=quote_lines,
            total_centimes=sum(q.outstanding_centimes for q in quote_lines),
        )

    # -- collect --------------------------------------------------------------------------
    def collect(
        self,
        uow: UnitOfWork,
        actor: Actor,
        terminal: TerminalContext,
        write: WriteContext,
        *,
        registration_number: str,
        amount_centimes: int,
        payer_phone: str | None,
    ) -> Collected:
        if amount_centimes > self._settings.max_collection_centimes:
            raise ValidationFailed(
                f"amount_centimes: at most {self._settings.max_collection_centimes} per collection",
                field="amount_centimes",
            )
        session = uow.session
        worker = locked_worker(session, registration_number)
        assert worker.id is not None and worker.registration_number is not None  # noqa: PT018
        _check_collectable(session, worker)
        current = self._this_month()
        lines, _ = self._lines(session, worker, self._horizon(), current)
        try:
            allocations = allocate(lines, amount_centimes)
        except AmountTooLarge as exc:
            raise ValidationFailed(
                f"amount_centimes: more than is owed through {format_month(self._horizon())}; "
                f"at most {exc.maximum} centimes can be taken now",
                field="amount_centimes",
                details={"maximum_centimes": str(exc.maximum)},
            ) from None
        now = self._clock()
        signed_day = business_date(write.signed_at, self._settings.cutoff)
        assignment = assign_day(session, terminal.network_id, signed_day)
        day = assignment.business_date
        lateness = (
            {"late": True, "signed_business_date": signed_day.isoformat()}
            if assignment.late
            else {}
        )
        receipt = self._receipts.issue(
            session,
            kind="collection",
            worker_id=worker.id,
            terminal=terminal,
            operator=actor.username,
            signed_at=write.signed_at,
            issued_at=now,
            amount_centimes=amount_centimes,
            claims={
                "registration_number": worker.registration_number,
                "amount_centimes": amount_centimes,
                "months": [
                    {
                        "month": format_month(a.month),
                        "kind": a.kind,
                        "amount_centimes": a.amount_centimes,
                    }
                    for a in allocations
                ],
                "business_date": day.isoformat(),
                **lateness,
            },
        )
        contribution = Contribution(
            receipt_id=receipt.id,
            worker_id=worker.id,
            network_id=terminal.network_id,
            office_id=terminal.office_id,
            terminal_id=terminal.terminal_id,
            operator_id=actor.user_id,
            amount_centimes=amount_centimes,
            payer_phone=payer_phone,
            signed_at=write.signed_at,
            recorded_at=now,
            business_date=day,
            offline=write.offline,
            late=assignment.late,
            signed_business_date=signed_day if assignment.late else None,
            sequence=write.key,
        )
        session.add(contribution)
        session.flush()
        for a in allocations:
            session.add(
                AccountAllocation(
                    worker_id=worker.id,
                    month=a.month,
                    kind=a.kind,
                    amount_centimes=a.amount_centimes,
                    contribution_id=contribution.id,
                    reversal_id=None,
                )
            )
        session.flush()
        return Collected(
            receipt_number=receipt.number,
            receipt=receipt.jws,
            registration_number=worker.registration_number,
            amount_centimes=amount_centimes,
            business_date=day,
            allocations=[Credited(a.month, a.kind, a.amount_centimes) for a in allocations],
            rights=self._rights(session, worker, current),
        )

    # -- reverse --------------------------------------------------------------------------
    def reverse(
        self,
        uow: UnitOfWork,
        actor: Actor,
        terminal: TerminalContext,
        write: WriteContext,
        *,
        receipt_number: str,
        reason: str,
        supervisor: User,
    ) -> Reversed:
        session = uow.session
        found = session.exec(
            select(Contribution, Receipt)
            .join(Receipt, Receipt.id == Contribution.receipt_id)  # type: ignore[arg-type]
            .where(Receipt.number == receipt_number)
        ).first()
        if found is None:
            kind = session.exec(
                select(Receipt.kind, Receipt.office_id).where(Receipt.number == receipt_number)
            ).first()
            if kind is not None and kind[1] == terminal.office_id:
                raise Conflict(
                    f"receipt {receipt_number} is a {kind[0]}, not a collection",
                    code="not_a_collection",
                    field="receipt_number",
                )
            raise NotFound(f"no collection {receipt_number} at this office", field="receipt_number")
        contribution, original = found
        if contribution.office_id != terminal.office_id:
            raise NotFound(f"no collection {receipt_number} at this office", field="receipt_number")
        now = self._clock()
        today = business_date(now, self._settings.cutoff)
        if contribution.business_date != today:
            raise Conflict(
                f"collection {receipt_number} belongs to business day "
                f"{contribution.business_date.isoformat()}; only the same day's collections can "
                "be reversed at the counter. Ask CNSS finance for a correction.",
                code="reversal_window_closed",
            )
        # Hold today's day open while the reversal is recorded (closing waits for it).
        if assign_day(session, contribution.network_id, today).business_date != today or (
            is_closed(session, contribution.network_id, contribution.business_date)
        ):
            raise Conflict(
                f"business day {contribution.business_date.isoformat()} is closed; "
                "ask CNSS finance for a correction",
                code="day_closed",
            )
        if supervisor.id == contribution.operator_id:
            raise Conflict(
                "the supervisor who approves must not be the operator who collected",
                code="same_person",
                field="supervisor.username",
            )
        worker = session.exec(
            select(Worker).where(Worker.id == contribution.worker_id).with_for_update()
        ).one()
        assert worker.id is not None and contribution.id is not None  # noqa: PT018
        receipt = self._receipts.issue(
            session,
            kind="reversal",
            worker_id=worker.id,
            terminal=terminal,
            operator=actor.username,
            signed_at=write.signed_at,
            issued_at=now,
            amount_centimes=contribution.amount_centimes,
            claims={
                "registration_number": worker.registration_number,
                "reverses": receipt_number,
                "amount_centimes": contribution.amount_centimes,
                "approved_by": supervisor.username,
                "business_date": today.isoformat(),
            },
        )
        assert supervisor.id is not None
        reversal = Reversal(
            contribution_id=contribution.id,
            receipt_id=receipt.id,
            reason=reason,
            supervisor_id=supervisor.id,
            operator_id=actor.user_id,
            network_id=terminal.network_id,
            office_id=terminal.office_id,
            terminal_id=terminal.terminal_id,
            amount_centimes=contribution.amount_centimes,
            signed_at=write.signed_at,
            recorded_at=now,
            business_date=today,
            sequence=write.key,
        )
        try:
            with session.begin_nested():
                session.add(reversal)
                session.flush()
        except IntegrityError:
            raise Conflict(
                f"collection {receipt_number} is already reversed",
                code="already_reversed",
                field="receipt_number",
            ) from None
        for a in session.exec(
            select(AccountAllocation).where(AccountAllocation.contribution_id == contribution.id)
        ).all():
            session.add(
                AccountAllocation(
                    worker_id=worker.id,
                    month=a.month,
                    kind=a.kind,
                    amount_centimes=-a.amount_centimes,
                    contribution_id=None,
                    reversal_id=reversal.id,
                )
            )
        session.flush()
        assert original.number is not None
        return Reversed(
            receipt.number, receipt.jws, original.number, contribution.amount_centimes, today
        )

    # -- certificates ---------------------------------------------------------------------
    def certificate(
        self,
        uow: UnitOfWork,
        actor: Actor,
        terminal: TerminalContext,
        *,
        registration_number: str,
        kind: str,
    ) -> Certificate:
        """A signed rights or payment certificate, numbered like a receipt."""
        session = uow.session
        worker = find_worker(session, registration_number)
        assert worker.id is not None and worker.registration_number is not None  # noqa: PT018
        current = self._this_month()
        now = self._clock()
        claims: dict[str, object] = {
            "certificate": kind,
            "registration_number": worker.registration_number,
            "name": f"{worker.first_name} {worker.last_name}",
        }
        if kind == "rights":
            state = self._rights(session, worker, current)
            claims.update(
                status=state.status,
                covered_through=format_month(state.covered_through)
                if state.covered_through
                else None,
                reason=state.reason,
                as_of=format_month(current),
            )
        else:
            lines, _ = self._lines(session, worker, current, current)
            claims.update(
                months=[
                    {
                        "month": format_month(line.month),
                        "due_centimes": line.due_centimes,
                        "paid_centimes": line.paid_due_centimes,
                    }
                    for line in lines
                ],
                as_of=format_month(current),
            )
        issued = self._receipts.issue(
            session,
            kind="certificate",
            worker_id=worker.id,
            terminal=terminal,
            operator=actor.username,
            signed_at=None,
            issued_at=now,
            claims=claims,
        )
        return Certificate(issued.number, issued.jws, kind, worker.registration_number, claims)

    # -- rights ---------------------------------------------------------------------------
    def rights_of(self, registration_number: str) -> RightsView:
        with self._uow() as uow:
            worker = find_worker(uow.session, registration_number)
            category = uow.session.get(Category, worker.category)
            assert category is not None and worker.registration_number is not None  # noqa: PT018
            return RightsView(
                worker.registration_number,
                self._rights(uow.session, worker, self._this_month()),
                category.collected_at_counter,
            )

    def _rights(self, session: Session, worker: Worker, current: date) -> Rights:
        lines, _ = self._lines(session, worker, self._horizon(), current)
        dues = {line.month: line.due_centimes for line in lines}
        assert worker.id is not None
        events: dict[tuple[datetime, str, int], dict[date, int]] = defaultdict(dict)
        rows = session.execute(
            sa_select(
                col(AccountAllocation.month),
                col(AccountAllocation.amount_centimes),
                col(AccountAllocation.contribution_id),
                col(AccountAllocation.reversal_id),
                col(Contribution.recorded_at),
                col(Reversal.recorded_at),
            )
            .outerjoin(Contribution, col(Contribution.id) == col(AccountAllocation.contribution_id))
            .outerjoin(Reversal, col(Reversal.id) == col(AccountAllocation.reversal_id))
            .where(col(AccountAllocation.worker_id) == worker.id)
            .where(col(AccountAllocation.kind) == "due")
        ).all()
        for month, amount, contribution_id, reversal_id, paid_at, reversed_at in rows:
            at = paid_at if contribution_id is not None else reversed_at
            source = "c" if contribution_id is not None else "r"
            key = (at, source, contribution_id or reversal_id)
            events[key][month] = events[key].get(month, 0) + amount
        timeline = [
            AccountEvent(first_of_month(at.astimezone(CASABLANCA).date()), paid)
            for (at, _, _), paid in sorted(events.items())
        ]
        return rights(dues, timeline, current, self._settings.rights)


@dataclass(frozen=True)
class Certificate:
    number: str
    receipt: str
    kind: str
    registration_number: str
    claims: dict[str, object]


def locked_worker(session: Session, registration_number: str) -> Worker:
    worker = find_worker(session, registration_number)
    # Serialize every write to this worker's account for the rest of the transaction.
    locked: Worker = session.exec(
        select(Worker).where(Worker.id == worker.id).with_for_update()
    ).one()
    return locked


def _check_collectable(session: Session, worker: Worker) -> None:
    if worker.status != "active":
        raise Conflict(
            f"this worker's file is {worker.status}: no collection until CNSS reopens it",
            code="worker_suspended",
        )
    category = session.get(Category, worker.category)
    assert category is not None
    if not category.collected_at_counter:
        raise Conflict(
            f"{category.label_fr}: the health contribution is paid through the tax, "
            "not at the counter",
            code="not_collected_at_counter",
        )
