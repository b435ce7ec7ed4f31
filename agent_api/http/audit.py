"""The audit log over HTTP.

Public, as transparency logs publish theirs (anyone may keep checkpoints and compare them):
``GET /v1/audit/checkpoint`` (the latest signed checkpoint, a C2SP signed note, with the
witnesses' cosignatures as extra signature lines: docs/witnesses.md) and
``GET /v1/audit/key`` (the log's verifier key, C2SP ``vkey``) and ``GET
/v1/audit/entries/{entry}`` (where the entry a receipt names is: its leaf's hash and
inclusion proof, or pending). Under the auditor role, read
only: leaf ranges, every checkpoint, inclusion and consistency proofs.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response

from agent_api.domain.roles import Role
from agent_api.errors import ValidationFailed
from agent_api.http.endpoints import Call, Endpoint
from agent_api.http.io import json_response, path_value
from agent_api.http.schemas.common import INT64_MAX, Output, Query
from agent_api.protocol.checkpoint import parse_checkpoint, parse_note
from agent_api.services.log.transparency import CheckpointView
from agent_api.services.log.witnessing import cosigned_note, cosigned_notes, with_cosignatures

AUDITORS = frozenset({Role.AUDITOR})
ENTRY_ID = re.compile(r"[0-9a-f]{32}")
TAGS = ("audit",)
NOTE = "text/plain; charset=utf-8"


# Leaf indexes and tree sizes are BIGINTs: bounded so that none reaches the database unstorable.
class LeafRange(Query):
    start: int = Field(ge=0, le=INT64_MAX)
    end: int = Field(ge=0, le=INT64_MAX, description="exclusive; at most 1000 leaves per request")


class LeafOut(Output):
    index: int
    kind: str
    data: str = Field(
        description="the leaf's bytes (canonical JSON); its hash is SHA-256(0x00‖data)"
    )
    leaf_hash: str


class LeafList(Output):
    items: list[LeafOut]


class CheckpointOut(Output):
    size: int
    root_hash: str
    note: str
    signed_at: str


class CheckpointList(Output):
    items: list[CheckpointOut]


class CheckpointQuery(Query):
    since: int = Field(default=0, ge=0, le=INT64_MAX)


class InclusionQuery(Query):
    index: int = Field(ge=0, le=INT64_MAX)
    size: int = Field(ge=1, le=INT64_MAX)


class ConsistencyQuery(Query):
    old: int = Field(ge=1, le=INT64_MAX)
    new: int = Field(ge=1, le=INT64_MAX)


class ProofOut(Output):
    proof: list[str] = Field(description="hex hashes, RFC 9162 §2.1.3 / §2.1.4 order")


async def checkpoint(call: Call) -> Response:
    """The latest checkpoint with the witnesses' cosignatures as extra signature lines."""

    def cosigned() -> str:
        return cosigned_note(call.services.new_uow, call.services.audit.latest_checkpoint())

    return PlainTextResponse(await run_in_threadpool(cosigned), media_type=NOTE)


async def key(call: Call) -> Response:
    return PlainTextResponse(call.services.audit.verifier_key() + "\n", media_type=NOTE)


async def leaves(call: Call) -> Response:
    q = call.query(LeafRange)
    rows = await run_in_threadpool(call.services.audit.leaves, q.start, q.end)
    return json_response(
        LeafList(
            items=[
                LeafOut(index=r.index, kind=r.kind, data=r.data, leaf_hash=r.leaf_hash)
                for r in rows
            ]
        )
    )


async def checkpoints(call: Call) -> Response:
    q = call.query(CheckpointQuery)

    def cosigned() -> list[tuple[CheckpointView, str]]:
        rows = call.services.audit.checkpoints(since_size=q.since)
        return list(zip(rows, cosigned_notes(call.services.new_uow, rows), strict=True))

    rows = await run_in_threadpool(cosigned)
    return json_response(
        CheckpointList(
            items=[
                CheckpointOut(
                    size=r.size,
                    root_hash=r.root_hash,
                    note=note,
                    signed_at=r.signed_at.isoformat(),
                )
                for r, note in rows
            ]
        )
    )


async def inclusion(call: Call) -> Response:
    q = call.query(InclusionQuery)
    proof = await run_in_threadpool(call.services.audit.inclusion_proof, q.index, q.size)
    return json_response(ProofOut(proof=proof))


async def consistency(call: Call) -> Response:
    q = call.query(ConsistencyQuery)
    proof = await run_in_threadpool(call.services.audit.consistency_proof, q.old, q.new)
    return json_response(ProofOut(proof=proof))


class KeyOut(Output):
    terminal_id: int
    keyid: str
    public_key: str
    status: str
    created_at: str
    retired_at: str | None


class KeyList(Output):
    items: list[KeyOut]


