"""A worker's account as the counter paths read it: a handful of prepared statements
(SQLAlchemy Core, built once) instead of the ORM, because quotes, collections and rights run
on every payment at every counter.

- ``load_account`` reads the worker (optionally locked for the transaction), its category
  periods, its allocations with the time each was recorded, and its fishing-day
  declarations when it ever was in a daily-declaration category.
- The tariff (categories, effective-dated rates, amnesties) is kept per process as a
  ``TariffSnapshot`` and reloaded whenever the database's tariff version moves: the worker's
  own query carries that version, so a rate announced or an amnesty granted a moment ago is
  seen by the very next collection, at no extra round trip.
- ``month_lines`` and ``rights_of`` are the pure computations over what was read.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, text

from agent_api.clock import CASABLANCA
from agent_api.domain.account import MonthLine, SurchargeRule
from agent_api.domain.dues import CategoryPeriod, MonthlyDue, monthly_dues
from agent_api.domain.months import first_of_month
from agent_api.domain.rights import AccountEvent, Rights, RightsRules, rights
from agent_api.domain.tariff import Rate
from agent_api.persistence.fast import Fast
from agent_api.persistence.tables import (
    AccountAllocation,
    Category,
    Contribution,
    DailyDeclaration,
    Receipt,
    Reversal,
    SurchargeWaiver,
    TariffRate,
    Worker,
    WorkerCategoryPeriod,
)

_w = Worker.__table__  # type: ignore[attr-defined]
_c = Category.__table__  # type: ignore[attr-defined]
_p = WorkerCategoryPeriod.__table__  # type: ignore[attr-defined]
_a = AccountAllocation.__table__  # type: ignore[attr-defined]
_co = Contribution.__table__  # type: ignore[attr-defined]
_re = Reversal.__table__  # type: ignore[attr-defined]
_d = DailyDeclaration.__table__  # type: ignore[attr-defined]
_r = TariffRate.__table__  # type: ignore[attr-defined]
_sw = SurchargeWaiver.__table__  # type: ignore[attr-defined]
_rc = Receipt.__table__  # type: ignore[attr-defined]

# The tariff's version: its tables only ever gain rows (a rate change is a new row from a
# future month; categories and amnesties are added, never edited).
_VERSION = (
    select(func.coalesce(func.max(_r.c.id), 0)).scalar_subquery().label("rates_version"),
    select(func.count()).select_from(_c).scalar_subquery().label("categories_version"),
    select(func.coalesce(func.max(_sw.c.id), 0)).scalar_subquery().label("waivers_version"),
)

_WORKER_SELECT = (
    select(
        _w.c.id,
        _w.c.registration_number,
        _w.c.status,
        _w.c.category,
        _w.c.coverage_start,
        _w.c.first_name,
        _w.c.last_name,
        _c.c.collected_at_counter,
        _c.c.label_fr,
        *_VERSION,
    )
    .join(_c, _c.c.code == _w.c.category)
    .where(_w.c.registration_number == bindparam("registration_number"))
)
# Every write to a worker's account holds its row for the rest of the transaction, so two
# offices paying for one worker at once are allocated one after the other (SQLite serializes
# writers anyway; FOR UPDATE is PostgreSQL's).
_WORKER = Fast(_WORKER_SELECT)
_WORKER_LOCKED = Fast(_WORKER_SELECT.with_for_update(of=_w))

_PERIODS = Fast(
    select(_p.c.category, _p.c.bracket, _p.c.effective_from)
    .where(_p.c.worker_id == bindparam("worker_id"))
    .order_by(_p.c.effective_from)
)
_ALLOCATIONS = Fast(
    select(
        _a.c.month,
        _a.c.kind,
        _a.c.amount_centimes,
        _a.c.contribution_id,
        _a.c.reversal_id,
        _co.c.recorded_at.label("paid_at"),
        _re.c.recorded_at.label("reversed_at"),
    )
    .select_from(
        _a.outerjoin(_co, _co.c.id == _a.c.contribution_id).outerjoin(
            _re, _re.c.id == _a.c.reversal_id
        )
    )
    .where(_a.c.worker_id == bindparam("worker_id"))
)
_DECLARATIONS = Fast(
    select(_d.c.day, _d.c.contribution_centimes).where(_d.c.worker_id == bindparam("worker_id"))
)
_RATES = select(_r.c.category, _r.c.bracket, _r.c.effective_from, _r.c.base_centimes, _r.c.rate_bps)
_CATEGORIES = select(_c.c.code, _c.c.collected_at_counter, _c.c.daily_declaration)
_WAIVERS = select(_sw.c.starts_on, _sw.c.ends_on, _sw.c.categories)


@dataclass(frozen=True)
class Waiver:
    starts_on: date
    ends_on: date
    categories: frozenset[str]  # empty: every category

    def covers(self, category: str, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on and (
            not self.categories or category in self.categories
        )


@dataclass(frozen=True)
class TariffSnapshot:
    version: tuple[int, int, int]
    rates: tuple[Rate, ...]
    counter_categories: frozenset[str]  # flat monthly dues collected at the counter
    daily_categories: frozenset[str]  # fishing: dues come from declared days
    waivers: tuple[Waiver, ...]

    def rates_for(self, categories: set[str]) -> list[Rate]:
        return [r for r in self.rates if r.category in categories]

    def waived(self, category: str, day: date) -> bool:
        return any(w.covers(category, day) for w in self.waivers)


class TariffCache:
    """The tariff as of the latest version any query of this process saw."""

    def __init__(self) -> None:
        self._snapshot: TariffSnapshot | None = None
        self._lock = threading.Lock()

    def at(self, connection: Connection, version: tuple[int, int, int]) -> TariffSnapshot:
        snapshot = self._snapshot
        if snapshot is not None and snapshot.version == version:
            return snapshot
        # Read in the caller's transaction: what it reads is what its version says.
        categories = connection.execute(_CATEGORIES).all()
        fresh = TariffSnapshot(
            version=version,
            rates=tuple(Rate(*row) for row in connection.execute(_RATES)),
            counter_categories=frozenset(
                code for code, counter, daily in categories if counter and not daily
            ),
            daily_categories=frozenset(code for code, _, daily in categories if daily),
            waivers=tuple(
                Waiver(start, end, frozenset(c for c in codes.split(",") if c))
                for start, end, codes in connection.execute(_WAIVERS)
            ),
        )
        with self._lock:
            current = self._snapshot
            if current is None or current.version <= version:
                self._snapshot = fresh
        return fresh


@dataclass(frozen=True)
class Paid:
    """One allocation row as read: money moved to or from one month."""

    month: date
    kind: str
    amount_centimes: int
    source: str  # "c" (a collection) or "r" (a reversal)
    source_id: int
    at: datetime


@dataclass
class AccountState:
    worker_id: int
    registration_number: str
    status: str
    category: str
    coverage_start: date
    first_name: str
    last_name: str
    collected_at_counter: bool
    category_label: str
    tariff: TariffSnapshot
    periods: list[CategoryPeriod]
    paid: list[Paid] = field(default_factory=list)
    declarations: list[tuple[date, int]] = field(default_factory=list)
    # Dues depend on the periods and the tariff only, not on payments: computed once per
    # ``through`` month, however many times the lines are recomputed after an allocation.
    dues_through: dict[date, list[MonthlyDue]] = field(default_factory=dict)

    @property
    def declares_days(self) -> bool:
        """Whether the worker's dues come from declared days (fishing), not a flat rate."""
        return self.category in self.tariff.daily_categories

    def last_paid_month(self) -> date | None:
        """The latest month any money was ever moved to (a prepaid month, say)."""
        return max((p.month for p in self.paid), default=None)

    def dues(self, through: date) -> list[MonthlyDue]:
        found = self.dues_through.get(through)
        if found is None:
            found = self.dues_through[through] = monthly_dues(
                self.periods,
                self.tariff.rates_for({p.category for p in self.periods}),
                first=self.coverage_start,
                last=through,
                counter_categories=self.tariff.counter_categories,
            )
        return found


