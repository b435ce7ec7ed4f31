"""Reading the audit log of a served hub from a test: its writes are sequenced by the
server's own thread, a moment after their answers; a test that reads the leaves right after
the answers first takes what is still pending, as a checkpoint would."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.services.log.sequencer import Sequencer


def sequenced(engine: Engine) -> Engine:
    """``engine``, once every entry committed before the call is a leaf."""
    Sequencer(lambda: UnitOfWork(engine), lambda: datetime.now(UTC)).drain()
    return engine
