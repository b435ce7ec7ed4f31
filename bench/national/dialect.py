"""The two databases' SQL: the few expressions PostgreSQL and SQLite spell differently, the
functions SQLite is given to match, and how a chunk's facts feed several inserts on each."""

# Every expression and statement here is put together from this package's constants and
# computed integers, never from input: S608 (SQL built from strings) does not apply.
# ruff: noqa: S608
from __future__ import annotations

import base64
import hashlib
import sqlite3
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from agent_api.domain.registration_number import DAMM_TABLE, format_registration_number
from agent_api.protocol import merkle
from agent_api.protocol.encoding import b64url_encode


class Dialect:
    """The few expressions PostgreSQL and SQLite spell differently."""

    name = ""
    true, false = "true", "false"
    fence = ""  # ends a subquery whose expressions must be computed once

    def numbers(self, lo: int, hi: int) -> str:
        raise NotImplementedError

    def pad(self, expr: str, width: int) -> str:
        raise NotImplementedError

    def ts(self, epoch: str) -> str:
        """A timestamp column's value for a UTC epoch."""
        raise NotImplementedError

    def iso(self, epoch: str) -> str:
        """``datetime.isoformat()`` of a UTC epoch, as the service writes it in JSON."""
        raise NotImplementedError

    def sha256(self, text: str) -> str:
        raise NotImplementedError

    def leaf_hash(self, text: str) -> str:
        """Hex of SHA-256(0x00 || UTF-8 text): RFC 6962's leaf hash."""
        raise NotImplementedError

    def b64url(self, text: str) -> str:
        raise NotImplementedError

    def filler_signature(self, number: str) -> str:
        """The 86 base64url characters of 64 bytes, as an Ed25519 signature; not one (the
        last character is "A" so that the encoding is canonical, as PyJWT checks)."""
        raise NotImplementedError

    def sealed(self, number: str) -> str:
        """48 base64 characters, the length of a sealed 8-character CIN; not one."""
        raise NotImplementedError

    def birth_date(self, days: str) -> str:
        raise NotImplementedError

    def param(self, value: Any) -> Any:
        return value


class Postgres(Dialect):
    name = "postgresql"
    fence = "OFFSET 0"

    def numbers(self, lo: int, hi: int) -> str:
        return f"g(i) AS (SELECT generate_series({lo}::bigint, {hi}::bigint))"

    def pad(self, expr: str, width: int) -> str:
        return f"lpad(({expr})::text, {width}, '0')"

    def ts(self, epoch: str) -> str:
        return f"to_timestamp({epoch})"

    def iso(self, epoch: str) -> str:
        return (
            f"to_char(to_timestamp({epoch}) AT TIME ZONE 'UTC', "
            '\'YYYY-MM-DD"T"HH24:MI:SS"+00:00"\')'
        )

    def sha256(self, text: str) -> str:
        return f"encode(sha256(convert_to({text}, 'UTF8')), 'hex')"

    def leaf_hash(self, text: str) -> str:
        return f"encode(sha256('\\x00'::bytea || convert_to({text}, 'UTF8')), 'hex')"

    def b64url(self, text: str) -> str:
        # replace(), not translate(): translate() looks every character up one by one and
        # costs twenty times more on a receipt's payload.
        encoded = f"replace(encode(convert_to({text}, 'UTF8'), 'base64'), E'\\n', '')"
        return f"rtrim(replace(replace({encoded}, '+', '-'), '/', '_'), '=')"

    def filler_signature(self, number: str) -> str:
        digest = self.sha256(f"'signature/' || {number}")
        return f"left({digest} || reverse({digest}), 85) || 'A'"

    def sealed(self, number: str) -> str:
        halves = " || ".join(f"sha256(convert_to('{h}' || {number}, 'UTF8'))" for h in "cd")
        return f"encode(substr({halves}, 1, 36), 'base64')"

    def birth_date(self, days: str) -> str:
        return f"(DATE '1960-01-01' + ({days})::integer)"


