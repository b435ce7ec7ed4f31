"""Submitting the audit log's checkpoints to independent witnesses (C2SP tlog-witness) and
keeping what they cosign (C2SP tlog-cosignature).

After a checkpoint is signed, each configured witness gets ``POST <prefix>/add-checkpoint``:
``old <the size it last cosigned for us>``, the consistency proof from that size, a blank
line and the signed checkpoint. A witness answers with its cosignature line, which is kept
(one row per checkpoint size and witness key) only once it verifies against the witness's
configured key; ``GET /v1/audit/checkpoint`` appends the kept lines to the note.

A witness that holds another size answers 409 with it: the submission is retried once from
that size. Each request waits at most the configured timeout; every outcome is counted
(``qurb_witness_submissions_total``) and every failure logged with a code, never a key. This
runs in the background after signing, never on a request's path: a witness that is down
costs the log nothing but its cosignature.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from agent_api.clock import Clock
from agent_api.metrics import WITNESS_LATENCY, WITNESS_SUBMISSIONS
from agent_api.persistence.tables.witnesses import AuditCosignature
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.protocol.checkpoint import add_signature_lines
from agent_api.protocol.cosignature import CosignerKey, cosignatures, signature_lines
from agent_api.protocol.encoding import b64_encode
from agent_api.protocol.errors import NoteError
from agent_api.services.log.transparency import AuditLog, CheckpointView

logger = logging.getLogger(__name__)

SIZE_CONTENT_TYPE = "text/x.tlog.size"
# A witness's clock may run a little ahead of ours; a cosignature dated further ahead than
# this is not kept (tlog-cosignature lets a verifier refuse timestamps in the future).
CLOCK_SKEW = timedelta(minutes=10)
# An answer is a few signature lines; anything longer is not a witness speaking.
MAX_ANSWER_BYTES = 16 * 1024


@dataclass(frozen=True)
class WitnessConfig:
    """A witness the log submits to: its submission prefix and its cosigner key."""

    url: str
    key: CosignerKey

    @property
    def name(self) -> str:
        return self.key.name

    @classmethod
    def parse(cls, pairs: Sequence[tuple[str, str]]) -> list[WitnessConfig]:
        """From the settings' (URL, vkey) pairs, already validated there."""
        return [cls(url.rstrip("/"), CosignerKey.from_string(vkey)) for url, vkey in pairs]


def cosigned_note(uow: UnitOfWorkFactory, view: CheckpointView) -> str:
    """The checkpoint's signed note with every cosignature kept for its size appended
    (signed-note: extra signature lines; a verifier ignores the keys it does not know)."""
    return with_cosignatures(uow, view.size, view.note)


def with_cosignatures(uow: UnitOfWorkFactory, size: int, note: str) -> str:
    """The log's signed note of its checkpoint of ``size`` with the kept cosignatures."""
    with uow() as unit:
        lines = unit.session.exec(
            select(AuditCosignature.line)
            .where(AuditCosignature.size == size)
            .order_by(col(AuditCosignature.witness))
        ).all()
    return add_signature_lines(note, lines) if lines else note


def cosigned_notes(uow: UnitOfWorkFactory, views: Sequence[CheckpointView]) -> list[str]:
    """:func:`cosigned_note` of each checkpoint, in one query."""
    if not views:
        return []
    sizes = [view.size for view in views]
    with uow() as unit:
        rows = unit.session.exec(
            select(AuditCosignature.size, AuditCosignature.line)
            .where(col(AuditCosignature.size).between(min(sizes), max(sizes)))
            .order_by(col(AuditCosignature.witness))
        ).all()
    lines: dict[int, list[str]] = {}
    for size, line in rows:
        lines.setdefault(size, []).append(line)
    return [
        add_signature_lines(view.note, lines[view.size]) if view.size in lines else view.note
        for view in views
    ]


