"""The migrations produce exactly the models' schema, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from qurb.schema import metadata


def test_migrated_database_has_no_drift_from_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata()) == []


def test_every_model_table_exists_after_migrating(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in metadata().sorted_tables} <= tables
