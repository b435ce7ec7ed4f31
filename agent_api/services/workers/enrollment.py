"""Enrolling a worker at the counter, and finding one by CIN.

One CIN, one worker: the blind index is unique, so two offices enrolling the same person at
the same instant cannot both succeed; the loser is told the winner's registration number.
Everything is validated before anything is written, and the whole enrollment (worker,
category period, dependents, liaison link, receipt) is one transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from agent_api.clock import CASABLANCA, Clock
from agent_api.domain.dependents import DependentRules, dependent_problem, worker_problem
from agent_api.domain.months import add_months, first_of_month, format_month
from agent_api.domain.registration_number import format_registration_number
from agent_api.domain.roles import Actor
from agent_api.errors import Conflict, NotFound, ValidationFailed
from agent_api.persistence.tables import (
    Category,
    CategoryBracket,
    LiaisonEntry,
    Worker,
    WorkerCategoryPeriod,
    WorkerDependent,
)
from agent_api.persistence.unit_of_work import UnitOfWork, UnitOfWorkFactory
from agent_api.services.sessions.terminal_auth import TerminalContext
from agent_api.services.workers.identity import CinVault
from agent_api.services.workers.worker_views import (
    LiaisonView,
    WorkerView,
    liaison_view,
    worker_view,
)
from agent_api.services.writes.receipts import ReceiptSigner
from agent_api.services.writes.signed_writes import Decision


@dataclass(frozen=True)
class NewDependent:
    relation: str
    cin: str | None
    last_name: str
    first_name: str
    birth_date: date
    sex: str
    student: bool = False
    disabled: bool = False


@dataclass(frozen=True)
class NewWorker:
    """What the operator typed; fields left empty may come from the liaison list."""

    cin: str
    last_name: str | None = None
    first_name: str | None = None
    last_name_ar: str | None = None
    first_name_ar: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    category: str | None = None
    bracket: str | None = None
    document_number: str | None = None
    coverage_start: date | None = None
    dependents: tuple[NewDependent, ...] = ()


@dataclass(frozen=True)
class Enrolled:
    worker: WorkerView
    receipt_number: str
    receipt: str
    compact: str = ""  # the receipt's compact form, for the ticket's QR

    def decision(self) -> Decision:
        return Decision(receipt=self.receipt_number)


@dataclass(frozen=True)
class LookupResult:
    status: str  # enrolled | pre_registered
    worker: WorkerView | None
    pre_registration: LiaisonView | None


REQUIRED = (
    "last_name",
    "first_name",
    "birth_date",
    "sex",
    "phone",
    "address",
    "city",
    "category",
    "bracket",
    "coverage_start",
)


class WorkerAlreadyEnrolled(Conflict):
    """Raised when the CIN already belongs to an enrolled worker."""

    code = "worker_already_enrolled"


class EnrollmentService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        vault: CinVault,
        receipts: ReceiptSigner,
        *,
        rules: DependentRules,
        allow_dependent_as_principal: bool,
        max_past_months: int,
        max_future_months: int,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._vault = vault
        self._receipts = receipts
        self._rules = rules
        self._allow_dependent_as_principal = allow_dependent_as_principal
        self._max_past = max_past_months
        self._max_future = max_future_months

    def _today(self) -> date:
        return self._clock().astimezone(CASABLANCA).date()

    # -- lookup ---------------------------------------------------------------------------
    def lookup(self, uow: UnitOfWork, cin: str) -> LookupResult:
        """Inside the caller's unit of work (the lookup travels as a signed write)."""
        index = self._vault.index(cin)
        session = uow.session
        worker = session.exec(select(Worker).where(Worker.cin_index == index)).first()
        if worker is not None:
            view = worker_view(session, self._vault, worker, self._today())
            return LookupResult("enrolled", view, None)
        entry = session.exec(select(LiaisonEntry).where(LiaisonEntry.cin_index == index)).first()
        if entry is not None:
            return LookupResult("pre_registered", None, liaison_view(self._vault, entry))
        raise NotFound("no worker or pre-registration with this CIN", field="cin")

    # -- enroll ---------------------------------------------------------------------------
    def enroll(
        self,
        uow: UnitOfWork,
        actor: Actor,
        terminal: TerminalContext,
        new: NewWorker,
        *,
        signed_at: datetime,
    ) -> Enrolled:
        session = uow.session
        now = self._clock()
        today = self._today()
        index = self._vault.index(new.cin)
        self._refuse_if_enrolled(session, index)
        if not self._allow_dependent_as_principal and _is_dependent(session, index):
            raise Conflict(
                "this CIN is covered as a dependent; enrolling it as a worker needs the "
                "dependent-as-principal rule",
                code="cin_is_a_dependent",
                field="cin",
            )
        entry = session.exec(select(LiaisonEntry).where(LiaisonEntry.cin_index == index)).first()
        data = _complete_from_liaison(new, entry)
        for name in REQUIRED:
            if getattr(data, name) in (None, ""):
                raise ValidationFailed(f"{name}: is required", field=name)
        assert data.birth_date is not None and data.coverage_start is not None  # noqa: PT018
        assert data.category is not None and data.bracket is not None  # noqa: PT018
        problem = worker_problem(data.birth_date, today, self._rules)
        if problem:
            raise ValidationFailed(f"birth_date: {problem}", field="birth_date")
        category = category_of(session, data.category, data.bracket)
        check_document_number(category, data.document_number)
        self._check_coverage_start(data.coverage_start, today)
        dependent_indexes = self._check_dependents(session, data.dependents, index, today)

        key_id, sealed = self._vault.seal(new.cin)
        worker = Worker(
            registration_number=None,
            cin_index=index,
            cin_ciphertext=sealed,
            cin_key_id=key_id,
            last_name=data.last_name or "",
            first_name=data.first_name or "",
            last_name_ar=data.last_name_ar,
            first_name_ar=data.first_name_ar,
            birth_date=data.birth_date,
            sex=data.sex or "",
            phone=data.phone or "",
            address=data.address or "",
            city=data.city or "",
            category=data.category,
            bracket=data.bracket,
            document_number=data.document_number,
            coverage_start=data.coverage_start,
            status="active",
            enrolled_at=now,
            office_id=terminal.office_id,
            terminal_id=terminal.terminal_id,
            enrolled_by=actor.user_id,
        )
        try:
            with session.begin_nested():
                session.add(worker)
                session.flush()
        except IntegrityError:
            # Another office enrolled this CIN in the same instant and committed first.
            self._refuse_if_enrolled(session, index)
            raise
        assert worker.id is not None
        worker.registration_number = format_registration_number(worker.id)
        session.add(worker)
        session.add(
            WorkerCategoryPeriod(
                worker_id=worker.id,
                category=data.category,
                bracket=data.bracket,
                effective_from=data.coverage_start,
            )
        )
        add_dependents(
            session,
            vault=self._vault,
            worker_id=worker.id,
            dependents=data.dependents,
            indexes=dependent_indexes,
            now=now,
        )
        if entry is not None:
            entry.worker_id = worker.id
            session.add(entry)
        receipt = self._receipts.issue(
            session,
            kind="enrollment",
            worker_id=worker.id,
            terminal=terminal,
            operator=actor.username,
            signed_at=signed_at,
            issued_at=now,
            claims={
                "registration_number": worker.registration_number,
                "category": data.category,
                "bracket": data.bracket,
                "coverage_start": format_month(data.coverage_start),
            },
        )
        session.flush()
        view = worker_view(session, self._vault, worker, today)
        return Enrolled(view, receipt.number, receipt.jws, receipt.compact)

    def _refuse_if_enrolled(self, session: Session, index: str) -> None:
        existing = session.exec(
            select(Worker.registration_number).where(Worker.cin_index == index)
        ).first()
        if existing is not None:
            raise WorkerAlreadyEnrolled(
                f"this CIN is already enrolled under registration number {existing}",
                field="cin",
                details={"registration_number": existing},
            )

    def _check_coverage_start(self, start: date, today: date) -> None:
        this_month = first_of_month(today)
        earliest = add_months(this_month, -self._max_past)
        latest = add_months(this_month, self._max_future)
        if not earliest <= start <= latest:
            raise ValidationFailed(
                f"coverage_start: must be between {format_month(earliest)} and "
                f"{format_month(latest)}",
                field="coverage_start",
            )

    def _check_dependents(
        self,
        session: Session,
        dependents: tuple[NewDependent, ...],
        worker_index: str,
        today: date,
    ) -> list[str | None]:
        return check_dependents(
            session,
            vault=self._vault,
            rules=self._rules,
            dependents=dependents,
            worker_index=worker_index,
            today=today,
            existing_spouses=0,
            allow_dependent_as_principal=self._allow_dependent_as_principal,
        )


