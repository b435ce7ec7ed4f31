"""The tariff as the counter paths read it: its version, carried by the worker's own query
(``TARIFF_VERSION``), and the whole tariff read again when that version moves.

The tariff's tables only ever gain rows (a rate change is a new row from a future month;
categories and amnesties are added, never edited), so the greatest ids and the number of
categories are a version that moves whenever anything a quote depends on changes.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from agent_api.domain.tariff import Rate, TariffSnapshot, Waiver
from agent_api.persistence.tables import Category, SurchargeWaiver, TariffRate

_c = Category.__table__  # type: ignore[attr-defined]
_r = TariffRate.__table__  # type: ignore[attr-defined]
_sw = SurchargeWaiver.__table__  # type: ignore[attr-defined]

# Three scalar subqueries a query adds to its columns: (rates, categories, waivers).
TARIFF_VERSION = (
    select(func.coalesce(func.max(_r.c.id), 0)).scalar_subquery().label("rates_version"),
    select(func.count()).select_from(_c).scalar_subquery().label("categories_version"),
    select(func.coalesce(func.max(_sw.c.id), 0)).scalar_subquery().label("waivers_version"),
)

_RATES = select(_r.c.category, _r.c.bracket, _r.c.effective_from, _r.c.base_centimes, _r.c.rate_bps)
_CATEGORIES = select(_c.c.code, _c.c.collected_at_counter, _c.c.daily_declaration)
_WAIVERS = select(_sw.c.starts_on, _sw.c.ends_on, _sw.c.categories)


def read_tariff(connection: Connection, version: tuple[int, int, int]) -> TariffSnapshot:
    """The whole tariff, read in the caller's transaction: what it reads is what its version
    says."""
    categories = connection.execute(_CATEGORIES).all()
    return TariffSnapshot(
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
