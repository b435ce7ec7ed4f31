"""A witness's own state: its key and, per log, the latest checkpoint it cosigned.

Everything lives in the witness's directory, apart from the log it watches: ``witness.key``
(the cosigner's private key, mode 0600) and ``witness.db`` (SQLite). The database keeps one
row per log (origin, size, root hash, the note it cosigned) and the refused submissions
that were signed by the log, which may be evidence of a fork (tlog-witness lets a witness
keep them).

Advancing is a compare-and-swap on the row as it was read: of two submissions that both
checked out against the same held checkpoint, exactly one moves it, and the other is told
the new size, so a witness never rolls back to a smaller tree (tlog-witness, the race it
describes under add-checkpoint). Losing the database is losing the witness's memory: such a
witness must be retired with its key, not started afresh.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from agent_api.protocol.cosignature import Cosigner

KEY_FILE = "witness.key"
DB_FILE = "witness.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL CHECK (size >= 0),
    root_hash BLOB NOT NULL CHECK (length(root_hash) = 32),
    note TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refusals (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    reason TEXT NOT NULL,
    request TEXT NOT NULL,
    received_at TEXT NOT NULL
);
"""


class WitnessSetupError(Exception):
    """The witness directory is missing, incomplete or already initialised."""


@dataclass(frozen=True)
class Held:
    """The latest checkpoint the witness cosigned for one log."""

    size: int
    root_hash: bytes


def init(directory: Path, name: str) -> Cosigner:
    """Create a witness in ``directory``: a new key and an empty database. Refuses to
    overwrite a key: a second key for one witness would let it cosign two histories."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    cosigner = Cosigner.generate(name)
    try:
        fd = os.open(directory / KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise WitnessSetupError(f"{directory / KEY_FILE} exists: this witness is set up") from None
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(cosigner.to_string() + "\n")
    with contextlib.closing(_connect(directory / DB_FILE)) as db:
        db.executescript(_SCHEMA)
    return cosigner


def load_key(directory: Path) -> Cosigner:
    path = directory / KEY_FILE
    if not path.exists():
        raise WitnessSetupError(f"no {KEY_FILE} in {directory}: run `qurb-audit witness init`")
    return Cosigner.from_string(path.read_text(encoding="ascii"))


def _connect(path: Path) -> sqlite3.Connection:
    # Autocommit mode: transactions are opened explicitly (BEGIN IMMEDIATE) where needed.
    db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")  # a cosigned state survives a power cut
    return db


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class WitnessStore:
    """The witness's SQLite database. Each call opens its own connection (calls come from
    a thread pool); SQLite serialises the writers."""

    def __init__(self, directory: Path) -> None:
        self._path = directory / DB_FILE
        if not self._path.exists():
            raise WitnessSetupError(
                f"no {DB_FILE} in {directory}: run `qurb-audit witness init`; a witness whose "
                "database was lost must be retired, not restarted"
            )
        with self._db() as db:
            db.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = _connect(self._path)
        try:
            yield db
        finally:
            db.close()

    def held(self, origin: str) -> Held | None:
        with self._db() as db:
            row = db.execute(
                "SELECT size, root_hash FROM logs WHERE origin = ?", (origin,)
            ).fetchone()
        return None if row is None else Held(int(row[0]), bytes(row[1]))

    def advance(
        self, origin: str, held: Held | None, size: int, root_hash: bytes, note: str
    ) -> bool:
        """Move the log's row from ``held`` (as the caller read it) to the new checkpoint.
        False when another submission moved it first: the caller must not cosign."""
        if held is not None and size < held.size:
            raise ValueError("a witness never moves a log back to a smaller tree")
        with self._db() as db:
            if held is None:
                cursor = db.execute(
                    "INSERT INTO logs (origin, size, root_hash, note, updated_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO NOTHING",
                    (origin, size, root_hash, note, _now()),
                )
            else:
                cursor = db.execute(
                    "UPDATE logs SET size = ?, root_hash = ?, note = ?, updated_at = ?"
                    " WHERE origin = ? AND size = ? AND root_hash = ? AND ? >= size",
                    (size, root_hash, note, _now(), origin, held.size, held.root_hash, size),
                )
            return cursor.rowcount == 1

    def record_refusal(self, origin: str, reason: str, request: str) -> None:
        """Keep a refused request that the log did sign: it may prove the log forked."""
        with self._db() as db:
            db.execute(
                "INSERT INTO refusals (origin, reason, request, received_at) VALUES (?, ?, ?, ?)",
                (origin, reason, request, _now()),
            )

    def refusals(self, origin: str) -> list[tuple[str, str]]:
        """(reason, request) of each refused signed request for the log, oldest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT reason, request FROM refusals WHERE origin = ? ORDER BY id", (origin,)
            ).fetchall()
        return [(str(reason), str(request)) for reason, request in rows]