class Sqlite(Dialect):
    name = "sqlite"
    true, false = "1", "0"

    def numbers(self, lo: int, hi: int) -> str:
        return f"g(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM g WHERE i < {hi})"

    def pad(self, expr: str, width: int) -> str:
        return f"printf('%0{width}d', {expr})"

    def ts(self, epoch: str) -> str:
        # SQLAlchemy's SQLite DateTime format, so that the service reads and compares it.
        return f"(strftime('%Y-%m-%d %H:%M:%S', {epoch}, 'unixepoch') || '.000000')"

    def iso(self, epoch: str) -> str:
        return f"strftime('%Y-%m-%dT%H:%M:%S+00:00', {epoch}, 'unixepoch')"

    def sha256(self, text: str) -> str:
        return f"qurb_sha256({text})"

    def leaf_hash(self, text: str) -> str:
        return f"qurb_leaf_hash({text})"

    def b64url(self, text: str) -> str:
        return f"qurb_b64url({text})"

    def filler_signature(self, number: str) -> str:
        return f"qurb_filler_signature({number})"

    def sealed(self, number: str) -> str:
        return f"qurb_sealed({number})"

    def birth_date(self, days: str) -> str:
        return f"date('1960-01-01', '+' || ({days}) || ' days')"

    def param(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, date):
            return value.isoformat()
        return value


def sqlite_functions(connection: sqlite3.Connection) -> None:
    """What SQLite lacks and the statements need, deterministic like their PostgreSQL twins."""

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    def leaf(text: str) -> str:
        return merkle.leaf_hash(text.encode()).hex()

    def b64url(text: str) -> str:
        return b64url_encode(text.encode())

    def halves(a: bytes, b: bytes, number: int) -> bytes:
        tag = str(number).encode()
        return hashlib.sha256(a + tag).digest() + hashlib.sha256(b + tag).digest()

    def signature(number: int) -> str:
        digest = sha(f"signature/{number}")
        return (digest + digest[::-1])[:85] + "A"

    def sealed(number: int) -> str:
        return base64.b64encode(halves(b"c", b"d", number)[:36]).decode()

    for name, function in (
        ("qurb_sha256", sha),
        ("qurb_leaf_hash", leaf),
        ("qurb_b64url", b64url),
        ("qurb_filler_signature", signature),
        ("qurb_sealed", sealed),
        ("qurb_registration_number", format_registration_number),
    ):
        connection.create_function(name, 1, function, deterministic=True)


def _damm(expr: str) -> str:
    """The Damm check digit of a 9-digit serial as one PostgreSQL expression: a lookup per
    digit in the table held as 100 bytes (get_byte is O(1), unlike substr on text)."""
    table = "".join(f"{v:02x}" for row in DAMM_TABLE for v in row)
    interim = "0"
    for k in range(9):
        digit = f"((({expr}) / {10 ** (8 - k)}) % 10)::integer"
        interim = f"get_byte('\\x{table}'::bytea, ({interim}) * 10 + {digit})"
    return interim


def registration(sql: Dialect, expr: str) -> str:
    """A worker's registration number (serial and Damm check digit) as an expression."""
    if sql.name == "sqlite":  # nine nested lookups overflow SQLite's parser stack
        return f"qurb_registration_number({expr})"
    return f"({sql.pad(expr, 9)} || {_damm(expr)})"


def staged(sql: Dialect, facts: str, inserts: Sequence[str]) -> list[str]:
    """Statements that compute ``facts`` (``WITH`` clauses then a SELECT) once as ``p`` and
    insert from it into several tables: on PostgreSQL one statement, ``p`` materialized and
    the inserts as data-modifying CTEs; on SQLite a temporary table."""
    if sql.name == "postgresql":
        head, _, select = facts.rpartition("\n    SELECT /* facts */")
        writes = ",\n".join(f"    w{k} AS ({body})" for k, body in enumerate(inserts))
        return [f"{head},\n    p AS MATERIALIZED (SELECT {select}),\n{writes}\n    SELECT 1"]
    return [
        f"CREATE TEMP TABLE p AS {facts.replace('SELECT /* facts */', 'SELECT')}",
        *inserts,
        "DROP TABLE p",
    ]
