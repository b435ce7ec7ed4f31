"""The metadata of every table Qurb owns, for Alembic and the schema-drift test: the agent
API's and reconciliation's, on one metadata (reconciliation registers its tables on import)."""

from __future__ import annotations

from sqlalchemy import MetaData

import agent_api.persistence.tables as agent_tables
import reconciliation.tables  # noqa: F401  (registers the reconciliation tables)


def metadata() -> MetaData:
    return agent_tables.metadata
