"""Engine construction for the two supported databases.

SQLite (the embedded default) runs in WAL mode with foreign keys on and full fsync, and every
write transaction starts with ``BEGIN IMMEDIATE``: writers queue instead of failing when a
read transaction tries to upgrade to a write. They queue first on the writer slot (a lock
per process and a lock file beside the database across processes), which hands the single
writer slot straight to the next writer; SQLite's own busy handler sleeps and retries on a
fixed schedule (1, 2, 5, … 100 ms), leaving the database idle while every waiter sleeps.

PostgreSQL goes through psycopg 3. A pooled connection idle for a while is checked before
use (a restarted server leaves dead connections in the pool); a busy one is not, which
saves a round trip per request: if the server went away under load, the request in flight
gets a 503 and the pool replaces every connection older than the failure.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError

from agent_api.errors import Unavailable

# Execution option of a connection that only reads (``unit_of_work.read_only``): on SQLite
# it runs without BEGIN, each statement its own consistent snapshot.
READ_ONLY = "qurb_read_only"
WRITER_SLOT_TIMEOUT_SECONDS = 30.0  # as long as SQLite's busy timeout below
IDLE_BEFORE_PING_SECONDS = 5.0


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and pick the psycopg 3 driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def build_engine(url: str, *, pool_size: int = 10) -> Engine:
    url = normalize_url(url)
    if is_sqlite(url):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size)
    event.listen(engine, "checkout", _ping_if_idle)
    event.listen(engine, "checkin", _note_checkin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the driver; _sqlite_on_begin issues BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")  # money: a commit survives a power cut
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    if connection.get_execution_options().get(READ_ONLY):
        return
    connection.exec_driver_sql("BEGIN IMMEDIATE")


_CHECKED_IN_AT = "qurb_checked_in_at"


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info[_CHECKED_IN_AT] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    idle_since = record.info.get(_CHECKED_IN_AT)
    if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING_SECONDS:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()
    except Exception as exc:
        # The pool discards this connection and checks out another (SQLAlchemy retries).
        raise DisconnectionError("the pooled connection is dead") from exc


class _WriterSlot:
    """SQLite's one writer at a time, queued for by the threads of this process (a lock) and
    by the processes sharing the file (an ``flock`` on ``<database>-writer``)."""

    def __init__(self, path: str) -> None:
        self._path = path + "-writer"
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        deadline = time.monotonic() + WRITER_SLOT_TIMEOUT_SECONDS
        if not self._lock.acquire(timeout=WRITER_SLOT_TIMEOUT_SECONDS):
            raise Unavailable("the database is busy; retry later")
        try:
            fd = self._file()
            pause = 0.0001
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                if time.monotonic() > deadline:
                    raise Unavailable("the database is busy; retry later")
                # Another process writes: its transactions are short, so look again soon.
                time.sleep(pause)
                pause = min(pause * 2, 0.001)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()


_slots: dict[str, _WriterSlot] = {}
_slots_lock = threading.Lock()


def writer_slot(engine: Engine) -> contextlib.AbstractContextManager[None]:
    """Hold the database's writer slot for a write transaction (SQLite files only)."""
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return contextlib.nullcontext()
    path = os.path.abspath(database)
    with _slots_lock:
        slot = _slots.get(path)
        if slot is None:
            slot = _slots[path] = _WriterSlot(path)
    return slot.held()


def is_reachable(engine: Engine) -> bool:
    """Whether the database answers a trivial query right now."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return False
    return True