def check_dependents(
    session: Session,
    *,
    vault: CinVault,
    rules: DependentRules,
    dependents: tuple[NewDependent, ...],
    worker_index: str,
    today: date,
    existing_spouses: int,
    allow_dependent_as_principal: bool,
    field_prefix: str = "dependents",
) -> list[str | None]:
    """Validate new dependents; their blind indexes (None without CIN) in the same order."""
    indexes: list[str | None] = []
    spouses = existing_spouses
    for i, dependent in enumerate(dependents):
        where = f"{field_prefix}[{i}]"
        problem = dependent_problem(
            dependent.relation,  # type: ignore[arg-type]
            dependent.birth_date,
            today,
            student=dependent.student,
            disabled=dependent.disabled,
            rules=rules,
        )
        if problem:
            raise ValidationFailed(f"{where}.birth_date: {problem}", field=f"{where}.birth_date")
        if dependent.relation == "spouse":
            spouses += 1
            if spouses > rules.max_spouses:
                raise ValidationFailed(
                    f"{where}: at most {rules.max_spouses} spouses", field=f"{where}.relation"
                )
            if dependent.cin is None:
                raise ValidationFailed(
                    f"{where}.cin: is required for a spouse", field=f"{where}.cin"
                )
        index = vault.index(dependent.cin) if dependent.cin else None
        if index is not None:
            if index == worker_index or index in indexes:
                raise ValidationFailed(
                    f"{where}.cin: appears twice in this enrollment", field=f"{where}.cin"
                )
            if (
                not allow_dependent_as_principal
                and session.exec(select(Worker.id).where(Worker.cin_index == index)).first()
            ):
                raise Conflict(
                    f"{where}: this person is an insured worker in their own right",
                    code="dependent_is_insured",
                    field=f"{where}.cin",
                )
            if session.exec(
                select(WorkerDependent.id)
                .where(WorkerDependent.cin_index == index)
                .where(WorkerDependent.relation == dependent.relation)
                .where(WorkerDependent.removed_at.is_(None))  # type: ignore[union-attr]
            ).first():
                raise Conflict(
                    f"{where}: already covered as another worker's {dependent.relation}",
                    code="dependent_already_covered",
                    field=f"{where}.cin",
                )
        indexes.append(index)
    return indexes


