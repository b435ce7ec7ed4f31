"""A worker's account as read for the counter, and the pure computations over it: each
month's line (due, surcharge, what was paid) and the worker's health rights.

What is read (``agent_api.persistence.accounts``) is the worker, its category periods, every
allocation with the time it was recorded, its declared fishing days, and the tariff as of
the version the worker's own query carried.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from agent_api.clock import CASABLANCA
from agent_api.domain.account import MonthLine, SurchargeRule
from agent_api.domain.dues import CategoryPeriod, MonthlyDue, monthly_dues
from agent_api.domain.months import first_of_month
from agent_api.domain.rights import AccountEvent, Rights, RightsRules, rights
from agent_api.domain.tariff import TariffSnapshot


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
