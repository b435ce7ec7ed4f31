"""How a worker is shown: identity masked (only the CIN's last 3 characters), category
history, dependents and a dues summary. Nothing here writes.

Two views: the full one (birth date, phone, address, dependents) for a counter that proved
the worker is there (their CIN, typed from the card) or that enrolled them; and the counter
view, what serving a worker named by registration number needs: the name to confirm with
the worker, the category, the dues and the masked CIN (issue 16)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from agent_api.domain.dues import CategoryPeriod, monthly_dues
from agent_api.domain.identity import mask_cin
from agent_api.domain.months import first_of_month
from agent_api.domain.tariff import Rate
from agent_api.persistence.tables import (
    Category,
    LiaisonEntry,
    Office,
    TariffRate,
    Worker,
    WorkerCategoryPeriod,
    WorkerDependent,
)
from agent_api.services.workers.identity import CinVault


@dataclass(frozen=True)
class DependentView:
    id: int
    relation: str
    cin_masked: str | None
    last_name: str
    first_name: str
    birth_date: date
    sex: str
    student: bool
    disabled: bool


@dataclass(frozen=True)
class PeriodView:
    category: str
    bracket: str
    effective_from: date


@dataclass(frozen=True)
class DuesSummary:
    first_month: date
    through_month: date
    months: int
    due_centimes: int
    collected_at_counter: bool


@dataclass(frozen=True)
class WorkerView:
    registration_number: str
    cin_masked: str
    last_name: str
    first_name: str
    last_name_ar: str | None
    first_name_ar: str | None
    birth_date: date
    sex: str
    phone: str
    address: str
    city: str
    category: str
    bracket: str
    document_number: str | None
    coverage_start: date
    status: str
    enrolled_at: datetime
    enrolled_office: str
    categories: list[PeriodView]
    dependents: list[DependentView]
    dues: DuesSummary


@dataclass(frozen=True)
class CounterView:
    """A worker read by registration number: nothing a harvest of the registry could use."""

    registration_number: str
    cin_masked: str
    last_name: str
    first_name: str
    last_name_ar: str | None
    first_name_ar: str | None
    category: str
    bracket: str
    coverage_start: date
    status: str
    enrolled_office: str
    dependents: int
    dues: DuesSummary


def counter_view(full: WorkerView) -> CounterView:
    return CounterView(
        registration_number=full.registration_number,
        cin_masked=full.cin_masked,
        last_name=full.last_name,
        first_name=full.first_name,
        last_name_ar=full.last_name_ar,
        first_name_ar=full.first_name_ar,
        category=full.category,
        bracket=full.bracket,
        coverage_start=full.coverage_start,
        status=full.status,
        enrolled_office=full.enrolled_office,
        dependents=len(full.dependents),
        dues=full.dues,
    )


@dataclass(frozen=True)
class LiaisonView:
    cin_masked: str
    last_name: str
    first_name: str
    birth_date: date | None
    category: str
    bracket: str | None
    document_number: str | None
    phone: str | None
    city: str | None
    source: str | None
    missing: list[str]


def load_periods(session: Session, worker_id: int) -> list[CategoryPeriod]:
    rows = session.exec(
        select(WorkerCategoryPeriod)
        .where(WorkerCategoryPeriod.worker_id == worker_id)
        .order_by(col(WorkerCategoryPeriod.effective_from))
    ).all()
    return [CategoryPeriod(r.category, r.bracket, r.effective_from) for r in rows]


def load_rates(session: Session, categories: set[str]) -> list[Rate]:
    rows = session.exec(
        select(TariffRate).where(col(TariffRate.category).in_(sorted(categories)))
    ).all()
    return [
        Rate(r.category, r.bracket, r.effective_from, r.base_centimes, r.rate_bps) for r in rows
    ]


def counter_categories(session: Session) -> frozenset[str]:
    """Categories whose flat monthly dues are collected at the counter."""
    rows = session.exec(
        select(Category.code)
        .where(Category.collected_at_counter == True)  # noqa: E712 - SQL, not Python
        .where(Category.daily_declaration == False)  # noqa: E712
    ).all()
    return frozenset(rows)


def worker_view(session: Session, vault: CinVault, worker: Worker, today: date) -> WorkerView:
    assert worker.id is not None and worker.registration_number is not None  # noqa: PT018
    periods = load_periods(session, worker.id)
    counter = counter_categories(session)
    through = first_of_month(today)
    dues = monthly_dues(
        periods,
        load_rates(session, {p.category for p in periods}),
        first=worker.coverage_start,
        last=through,
        counter_categories=counter,
    )
    current = periods[-1] if periods else None
    dependents = session.exec(
        select(WorkerDependent)
        .where(WorkerDependent.worker_id == worker.id)
        .where(WorkerDependent.removed_at.is_(None))  # type: ignore[union-attr]
        .order_by(col(WorkerDependent.id))
    ).all()
    office = session.get(Office, worker.office_id)
    assert office is not None
    return WorkerView(
        registration_number=worker.registration_number,
        cin_masked=mask_cin(vault.open(worker.cin_key_id, worker.cin_ciphertext)),
        last_name=worker.last_name,
        first_name=worker.first_name,
        last_name_ar=worker.last_name_ar,
        first_name_ar=worker.first_name_ar,
        birth_date=worker.birth_date,
        sex=worker.sex,
        phone=worker.phone,
        address=worker.address,
        city=worker.city,
        category=worker.category,
        bracket=worker.bracket,
        document_number=worker.document_number,
        coverage_start=worker.coverage_start,
        status=worker.status,
        enrolled_at=worker.enrolled_at,
        enrolled_office=office.code,
        categories=[PeriodView(p.category, p.bracket, p.effective_from) for p in periods],
        dependents=[
            DependentView(
                id=d.id or 0,
                relation=d.relation,
                cin_masked=(
                    mask_cin(vault.open(d.cin_key_id, d.cin_ciphertext))
                    if d.cin_ciphertext and d.cin_key_id
                    else None
                ),
                last_name=d.last_name,
                first_name=d.first_name,
                birth_date=d.birth_date,
                sex=d.sex,
                student=d.student,
                disabled=d.disabled,
            )
            for d in dependents
        ],
        dues=DuesSummary(
            first_month=worker.coverage_start,
            through_month=through,
            months=len(dues),
            due_centimes=sum(d.due_centimes for d in dues),
            collected_at_counter=current is not None and current.category in counter,
        ),
    )


def liaison_view(vault: CinVault, entry: LiaisonEntry) -> LiaisonView:
    fields = {
        "birth_date": entry.birth_date,
        "bracket": entry.bracket,
        "document_number": entry.document_number,
        "phone": entry.phone,
        "city": entry.city,
    }
    missing = [name for name, value in fields.items() if value in (None, "")]
    return LiaisonView(
        cin_masked=mask_cin(vault.open(entry.cin_key_id, entry.cin_ciphertext)),
        last_name=entry.last_name,
        first_name=entry.first_name,
        birth_date=entry.birth_date,
        category=entry.category,
        bracket=entry.bracket,
        document_number=entry.document_number,
        phone=entry.phone,
        city=entry.city,
        source=entry.source,
        missing=[*missing, "sex", "address", "coverage_start"],
    )