def add_dependents(
    session: Session,
    *,
    vault: CinVault,
    worker_id: int,
    dependents: tuple[NewDependent, ...],
    indexes: list[str | None],
    now: datetime,
) -> None:
    for dependent, index in zip(dependents, indexes, strict=True):
        key_id = sealed = None
        if dependent.cin is not None:
            key_id, sealed = vault.seal(dependent.cin)
        session.add(
            WorkerDependent(
                worker_id=worker_id,
                relation=dependent.relation,
                cin_index=index,
                cin_ciphertext=sealed,
                cin_key_id=key_id,
                last_name=dependent.last_name,
                first_name=dependent.first_name,
                birth_date=dependent.birth_date,
                sex=dependent.sex,
                student=dependent.student,
                disabled=dependent.disabled,
                added_at=now,
                removed_at=None,
            )
        )
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Lost a race with another enrollment naming the same dependent.
        raise Conflict(
            "a dependent was just covered by another worker", code="dependent_already_covered"
        ) from None


def _is_dependent(session: Session, index: str) -> bool:
    return (
        session.exec(
            select(WorkerDependent.id)
            .where(WorkerDependent.cin_index == index)
            .where(WorkerDependent.removed_at.is_(None))  # type: ignore[union-attr]
        ).first()
        is not None
    )


def _complete_from_liaison(new: NewWorker, entry: LiaisonEntry | None) -> NewWorker:
    if entry is None:
        return new
    known = {
        "last_name": entry.last_name,
        "first_name": entry.first_name,
        "birth_date": entry.birth_date,
        "category": entry.category,
        "bracket": entry.bracket,
        "document_number": entry.document_number,
        "phone": entry.phone,
        "city": entry.city,
    }
    missing = {k: v for k, v in known.items() if getattr(new, k) in (None, "") and v}
    return replace(new, **missing)  # type: ignore[arg-type]


def category_of(session: Session, code: str, bracket: str) -> Category:
    category = session.get(Category, code)
    if category is None:
        raise ValidationFailed("category: is not a known category", field="category")
    if session.get(CategoryBracket, (code, bracket)) is None:
        raise ValidationFailed(f"bracket: is not a bracket of category {code}", field="bracket")
    return category


def check_document_number(category: Category, number: str | None) -> None:
    if category.document_label is None:
        return
    if not number:
        raise ValidationFailed(
            f"document_number: {category.document_label} is required for this category",
            field="document_number",
        )
    if category.document_pattern and not re.fullmatch(category.document_pattern, number):
        raise ValidationFailed(
            f"document_number: is not a valid {category.document_label}",
            field="document_number",
        )
