"""Exactly-once writes keyed by the terminal's sequence number.

The claim on ``(terminal, key)`` is an insert under a unique constraint in the same
transaction as the write and its stored response, never a check-then-insert:

- the same key and request digest again → the stored original response, no new effect;
- the same key with a different digest → refused (``idempotency_key_reused``) and recorded
  as a security event: a cloned key or a broken terminal;
- the same key while the first is still in flight → PostgreSQL makes the second insert wait
  for the first transaction; after ``idempotency_wait_ms`` it gets ``idempotency_in_flight``
  (409), otherwise it sees the committed record and replays it. SQLite serializes writers.

A refused write (any error) rolls back with its claim: nothing of it is stored, and the
terminal may send the same signed request again. The claim, the write and its stored
response run in one transaction in ``signed_writes``.

A stored response holds names, phones, addresses: it is sealed whole (``response``
purpose of ``persistence.sealing``) and opened for a replay, which sends the very bytes the
first answer sent.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from agent_api import metrics
from agent_api.errors import Conflict, ValidationFailed
from agent_api.persistence.fast import Fast
from agent_api.persistence.sealing import Sealer
from agent_api.persistence.tables import IdempotencyRecord
from agent_api.persistence.unit_of_work import UnitOfWork, UnitOfWorkFactory
from agent_api.services.sessions.request_gate import StoredRecord
from agent_api.services.sessions.security_events import SecurityEventService, record_event

logger = logging.getLogger(__name__)

LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for lock_timeout


@dataclass(frozen=True)
class WriteContext:
    """What the signed-request layer knows about one write."""

    terminal_id: int
    key: int
    request_digest: str
    keyid: str
    signed_at: datetime
    received_at: datetime
    offline: bool
    # What the audit log keeps of the signed request (never the body, never the token).
    evidence: dict[str, Any] | None = None


@dataclass(frozen=True)
class StoredResponse:
    status: int
    text: str  # the JSON body as sent and stored ("" when there is none)
    replayed: bool

    @property
    def body(self) -> Any:
        return json.loads(self.text) if self.text else None


class IdempotencyKeyReused(ValidationFailed):
    """Raised when a sequence number comes back with a different request."""

    code = "idempotency_key_reused"


class IdempotencyInFlight(Conflict):
    """Raised when the same sequence number is still being processed."""

    code = "idempotency_in_flight"


class Idempotency:
    """The claim of a sequence number and the answer to a number already claimed; the write
    itself runs in ``signed_writes``, in the claim's transaction."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        events: SecurityEventService,
        sealer: Sealer,
        *,
        wait_ms: int,
    ) -> None:
        self._uow = uow
        self._events = events
        self._sealer = sealer
        self._wait_ms = wait_ms

    def stored(self, write: WriteContext, *, same_key_only: bool = False) -> StoredResponse | None:
        """The stored response for this exact request, if the key was already used by it.

        ``same_key_only`` is for activation, where the terminal is named by a code anyone
        may type: a record left by another signing key is none of this request's business.
        """
        with self._uow() as uow:
            record = _find(uow.session, write)
        if record is None or (same_key_only and record.keyid != write.keyid):
            return None
        return self.replay(_stored(record), write)

    def claim(self, uow: UnitOfWork, write: WriteContext) -> int | StoredRecord:
        """Claim ``write``'s sequence number in ``uow``'s transaction: the new record's id
        (its response is written with the leaf), or the record of an earlier delivery."""
        connection = uow.connection()
        try:
            claimed = _claim_statement(connection.dialect.name).first(
                connection, _claim_params(write, self._wait_ms)
            )
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                raise IdempotencyInFlight(
                    f"sequence number {write.key} is still being processed; retry shortly"
                ) from None
            raise
        if claimed is None:
            # Claimed by an earlier delivery of this sequence number (committed: on
            # PostgreSQL the insert waited for it).
            existing = _find(uow.session, write)
            assert existing is not None, "a conflict implies the row exists"
            return _stored(existing)
        record_id, previous = claimed
        _note_gap(uow.session, write, previous)
        return int(record_id)

    def replay(self, record: StoredRecord, write: WriteContext) -> StoredResponse:
        """The stored response of a sequence number already used by this very request;
        refused (and recorded, in a unit of work of its own: call it outside the claim's)
        when the number was used for another request."""
        if record.request_digest != write.request_digest:
            self._events.record(
                "idempotency_key_reused",
                terminal_id=write.terminal_id,
                keyid=write.keyid,
                key=write.key,
            )
            raise IdempotencyKeyReused(
                f"sequence number {write.key} was already used for a different request",
                field="Idempotency-Key",
            )
        metrics.IDEMPOTENT_REPLAYS.inc()
        return StoredResponse(
            record.response_status, self._open(record.response_body), replayed=True
        )

    def seal(self, text: str) -> str:
        """A response as stored: sealed whole. An empty body (204) holds nothing: it stays
        empty, as the claim's placeholder is."""
        return self._sealer.seal("response", text) if text else ""

    def _open(self, stored: str) -> str:
        return self._sealer.open("response", stored) if stored else ""


