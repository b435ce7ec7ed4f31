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
terminal may send the same signed request again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, select

from agent_api import metrics
from agent_api.errors import Conflict, ValidationFailed
from agent_api.persistence.tables import IdempotencyRecord
from agent_api.persistence.unit_of_work import UnitOfWork, UnitOfWorkFactory
from agent_api.services import audit_log
from agent_api.services.security_events import SecurityEventService, record_event

logger = logging.getLogger(__name__)

T = TypeVar("T")
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
    body: Any
    replayed: bool


class IdempotencyKeyReused(ValidationFailed):
    """Raised when a sequence number comes back with a different request."""

    code = "idempotency_key_reused"


class IdempotencyInFlight(Conflict):
    """Raised when the same sequence number is still being processed."""

    code = "idempotency_in_flight"


class IdempotentWrites:
    def __init__(
        self, uow: UnitOfWorkFactory, events: SecurityEventService, *, wait_ms: int
    ) -> None:
        self._uow = uow
        self._events = events
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
        return self._replay_or_refuse(record, write)

    def execute(
        self,
        write: WriteContext,
        work: Callable[[UnitOfWork], T],
        render: Callable[[T], tuple[int, Any]],
    ) -> StoredResponse:
        """Claim the key, do the work and store its response, all in one transaction."""
        existing: IdempotencyRecord | None = None
        with self._uow() as uow:
            session = uow.session
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text(f"SET LOCAL lock_timeout = '{int(self._wait_ms)}ms'"))
            record = IdempotencyRecord(
                terminal_id=write.terminal_id,
                key=write.key,
                request_digest=write.request_digest,
                keyid=write.keyid,
                signed_at=write.signed_at,
                received_at=write.received_at,
                offline=write.offline,
                response_status=102,  # replaced below, before commit
                response_body="",
            )
            try:
                with session.begin_nested():
                    session.add(record)
                    session.flush()
            except IntegrityError:
                existing = _find(session, write)
                assert existing is not None, "a unique violation implies the row exists"
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                    raise IdempotencyInFlight(
                        f"sequence number {write.key} is still being processed; retry shortly"
                    ) from None
                raise
            if existing is None:
                self._note_gap(session, write)
                # A receipt issued by the work reserves the leaf's index itself, as late as
                # it can: the log's head is always the last lock a transaction takes (day
                # close holds a day's lock and then appends; taking them in the other order
                # here would deadlock against it).
                result = work(uow)
                status, body = render(result)
                audit_log.append(
                    session, "signed_write", _leaf_facts(write, status, body), at=write.received_at
                )
                record.response_status = status
                record.response_body = "" if body is None else json.dumps(body, ensure_ascii=False)
                session.add(record)
                uow.commit()
                return StoredResponse(status, body, replayed=False)
        # Outside the transaction: refusing a reused key records a security event in a unit
        # of work of its own.
        assert existing is not None
        return self._replay_or_refuse(existing, write)

    def _replay_or_refuse(self, record: IdempotencyRecord, write: WriteContext) -> StoredResponse:
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
        body = json.loads(record.response_body) if record.response_body else None
        return StoredResponse(record.response_status, body, replayed=True)

    @staticmethod
    def _note_gap(session: Session, write: WriteContext) -> None:
        previous = session.exec(
            select(func.max(IdempotencyRecord.key))
            .where(IdempotencyRecord.terminal_id == write.terminal_id)
            .where(IdempotencyRecord.key < write.key)
        ).one()
        expected = (previous or 0) + 1
        if write.key > expected:
            # Skipped numbers are accepted (a terminal may lose a queued write) but recorded.
            record_event(
                session,
                at=write.received_at,
                kind="sequence_gap",
                terminal_id=write.terminal_id,
                keyid=write.keyid,
                missing_from=expected,
                missing_to=write.key - 1,
            )


def _find(session: Session, write: WriteContext) -> IdempotencyRecord | None:
    return session.exec(
        select(IdempotencyRecord)
        .where(IdempotencyRecord.terminal_id == write.terminal_id)
        .where(IdempotencyRecord.key == write.key)
    ).first()


# Non-personal facts of a decision that an auditor checks settlements and receipts with
# (never a field named like the decision's own "status", the HTTP status).
_DECISION_FIELDS = ("amount_centimes", "business_date", "reverses", "late")


def _leaf_facts(write: WriteContext, status: int, body: Any) -> dict[str, Any]:
    decision: dict[str, Any] = {
        "status": status,
        "response_sha256": hashlib.sha256(audit_log.canonical(body)).hexdigest(),
    }
    if isinstance(body, dict):
        receipt = body.get("receipt")
        if isinstance(receipt, dict) and isinstance(receipt.get("number"), str):
            decision["receipt"] = receipt["number"]
        for name in _DECISION_FIELDS:
            if name in body and isinstance(body[name], str | int | bool):
                decision[name] = body[name]
    return {
        "terminal_id": write.terminal_id,
        "sequence": write.key,
        "signed_at": write.signed_at.isoformat(),
        "offline": write.offline,
        "request": write.evidence,
        "decision": decision,
    }
