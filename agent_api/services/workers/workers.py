"""Reading and amending an enrolled worker, and the amendment history.

Read by registration number, a worker shows what serving them needs (the counter view);
their full identity, their history and any amendment need the worker at the counter, proved
by the CIN typed from their card, or a terminal of the office that enrolled them. Reads by
number are counted against the terminal's read limit (``worker_reads``).

Every amendment is a signed write from a terminal and leaves one history row per change,
with who (operator), where (office, terminal) and when; a category change takes effect from
the next month, so the dues of the current month never move under the worker's feet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from agent_api.clock import CASABLANCA, Clock
from agent_api.domain.dependents import DependentRules
from agent_api.domain.identity import mask_cin
from agent_api.domain.months import add_months, first_of_month
from agent_api.domain.registration_number import is_valid_registration_number
from agent_api.domain.roles import Actor
from agent_api.errors import Forbidden, NotFound, ValidationFailed
from agent_api.persistence.tables import (
    Office,
    Receipt,
    User,
    Worker,
    WorkerAmendment,
    WorkerCategoryPeriod,
    WorkerDependent,
)
from agent_api.persistence.unit_of_work import UnitOfWork, UnitOfWorkFactory
from agent_api.services.sessions.security_events import SecurityEventService
from agent_api.services.sessions.terminal_auth import TerminalContext
from agent_api.services.workers.enrollment import (
    NewDependent,
    add_dependents,
    category_of,
    check_dependents,
    check_document_number,
)
from agent_api.services.workers.identity import CinVault
from agent_api.services.workers.worker_reads import ReadLimit, WorkerReadsThrottled, note_read
from agent_api.services.workers.worker_views import (
    CounterView,
    WorkerView,
    counter_view,
    worker_view,
)


class PresenceRequired(Forbidden):
    """Raised when a worker's full identity, history or amendment is asked by number alone,
    from a terminal of another office than the enrolling one."""

    code = "worker_presence_required"


class CinMismatch(ValidationFailed):
    """Raised when the CIN given as proof of presence is not this worker's."""

    code = "cin_mismatch"


@dataclass(frozen=True)
class Amendment:
    cin: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    category: str | None = None
    bracket: str | None = None
    document_number: str | None = None
    add_dependents: tuple[NewDependent, ...] = ()
    remove_dependents: tuple[int, ...] = ()


@dataclass(frozen=True)
class HistoryEntry:
    changed_at: datetime
    field: str
    old_value: str | None
    new_value: str | None
    effective_from: date | None
    office: str
    terminal_id: int
    operator: str


@dataclass(frozen=True)
class StoredReceipt:
    number: str
    kind: str
    issued_at: datetime
    amount_centimes: int | None
    receipt: str


def find_worker(session: Session, registration_number: str) -> Worker:
    if not is_valid_registration_number(registration_number):
        raise ValidationFailed(
            "registration_number: is not a valid registration number (10 digits, check digit)",
            field="registration_number",
        )
    worker = session.exec(
        select(Worker).where(Worker.registration_number == registration_number)
    ).first()
    if worker is None:
        raise NotFound("no worker with this registration number", field="registration_number")
    return worker


