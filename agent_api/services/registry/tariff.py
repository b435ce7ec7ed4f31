"""The tariff: categories, brackets and effective-dated bases and rates.

A rate row is never edited. A cnss_admin adds a row effective from a future month, so dues
already owed (this month and before) never change; the rate of a month is the latest row
effective on or before it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from agent_api.clock import CASABLANCA, Clock
from agent_api.domain.months import first_of_month, format_month
from agent_api.domain.permissions import MANAGE_TARIFF, READ_REGISTRY, require
from agent_api.domain.roles import Actor
from agent_api.domain.tariff import Rate, TariffSnapshot, monthly_contribution, rate_for
from agent_api.errors import AlreadyExists, ValidationFailed
from agent_api.persistence.tables import Category, CategoryBracket, SurchargeWaiver, TariffRate
from agent_api.persistence.tariff import read_tariff
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.services.log import audit_log


@dataclass(frozen=True)
class RateView:
    category: str
    bracket: str
    effective_from: date
    base_centimes: int
    rate_bps: int
    monthly_due_centimes: int
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class BracketView:
    code: str
    label: str
    current: RateView | None
    upcoming: list[RateView]


@dataclass(frozen=True)
class CategoryView:
    code: str
    label_fr: str
    label_ar: str
    document_label: str | None
    collected_at_counter: bool
    daily_declaration: bool
    brackets: list[BracketView]


def _rate_view(row: TariffRate) -> RateView:
    return RateView(
        category=row.category,
        bracket=row.bracket,
        effective_from=row.effective_from,
        base_centimes=row.base_centimes,
        rate_bps=row.rate_bps,
        monthly_due_centimes=monthly_contribution(row.base_centimes, row.rate_bps),
        created_at=row.created_at,
        created_by=row.created_by,
    )


class TariffService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def _this_month(self) -> date:
        return first_of_month(self._clock().astimezone(CASABLANCA).date())

    def catalogue(self) -> list[CategoryView]:
        """Every category with its brackets, the rate in force and the announced ones."""
        month = self._this_month()
        with self._uow() as uow:
            categories = uow.session.exec(select(Category).order_by(col(Category.code))).all()
            brackets = uow.session.exec(
                select(CategoryBracket).order_by(col(CategoryBracket.code))
            ).all()
            rows = uow.session.exec(select(TariffRate).order_by(col(TariffRate.effective_from)))
            rates = list(rows)
        domain_rates = [
            Rate(r.category, r.bracket, r.effective_from, r.base_centimes, r.rate_bps)
            for r in rates
        ]
        views = []
        for category in categories:
            bracket_views = []
            for bracket in (b for b in brackets if b.category == category.code):
                mine = [
                    r for r in rates if (r.category, r.bracket) == (category.code, bracket.code)
                ]
                try:
                    current_rate = rate_for(domain_rates, category.code, bracket.code, month)
                    current = next(
                        _rate_view(r)
                        for r in mine
                        if r.effective_from == current_rate.effective_from
                    )
                except LookupError:
                    current = None
                upcoming = [_rate_view(r) for r in mine if r.effective_from > month]
                bracket_views.append(BracketView(bracket.code, bracket.label, current, upcoming))
            views.append(
                CategoryView(
                    code=category.code,
                    label_fr=category.label_fr,
                    label_ar=category.label_ar,
                    document_label=category.document_label,
                    collected_at_counter=category.collected_at_counter,
                    daily_declaration=category.daily_declaration,
                    brackets=bracket_views,
                )
            )
        return views

    def rates(self, actor: Actor, *, category: str | None) -> list[RateView]:
        require(actor, READ_REGISTRY)
        with self._uow() as uow:
            query = select(TariffRate).order_by(
                col(TariffRate.category), col(TariffRate.bracket), col(TariffRate.effective_from)
            )
            if category is not None:
                query = query.where(TariffRate.category == category)
            return [_rate_view(r) for r in uow.session.exec(query)]

    def add_rate(
        self,
        actor: Actor,
        *,
        category: str,
        bracket: str,
        effective_from: date,
        base_centimes: int,
        rate_bps: int,
    ) -> RateView:
        require(actor, MANAGE_TARIFF)
        month = self._this_month()
        if effective_from <= month:
            raise ValidationFailed(
                f"effective_from: must be a future month (after {format_month(month)}); "
                "dues already owed never change",
                field="effective_from",
            )
        with self._uow() as uow:
            _require_bracket(uow.session, category, bracket)
            row = TariffRate(
                category=category,
                bracket=bracket,
                effective_from=effective_from,
                base_centimes=base_centimes,
                rate_bps=rate_bps,
                created_at=self._clock(),
                created_by=actor.username,
            )
            uow.session.add(row)
            try:
                uow.session.flush()
            except IntegrityError:
                raise AlreadyExists(
                    f"a rate for {category}/{bracket} from {format_month(effective_from)} exists",
                    field="effective_from",
                ) from None
            audit_log.append(
                uow.session,
                "tariff_rate",
                {**audit_log.actor_facts(actor), "category": category, "bracket": bracket},
                at=self._clock(),
            )
            uow.commit()
            return _rate_view(row)

    def add_category(
        self,
        actor: Actor,
        *,
        code: str,
        label_fr: str,
        label_ar: str,
        document_label: str | None,
        document_pattern: str | None,
        collected_at_counter: bool,
        daily_declaration: bool,
    ) -> None:
        require(actor, MANAGE_TARIFF)
        with self._uow() as uow:
            uow.session.add(
                Category(
                    code=code,
                    label_fr=label_fr,
                    label_ar=label_ar,
                    document_label=document_label,
                    document_pattern=document_pattern,
                    collected_at_counter=collected_at_counter,
                    daily_declaration=daily_declaration,
                )
            )
            try:
                uow.session.flush()
            except IntegrityError:
                raise AlreadyExists(f"category {code} exists", field="code") from None
            audit_log.append(
                uow.session,
                "tariff_category",
                {**audit_log.actor_facts(actor), "category": code},
                at=self._clock(),
            )
            uow.commit()

    def add_bracket(self, actor: Actor, *, category: str, code: str, label: str) -> None:
        require(actor, MANAGE_TARIFF)
        with self._uow() as uow:
            if uow.session.get(Category, category) is None:
                raise ValidationFailed("category: is not a known category", field="category")
            uow.session.add(CategoryBracket(category=category, code=code, label=label))
            try:
                uow.session.flush()
            except IntegrityError:
                raise AlreadyExists(f"bracket {category}/{code} exists", field="code") from None
            audit_log.append(
                uow.session,
                "tariff_bracket",
                {**audit_log.actor_facts(actor), "category": category, "bracket": code},
                at=self._clock(),
            )
            uow.commit()


def _require_bracket(session: Session, category: str, bracket: str) -> None:
    if session.get(Category, category) is None:
        raise ValidationFailed("category: is not a known category", field="category")
    if session.get(CategoryBracket, (category, bracket)) is None:
        raise ValidationFailed(f"bracket: is not a bracket of category {category}", field="bracket")


@dataclass(frozen=True)
class WaiverView:
    id: int
    starts_on: date
    ends_on: date
    categories: list[str]
    reason: str
    created_at: datetime
    created_by: str


def _waiver_view(row: SurchargeWaiver) -> WaiverView:
    return WaiverView(
        id=row.id or 0,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        categories=[c for c in row.categories.split(",") if c],
        reason=row.reason,
        created_at=row.created_at,
        created_by=row.created_by,
    )


class AmnestyService:
    """Campaign windows during which late surcharges are waived (all categories, or some)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def create(
        self, actor: Actor, *, starts_on: date, ends_on: date, categories: list[str], reason: str
    ) -> WaiverView:
        require(actor, MANAGE_TARIFF)
        if ends_on < starts_on:
            raise ValidationFailed("ends_on: must not be before starts_on", field="ends_on")
        with self._uow() as uow:
            for i, code in enumerate(categories):
                if uow.session.get(Category, code) is None:
                    raise ValidationFailed(
                        f"categories[{i}]: is not a known category", field=f"categories[{i}]"
                    )
            row = SurchargeWaiver(
                starts_on=starts_on,
                ends_on=ends_on,
                categories=",".join(sorted(set(categories))),
                reason=reason,
                created_at=self._clock(),
                created_by=actor.username,
            )
            uow.session.add(row)
            uow.session.flush()
            audit_log.append(
                uow.session,
                "surcharge_waiver",
                {
                    **audit_log.actor_facts(actor),
                    "starts_on": starts_on.isoformat(),
                    "ends_on": ends_on.isoformat(),
                },
                at=self._clock(),
            )
            uow.commit()
            return _waiver_view(row)

    def list(self, actor: Actor) -> list[WaiverView]:
        require(actor, READ_REGISTRY)
        with self._uow() as uow:
            rows = uow.session.exec(
                select(SurchargeWaiver).order_by(col(SurchargeWaiver.starts_on))
            ).all()
            return [_waiver_view(r) for r in rows]


class TariffCache:
    """The tariff as the counter paths see it, kept per process: the latest version any
    query of this process saw. A worker's query carries the tariff's version
    (``persistence.tariff.TARIFF_VERSION``); when it moved, the tariff is read again in that
    query's transaction, so a rate announced or an amnesty granted a moment ago is seen by
    the very next collection, at no extra round trip otherwise."""

    def __init__(self) -> None:
        self._snapshot: TariffSnapshot | None = None
        self._lock = threading.Lock()

    def at(self, connection: Connection, version: tuple[int, int, int]) -> TariffSnapshot:
        snapshot = self._snapshot
        if snapshot is not None and snapshot.version == version:
            return snapshot
        fresh = read_tariff(connection, version)
        with self._lock:
            current = self._snapshot
            if current is None or current.version <= version:
                self._snapshot = fresh
        return fresh
