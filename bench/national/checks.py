"""Checks of a seeded database: foreign keys that point nowhere, and its size on disk."""

# Every statement here is put together from the schema's own names, never from input: S608
# (SQL built from strings) does not apply.
# ruff: noqa: S608
from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from agent_api.persistence.db import normalize_url
from qurb.schema import metadata

from .session import connect


def foreign_key_violations(url: str) -> list[str]:
    """Every foreign key of the schema whose rows point nowhere, with how many rows."""
    _sql, open_session = connect(url)
    session = open_session()
    found = []
    try:
        for table in metadata().sorted_tables:
            for key in table.foreign_key_constraints:
                pairs = [(e.parent.name, e.column.name) for e in key.elements]
                parent = key.referred_table.name
                present = " AND ".join(f"c.{child} IS NOT NULL" for child, _ in pairs)
                match = " AND ".join(f"p.{p} = c.{child}" for child, p in pairs)
                [(count,)] = session.rows(
                    f"SELECT COUNT(*) FROM {table.name} c WHERE {present} "
                    f"AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {match})"
                )
                if count:
                    found.append(f"{table.name} → {parent}: {count} rows")
    finally:
        session.close()
    return found


def database_size(url: str) -> str:
    """The database's size, as a person reads it (MiB or GiB)."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        size = Path(parsed.database or "").stat().st_size
        return f"{size / 2**30:.1f} GiB" if size >= 2**30 else f"{size / 2**20:.0f} MiB"
    _sql, open_session = connect(url)
    session = open_session()
    try:
        [(size,)] = session.rows("SELECT pg_size_pretty(pg_database_size(current_database()))")
    finally:
        session.close()
    return str(size)