class WorkerService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        vault: CinVault,
        *,
        rules: DependentRules,
        allow_dependent_as_principal: bool,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._vault = vault
        self._rules = rules
        self._allow_dependent_as_principal = allow_dependent_as_principal

    def _today(self) -> date:
        return self._clock().astimezone(CASABLANCA).date()

    def read(
        self,
        terminal: TerminalContext,
        registration_number: str,
        *,
        limit: ReadLimit,
        events: SecurityEventService,
    ) -> CounterView:
        """The counter view, counted against the terminal's read limit."""
        try:
            with self._uow() as uow:
                worker = self._read(uow, terminal, registration_number, limit)
                view = counter_view(worker_view(uow.session, self._vault, worker, self._today()))
                uow.commit()
                return view
        except WorkerReadsThrottled as refused:
            refused.report(events)
            raise

    def identity(
        self,
        terminal: TerminalContext,
        registration_number: str,
        *,
        limit: ReadLimit,
        events: SecurityEventService,
    ) -> WorkerView:
        """The full view, by number: for a terminal of the enrolling office only."""
        try:
            with self._uow() as uow:
                worker = self._read(uow, terminal, registration_number, limit)
                _refuse_other_offices(worker, terminal, "identity")
                view = worker_view(uow.session, self._vault, worker, self._today())
                uow.commit()
                return view
        except WorkerReadsThrottled as refused:
            refused.report(events)
            raise

    def _read(
        self,
        uow: UnitOfWork,
        terminal: TerminalContext,
        registration_number: str,
        limit: ReadLimit,
    ) -> Worker:
        worker = find_worker(uow.session, registration_number)
        assert worker.id is not None
        note_read(
            uow.session,
            terminal=terminal,
            worker_id=worker.id,
            now=self._clock(),
            limit=limit,
        )
        return worker

    def amend(
        self,
        uow: UnitOfWork,
        actor: Actor,
        terminal: TerminalContext,
        registration_number: str,
        change: Amendment,
        *,
        sequence: int,
    ) -> WorkerView:
        session = uow.session
        now = self._clock()
        today = self._today()
        worker = find_worker(session, registration_number)
        assert worker.id is not None
        if change.cin is not None:
            if self._vault.index(change.cin) != worker.cin_index:
                raise CinMismatch(
                    "cin: is not the CIN of this worker; type it again from their card",
                    field="cin",
                )
        else:
            _refuse_other_offices(worker, terminal, "amendment")
        history: list[tuple[str, str | None, str | None, date | None]] = []
        for name in ("phone", "address", "city"):
            value = getattr(change, name)
            if value is not None and value != getattr(worker, name):
                history.append((name, getattr(worker, name), value, None))
                setattr(worker, name, value)
        if change.category is not None or change.bracket is not None:
            self._change_category(session, worker, change, today, history)
        elif (
            change.document_number is not None and change.document_number != worker.document_number
        ):
            category = category_of(session, worker.category, worker.bracket)
            check_document_number(category, change.document_number)
            history.append(
                ("document_number", worker.document_number, change.document_number, None)
            )
            worker.document_number = change.document_number
        self._remove_dependents(session, worker.id, change.remove_dependents, now, history)
        if change.add_dependents:
            spouses = len(
                session.exec(
                    select(WorkerDependent.id)
                    .where(WorkerDependent.worker_id == worker.id)
                    .where(WorkerDependent.relation == "spouse")
                    .where(WorkerDependent.removed_at.is_(None))  # type: ignore[union-attr]
                ).all()
            )
            indexes = check_dependents(
                session,
                vault=self._vault,
                rules=self._rules,
                dependents=change.add_dependents,
                worker_index=worker.cin_index,
                today=today,
                existing_spouses=spouses,
                allow_dependent_as_principal=self._allow_dependent_as_principal,
                field_prefix="add_dependents",
            )
            add_dependents(
                session,
                vault=self._vault,
                worker_id=worker.id,
                dependents=change.add_dependents,
                indexes=indexes,
                now=now,
            )
            for dependent in change.add_dependents:
                history.append(("dependent_added", None, _describe(dependent), None))
        if not history:
            raise ValidationFailed("nothing to change: every value is already the current one")
        session.add(worker)
        for name, old, new, effective in history:
            session.add(
                WorkerAmendment(
                    worker_id=worker.id,
                    field=name,
                    old_value=old,
                    new_value=new,
                    effective_from=effective,
                    changed_at=now,
                    office_id=terminal.office_id,
                    terminal_id=terminal.terminal_id,
                    user_id=actor.user_id,
                    sequence=sequence,
                )
            )
        session.flush()
        return worker_view(session, self._vault, worker, today)

    def _change_category(
        self,
        session: Session,
        worker: Worker,
        change: Amendment,
        today: date,
        history: list[tuple[str, str | None, str | None, date | None]],
    ) -> None:
        if change.category is None or change.bracket is None:
            field = "bracket" if change.bracket is None else "category"
            raise ValidationFailed(
                f"{field}: a category change names both category and bracket", field=field
            )
        category = category_of(session, change.category, change.bracket)
        document = change.document_number or worker.document_number
        check_document_number(category, document)
        # From the next month: the current month's due was set when the month began.
        effective = add_months(first_of_month(today), 1)
        effective = max(effective, worker.coverage_start)
        period = session.exec(
            select(WorkerCategoryPeriod)
            .where(WorkerCategoryPeriod.worker_id == worker.id)
            .where(WorkerCategoryPeriod.effective_from == effective)
        ).first()
        if period is None:
            assert worker.id is not None
            period = WorkerCategoryPeriod(
                worker_id=worker.id,
                category=change.category,
                bracket=change.bracket,
                effective_from=effective,
            )
        else:
            period.category, period.bracket = change.category, change.bracket
        session.add(period)
        old = f"{worker.category}/{worker.bracket}"
        history.append(("category", old, f"{change.category}/{change.bracket}", effective))
        worker.category, worker.bracket = change.category, change.bracket
        if document != worker.document_number:
            history.append(("document_number", worker.document_number, document, None))
            worker.document_number = document

    def _remove_dependents(
        self,
        session: Session,
        worker_id: int,
        ids: tuple[int, ...],
        now: datetime,
        history: list[tuple[str, str | None, str | None, date | None]],
    ) -> None:
        for i, dependent_id in enumerate(ids):
            dependent = session.get(WorkerDependent, dependent_id)
            if dependent is None or dependent.worker_id != worker_id or dependent.removed_at:
                raise NotFound(
                    f"remove_dependents[{i}]: no current dependent {dependent_id} of this worker",
                    field=f"remove_dependents[{i}]",
                )
            dependent.removed_at = now
            session.add(dependent)
            masked = (
                mask_cin(self._vault.open(dependent.cin_key_id, dependent.cin_ciphertext))
                if dependent.cin_key_id and dependent.cin_ciphertext
                else None
            )
            label = f"{dependent.relation}: {dependent.first_name} {dependent.last_name}"
            history.append(
                ("dependent_removed", label + (f" ({masked})" if masked else ""), None, None)
            )

    def history(
        self,
        terminal: TerminalContext,
        registration_number: str,
        *,
        limit: ReadLimit,
        events: SecurityEventService,
    ) -> list[HistoryEntry]:
        """The history, by number: for a terminal of the enrolling office only."""
        try:
            with self._uow() as uow:
                worker = self._read(uow, terminal, registration_number, limit)
                _refuse_other_offices(worker, terminal, "history")
                entries = _history(uow.session, worker)
                uow.commit()
                return entries
        except WorkerReadsThrottled as refused:
            refused.report(events)
            raise

    def history_by_cin(self, uow: UnitOfWork, cin: str) -> list[HistoryEntry]:
        """The history of the worker whose CIN the counter typed from the card, inside the
        caller's unit of work (it travels as a signed write, like a lookup)."""
        worker = uow.session.exec(
            select(Worker).where(Worker.cin_index == self._vault.index(cin))
        ).first()
        if worker is None:
            raise NotFound("no worker with this CIN", field="cin")
        return _history(uow.session, worker)

    def receipt(self, actor: Actor, number: str) -> StoredReceipt:
        """A receipt the caller's own office issued (other offices' are not found)."""
        with self._uow() as uow:
            row = uow.session.exec(select(Receipt).where(Receipt.number == number)).first()
            if row is None or row.office_id != actor.office_id or row.number is None:
                raise NotFound(f"no receipt {number} issued by this office", field="number")
            return StoredReceipt(row.number, row.kind, row.issued_at, row.amount_centimes, row.jws)