class Witnessing:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        audit: AuditLog,
        witnesses: Sequence[WitnessConfig],
        *,
        timeout_ms: int,
        clock: Clock,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._uow = uow
        self._audit = audit
        self._witnesses = list(witnesses)
        self._timeout = timeout_ms / 1000
        self._clock = clock
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    @property
    def configured(self) -> bool:
        return bool(self._witnesses)

    async def submit(self, view: CheckpointView) -> dict[str, str]:
        """Submit the checkpoint to every witness at once; each witness's outcome by name."""
        if not self._witnesses:
            return {}
        if self._client is None:
            # One client for the app's life: tlog-witness asks logs to keep connections alive.
            self._client = httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport, follow_redirects=False
            )
        client = self._client
        outcomes = await asyncio.gather(
            *(self._submit_one(client, witness, view) for witness in self._witnesses)
        )
        for witness, outcome in zip(self._witnesses, outcomes, strict=True):
            WITNESS_SUBMISSIONS.labels(witness.name, outcome).inc()
        return {w.name: o for w, o in zip(self._witnesses, outcomes, strict=True)}

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _submit_one(
        self, client: httpx.AsyncClient, witness: WitnessConfig, view: CheckpointView
    ) -> str:
        old = await asyncio.to_thread(self._acknowledged, witness)
        if old == view.size:
            return "current"
        for attempt in range(2):
            if old > view.size:
                # The witness saw more of this log than the log now has: a rollback, or
                # another instance writing under the same key. Either is an alarm.
                logger.error(
                    "witness_ahead",
                    extra={"code": "witness_ahead", "witness": witness.name, "size": view.size},
                )
                return "witness_ahead"
            outcome = await self._post(client, witness, view, old)
            if isinstance(outcome, str):
                return outcome
            old = outcome  # 409: the witness holds this size; retry once from there
            if attempt == 0:
                logger.info("witness_size_learned", extra={"witness": witness.name, "size": old})
        logger.error(
            "witness_conflict", extra={"code": "witness_conflict", "witness": witness.name}
        )
        return "conflict"

    async def _post(
        self, client: httpx.AsyncClient, witness: WitnessConfig, view: CheckpointView, old: int
    ) -> str | int:
        """One add-checkpoint request: its outcome, or the size a 409 named."""
        proof = await asyncio.to_thread(self._proof, old, view.size)
        body = "".join(f"{line}\n" for line in [f"old {old}", *proof]) + "\n" + view.note
        started = time.perf_counter()
        try:
            response = await client.post(
                f"{witness.url}/add-checkpoint",
                content=body.encode("utf-8"),
                headers={"Content-Type": "text/plain; charset=utf-8"},
            )
        except httpx.HTTPError as exc:
            logger.warning(
                "witness_unreachable",
                extra={
                    "code": "witness_unreachable",
                    "witness": witness.name,
                    "error": type(exc).__name__,
                },
            )
            return "unreachable"
        finally:
            WITNESS_LATENCY.labels(witness.name).observe(time.perf_counter() - started)
        if response.status_code == 200:
            return await asyncio.to_thread(self._keep, witness, view, response.content)
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        if response.status_code == 409 and content_type == SIZE_CONTENT_TYPE:
            text = response.text.strip()
            if text.isascii() and text.isdigit():
                return int(text)
        code = {
            403: "witness_refused_signature",
            404: "witness_unknown_log",
            409: "witness_conflict",
            422: "witness_refused_proof",  # the witness says we do not extend what it saw
        }.get(response.status_code, "witness_error")
        logger.error(
            code,
            extra={"code": code, "witness": witness.name, "status": response.status_code},
        )
        return "refused" if response.status_code in (403, 404, 409, 422) else "invalid_response"

    def _acknowledged(self, witness: WitnessConfig) -> int:
        """The newest size this witness cosigned for us (0: never)."""
        with self._uow() as unit:
            size = unit.session.exec(
                select(func.max(AuditCosignature.size)).where(
                    AuditCosignature.witness == witness.key.to_string()
                )
            ).one()
        return int(size or 0)

    def _proof(self, old: int, new: int) -> list[str]:
        if old in (0, new):
            return []
        return [b64_encode(bytes.fromhex(h)) for h in self._audit.consistency_proof(old, new)]

    def _keep(self, witness: WitnessConfig, view: CheckpointView, answer: bytes) -> str:
        """Store the witness's cosignature if it verifies on this checkpoint."""
        try:
            if len(answer) > MAX_ANSWER_BYTES:
                raise NoteError("the answer is too long")
            lines = signature_lines(answer.decode("utf-8"))
            note = add_signature_lines(view.note, lines)
            not_after = int((self._clock() + CLOCK_SKEW).timestamp())
            valid = cosignatures(note, [witness.key], not_after=not_after)
        except (NoteError, UnicodeDecodeError):
            valid = []
        if not valid:
            logger.error(
                "witness_bad_cosignature",
                extra={"code": "witness_bad_cosignature", "witness": witness.name},
            )
            return "invalid_response"
        [cosignature] = valid
        row = AuditCosignature(
            size=view.size,
            witness=witness.key.to_string(),
            line=cosignature.line,
            cosigned_at=datetime.fromtimestamp(cosignature.timestamp, UTC),
            received_at=self._clock(),
        )
        with self._uow() as unit:
            unit.session.add(row)
            try:
                unit.commit()
            except IntegrityError:
                # Another worker kept this witness's cosignature of this size first.
                unit.session.rollback()
        return "cosigned"
