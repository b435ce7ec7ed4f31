"""Fishing-sector days: a boat owner or cooperative declares the days each sailor worked.

Each day's contribution is the rate applied to the day's earnings, never less than one day
of minimum wage; at most 26 contribution days a month; a day is declared once (a unique
constraint). The declared days become that month's dues.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from agent_api.clock import CASABLANCA, Clock
from agent_api.domain.months import add_months, first_of_month
from agent_api.domain.roles import Actor
from agent_api.domain.tariff import (
    DAILY_MIN_WAGE_CENTIMES,
    MAX_CONTRIBUTION_DAYS_PER_MONTH,
    Rate,
    daily_contribution,
    rate_for,
)
from agent_api.errors import Conflict, ValidationFailed
from agent_api.persistence.tables import Category, DailyDeclaration, TariffRate
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.services.accounts.accounts import locked_worker
from agent_api.services.sessions.terminal_auth import TerminalContext
from agent_api.services.writes.idempotency import WriteContext


@dataclass(frozen=True)
class DeclaredDay:
    day: date
    earnings_centimes: int
    contribution_centimes: int


@dataclass(frozen=True)
class Declared:
    registration_number: str
    days: list[DeclaredDay]
    total_centimes: int


class DeclarationService:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def declare(
        self,
        uow: UnitOfWork,
        actor: Actor,
        terminal: TerminalContext,
        write: WriteContext,
        *,
        registration_number: str,
        declared_by: str,
        days: list[tuple[date, int]],
    ) -> Declared:
        session = uow.session
        worker = locked_worker(session, registration_number)
        category = session.get(Category, worker.category)
        assert category is not None and worker.id is not None  # noqa: PT018
        if not category.daily_declaration:
            raise ValidationFailed(
                "registration_number: not a fishing-sector worker (no daily declarations)",
                field="registration_number",
            )
        today = self._clock().astimezone(CASABLANCA).date()
        seen: set[date] = set()
        for i, (day, _) in enumerate(days):
            if day > today:
                raise ValidationFailed(f"days[{i}].date: is in the future", field=f"days[{i}].date")
            if first_of_month(day) < worker.coverage_start:
                raise ValidationFailed(
                    f"days[{i}].date: is before the worker's coverage start",
                    field=f"days[{i}].date",
                )
            if day in seen:
                raise ValidationFailed(
                    f"days[{i}].date: appears twice in this declaration", field=f"days[{i}].date"
                )
            seen.add(day)
        per_month = Counter(first_of_month(day) for day, _ in days)
        for month, count in per_month.items():
            already = len(
                session.exec(
                    select(DailyDeclaration.id)
                    .where(DailyDeclaration.worker_id == worker.id)
                    .where(DailyDeclaration.day >= month)
                    .where(DailyDeclaration.day < _next_month(month))
                ).all()
            )
            if already + count > MAX_CONTRIBUTION_DAYS_PER_MONTH:
                raise ValidationFailed(
                    f"days: at most {MAX_CONTRIBUTION_DAYS_PER_MONTH} contribution days in "
                    f"{month:%Y-%m} ({already} already declared)",
                    field="days",
                )
        rates = [
            Rate(r.category, r.bracket, r.effective_from, r.base_centimes, r.rate_bps)
            for r in session.exec(select(TariffRate).where(TariffRate.category == worker.category))
        ]
        declared = []
        now = self._clock()
        for day, earnings in sorted(days):
            rate = rate_for(rates, worker.category, worker.bracket, first_of_month(day))
            amount = daily_contribution(earnings, rate.rate_bps, DAILY_MIN_WAGE_CENTIMES)
            session.add(
                DailyDeclaration(
                    worker_id=worker.id,
                    day=day,
                    earnings_centimes=earnings,
                    contribution_centimes=amount,
                    declared_by=declared_by,
                    declared_at=now,
                    office_id=terminal.office_id,
                    terminal_id=terminal.terminal_id,
                    user_id=actor.user_id,
                    sequence=write.key,
                )
            )
            declared.append(DeclaredDay(day, earnings, amount))
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            raise Conflict(
                "one of these days is already declared for this worker",
                code="day_already_declared",
                field="days",
            ) from None
        assert worker.registration_number is not None
        return Declared(
            worker.registration_number, declared, sum(d.contribution_centimes for d in declared)
        )


def _next_month(month: date) -> date:
    return add_months(month, 1)
