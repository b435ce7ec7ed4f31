"""Statement helpers that differ between the two databases, built once and reused."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


def insert_ignoring_duplicates(
    table: Table, connection: Connection, unique: Sequence[str]
) -> Insert:
    """``INSERT … ON CONFLICT (unique) DO NOTHING`` in the connection's dialect: a row some
    other transaction inserted first is left as it is, and nothing fails."""
    return _ignoring(table, connection.dialect.name, tuple(unique))


@cache
def _ignoring(table: Table, dialect: str, unique: tuple[str, ...]) -> Insert:
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(unique))
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(unique))
