"""sealed contacts: phones, addresses, amendment values and stored responses sealed at rest

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

The phone and address columns grow to text (a sealed value is longer than the clear one),
then every clear value already stored is read, sealed and written back, in this migration,
with the keys the service runs with (``QURB_CONTACT_ENCRYPTION_KEY``: the same environment
as ``qurb-api migrate``). A database without such rows needs no key. A value already sealed
is left as it is, so a migration interrupted and run again finishes the job.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import sqlalchemy as sa
from alembic import op

from agent_api.persistence.sealing import Purpose, Sealer, is_sealed
from agent_api.services.container import contact_sealer
from agent_api.settings import Settings

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# table -> the sealed columns: (name, purpose, clear type, nullable)
SEALED: dict[str, list[tuple[str, Purpose, sa.types.TypeEngine[str], bool]]] = {
    "workers": [
        ("phone", "contact", sa.String(length=13), False),
        ("address", "contact", sa.String(length=200), False),
    ],
    "contributions": [("payer_phone", "contact", sa.String(length=13), True)],
    "liaison_entries": [("phone", "contact", sa.String(length=13), True)],
    "worker_amendments": [
        ("old_value", "history", sa.Text(), True),
        ("new_value", "history", sa.Text(), True),
    ],
    "idempotency_records": [("response_body", "response", sa.Text(), False)],
}
CHUNK = 1000


class _Keys:
    """The service's contact keys, read from its settings the first time a row needs them."""

    def __init__(self) -> None:
        self._sealer: Sealer | None = None

    def __call__(self) -> Sealer:
        if self._sealer is None:
            self._sealer = contact_sealer(Settings.from_env())
        return self._sealer


def upgrade() -> None:
    _retype(to_text=True)
    keys = _Keys()
    for table, columns in SEALED.items():
        _rewrite(table, [(c, p) for c, p, *_ in columns], _sealing(keys))


def downgrade() -> None:
    keys = _Keys()
    for table, columns in SEALED.items():
        _rewrite(table, [(c, p) for c, p, *_ in columns], _opening(keys))
    _retype(to_text=False)


def _retype(*, to_text: bool) -> None:
    with _foreign_keys_off_on_sqlite():
        for table, columns in SEALED.items():
            changed = [(c, t, n) for c, _, t, n in columns if not isinstance(t, sa.Text)]
            if not changed:
                continue
            with op.batch_alter_table(table) as batch:
                for name, clear, nullable in changed:
                    new, old = (sa.Text(), clear) if to_text else (clear, sa.Text())
                    batch.alter_column(
                        name, type_=new, existing_type=old, existing_nullable=nullable
                    )


@contextlib.contextmanager
def _foreign_keys_off_on_sqlite() -> Iterator[None]:
    """SQLite changes a column's type by rebuilding the table; dropping the old one deletes
    its rows first, which the rows of every table referring to it would refuse. Foreign keys
    go off for the rebuild, which SQLite allows only between transactions
    (https://www.sqlite.org/lang_altertable.html#otheralter), and every reference is checked
    before the rebuild commits."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    bind.exec_driver_sql("COMMIT")  # what ran before is committed with its version
    bind.exec_driver_sql("PRAGMA foreign_keys = OFF")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise RuntimeError(f"the rebuilt tables break {len(broken)} references")
        bind.exec_driver_sql("COMMIT")
    except BaseException:
        bind.exec_driver_sql("ROLLBACK")
        raise
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys = ON")
        bind.exec_driver_sql("BEGIN IMMEDIATE")


Change = Callable[[Purpose, str | None], str | None]


def _rewrite(table: str, columns: list[tuple[str, Purpose]], change: Change) -> None:
    """Every stored value of these columns sealed (or, going down, opened), chunk by chunk."""
    bind = op.get_bind()
    rows = sa.table(table, sa.column("id"), *(sa.column(c) for c, _ in columns))
    for chunk in _chunks(bind, rows, [c for c, _ in columns]):
        for row in chunk:
            values = {}
            for name, purpose in columns:
                value = row[name]
                new = change(purpose, value)
                if new is not None and new != value:
                    values[name] = new
            if values:
                bind.execute(rows.update().where(rows.c.id == row["id"]).values(**values))


def _chunks(
    bind: sa.Connection, rows: sa.TableClause, names: list[str]
) -> Iterator[list[sa.RowMapping]]:
    last = 0
    while True:
        chunk = list(
            bind.execute(
                sa.select(rows)
                .where(rows.c.id > last)
                .where(sa.or_(*(rows.c[n].is_not(None) for n in names)))
                .order_by(rows.c.id)
                .limit(CHUNK)
            ).mappings()
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1]["id"]


def _sealing(keys: _Keys) -> Change:
    def seal(purpose: Purpose, value: str | None) -> str | None:
        if value is None or is_sealed(value) or (purpose == "response" and value == ""):
            return value  # an empty stored response (204) holds nothing and stays empty
        return keys().seal(purpose, value)

    return seal


def _opening(keys: _Keys) -> Change:
    def open_(purpose: Purpose, value: str | None) -> str | None:
        if value is None or not is_sealed(value):
            return value
        return keys().open(purpose, value)

    return open_