def load_account(
    connection: Connection,
    registration_number: str,
    cache: TariffCache,
    *,
    lock: bool = False,
) -> AccountState | None:
    """The worker's account as stored now; None when no worker has this number."""
    m = (_WORKER_LOCKED if lock else _WORKER).mapping(
        connection, {"registration_number": registration_number}
    )
    if m is None:
        return None
    tariff = cache.at(
        connection, (m["rates_version"], m["categories_version"], m["waivers_version"])
    )
    worker_id = m["id"]
    periods = [CategoryPeriod(*p) for p in _PERIODS.rows(connection, {"worker_id": worker_id})]
    paid = [
        Paid(
            month=month,
            kind=kind,
            amount_centimes=amount,
            source="c" if contribution_id is not None else "r",
            source_id=contribution_id if contribution_id is not None else reversal_id,
            at=paid_at if contribution_id is not None else reversed_at,
        )
        for month, kind, amount, contribution_id, reversal_id, paid_at, reversed_at in (
            _ALLOCATIONS.rows(connection, {"worker_id": worker_id})
        )
    ]
    declarations: list[tuple[date, int]] = []
    if any(p.category in tariff.daily_categories for p in periods):
        declarations = [
            (day, amount)
            for day, amount in _DECLARATIONS.rows(connection, {"worker_id": worker_id})
        ]
    return AccountState(
        worker_id=worker_id,
        registration_number=m["registration_number"],
        status=m["status"],
        category=m["category"],
        coverage_start=m["coverage_start"],
        first_name=m["first_name"],
        last_name=m["last_name"],
        collected_at_counter=m["collected_at_counter"],
        category_label=m["label_fr"],
        tariff=tariff,
        periods=periods,
        paid=paid,
        declarations=declarations,
    )


