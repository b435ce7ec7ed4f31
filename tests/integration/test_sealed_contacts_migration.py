"""Migration 0011 seals what an earlier version stored in clear: every phone, address,
amendment value and stored response already in the database is read, sealed with the
service's key and written back, on both databases; an empty database needs no key."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, text
from sqlalchemy.engine import make_url
from sqlalchemy.types import Boolean, Date, DateTime, Integer, String

from agent_api.persistence.db import build_engine
from agent_api.persistence.sealing import Sealer, is_sealed
from qurb import migrate
from tests.conftest import PG_ENV
from tests.support.privacy import personal_data_in

RESPONSE = '{"registration_number":"0000000017","last_name":"El Amrani","address":"12 rue des Orangers","phone":"+212612345678"}'  # noqa: E501
CLEAR = {
    ("workers", "phone"): "+212612345678",
    ("workers", "address"): "12 rue des Orangers",
    ("contributions", "payer_phone"): "+212661223344",
    ("liaison_entries", "phone"): "+212522123456",
    ("worker_amendments", "old_value"): "+212612345678",
    ("worker_amendments", "new_value"): "4 av. Hassan II",
    ("idempotency_records", "response_body"): RESPONSE,
}
PURPOSES = {"worker_amendments": "history", "idempotency_records": "response"}


@pytest.fixture(params=["sqlite", "postgresql"])
def url_at_0007(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL half skipped")
    admin = build_engine(base, pool_size=1)
    schema = f"qurb_mig_{uuid.uuid4().hex[:10]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _filler(column: Any) -> Any:
    kind = column.type
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return 1
    if isinstance(kind, DateTime):
        return datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    if isinstance(kind, Date):
        return date(2026, 1, 1)
    if isinstance(kind, String):
        return "x"
    raise AssertionError(f"no filler for {column}")


def _insert(engine: Engine, rows: list[tuple[str, dict[str, Any]]]) -> None:
    """Rows as version 0007 stored them, every NOT NULL column not given filled in."""
    schema = MetaData()
    schema.reflect(engine)
    with engine.begin() as connection:
        for name, given in rows:
            table = schema.tables[name]
            values = {
                c.name: _filler(c)
                for c in table.columns
                if not c.nullable and not c.primary_key and c.name not in given
            }
            connection.execute(table.insert().values(id=1, **{**values, **given}))


def _old_rows() -> list[tuple[str, dict[str, Any]]]:
    return [
        ("networks", {"code": "CASHPLUS", "status": "active", "commission_bps": 30}),
        ("offices", {"network_id": 1, "code": "CA-01", "status": "active"}),
        ("terminals", {"office_id": 1, "status": "active", "activation_attempts": 0}),
        ("users", {"username": "op", "role": "operator", "office_id": 1, "status": "active",
                   "failed_logins": 0}),
        ("workers", {"cin_index": "i", "sex": "F", "status": "active", "category": "ARTISAN",
                     "bracket": "REGISTERED", "office_id": 1, "terminal_id": 1,
                     "enrolled_by": 1, "phone": CLEAR[("workers", "phone")],
                     "address": CLEAR[("workers", "address")]}),
        ("receipts", {"kind": "collection", "worker_id": 1, "network_id": 1, "office_id": 1,
                      "terminal_id": 1, "amount_centimes": 100}),
        ("contributions", {"receipt_id": 1, "worker_id": 1, "network_id": 1, "office_id": 1,
                           "terminal_id": 1, "operator_id": 1, "amount_centimes": 100,
                           "payer_phone": CLEAR[("contributions", "payer_phone")]}),
        ("liaison_entries", {"cin_index": "i", "category": "ARTISAN",
                             "phone": CLEAR[("liaison_entries", "phone")]}),
        ("worker_amendments", {"worker_id": 1, "office_id": 1, "terminal_id": 1, "user_id": 1,
                               "old_value": CLEAR[("worker_amendments", "old_value")],
                               "new_value": CLEAR[("worker_amendments", "new_value")]}),
        ("idempotency_records", {"terminal_id": 1, "key": 1, "response_status": 201,
                                 "response_body": RESPONSE}),
    ]  # fmt: skip


def _stored(engine: Engine) -> dict[tuple[str, str], str]:
    with engine.connect() as connection:
        return {
            (table, column): connection.execute(
                text(f"SELECT {column} FROM {table} WHERE id = 1")  # noqa: S608
            ).scalar_one()
            for table, column in CLEAR
        }


def test_clear_rows_of_an_earlier_version_are_sealed_and_open_with_the_services_key(
    url_at_0007: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate.upgrade(url_at_0007, "0007")
    engine = build_engine(url_at_0007, pool_size=1)
    try:
        _insert(engine, _old_rows())
        with engine.begin() as connection:  # an empty response (204) stays empty
            connection.execute(
                text(
                    "INSERT INTO idempotency_records (id, terminal_id, key, request_digest,"
                    " keyid, signed_at, received_at, offline, response_status, response_body)"
                    " SELECT 2, terminal_id, 2, request_digest, keyid, signed_at, received_at,"
                    " offline, 204, '' FROM idempotency_records WHERE id = 1"
                )
            )
        old_key, key = os.urandom(32), os.urandom(32)
        monkeypatch.setenv("QURB_KEY_DIR", str(tmp_path / "keys"))
        monkeypatch.setenv("QURB_CONTACT_ENCRYPTION_KEY", base64.b64encode(key).decode())
        monkeypatch.setenv(
            "QURB_CONTACT_PREVIOUS_ENCRYPTION_KEYS", base64.b64encode(old_key).decode()
        )
        migrate.upgrade(url_at_0007, "0009")
        sealed = _stored(engine)
        sealer = Sealer(key)
        for (table, column), value in sealed.items():
            assert is_sealed(value), (table, column)
            assert personal_data_in(value) == [], (table, column)
            assert value.split(":")[1] == sealer.current_key_id  # the current key seals
            opened = sealer.open(PURPOSES.get(table, "contact"), value)  # type: ignore[arg-type]
            assert opened == CLEAR[(table, column)]
        with engine.connect() as connection:
            empty = connection.execute(
                text("SELECT response_body FROM idempotency_records WHERE id = 2")
            ).scalar_one()
        assert empty == ""
        # Run again (an interrupted migration, say): what is sealed stays as it is.
        command.downgrade(migrate.alembic_config(url_at_0007), "0007")  # opened back
        assert _stored(engine) == CLEAR
        migrate.upgrade(url_at_0007, "0009")
        assert all(is_sealed(v) for v in _stored(engine).values())
    finally:
        engine.dispose()


def test_an_empty_database_migrates_without_any_key(
    url_at_0007: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QURB_ENV", "production")  # a missing key would stop the settings
    for name in [n for n in os.environ if n.startswith("QURB_") and n.endswith("_KEY")]:
        monkeypatch.delenv(name)
    migrate.upgrade(url_at_0007, "0009")
    engine = build_engine(url_at_0007, pool_size=1)
    try:
        assert _stored_count(engine) == 0
    finally:
        engine.dispose()


def _stored_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT COUNT(*) FROM workers")).scalar_one())
