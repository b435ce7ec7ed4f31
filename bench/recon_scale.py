"""Reconciliation at national scale: a day of N collections (default 1,000,000) against an
N-line CNSS ledger file, reconciled in full, beside the baseline of simply parsing the two
files (the hub's export and the ledger) and matching them in a dictionary.

    python bench/recon_scale.py [--lines 1000000] [--database-url URL] [--prefix P]

The day is loaded in bulk into a fresh database (SQLite in a temporary directory unless
``--database-url`` names another, whose tables are dropped first). About 0.2 % of the ledger
lines carry a discrepancy and 2 % carry no reference, so both matching phases work. Each
measured step runs in its own process so that its peak memory is its own. Prints, last, one
``name=value`` a line: ``recon_seconds``, ``recon_baseline_seconds``, ``recon_vs_baseline``,
``recon_peak_mb``, ``recon_baseline_peak_mb``, ``recon_exceptions``, each name preceded by
``--prefix`` (by default ``sqlite_`` on SQLite and nothing on PostgreSQL, as ``make bench``
names its figures).
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent_api.domain.registration_number import format_registration_number
from agent_api.persistence.db import build_engine, is_sqlite
from agent_api.persistence.tables import (
    BusinessDay,
    CategoryBracket,
    Contribution,
    Network,
    Office,
    Receipt,
    Terminal,
    User,
    Worker,
)
from agent_api.settings import Settings
from qurb.migrate import upgrade
from reconciliation.container import Reconciliation
from reconciliation.formats import write_ledger
from reconciliation.model import LedgerEntry

DAY = date(2026, 11, 20)
NETWORKS = ("CASHPLUS", "WAFACASH", "BARIDCASH", "DAMANECASH")
OFFICES_PER_NETWORK = 50
BATCH = 50_000


def _t(table: Any) -> Any:
    return table.__table__


def _load(c: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` in bulk: COPY on PostgreSQL, where an executemany still makes the
    server plan and run one INSERT per row; one executemany on SQLite, in-process already."""
    if not rows:
        return
    if c.dialect.name != "postgresql":
        c.execute(insert(table), rows)
        return
    columns = list(rows[0])
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with c.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([row[name] for name in columns])


@contextmanager
def _bulk_loading(c: Connection, tables: list[Any]) -> Iterator[None]:
    """Load ``tables`` the way PostgreSQL's manual advises (Populating a Database): their
    foreign keys and secondary indexes are set aside while rows are copied in, and put back
    afterwards, each checked or built in one pass (a foreign key checked row by row costs
    three times the copy itself); then ANALYZE, as autovacuum would have done on a day
    recorded over hours. The schema ends as the migrations made it, and all of it is in the
    day's one transaction: a failed load rolls the schema back too. SQLite (foreign keys off
    on this connection) needs none of it."""
    if c.dialect.name != "postgresql":
        yield
        return
    names = [t.name for t in tables]
    keys = c.execute(
        text(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(:t)"
        ),
        {"t": names},
    ).all()
    indexes = c.execute(
        text(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid::regclass::text = ANY(:t) AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid)"
        ),
        {"t": names},
    ).all()
    for table, key, _ in keys:
        c.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT {key}"))
    for index, _ in indexes:
        c.execute(text(f"DROP INDEX {index}"))
    yield
    for _, definition in indexes:
        c.execute(text(definition))
    for table, key, definition in keys:
        c.execute(text(f"ALTER TABLE {table} ADD CONSTRAINT {key} {definition}"))
    c.execute(text("ANALYZE"))