@dataclass(frozen=True)
class NewCollection:
    """Everything a collection writes but its receipt's signature."""

    worker_id: int
    network_id: int
    office_id: int
    terminal_id: int
    operator_id: int
    amount_centimes: int
    payer_phone: str | None
    signed_at: datetime
    recorded_at: datetime
    business_date: date
    offline: bool
    late: bool
    signed_business_date: date | None
    sequence: int
    allocations: list[tuple[date, str, int]]  # (month, kind, centimes)

    def row(self) -> dict[str, Any]:
        """The contribution's columns (the allocations are rows of their own)."""
        return {name: getattr(self, name) for name in _COLLECTION_COLUMNS}


_COLLECTION_COLUMNS = tuple(f.name for f in fields(NewCollection) if f.name != "allocations")


_RECEIPT_COLUMNS = (
    "number",
    "kind",
    "worker_id",
    "network_id",
    "office_id",
    "terminal_id",
    "amount_centimes",
    "issued_at",
    "jws",
)
_CONTRIBUTION_COLUMNS = ("receipt_id", *_COLLECTION_COLUMNS)
_ALLOCATION_COLUMNS = (
    "worker_id",
    "month",
    "kind",
    "amount_centimes",
    "contribution_id",
    "reversal_id",
)
_ADD_RECEIPT = Fast(insert(_rc).returning(_rc.c.id), columns=_RECEIPT_COLUMNS)
_ADD_CONTRIBUTION = Fast(insert(_co).returning(_co.c.id), columns=_CONTRIBUTION_COLUMNS)
_ADD_ALLOCATION = Fast(insert(_a), columns=_ALLOCATION_COLUMNS)
# PostgreSQL: the receipt's row, the collection and its allocations in one statement (each
# data-modifying CTE feeds the next its id; foreign keys are checked at the statement's end).
_RECORD_POSTGRESQL = Fast(
    text(
        """
    WITH receipt AS (
        INSERT INTO receipts (number, kind, worker_id, network_id, office_id, terminal_id,
                              amount_centimes, issued_at, jws)
        VALUES (NULL, 'collection', :worker_id, :network_id, :office_id, :terminal_id,
                :amount_centimes, :recorded_at, '')
        RETURNING id
    ), contribution AS (
        INSERT INTO contributions (receipt_id, worker_id, network_id, office_id, terminal_id,
                                   operator_id, amount_centimes, payer_phone, signed_at,
                                   recorded_at, business_date, offline, late,
                                   signed_business_date, sequence)
        SELECT receipt.id, :worker_id, :network_id, :office_id, :terminal_id, :operator_id,
               :amount_centimes, :payer_phone, :signed_at, :recorded_at, :business_date,
               :offline, :late, :signed_business_date, :sequence
        FROM receipt
        RETURNING id, receipt_id
    )
    INSERT INTO allocations (worker_id, month, kind, amount_centimes, contribution_id,
                             reversal_id)
    SELECT :worker_id, moved.month, moved.kind, moved.centimes, contribution.id, NULL
    FROM contribution,
         unnest(CAST(:months AS date[]), CAST(:kinds AS text[]), CAST(:centimes AS bigint[]))
             AS moved(month, kind, centimes)
    RETURNING contribution_id, (SELECT receipt_id FROM contribution)
    """
    ).bindparams(
        # Typed as the column is, so that the payer's phone is sealed here too: a textual
        # statement's parameters are otherwise sent as they are.
        bindparam("payer_phone", type_=_co.c.payer_phone.type),
    ),
    returns_rows=True,
)


