"""A worker's account as the counter paths read it: ``load_account`` reads the worker
(optionally locked for the transaction), the tariff as of the version the worker's own query
carried (``TariffCache``), its category periods, its allocations and, when it ever was in a
daily-declaration category, its fishing-day declarations. The statements are
``agent_api.persistence.accounts``'s; what is computed over the account,
``agent_api.domain.account_state``'s.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection

from agent_api.domain.account_state import AccountState
from agent_api.persistence.accounts import (
    read_declarations,
    read_paid,
    read_periods,
    read_worker,
)
from agent_api.services.registry.tariff import TariffCache


def load_account(
    connection: Connection,
    registration_number: str,
    cache: TariffCache,
    *,
    lock: bool = False,
) -> AccountState | None:
    """The worker's account as stored now; None when no worker has this number."""
    m = read_worker(connection, registration_number, lock=lock)
    if m is None:
        return None
    tariff = cache.at(
        connection, (m["rates_version"], m["categories_version"], m["waivers_version"])
    )
    worker_id = m["id"]
    periods = read_periods(connection, worker_id)
    paid = read_paid(connection, worker_id)
    declarations: list[tuple[date, int]] = []
    if any(p.category in tariff.daily_categories for p in periods):
        declarations = read_declarations(connection, worker_id)
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