def build_day(url: str, lines: int, workdir: Path, seed: int = 1) -> tuple[Path, Path]:
    """Load ``lines`` collections of DAY in bulk, closed; write the ledger and hub export."""
    rng = random.Random(seed)  # noqa: S311  (test data, not secrets)
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(url)
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    workers_count = max(1, lines // 3)
    with engine.begin() as c:
        category, bracket = c.execute(
            select(_t(CategoryBracket).c.category, _t(CategoryBracket).c.code).limit(1)
        ).one()
        for n, code in enumerate(NETWORKS):
            c.execute(
                insert(_t(Network)),
                {
                    "code": code,
                    "name": code.title(),
                    "commission_fixed_centimes": 200,
                    "commission_bps": 30,
                    "settlement_account": f"{n:024d}",
                    "status": "active",
                    "created_at": now,
                },
            )
        network_ids: dict[str, int] = dict(
            c.execute(select(_t(Network).c.code, _t(Network).c.id)).all()
        )
        offices = [
            {
                "code": f"{code[:2]}-{i:04d}",
                "network_id": network_ids[code],
                "name": "Office",
                "city": "Rabat",
                "region": "Rabat-Salé-Kénitra",
                "status": "active",
                "created_at": now,
            }
            for code in NETWORKS
            for i in range(OFFICES_PER_NETWORK)
        ]
        c.execute(insert(_t(Office)), offices)
        office_rows = c.execute(select(_t(Office).c.id, _t(Office).c.network_id)).all()
        c.execute(
            insert(_t(Terminal)),
            [
                {
                    "office_id": oid,
                    "label": "T1",
                    "status": "active",
                    "activation_attempts": 0,
                    "created_at": now,
                    "login_failures": 0,
                }
                for oid, _ in office_rows
            ],
        )
        terminal_of: dict[int, int] = dict(
            c.execute(select(_t(Terminal).c.office_id, _t(Terminal).c.id)).all()
        )
        c.execute(
            insert(_t(User)),
            {
                "username": "bench",
                "full_name": "Bench",
                "role": "cnss_admin",
                "password_hash": "-",
                "status": "active",
                "failed_logins": 0,
                "created_at": now,
            },
        )
        user_id = c.execute(select(_t(User).c.id)).scalar_one()
        first_office, _ = office_rows[0]
        with _bulk_loading(c, [_t(Worker), _t(Receipt), _t(Contribution)]):
            for start in range(0, workers_count, BATCH):
                _load(
                    c,
                    _t(Worker),
                    [
                        {
                            "registration_number": format_registration_number(i + 1),
                            "cin_index": f"{i:064d}",
                            "cin_ciphertext": "-",
                            "cin_key_id": "bench",
                            "last_name": "X",
                            "first_name": "Y",
                            "birth_date": date(1980, 1, 1),
                            "sex": "F",
                            "phone": "0600000000",
                            "address": "-",
                            "city": "Rabat",
                            "category": category,
                            "bracket": bracket,
                            "coverage_start": date(2026, 1, 1),
                            "status": "active",
                            "enrolled_at": now,
                            "office_id": first_office,
                            "terminal_id": terminal_of[first_office],
                            "enrolled_by": user_id,
                        }
                        for i in range(start, min(workers_count, start + BATCH))
                    ],
                )
            worker_ids = [
                r[0] for r in c.execute(select(_t(Worker).c.id).order_by(_t(Worker).c.id))
            ]
            code_of = {v: k for k, v in network_ids.items()}
            hub: list[tuple[str, str, int, str]] = []
            for start in range(0, lines, BATCH):
                receipts, contributions = [], []
                for i in range(start, min(lines, start + BATCH)):
                    office_id, network_id = office_rows[i % len(office_rows)]
                    worker = worker_ids[i % len(worker_ids)]
                    amount = rng.randrange(5_000, 200_000)
                    number = f"R-{code_of[network_id]}-{i + 1:08d}"
                    receipts.append(
                        {
                            "id": i + 1,
                            "number": number,
                            "kind": "collection",
                            "worker_id": worker,
                            "network_id": network_id,
                            "office_id": office_id,
                            "terminal_id": terminal_of[office_id],
                            "amount_centimes": amount,
                            "issued_at": now,
                            "jws": "-",
                        }
                    )
                    contributions.append(
                        {
                            "receipt_id": i + 1,
                            "worker_id": worker,
                            "network_id": network_id,
                            "office_id": office_id,
                            "terminal_id": terminal_of[office_id],
                            "operator_id": user_id,
                            "amount_centimes": amount,
                            "signed_at": now,
                            "recorded_at": now,
                            "business_date": DAY,
                            "offline": False,
                            "late": False,
                            "sequence": i + 1,
                        }
                    )
                    hub.append(
                        (number, format_registration_number(worker), amount, code_of[network_id])
                    )
                _load(c, _t(Receipt), receipts)
                _load(c, _t(Contribution), contributions)
        c.execute(
            insert(_t(BusinessDay)),
            [
                {"network_id": nid, "business_date": DAY, "status": "open"}
                for nid in network_ids.values()
            ],
        )
    engine.dispose()
    return _write_files(hub, workdir, rng)


def _write_files(
    hub: list[tuple[str, str, int, str]], workdir: Path, rng: random.Random
) -> tuple[Path, Path]:
    hub_path = workdir / "hub_export.csv"
    with hub_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(["REF_TRANSACTION", "NUM_IMMATRICULATION", "MONTANT", "CODE_RESEAU"])
        writer.writerows(hub)
    entries = []
    for n, (number, rn, amount, network) in enumerate(hub):
        roll = rng.random()
        if roll < 0.001:
            continue  # missing in the ledger
        booked = amount + 100 if roll < 0.002 else amount  # an amount mismatch
        reference = None if roll > 0.98 else number
        entries.append(
            LedgerEntry(f"E{n:012d}", DAY, network, reference, rn, "11/2026", booked, "C")
        )
    for n in range(len(hub) // 1000):  # booked by CNSS, never recorded by the hub
        entries.append(
            LedgerEntry(
                f"X{n:012d}",
                DAY,
                "CASHPLUS",
                f"R-CASHPLUS-9{n:07d}",
                "000000000",
                None,
                10_000,
                "C",
            )
        )
    ledger_path = workdir / f"CNSS_ENCAISSEMENTS_ALL_{DAY:%Y%m%d}.csv"
    ledger_path.write_bytes(write_ledger(entries))
    return ledger_path, hub_path


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def full_reconciliation(url: str, ledger: Path, out: Any) -> None:
    settings = Settings(database_url=url, environment="test", key_dir=ledger.parent / "keys")
    settings = settings.with_keys({})
    engine = build_engine(url, pool_size=2)
    recon = Reconciliation.build(settings, engine)
    start = time.perf_counter()
    recon.closer.close(DAY, by="bench")
    recon.settler.settle(DAY, by="bench")
    recon.inputs.import_ledger(ledger.read_bytes(), name=ledger.name, by="bench")
    run = recon.reconciler.run(DAY, by="bench")
    seconds = time.perf_counter() - start
    engine.dispose()
    out.put({"seconds": seconds, "peak_mb": _peak_mb(), "exceptions": run.exceptions})


def baseline(ledger: Path, hub: Path, out: Any) -> None:
    """Parse both files with the csv module, amounts as integers, and match by reference in
    a dictionary: the least any reconciliation must do."""
    start = time.perf_counter()
    with hub.open(encoding="utf-8", newline="") as f:
        rows = csv.reader(f, delimiter=";")
        next(rows)
        by_reference = {r[0]: int(r[2]) for r in rows}
    matched = differences = 0
    with ledger.open(encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f, delimiter=";")
        next(rows)
        for r in rows:
            if r[0] == "TOTAL":
                break
            amount = int(r[6].replace("\u00a0", "").replace(" ", "").replace(",", ""))
            found = by_reference.pop(r[3], None)
            if found == amount:
                matched += 1
            else:
                differences += 1
    seconds = time.perf_counter() - start
    out.put({"seconds": seconds, "peak_mb": _peak_mb(), "matched": matched})


# Children fork from a server started before the day is built, so that each one's peak
# memory is its own and not the builder's.
_CONTEXT = multiprocessing.get_context("forkserver")


def _warm_up(out: Any) -> None:
    out.put({})


def _in_child(target: Any, *args: Any) -> dict[str, Any]:
    context = _CONTEXT
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result: dict[str, Any] = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    parser.add_argument(
        "--prefix", help="put before every figure's name (default: sqlite_ on SQLite, none else)"
    )
    args = parser.parse_args()
    _in_child(_warm_up)  # starts the fork server while this process is still small
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
        prefix = args.prefix if args.prefix is not None else "sqlite_" if is_sqlite(url) else ""
        started = time.perf_counter()
        ledger, hub = build_day(url, args.lines, workdir)
        print(f"built a day of {args.lines} collections in {time.perf_counter() - started:.1f} s")
        base = _in_child(baseline, ledger, hub)
        full = _in_child(full_reconciliation, url, ledger)
    figures = {
        "recon_seconds": f"{full['seconds']:.2f}",
        "recon_baseline_seconds": f"{base['seconds']:.2f}",
        "recon_vs_baseline": f"{full['seconds'] / base['seconds']:.2f}",
        "recon_peak_mb": f"{full['peak_mb']:.0f}",
        "recon_baseline_peak_mb": f"{base['peak_mb']:.0f}",
        "recon_exceptions": str(full["exceptions"]),
    }
    for name, value in figures.items():
        print(f"{prefix}{name}={value}")


if __name__ == "__main__":
    main()