def record_collection(connection: Connection, new: NewCollection) -> tuple[int, int]:
    """Write the collection's receipt row (unsigned), the collection and its allocations;
    their ids (receipt, contribution)."""
    if connection.dialect.name == "postgresql":
        months, kinds, centimes = zip(*new.allocations, strict=True)
        recorded = _RECORD_POSTGRESQL.first(
            connection,
            {**new.row(), "months": list(months), "kinds": list(kinds), "centimes": list(centimes)},
        )
        assert recorded is not None
        contribution_id, receipt_id = recorded
        return int(receipt_id), int(contribution_id)
    receipt_id = _ADD_RECEIPT.scalar(
        connection,
        {
            "number": None,
            "kind": "collection",
            "worker_id": new.worker_id,
            "network_id": new.network_id,
            "office_id": new.office_id,
            "terminal_id": new.terminal_id,
            "amount_centimes": new.amount_centimes,
            "issued_at": new.recorded_at,
            "jws": "",
        },
    )
    contribution_id = _ADD_CONTRIBUTION.scalar(connection, {**new.row(), "receipt_id": receipt_id})
    _ADD_ALLOCATION.many(
        connection,
        [
            {
                "worker_id": new.worker_id,
                "month": month,
                "kind": kind,
                "amount_centimes": amount,
                "contribution_id": contribution_id,
                "reversal_id": None,
            }
            for month, kind, amount in new.allocations
        ],
    )
    return int(receipt_id), int(contribution_id)


def month_lines(
    account: AccountState,
    *,
    through: date,
    current: date,
    today: date,
    surcharge: SurchargeRule,
) -> tuple[list[MonthLine], dict[date, int]]:
    """Each month from the coverage start to ``through`` (and any month already paid), and
    each month's base."""
    tariff = account.tariff
    dues = account.dues(through)
    owed = {d.month: d.due_centimes for d in dues}
    bases = {d.month: d.base_centimes for d in dues}
    for day, amount in account.declarations:
        month = first_of_month(day)
        if month <= through:
            owed[month] = owed.get(month, 0) + amount
    paid: dict[tuple[date, str], int] = defaultdict(int)
    for p in account.paid:
        paid[(p.month, p.kind)] += p.amount_centimes
    waived = tariff.waived(account.category, today)
    lines = []
    for month in sorted(set(owed) | {m for m, _ in paid}):
        due = owed.get(month, 0)
        charged = 0 if waived else surcharge.on(due, month, current)
        lines.append(
            MonthLine(
                month=month,
                due_centimes=due,
                surcharge_centimes=max(charged, paid[(month, "surcharge")]),
                paid_due_centimes=paid[(month, "due")],
                paid_surcharge_centimes=paid[(month, "surcharge")],
            )
        )
    return lines, bases


def rights_of(
    account: AccountState, lines: Sequence[MonthLine], current: date, rules: RightsRules
) -> Rights:
    """Health rights from the dues and every payment and reversal of due months, in the
    order they were recorded."""
    dues = {line.month: line.due_centimes for line in lines}
    events: dict[tuple[datetime, str, int], dict[date, int]] = defaultdict(dict)
    for p in account.paid:
        if p.kind == "due":
            moved = events[(p.at, p.source, p.source_id)]
            moved[p.month] = moved.get(p.month, 0) + p.amount_centimes
    timeline = [
        AccountEvent(first_of_month(at.astimezone(CASABLANCA).date()), moved)
        for (at, _, _), moved in sorted(events.items())
    ]
    return rights(dues, timeline, current, rules, coverage_start=account.coverage_start)
