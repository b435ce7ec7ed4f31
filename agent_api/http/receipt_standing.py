"""``POST /v1/receipt-standing``: whether a receipt a worker holds is in the audit log, and
for a deposit slip where its file is now (docs/deposits.md, "Following a file").

Public (the verification page asks it from a worker's phone, nobody signed in) and a POST so
that the receipt, which names the worker, travels in the body and never in a URL a proxy or
an access log keeps. See ``agent_api.services.writes.receipt_standing``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from agent_api.http.endpoints import Call, Endpoint
from agent_api.http.io import json_response
from agent_api.http.schemas.common import Input, Output
from agent_api.http.schemas.deposits import FileStandingOut
from agent_api.protocol.compact_receipt import MAX_TEXT
from agent_api.services.writes.receipt_standing import standing


class StandingIn(Input):
    compact: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT)] = Field(
        description="the receipt's compact form, QC1:… (docs/signed-documents.md)"
    )


class StandingOut(Output):
    status: Literal["in_log", "pending", "not_found"] = Field(
        description="in_log: under the latest signed checkpoint, with its proof; pending: "
        "recorded, under the next checkpoint; not_found: not the receipt the hub stored"
    )
    index: int | None = Field(description="the audit-log leaf that records it")
    checkpoint_size: int | None
    checkpoint_root: str | None = Field(description="the checkpoint's root hash, hex")
    checkpoint: str | None = Field(description="the signed note, with witnesses' cosignatures")
    cosignatures: int = Field(description="how many witnesses cosigned that checkpoint")
    proof: list[str] = Field(description="the inclusion proof, hex hashes (RFC 9162 §2.1.3)")
    deposit: FileStandingOut | None = Field(
        default=None,
        description="a deposit slip equal to the one stored: where its file is now; null for "
        "any other receipt, and for a slip that is not the one stored",
    )


async def receipt_standing(call: Call) -> Response:
    body = call.body(StandingIn)
    services = call.services
    found = await run_in_threadpool(
        standing, services.audit, services.new_uow, services.jwks, body.compact
    )
    answer = StandingOut.model_validate(found)
    # The file's journey is told only to the holder of the very slip the hub stored (its
    # claims are set then): one question, one check, one round trip from a phone.
    if found.claims is not None and found.claims.get("kind") == "deposit":
        journey = await run_in_threadpool(
            services.deposits.journey_of_slip, str(found.claims.get("receipt_number"))
        )
        if journey is not None:
            answer = answer.model_copy(update={"deposit": FileStandingOut.model_validate(journey)})
    return json_response(answer)


ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "POST",
        "/v1/receipt-standing",
        receipt_standing,
        "Whether a receipt (its compact form) is in the audit log, for the verification page",
        "public",
        body=StandingIn,
        response=StandingOut,
        tags=("audit",),
        errors=(422,),
    ),
]
