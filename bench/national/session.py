"""The loading sessions: one DBAPI connection each (psycopg 3 or sqlite3), the same
placeholders and transactions on both databases."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from agent_api.persistence.db import normalize_url

from .dialect import Dialect, Postgres, Sqlite, sqlite_functions


class Session:
    """One DBAPI connection (psycopg 3 or sqlite3), with ``?`` placeholders on both."""

    def __init__(self, sql: Dialect, raw: Any) -> None:
        self.sql = sql
        self.raw = raw
        self.driver: Any = raw.driver_connection

    def _text(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.sql.name == "postgresql" else statement

    def execute(self, statement: str, params: Sequence[Any] | None = None) -> None:
        cursor = self.driver.cursor()
        if params is None:
            cursor.execute(statement)
        else:
            cursor.execute(self._text(statement), [self.sql.param(v) for v in params])
        cursor.close()

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        cursor = self.driver.cursor()
        cursor.executemany(self._text(statement), [[self.sql.param(v) for v in r] for r in rows])
        cursor.close()

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self.driver.cursor()
        if params:
            cursor.execute(self._text(statement), list(params))
        else:
            cursor.execute(statement)
        found = [tuple(r) for r in cursor.fetchall()]
        cursor.close()
        return found

    def commit(self) -> None:
        self.driver.commit()

    def close(self) -> None:
        self.raw.close()


def connect(url: str) -> tuple[Dialect, Callable[[], Session]]:
    """The database's dialect, and how to open a session on it."""
    engine = create_engine(normalize_url(url), poolclass=NullPool)
    sql: Dialect = Postgres() if engine.dialect.name == "postgresql" else Sqlite()

    def session() -> Session:
        opened = Session(sql, engine.raw_connection())
        if sql.name == "sqlite":
            opened.driver.isolation_level = None  # explicit BEGIN/COMMIT below
            sqlite_functions(opened.driver)
        return opened

    return sql, session


def begin(session: Session) -> None:
    if session.sql.name == "sqlite":
        session.execute("BEGIN")


def commit(session: Session) -> None:
    if session.sql.name == "sqlite":
        session.execute("COMMIT")
    else:
        session.commit()
