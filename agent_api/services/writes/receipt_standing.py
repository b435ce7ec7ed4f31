"""Whether a receipt a worker holds is in the audit log: what the public verification page
asks the hub once it has checked the receipt's signature itself (``qurb.verify``).

Anyone may ask, without signing in, so the answer says nothing the receipt does not: the
question is the compact receipt itself (``QC1:``…), and it is answered only when its
signature holds under a published receipt key and its claims are exactly those of the
receipt the hub stored under its number; a receipt number alone gets nothing, so numbers
cannot be walked. The answer is the leaf's index, the latest signed checkpoint (its size,
root hash and signed note, with the witnesses' cosignatures) and the inclusion proof from
the leaf to it, each checked here too; nothing of the leaf itself is handed out.

Nothing here writes: the checkpoint is the latest the log signed (it signs one every few
seconds while it grows), and a receipt newer than it is ``pending`` until the next one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlmodel import select

from agent_api.errors import ValidationFailed
from agent_api.persistence.tables import Receipt
from agent_api.persistence.unit_of_work import UnitOfWorkFactory
from agent_api.protocol import merkle
from agent_api.protocol.checkpoint import parse_note
from agent_api.protocol.compact_receipt import MAX_TEXT, CompactInvalid, compact_verify
from agent_api.protocol.errors import ProtocolError
from agent_api.services.log.transparency import AuditLog
from agent_api.services.log.witnessing import with_cosignatures

IN_LOG = "in_log"
PENDING = "pending"  # signed, recorded, not yet under a signed checkpoint
NOT_FOUND = "not_found"  # authentic but not (or no longer) what the hub stored


@dataclass(frozen=True)
class Standing:
    status: str
    index: int | None = None
    checkpoint_size: int | None = None
    checkpoint_root: str | None = None
    checkpoint: str | None = None  # the signed note, with the witnesses' cosignatures
    cosignatures: int = 0
    proof: list[str] = field(default_factory=list)
    # The claims of an authentic receipt equal to the one stored; None otherwise. Not part
    # of the answer: what the caller may add about the document (a deposit slip's file)
    # is said only when this is set.
    claims: dict[str, Any] | None = field(default=None, repr=False, compare=False)


def receipt_keys(jwks: dict[str, Any]) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 keys of a published JWKS, by kid (the receipt keys)."""
    keys = {}
    for k in jwks.get("keys", []):
        key = jwt.PyJWK(k).key if k.get("crv") == "Ed25519" else None
        if isinstance(key, Ed25519PublicKey):
            keys[str(k.get("kid"))] = key
    return keys


def standing(
    audit: AuditLog, uow: UnitOfWorkFactory, jwks: dict[str, Any], compact: str
) -> Standing:
    """Where the receipt ``compact`` stands in the audit log. A text that is not a compact
    receipt under a published key is refused (``ValidationFailed``, field ``compact``)."""
    if len(compact) > MAX_TEXT:
        raise ValidationFailed("compact: too long for a compact receipt", field="compact")
    try:
        claims = compact_verify(compact, receipt_keys(jwks))
    except CompactInvalid as refused:
        raise ValidationFailed(
            f"compact: {refused.message}", code=refused.code, field="compact"
        ) from None
    number = claims.get("receipt_number")
    with uow() as unit:
        stored = unit.session.exec(select(Receipt.jws).where(Receipt.number == number)).first()
    if not stored or jwt.decode(stored, options={"verify_signature": False}) != claims:
        return Standing(NOT_FOUND)
    return replace(_where(audit, uow, claims), claims=claims)


def _where(audit: AuditLog, uow: UnitOfWorkFactory, claims: dict[str, Any]) -> Standing:
    # A receipt names its leaf by its entry id (``log_entry``), or by its index when it was
    # issued before the sequencer (``log_index``).
    index = audit.leaf_of(claims)
    if index is None:
        if isinstance(claims.get("log_entry"), str):
            return Standing(PENDING)  # recorded with the receipt, not sequenced yet
        return Standing(NOT_FOUND)
    return _in_log(audit, uow, str(claims.get("receipt_number")), index, claims.get("log_entry"))


def _in_log(
    audit: AuditLog, uow: UnitOfWorkFactory, number: str, index: int, entry: Any
) -> Standing:
    latest = audit.latest_checkpoint()
    if index >= latest.size:
        return Standing(PENDING, index)
    [leaf] = audit.leaves(index, index + 1)
    recorded = json.loads(leaf.data)
    if (recorded.get("decision") or recorded).get("receipt") != number:
        return Standing(NOT_FOUND, index)
    if entry is not None and recorded.get("entry") != entry:
        return Standing(NOT_FOUND, index)
    proof = audit.inclusion_proof(index, latest.size)
    try:
        merkle.verify_inclusion(
            merkle.leaf_hash(leaf.data.encode()),
            index,
            latest.size,
            [bytes.fromhex(h) for h in proof],
            bytes.fromhex(latest.root_hash),
        )
    except ProtocolError:
        return Standing(NOT_FOUND, index)
    note = with_cosignatures(uow, latest.size, latest.note)
    signatures = len(parse_note(note)[1])
    return Standing(
        IN_LOG,
        index,
        latest.size,
        latest.root_hash,
        note,
        max(0, signatures - 1),  # the log's own signature is not a witness's
        proof,
    )
