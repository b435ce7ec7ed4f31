"""The metadata of every table Qurb owns, for Alembic and the schema-drift test."""

from __future__ import annotations

from sqlalchemy import MetaData

import agent_api.persistence.tables as agent_tables


def metadata() -> MetaData:
    return agent_tables.metadata