def _refuse_other_offices(worker: Worker, terminal: TerminalContext, what: str) -> None:
    if worker.office_id != terminal.office_id:
        raise PresenceRequired(
            f"a worker's {what} needs the worker at the counter: type the CIN from their "
            "card (another office enrolled them)",
            field="cin",
        )


def _history(session: Session, worker: Worker) -> list[HistoryEntry]:
    rows = session.exec(
        select(WorkerAmendment, Office.code, User.username)
        .join(Office, Office.id == WorkerAmendment.office_id)  # type: ignore[arg-type]
        .join(User, User.id == WorkerAmendment.user_id)  # type: ignore[arg-type]
        .where(WorkerAmendment.worker_id == worker.id)
        .order_by(col(WorkerAmendment.id))
    ).all()
    return [
        HistoryEntry(
            changed_at=a.changed_at,
            field=a.field,
            old_value=a.old_value,
            new_value=a.new_value,
            effective_from=a.effective_from,
            office=office,
            terminal_id=a.terminal_id,
            operator=username,
        )
        for a, office, username in rows
    ]


def _describe(dependent: NewDependent) -> str:
    label = f"{dependent.relation}: {dependent.first_name} {dependent.last_name}"
    return label + (f" ({mask_cin(dependent.cin)})" if dependent.cin else "")
