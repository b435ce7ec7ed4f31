"""A unit of work per use case: one session, one transaction, rolled back unless the service
calls ``commit()``. Endpoints and queries never commit.

Database outages surface as ``Unavailable`` (503, safe to retry); constraint violations are
left to the service, which knows which field they concern.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session

from agent_api.errors import Unavailable

_open = threading.local()


class UnitOfWork:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    def __enter__(self) -> UnitOfWork:
        # One unit of work per thread at a time: a nested one would wait on the outer one's
        # SQLite write lock (a silent 30 s stall) or see other data than it (PostgreSQL).
        if getattr(_open, "unit", None) is not None:
            raise RuntimeError("a unit of work is already open in this thread")
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
        # expiring them, so values read inside the unit stay readable after it.
        self.session.close()
        self._session = None
        _open.unit = None
        if isinstance(exc, DBAPIError) and (
            exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
        ):
            raise Unavailable("the database is unavailable; retry later") from exc

    def commit(self) -> None:
        self.session.commit()


UnitOfWorkFactory = Callable[[], UnitOfWork]
