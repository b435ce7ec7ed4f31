"""``qurb-reconcile simulate``: the files CNSS and the bank would send for a settled day D,
written where the daily run's inbox (or ``import``) reads them, with the ground truth beside.

- ``CNSS_ENCAISSEMENTS_<NETWORK>_<YYYYMMDD>.csv`` per network and value date (D, and D+1 for
  entries booked a day late);
- ``camt053_<YYYYMMDD of D+1>.xml``, the bank's statement of D+1 (the transfers for D);
- ``truth_<YYYYMMDD>.json``: every discrepancy injected, as reconciliation must report it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import col, select

from agent_api.errors import Conflict, ValidationFailed
from agent_api.persistence.tables import Network
from reconciliation.bank_matching import Expected
from reconciliation.formats import write_camt053, write_ledger
from reconciliation.hub import hub_lines
from reconciliation.model import LedgerEntry
from reconciliation.simulation import Rates, simulate, truth_to_json
from reconciliation.tables import Settlement

if TYPE_CHECKING:
    from reconciliation.container import Reconciliation


def parse_rates(text: str) -> Rates:
    if text == "demo":
        return Rates.demo()
    if text == "none":
        return Rates.none()
    try:
        return Rates.parse(text)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="rates") from None


def write_simulation(
    r: Reconciliation, day: date, out: Path, *, rates: str, seed: int, camt_version: str
) -> list[Path]:
    chosen = parse_rates(rates)
    with r.inputs.unit_of_work() as uow:
        session = uow.session
        rows = session.exec(
            select(Settlement, Network.code)
            .join(Network, col(Network.id) == col(Settlement.network_id))
            .where(Settlement.business_date == day)
            .order_by(col(Network.code))
        ).all()
        if not rows:
            raise Conflict(
                f"{day.isoformat()} is not settled: close and settle it before simulating",
                code="not_settled",
            )
        expected = [Expected(code, day, s.reference, s.net_centimes) for s, code in rows]
        days = [day - timedelta(days=1), day, day + timedelta(days=1)]
        hub = list(hub_lines(session.connection(), days))
    simulated = simulate(day, hub, expected, chosen, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    by_file: defaultdict[tuple[str, date], list[LedgerEntry]] = defaultdict(list)
    for entry in simulated.ledger_entries:
        by_file[(entry.network, entry.value_date)].append(entry)
    # Every network settled for D gets its file of D, even an empty one: CNSS sends one.
    for _, code in rows:
        by_file.setdefault((code, day), [])
    written: list[Path] = []
    for (network, value_date), entries in sorted(by_file.items()):
        path = out / f"CNSS_ENCAISSEMENTS_{network}_{value_date:%Y%m%d}.csv"
        path.write_bytes(write_ledger(entries))
        written.append(path)
    if simulated.bank_credits:
        statement_day = day + timedelta(days=1)
        path = out / f"camt053_{statement_day:%Y%m%d}.xml"
        created = datetime.combine(statement_day, time(5, 0), tzinfo=UTC)
        path.write_bytes(
            write_camt053(
                f"CNSS-COLLECT-{statement_day:%Y%m%d}",
                created,
                simulated.bank_credits,
                version=camt_version,
            )
        )
        written.append(path)
    truth = out / f"truth_{day:%Y%m%d}.json"
    truth.write_text(truth_to_json(simulated.truth), encoding="utf-8")
    written.append(truth)
    return written
