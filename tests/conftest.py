"""Shared fixtures. Every test that touches the database runs twice: on SQLite and on the
PostgreSQL that ``QURB_TEST_DATABASE_URL`` names.

PostgreSQL tests use a schema of their own per test run, migrated once; SQLite tests copy a
migrated template file. Between tests every table is emptied, so tests that commit (all of
them: services own their transactions) start clean. With ``CI=true`` an unreachable
PostgreSQL fails the run; elsewhere its half of the tests is skipped, and says why.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Table, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from agent_api.persistence import db as _db
from agent_api.persistence.db import build_engine
from agent_api.settings import Settings
from qurb import migrate
from qurb.schema import metadata

PG_ENV = "QURB_TEST_DATABASE_URL"

# The test databases are thrown away after each test: a commit need not reach the disk
# before it is answered (SQLite's synchronous=OFF, PostgreSQL's synchronous_commit=off).
# What a test sees is the same (a commit is still atomic, isolated and visible to every
# connection; a process killed still loses nothing the OS holds); only a power cut would
# differ, and the suite's integration tests commit thousands of times: each commit's
# flush to disk was most of a test's set-up. The fault tests' own PostgreSQL keeps
# synchronous_commit on (tests/support/faults.py), and the servers the end-to-end tests
# start keep SQLite's synchronous=FULL.
_durable_on_connect = _db._sqlite_on_connect


def _test_on_connect(dbapi_connection: Any, _record: Any) -> None:
    _durable_on_connect(dbapi_connection, _record)
    dbapi_connection.execute("PRAGMA synchronous=OFF")


_db._sqlite_on_connect = _test_on_connect

# Rows the migrations insert (the seed tariff), restored after each PostgreSQL test.
_SEEDED: list[tuple[Table, list[dict[str, Any]]]] = []


class FakeClock:
    """A controllable clock for tests; starts at a fixed, realistic instant."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PG_ENV} is not set, and CI needs the PostgreSQL tests")
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL half skipped")
    admin = build_engine(base, pool_size=1)
    schema = f"qurb_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_ENV} is unreachable: {type(exc).__name__}")
        pytest.skip(f"PostgreSQL unreachable ({type(exc).__name__}): PostgreSQL half skipped")
    url = make_url(base).update_query_dict(
        {"options": f"-csearch_path={schema} -csynchronous_commit=off"}
    )
    rendered = url.render_as_string(hide_password=False)
    migrate.upgrade(rendered)
    _SEEDED.clear()
    engine = build_engine(rendered, pool_size=1)
    with engine.connect() as connection:
        for table in metadata().sorted_tables:
            rows = connection.execute(table.select()).mappings().all()
            if rows:
                # Without their ids: the identity sequences restart, and must hand out
                # fresh ids after the restored rows.
                # (A table whose id is not generated, like the audit log's head, keeps it.)
                generated = "id" in table.c and table.c.id.autoincrement is not False
                drop = "id" if generated else None
                _SEEDED.append((table, [{k: v for k, v in r.items() if k != drop} for r in rows]))
    engine.dispose()
    yield rendered
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    if request.param == "sqlite":
        if request.node.get_closest_marker("postgres_only") is not None:
            pytest.skip("needs PostgreSQL's row locks under real concurrency")
        path = tmp_path / "qurb.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    engine = build_engine(url, pool_size=1)
    tables = ", ".join(f'"{t.name}"' for t in metadata().sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        # Put back what the migrations seeded (the tariff), as a fresh database has it.
        for table, rows in _SEEDED:
            connection.execute(table.insert(), rows)
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = build_engine(database_url, pool_size=5)
    yield built
    built.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url: str, key_dir: Path) -> Settings:
    # A cheap argon2 cost: the suite hashes hundreds of passwords. No sequencer thread: each
    # write sequences its own entry after its commit (a test reads the log right after a
    # write); the thread that servers run is tested in tests/integration/test_sequencer.py.
    return Settings(
        environment="test",
        database_url=database_url,
        key_dir=key_dir,
        password_time_cost=1,
        password_memory_kib=1024,
        max_failed_logins=3,
        sequence_interval_ms=0,
    ).with_keys({})
