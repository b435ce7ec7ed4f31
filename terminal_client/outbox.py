"""The durable outbox: every write is signed and stored with its sequence number before it
is sent, and leaves only when the service's answer is stored.

- A retry sends the identical signed request, so the service's idempotency (the sequence
  number is the key) makes it exactly-once, whatever happened to the earlier attempt.
- A request that has waited longer than the online signature window is re-signed once as
  an offline write (``Qurb-Offline: 1``) with the same body, sequence number and capture
  time: to the service it is still the same request.
- SQLite with ``synchronous=FULL``: a write the operator was told is queued survives a
  power cut; killing the program at any instant loses nothing and sends nothing twice
  with a different body.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS sequence (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last INTEGER NOT NULL CHECK (last >= 0)
);
INSERT OR IGNORE INTO sequence (id, last) VALUES (1, 0);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    body BLOB NOT NULL,
    headers TEXT NOT NULL,
    created INTEGER NOT NULL,
    offline INTEGER NOT NULL DEFAULT 0,
    label TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'abandoned')),
    status INTEGER,
    response TEXT,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refusals (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    label TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    refused_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS receipts (
    number TEXT PRIMARY KEY,
    jws TEXT NOT NULL,
    kind TEXT NOT NULL,
    stored_at INTEGER NOT NULL
);
-- A receipt's compact form (QC1:, for the ticket's QR), beside it: a table of its own, so
-- that an outbox made before it simply gains it.
CREATE TABLE IF NOT EXISTS receipt_compacts (
    number TEXT PRIMARY KEY,
    compact TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Item:
    seq: int
    method: str
    path: str
    body: bytes
    headers: dict[str, str]
    created: int
    offline: bool
    label: str
    state: str
    status: int | None
    response: Any


class Outbox:
    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(path, isolation_level=None, timeout=30)
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=FULL")
        # A forgotten body (a password, below) is overwritten with zeros, not left in a free
        # page of the file for anyone who copies it.
        self._connection.execute("PRAGMA secure_delete=ON")
        self._connection.executescript(SCHEMA)

    def close(self) -> None:
        self._connection.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._connection.execute("BEGIN IMMEDIATE")
        try:
            yield self._connection
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")

    def reserve(self) -> int:
        """The next sequence number, consumed at once (a number is never handed out twice)."""
        with self._transaction() as db:
            db.execute("UPDATE sequence SET last = last + 1 WHERE id = 1")
            (seq,) = db.execute("SELECT last FROM sequence WHERE id = 1").fetchone()
        return int(seq)

    def last_sequence(self) -> int:
        (seq,) = self._connection.execute("SELECT last FROM sequence WHERE id = 1").fetchone()
        return int(seq)

    def add(
        self,
        *,
        seq: int,
        method: str,
        path: str,
        body: bytes,
        headers: dict[str, str],
        created: int,
        offline: bool,
        label: str,
    ) -> Item:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO outbox (seq, method, path, body, headers, created, offline, label,"
                " state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                (
                    seq,
                    method,
                    path,
                    body,
                    json.dumps(headers),
                    created,
                    int(offline),
                    label,
                    int(time.time()),
                ),
            )
        return self.get(seq)

    def resign(self, seq: int, headers: dict[str, str]) -> Item:
        """Store the offline-signed version of a pending request (same body and number)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET headers = ?, offline = 1, updated_at = ? "
                "WHERE seq = ? AND state = 'pending'",
                (json.dumps(headers), int(time.time()), seq),
            )
        return self.get(seq)

    def finish(
        self,
        seq: int,
        state: str,
        status: int | None,
        response: Any,
        *,
        forget_body: bool = False,
    ) -> Item:
        """The write is over (done, or abandoned unsent). ``forget_body`` for a body holding a
        password (a sign-in, a supervisor's approval): nothing will ever resend it, and the
        outbox is no place to keep a password once its write is over."""
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET state = ?, status = ?, response = ?, updated_at = ? "
                "WHERE seq = ?",
                (state, status, json.dumps(response), int(time.time()), seq),
            )
            if forget_body:
                db.execute("UPDATE outbox SET body = X'' WHERE seq = ?", (seq,))
        return self.get(seq)

    def refuse(self, seq: int, status: int, response: Any) -> None:
        """The service refused the write and stored nothing of it: log the refusal and, when
        it holds the latest number, give the number back, so that correcting a typo does not
        leave auditors a gap in the sequence."""
        with self._transaction() as db:
            row = db.execute("SELECT label FROM outbox WHERE seq = ?", (seq,)).fetchone()
            db.execute(
                "INSERT INTO refusals (seq, label, status, response, refused_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (seq, row[0] if row else "", status, json.dumps(response), int(time.time())),
            )
            db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
            db.execute("UPDATE sequence SET last = last - 1 WHERE id = 1 AND last = ?", (seq,))

    def get(self, seq: int) -> Item:
        found = self.find(seq)
        if found is None:
            raise KeyError(seq)
        return found

    def find(self, seq: int) -> Item | None:
        """The write numbered ``seq`` (the number on a provisional ticket), if it is here."""
        row = self._connection.execute("SELECT * FROM outbox WHERE seq = ?", (seq,)).fetchone()
        return None if row is None else _item(row)

    def refusal(self, seq: int) -> tuple[str, int, Any] | None:
        """The last refusal of a write numbered ``seq``: its label, status and answer."""
        row = self._connection.execute(
            "SELECT label, status, response FROM refusals WHERE seq = ? ORDER BY id DESC LIMIT 1",
            (seq,),
        ).fetchone()
        return None if row is None else (str(row[0]), int(row[1]), json.loads(row[2]))

    def pending(self) -> list[Item]:
        rows = self._connection.execute(
            "SELECT * FROM outbox WHERE state = 'pending' ORDER BY seq"
        ).fetchall()
        return [_item(row) for row in rows]

    def recent(self, limit: int = 50) -> list[Item]:
        rows = self._connection.execute(
            "SELECT * FROM outbox ORDER BY seq DESC LIMIT ?", (limit,)
        ).fetchall()
        return [_item(row) for row in rows]

    def since(self, created: int) -> list[Item]:
        """Every write signed at or after ``created`` (epoch seconds), oldest first: the
        day's journal reads it (terminal_client/journal.py)."""
        rows = self._connection.execute(
            "SELECT * FROM outbox WHERE created >= ? ORDER BY seq", (created,)
        ).fetchall()
        return [_item(row) for row in rows]

    # -- receipts kept for printing and verifying offline ---------------------------------
    def keep_receipt(self, number: str, jws: str, kind: str, compact: str | None = None) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO receipts (number, jws, kind, stored_at) VALUES (?, ?, ?, ?)",
                (number, jws, kind, int(time.time())),
            )
            if compact:
                db.execute(
                    "INSERT OR IGNORE INTO receipt_compacts (number, compact) VALUES (?, ?)",
                    (number, compact),
                )

    def receipt_compact(self, number: str) -> str | None:
        row = self._connection.execute(
            "SELECT compact FROM receipt_compacts WHERE number = ?", (number,)
        ).fetchone()
        return None if row is None else str(row[0])

    def receipt(self, number: str) -> str | None:
        row = self._connection.execute(
            "SELECT jws FROM receipts WHERE number = ?", (number,)
        ).fetchone()
        return None if row is None else str(row[0])


def _item(row: tuple[Any, ...]) -> Item:
    seq, method, path, body, headers, created, offline, label, state, status, response, _ = row
    return Item(
        seq=int(seq),
        method=str(method),
        path=str(path),
        body=bytes(body),
        headers=json.loads(headers),
        created=int(created),
        offline=bool(offline),
        label=str(label),
        state=str(state),
        status=None if status is None else int(status),
        response=None if response is None else json.loads(response),
    )