def response_json(body: Any) -> str:
    """A response body as the service sends it: compact JSON, UTF-8 left as it is."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _note_gap(session: Session, write: WriteContext, previous: int | None) -> None:
    """Skipped numbers are accepted (a terminal may lose a queued write) but recorded."""
    expected = (previous or 0) + 1
    if write.key > expected:
        record_event(
            session,
            at=write.received_at,
            kind="sequence_gap",
            terminal_id=write.terminal_id,
            keyid=write.keyid,
            missing_from=expected,
            missing_to=write.key - 1,
        )


_records = IdempotencyRecord.__table__  # type: ignore[attr-defined]
_earlier = _records.alias("earlier")
_CLAIMED = ("terminal_id", "key", "request_digest", "keyid", "signed_at", "received_at")
_CLAIM_COLUMNS = (*_CLAIMED, "offline", "response_status", "response_body")
# The highest number this terminal used before this one, for the gap check, in the same
# round trip as the claim.
_PREVIOUS = (
    select(func.max(_earlier.c.key))
    .where(_earlier.c.terminal_id == bindparam("terminal_id"))
    .where(_earlier.c.key < bindparam("key"))
    .scalar_subquery()
    .label("previous")
)
_VALUES = [bindparam(c, type_=_records.c[c].type) for c in _CLAIM_COLUMNS]
# PostgreSQL: the same statement first bounds how long the claim may wait for an earlier
# delivery still in flight (SET LOCAL lock_timeout, for this transaction only).
_CLAIM_POSTGRESQL = Fast(
    postgresql.insert(_records)
    .from_select(
        list(_CLAIM_COLUMNS),
        select(*_VALUES).select_from(
            select(
                func.set_config("lock_timeout", bindparam("lock_timeout"), True).label("set")
            ).cte("bounded")
        ),
    )
    .on_conflict_do_nothing(index_elements=["terminal_id", "key"])
    .returning(_records.c.id, _PREVIOUS)
)
_CLAIM_SQLITE = Fast(
    sqlite.insert(_records)
    .values(dict(zip(_CLAIM_COLUMNS, _VALUES, strict=True)))
    .on_conflict_do_nothing(index_elements=["terminal_id", "key"])
    .returning(_records.c.id, _PREVIOUS)
)


def _claim_statement(dialect: str) -> Fast:
    return _CLAIM_POSTGRESQL if dialect == "postgresql" else _CLAIM_SQLITE


def _claim_params(write: WriteContext, wait_ms: int) -> dict[str, Any]:
    return {
        "terminal_id": write.terminal_id,
        "key": write.key,
        "request_digest": write.request_digest,
        "keyid": write.keyid,
        "signed_at": write.signed_at,
        "received_at": write.received_at,
        "offline": write.offline,
        "response_status": 102,  # replaced before the commit
        "response_body": "",
        "lock_timeout": f"{int(wait_ms)}ms",
    }


def _stored(record: IdempotencyRecord) -> StoredRecord:
    return StoredRecord(
        record.request_digest, record.keyid, record.response_status, record.response_body
    )


def _find(session: Session, write: WriteContext) -> IdempotencyRecord | None:
    return session.exec(
        select(IdempotencyRecord)
        .where(IdempotencyRecord.terminal_id == write.terminal_id)
        .where(IdempotencyRecord.key == write.key)
    ).first()
