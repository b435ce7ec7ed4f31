"""The load's phases once the plan is made: the registry and lookups, the rows on one or two
sessions, the day closes, the vacuum, the indexes back while the log's leaves fold into its
head, the sequences moved on, and the planner's statistics."""

# Every statement here is put together from this package's constants and the schema's own
# names, never from input: S608 (SQL built from strings) does not apply.
# ruff: noqa: S608
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from agent_api.protocol import merkle
from agent_api.protocol.checkpoint import NoteSigner
from qurb.schema import metadata

from .audit_head import TileBuilder, frontier, leaf_hashes, write_head
from .collection_rows import collection_statements
from .day_rows import business_day_rows, close_leaves
from .indexes import BULK_TABLES, Index, droppable_indexes, interleaved, restore_indexes
from .lookups import lookups
from .plan import Plan
from .registry import write_registry
from .runner import Runner, chunks
from .session import Session, begin, commit
from .worker_rows import worker_statements

_SEQUENCED = ("networks", "offices", "terminals", "terminal_keys", "users", "workers",
              "worker_category_periods", "receipts", "contributions", "allocations",
              "idempotency_records", "business_days")  # fmt: skip


class Phases:
    """Wall seconds per phase, reported as each ends."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.seconds: dict[str, float] = {}
        self._say = say
        self._mark = time.perf_counter()

    def end(self, label: str) -> None:
        now = time.perf_counter()
        self.seconds[label] = now - self._mark
        self._mark = now
        self._say(f"{label}: {self.seconds[label]:.1f} s")


def load(
    plan: Plan,
    loaders: list[Session],
    *,
    connect: Callable[[], Session],
    phases: Phases,
    statements: dict[str, float],
    log_signer: NoteSigner | None,
) -> merkle.CompactRange:
    """Every row, then the indexes back and the log's head; the loaders are the lead
    session and, on PostgreSQL, a second one."""
    lead, sql = loaders[0], loaders[0].sql
    restore = _tune(loaders)
    dropped: list[Index] = []
    try:
        for session in loaders:
            lookups(session, plan)
        begin(lead)
        write_registry(lead, plan)
        lead.execute(business_day_rows(sql, plan))
        dropped = droppable_indexes(lead)
        for index in dropped:
            lead.execute(index.drop)
        commit(lead)
        phases.end("registry")

        runner = Runner(loaders, statements)
        # Collections first: the shorter worker chunks even out the two sessions' ends.
        runner.run(
            [
                *(("collections", collection_statements(sql, plan, lo, hi))
                  for lo, hi in chunks(plan.collections)),
                *(("workers", worker_statements(sql, plan, lo, hi))
                  for lo, hi in chunks(plan.workers)),
            ]
        )  # fmt: skip
        phases.end("rows")
        runner.run([("closes", [close_leaves(sql, plan)])])
        phases.end("day closes")
        if sql.name == "postgresql":
            for session in loaders:
                session.driver.autocommit = True  # VACUUM runs outside transactions
            # The heaps are vacuumed before their indexes come back: hint bits and the
            # visibility map are set in one pass, and the index builds read clean pages.
            runner.run([(f"vacuum {t}", [f"VACUUM {t}"]) for t in BULK_TABLES])
            phases.end("vacuum")
        built = TileBuilder()
        compact = _rebuild_and_fold(runner, dropped, connect, plan, built)
        dropped = []
        phases.end("indexes and log head")

        begin(lead)
        write_head(lead, compact, log_signer, plan.now, built)
        _continue_sequences(lead)
        commit(lead)
        _analyze(loaders, statements)
        phases.end("analyze")
    finally:
        if dropped:  # failed before the rebuild: put the schema back as it was, if it can
            restore_indexes(lead, dropped)
        for pragma in restore:
            lead.execute(pragma)
    return compact


def _rebuild_and_fold(
    runner: Runner,
    dropped: list[Index],
    connect: Callable[[], Session],
    plan: Plan,
    built: TileBuilder,
) -> merkle.CompactRange:
    """Rebuild the dropped indexes and fold the log's leaves into its frontier and its tiles
    (``built``): on PostgreSQL at once (the loading sessions build while this thread reads
    through a third session), on SQLite one after the other."""
    rebuild = [(f"index {i.name}", [i.create]) for i in interleaved(dropped)]
    size = plan.collections + plan.day_count * plan.network_count
    lead = runner.sessions[0]
    if lead.sql.name == "sqlite":
        compact = frontier(leaf_hashes(lead), size, built)
        runner.run(rebuild)
        return compact
    reader = connect()
    builder = threading.Thread(target=runner.run, args=(rebuild,))
    builder.start()
    try:
        compact = frontier(leaf_hashes(reader), size, built)
    finally:
        builder.join()
        reader.close()
    if runner.failures:
        raise runner.failures[0]
    return compact


def _tune(loaders: list[Session]) -> list[str]:
    """Settings for the load, on the loading sessions only; what restores them after."""
    lead = loaders[0]
    if lead.sql.name == "sqlite":
        mode = lead.rows("PRAGMA journal_mode")[0][0]
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -1048576",
                       "temp_store = MEMORY", "foreign_keys = OFF"):  # fmt: skip
            lead.execute(f"PRAGMA {pragma}")
        return [f"PRAGMA journal_mode = {mode}"]
    [(superuser,)] = lead.rows("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    for session in loaders:
        if superuser:  # the rows are consistent by construction: no per-row FK triggers
            session.execute("SET session_replication_role = replica")
        session.execute("SET synchronous_commit = off")
        session.execute("SET maintenance_work_mem = '512MB'")
        session.execute("SET work_mem = '256MB'")  # a chunk's facts stay in memory
        session.commit()
    return []


def _continue_sequences(session: Session) -> None:
    """Point every id sequence past the seeded rows, so that the service's next insert
    neither collides nor skips (SQLite's rowid tables continue from the largest id)."""
    if session.sql.name != "postgresql":
        return
    for table in _SEQUENCED:
        session.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table}"
        )


def _analyze(sessions: list[Session], seconds: dict[str, float]) -> None:
    """Statistics for the planner. On PostgreSQL a VACUUM too, cheap now that the heaps are
    all-visible, so the new indexes start vacuumed like the rest."""
    if sessions[0].sql.name == "sqlite":
        # Sampled statistics, as PRAGMA optimize takes them: a full ANALYZE reads everything.
        sessions[0].execute("PRAGMA analysis_limit = 1000")
        sessions[0].execute("ANALYZE")
        return
    tables = [t.name for t in metadata().sorted_tables]
    Runner(sessions, seconds).run([(f"analyze {t}", [f'VACUUM (ANALYZE) "{t}"']) for t in tables])
