"""Every signed write, one pipeline: what a kind of write plugs in, and what the service does
around it.

A kind of signed write is one value, a ``WriteKind``: its name, its use case and how its
result is answered (the response schema, as JSON values, and the HTTP status). The HTTP
layer verifies and parses the request, then hands the kind and its input to ``run``, which
in one transaction:

1. claims the request's sequence number (``idempotency``; an earlier delivery of the same
   request is answered from its stored response, a different one is refused);
2. runs the use case, which returns its domain result and its ``Decision``: the
   non-personal facts an auditor checks settlements and receipts with;
3. renders the result once, as the bytes sent and stored;
4. appends the ``signed_write`` leaf (what was signed, and the decision with the digest of
   the stored body) with the stored response, in one statement on PostgreSQL;
5. commits.

A use case that issues a receipt signs it where it makes it (``receipts``): the receipt
names the leaf's index, reserved then, and step 4 writes its signature with the leaf.

The batched sequencer (issue 18, item 2) changes step 4 and the reservation behind it
(``audit_log``), nothing else here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.services.log import audit_log
from agent_api.services.log.leaf_writes import Answer
from agent_api.services.writes.idempotency import StoredResponse, WriteContext, response_json

if TYPE_CHECKING:
    from agent_api.services.container import Services

In = TypeVar("In")
R = TypeVar("R")

LEAF_KIND = "signed_write"


@dataclass(frozen=True)
class Decision:
    """What a leaf says a write decided, beyond its status: never anything personal."""

    receipt: str | None = None  # the number of the receipt it issued
    amount_centimes: int | None = None
    business_date: date | None = None
    reverses: str | None = None  # the receipt number a reversal cancels
    late: bool | None = None
    transmittal: str | None = None  # the number of the transmittal slip it closed
    manifest_sha256: str | None = None  # the digest of that slip's signed manifest

    def facts(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "receipt": self.receipt,
            "amount_centimes": self.amount_centimes,
            "business_date": self.business_date.isoformat() if self.business_date else None,
            "reverses": self.reverses,
            "late": self.late,
            "transmittal": self.transmittal,
            "manifest_sha256": self.manifest_sha256,
        }
        return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True)
class Done(Generic[R]):
    """What a use case returns: its domain result and the decision its leaf records."""

    result: R
    decision: Decision = Decision()


@dataclass(frozen=True)
class WriteKind(Generic[In, R]):
    """One kind of signed write: everything the pipeline needs of it.

    ``use_case`` runs inside the pipeline's transaction (it must not commit); ``render``
    turns its result into the response body as JSON values (``None``: no body).
    """

    name: str
    use_case: Callable[[Services, UnitOfWork, WriteContext, In], Done[R]]
    render: Callable[[R], Any]
    status: int = 201


def run(
    services: Services, kind: WriteKind[In, R], write: WriteContext, request: In
) -> StoredResponse:
    """Claim, decide, answer and log one signed write, in one transaction."""
    idempotency = services.idempotency
    with services.new_uow() as uow:
        claim = idempotency.claim(uow, write)
        if isinstance(claim, int):
            done = kind.use_case(services, uow, write, request)
            body = kind.render(done.result)
            text = "" if body is None else response_json(body)  # what is sent is what is stored
            audit_log.append(
                uow.session,
                LEAF_KIND,
                leaf_facts(write, kind.status, body, done.decision),
                at=services.clock(),
                answer=Answer(claim, kind.status, idempotency.seal(text)),
            )
            uow.commit()
            return StoredResponse(kind.status, text, replayed=False)
    # An earlier delivery holds the number: its answer, or a refusal recorded as a security
    # event in a unit of work of its own.
    return idempotency.replay(claim, write)


def leaf_facts(write: WriteContext, status: int, body: Any, decision: Decision) -> dict[str, Any]:
    """A signed write's leaf: the request as signed, and what the service decided."""
    return {
        "terminal_id": write.terminal_id,
        "sequence": write.key,
        "signed_at": write.signed_at.isoformat(),
        "received_at": write.received_at.isoformat(),
        "offline": write.offline,
        "request": write.evidence,
        "decision": {
            "status": status,
            "response_sha256": hashlib.sha256(audit_log.canonical(body)).hexdigest(),
            **decision.facts(),
        },
    }
