"""The bulk tables' indexes, which go during the load and come back after: which ones, how to
drop and rebuild each exactly as the migrations made it, and in what order."""

# Every statement here is put together from this package's constants and the catalog's own
# names, never from input: S608 (SQL built from strings) does not apply.
# ruff: noqa: S608
from __future__ import annotations

from dataclasses import dataclass

from .session import Session

# Tables the seed writes in bulk, largest first: their indexes are rebuilt after the load
# (see droppable_indexes), and PostgreSQL vacuums them before.
BULK_TABLES = (
    "receipts",
    "audit_leaves",
    "idempotency_records",
    "contributions",
    "allocations",
    "workers",
    "worker_category_periods",
)


@dataclass(frozen=True)
class Index:
    table: str
    name: str
    create: str
    drop: str


def droppable_indexes(session: Session) -> list[Index]:
    """The bulk tables' indexes that can go during the load, with how to drop and rebuild
    each exactly as the migrations made it: every secondary index, and on PostgreSQL the
    primary keys no foreign key refers to, but the log's (its leaves are read back in order,
    and they arrive in order). SQLite keeps its primary keys and the indexes behind UNIQUE
    constraints, which are part of its tables."""
    if session.sql.name == "sqlite":
        found = session.rows(
            "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' "
            f"AND sql IS NOT NULL AND tbl_name IN ({', '.join('?' * len(BULK_TABLES))})",
            BULK_TABLES,
        )
        return [Index(t, n, s, f'DROP INDEX "{n}"') for t, n, s in found]
    found = session.rows(
        """SELECT c.relname, i.relname, pg_get_indexdef(i.oid), con.conname,
                  pg_get_constraintdef(con.oid)
           FROM pg_index x
           JOIN pg_class i ON i.oid = x.indexrelid
           JOIN pg_class c ON c.oid = x.indrelid
           LEFT JOIN pg_constraint con
             ON con.conindid = i.oid AND con.conrelid = c.oid AND con.contype IN ('u', 'p')
           WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(?)
             AND NOT (x.indisprimary AND (c.relname = 'audit_leaves' OR EXISTS (
                 SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.confrelid = c.oid)))
           ORDER BY c.relname, i.relname""",
        [list(BULK_TABLES)],
    )
    indexes = []
    for table, name, definition, constraint, constraint_def in found:
        if constraint is None:
            indexes.append(Index(table, name, definition, f'DROP INDEX "{name}"'))
        else:
            indexes.append(
                Index(
                    table,
                    name,
                    f'ALTER TABLE "{table}" ADD CONSTRAINT "{constraint}" {constraint_def}',
                    f'ALTER TABLE "{table}" DROP CONSTRAINT "{constraint}"',
                )
            )
    return indexes


def interleaved(indexes: list[Index]) -> list[Index]:
    """Index builds, the largest tables first, alternating tables so that the two sessions
    rarely wait on the same table's lock."""
    queues = [[i for i in indexes if i.table == table] for table in BULK_TABLES]
    ordered: list[Index] = []
    while any(queues):
        ordered += [pending.pop(0) for pending in queues if pending]
    return ordered


def restore_indexes(session: Session, dropped: list[Index]) -> None:
    """Put the dropped indexes back after a failed load, as far as it goes."""
    if session.sql.name == "postgresql":
        session.driver.rollback()
        session.driver.autocommit = True
    for index in dropped:
        try:
            session.execute(index.create)
        except Exception:  # noqa: BLE001, S112  (best effort while another error propagates)
            continue
