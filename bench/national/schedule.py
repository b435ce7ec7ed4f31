"""The history's calendar and prices: the business days, who pays which months, the category
mix and each month's due per bracket."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from agent_api.clock import CASABLANCA
from agent_api.domain.months import add_months, first_of_month, format_month
from agent_api.domain.tariff import Rate, monthly_contribution

from .country import CATEGORY_WEIGHTS, HOLIDAYS
from .plan import HORIZON_MONTHS, SLOTS, Plan, epoch, largest_remainder, local_midnight


def schedule(plan: Plan) -> int:
    """The business days and who pays which months; the last month index any payment
    reaches.

    Worker w belongs to terminal (w-1) mod T, which has q of them. The k-th collection at a
    terminal is for its worker k mod q, on that worker's r-th visit (r = k div q), which pays
    the month first + step·r (and the next, one time in DOUBLE_EVERY): a worker never pays a
    month twice, and nobody prepays beyond the service's horizon.
    """
    today = plan.now.astimezone(CASABLANCA).date()
    first = max(today - timedelta(days=365), add_months(plan.month0, 1))
    days = []
    day = first
    while day < today:
        if day.weekday() != 6 and (day.month, day.day) not in HOLIDAYS:  # no Sunday, holiday
            days.append(day)
        day += timedelta(days=1)
    if not days:
        raise ValueError("the tariff starts too late for a history before today")
    now_epoch = epoch(plan.now)
    for d, day in enumerate(days):
        # Closed the next calendar day at 02:00 local, and before now in any case.
        close = min(local_midnight(day + timedelta(days=1)) + 7200, now_epoch - 1)
        plan.days.append((d, day, day.isoformat(), local_midnight(day), close))

    count = plan.terminal_count
    if plan.workers < count:
        raise ValueError(f"give at least one worker per terminal ({count} terminals)")
    for row in plan.lookup_terminals:
        row[10] = (plan.workers - 1 - row[0]) // count + 1
    plan.first_payment_month = plan.month_index(first_of_month(days[0]))
    months = plan.month_index(first_of_month(days[-1])) - plan.first_payment_month + 1
    plan.step = max(2, round(months * plan.workers / plan.collections))
    visits = max(
        int((plan.collections - 1 - t0) // count // q) for t0, *_, q in plan.lookup_terminals
    )
    last_month = plan.first_payment_month + plan.step * max(visits, 0) + 1
    if last_month > plan.month_index(first_of_month(today)) + HORIZON_MONTHS:
        raise ValueError(
            f"too many collections per worker: some would prepay beyond the {HORIZON_MONTHS}"
            "-month horizon; give more workers or fewer collections"
        )
    return max(last_month, plan.month_index(first_of_month(today)) + HORIZON_MONTHS)


def price(plan: Plan, rates: list[Rate], documents: dict[str, str | None], months: int) -> None:
    """The category mix (SLOTS slots, brackets of a category sharing its weight) and each
    month's due per bracket, from the tariff the database holds."""
    brackets = sorted({(r.category, r.bracket) for r in rates})
    per_category: dict[str, int] = {}
    for category, _ in brackets:
        per_category[category] = per_category.get(category, 0) + 1
    weights = [CATEGORY_WEIGHTS.get(c, 1) * 1000 // per_category[c] for c, _ in brackets]
    deck = [cb for cb, n in enumerate(largest_remainder(SLOTS, weights)) for _ in range(n)]
    random.Random(9).shuffle(deck)  # noqa: S311  (a mix, not secrets)
    for slot, cb in enumerate(deck):
        category, bracket = brackets[cb]
        plan.slots.append((slot, cb, category, bracket, documents[category]))
    for cb, (category, bracket) in enumerate(brackets):
        own = [r for r in rates if (r.category, r.bracket) == (category, bracket)]
        for m in range(months):
            month = add_months(plan.month0, m)
            rate = max(
                (r for r in own if r.effective_from <= month), key=lambda r: r.effective_from
            )
            due = monthly_contribution(rate.base_centimes, rate.rate_bps)
            midnight = epoch(datetime.combine(month, datetime.min.time(), tzinfo=UTC))
            plan.dues.append((cb, m, due, format_month(month), month, midnight))
