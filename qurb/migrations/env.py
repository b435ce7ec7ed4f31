"""Alembic environment: runs migrations online against the URL the caller configured."""

from __future__ import annotations

from alembic import context

from agent_api.persistence.db import build_engine
from qurb.schema import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "qurb.migrate sets sqlalchemy.url"

engine = build_engine(url, pool_size=1)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata(),
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
