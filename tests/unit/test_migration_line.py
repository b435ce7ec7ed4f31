"""The migrations form one line: `qurb-api migrate` upgrades to a single head, so two
migrations revising the same parent would leave a database that no command can bring up."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from qurb.migrate import alembic_config


def test_the_migrations_have_one_head_and_no_branch() -> None:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(scripts.get_heads()) == 1
    assert all(len(s.nextrev) <= 1 for s in scripts.walk_revisions())