class ReceiptProof(Output):
    format: str
    receipt: str = Field(description="the receipt's compact JWS")
    index: int
    leaf: str = Field(description="the leaf's bytes")
    proof: list[str]
    checkpoint: str = Field(description="the signed checkpoint the proof leads to")


class EntryProof(Output):
    entry: str
    state: str = Field(description="included, or pending (recorded, not in a checkpoint yet)")
    index: int | None = None
    leaf_hash: str | None = Field(default=None, description="hex SHA-256(0x00‖leaf)")
    proof: list[str] = Field(default_factory=list, description="the inclusion proof, hex")
    checkpoint: str = Field(description="the latest checkpoint, with its cosignatures")


async def entry_proof(call: Call) -> Response:
    """Where the entry a receipt names (``log_entry``) is: public, as the tiles are; its
    leaf's hash and proof, never its content."""
    entry = path_value(call.path("entry"), "entry")
    if not ENTRY_ID.fullmatch(entry):
        raise ValidationFailed("an entry id is 32 lower-case hex digits", field="entry")

    def cosigned() -> dict[str, Any]:
        found = call.services.audit.entry_proof(entry)
        note = str(found["checkpoint"])
        size = parse_checkpoint(parse_note(note)[0]).size
        found["checkpoint"] = with_cosignatures(call.services.new_uow, size, note)
        return found

    return json_response(EntryProof(**await run_in_threadpool(cosigned)))


async def terminal_keys(call: Call) -> Response:
    rows = await run_in_threadpool(call.services.audit.terminal_keys)
    return json_response(KeyList(items=[KeyOut(**r) for r in rows]))


async def receipt_proof(call: Call) -> Response:
    number = path_value(call.path("number"), "number")

    def cosigned() -> dict[str, Any]:
        # The checkpoint the proof leads to, with its witnesses' cosignatures: the receipt's
        # whole offline evidence, that this log is the one the witnesses saw.
        proof = call.services.audit.receipt_proof(number)
        note = str(proof["checkpoint"])
        size = parse_checkpoint(parse_note(note)[0]).size
        proof["checkpoint"] = with_cosignatures(call.services.new_uow, size, note)
        return proof

    return json_response(ReceiptProof(**await run_in_threadpool(cosigned)))


ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET",
        "/v1/audit/entries/{entry}",
        entry_proof,
        "Whether the entry a receipt names is in the log, with its inclusion proof",
        "public",
        response=EntryProof,
        tags=TAGS,
        errors=(404, 409, 422),
    ),
    Endpoint(
        "GET",
        "/v1/audit/checkpoint",
        checkpoint,
        "The log's latest signed checkpoint, with its witnesses' cosignatures",
        "public",
        tags=TAGS,
    ),
    Endpoint(
        "GET", "/v1/audit/key", key, "The log's verifier key (C2SP vkey)", "public", tags=TAGS
    ),
    Endpoint(
        "GET",
        "/v1/audit/leaves",
        leaves,
        "A range of the log's leaves",
        "admin",
        AUDITORS,
        query=LeafRange,
        response=LeafList,
        tags=TAGS,
    ),
    Endpoint(
        "GET",
        "/v1/audit/checkpoints",
        checkpoints,
        "Every signed checkpoint",
        "admin",
        AUDITORS,
        query=CheckpointQuery,
        response=CheckpointList,
        tags=TAGS,
    ),
    Endpoint(
        "GET",
        "/v1/audit/proofs/inclusion",
        inclusion,
        "A leaf's inclusion proof",
        "admin",
        AUDITORS,
        query=InclusionQuery,
        response=ProofOut,
        tags=TAGS,
        # 409 tiles_pending: signed before the tiles existed (an upgrade), until the
        # next checkpoint builds them.
        errors=(404, 409, 422),
    ),
    Endpoint(
        "GET",
        "/v1/audit/proofs/consistency",
        consistency,
        "A consistency proof between two tree sizes",
        "admin",
        AUDITORS,
        query=ConsistencyQuery,
        response=ProofOut,
        tags=TAGS,
        # 409 tiles_pending: signed before the tiles existed (an upgrade), until the
        # next checkpoint builds them.
        errors=(404, 409, 422),
    ),
    Endpoint(
        "GET",
        "/v1/audit/terminal-keys",
        terminal_keys,
        "Every terminal key ever registered, with when it stopped",
        "admin",
        AUDITORS,
        response=KeyList,
        tags=TAGS,
    ),
    Endpoint(
        "GET",
        "/v1/audit/receipts/{number}/proof",
        receipt_proof,
        "A receipt with its inclusion proof and checkpoint",
        "admin",
        AUDITORS,
        response=ReceiptProof,
        tags=TAGS,
        # 409: the checkpoint it signs first refuses a log that does not extend the last.
        errors=(404, 409),
    ),
]
