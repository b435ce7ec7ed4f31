"""A unit of work per use case: one session, one transaction, rolled back unless the service
calls ``commit()``. Endpoints and queries never commit.

Database outages surface as ``Unavailable`` (503, safe to retry); constraint violations are
left to the service, which knows which field they concern.

On SQLite a unit of work that writes queues for the database's single writer slot first
(``agent_api.persistence.db.writer_slot``), so that the slot passes straight from one
writer to the next instead of through SQLite's sleep-and-retry busy handler.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from types import TracebackType

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session

from agent_api.errors import Unavailable
from agent_api.persistence.db import READ_ONLY, writer_slot

_open = threading.local()
# Set in a session's info by a transaction that recorded an audit-log entry: once it has
# committed, its unit of work calls ``after_appends`` (the sequencer's nudge).
APPENDED = "audit_appended"
logger = logging.getLogger(__name__)


class UnitOfWork:
    def __init__(self, engine: Engine, *, after_appends: Callable[[], None] | None = None) -> None:
        self._engine = engine
        self._after_appends = after_appends
        self._appended = False
        self._session: Session | None = None
        self._connection: Connection | None = None
        self._slot: contextlib.AbstractContextManager[None] | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    def connection(self) -> Connection:
        """The transaction's connection, for the statements of the hot paths (SQLAlchemy
        Core, no ORM bookkeeping)."""
        if self._connection is None or self._connection.closed:
            # A commit or a rollback released the last one: the session begins anew.
            self._connection = self.session.connection()
        return self._connection

    def __enter__(self) -> UnitOfWork:
        # One unit of work per thread at a time: a nested one would wait on the outer one's
        # SQLite write lock (a silent 30 s stall) or see other data than it (PostgreSQL).
        if getattr(_open, "unit", None) is not None:
            raise RuntimeError("a unit of work is already open in this thread")
        slot = writer_slot(self._engine)
        slot.__enter__()
        self._slot = slot
        _open.unit = self
        self._session = Session(self._engine, expire_on_commit=False)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed and detaches the objects without
        # expiring them, so values read inside the unit stay readable after it. A connection
        # lost right then (its ROLLBACK fails) is a 503 like any other, and the thread is
        # free for its next unit of work whatever happened.
        try:
            self.session.close()
        except DBAPIError as closing:
            raise_unavailable(closing)
            raise
        finally:
            self._session = None
            self._connection = None
            _open.unit = None
            if self._slot is not None:
                self._slot.__exit__(None, None, None)
                self._slot = None
        raise_unavailable(exc)
        if self._appended and self._after_appends is not None:
            self._appended = False
            try:
                self._after_appends()
            except Exception as failed:  # noqa: BLE001 - the write is committed: never undo it
                # Its entry is durable and pending: the next nudge or the periodic sequencer
                # integrates it.
                logger.warning("sequencer_nudge_failed", extra={"error": type(failed).__name__})

    def commit(self) -> None:
        self.session.commit()
        if self.session.info.pop(APPENDED, False):
            self._appended = True


def raise_unavailable(exc: BaseException | None) -> None:
    """Turn a lost or unreachable database into ``Unavailable`` (503, retry-safe)."""
    if isinstance(exc, DBAPIError) and (
        exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    ):
        raise Unavailable("the database is unavailable; retry later") from exc


@contextlib.contextmanager
def read_only(engine: Engine) -> Iterator[Connection]:
    """A connection for one consistent read that writes nothing: autocommit on PostgreSQL
    (no BEGIN/COMMIT round trips), a plain statement on SQLite (no writer slot, no lock)."""
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                yield connection.execution_options(isolation_level="AUTOCOMMIT")
            else:
                yield connection.execution_options(**{READ_ONLY: True})
    except DBAPIError as exc:
        raise_unavailable(exc)
        raise


UnitOfWorkFactory = Callable[[], UnitOfWork]
