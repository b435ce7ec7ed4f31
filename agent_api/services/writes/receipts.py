"""Signed receipts: compact JWS (EdDSA) under the CNSS receipt key.

A receipt verifies offline with the public key published at ``GET /v1/keys`` by any JOSE
library: header ``{"alg": "EdDSA", "kid": <RFC 7638 thumbprint>, "typ": "qurb-receipt+jwt"}``.
Each also has a compact form (``agent_api.protocol.compact_receipt``: COSE_Sign1 over CBOR,
Base45) of the same claims under the same key, for the QR on the worker's ticket.
Receipt numbers are ``R-<NETWORK>-<8 digits>``: unique (a constraint), never reused, and
short enough to read over the phone and for the CNSS ledger to quote.

A receipt is made in two steps inside the caller's transaction: its row and number first
(``open``: what refers to it can be written), then, last, its signature (``sign_opened``):
it reserves the audit log's index it names and signs right there, and the leaf that takes
the reservation stores the JWS in its own statement (``audit_log.Reservation``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert
from sqlmodel import Session

from agent_api.persistence.tables import Receipt
from agent_api.protocol.compact_receipt import compact_sign
from agent_api.protocol.keys import jwk_thumbprint_okp, public_key_raw
from agent_api.services.log import audit_log
from agent_api.services.log.leaf_writes import SignedReceipt
from agent_api.services.sessions.terminal_auth import TerminalContext

RECEIPT_TYPE = "qurb-receipt+jwt"


@dataclass(frozen=True)
class IssuedReceipt:
    id: int
    number: str
    jws: str
    payload: dict[str, Any]
    compact: str  # the same claims, same key: COSE_Sign1 for the ticket's QR


class ReceiptSigner:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_raw = public_key_raw(private_key)
        self.kid = jwk_thumbprint_okp(self.public_raw)
        self.public_key = private_key.public_key()

    def sign(self, payload: dict[str, Any], *, typ: str = RECEIPT_TYPE) -> str:
        """A compact JWS of ``payload`` under the receipt key; settlement statements use it
        too, with their own ``typ``, so one published key verifies everything CNSS is handed."""
        return jwt.encode(
            payload, self._key, algorithm="EdDSA", headers={"kid": self.kid, "typ": typ}
        )

    def sign_bytes(self, data: bytes) -> bytes:
        """A raw Ed25519 signature under the receipt key: what the compact form signs."""
        return self._key.sign(data)

    def compact(self, payload: dict[str, Any]) -> str:
        """The compact form (``QC1:``…) of ``payload``: for a QR, beside its JWS."""
        return compact_sign(payload, self)

    def compact_of(self, jws: str) -> str | None:
        """The compact form of a receipt this key signed, made again from its JWS (Ed25519
        is deterministic: the very text handed over when it was issued); None for a JWS
        under another key (issued before a rotation), which only its JWS can stand for."""
        try:
            if jwt.get_unverified_header(jws).get("kid") != self.kid:
                return None
            # A receipt is a statement, not a token: its iat is never "too early" or stale.
            payload = jwt.decode(
                jws,
                self.public_key,
                algorithms=["EdDSA"],
                options={"verify_iat": False, "verify_exp": False, "verify_nbf": False},
            )
        except jwt.InvalidTokenError:
            return None
        return self.compact(payload)

    def issue(
        self,
        session: Session,
        *,
        kind: str,
        worker_id: int,
        terminal: TerminalContext,
        operator: str,
        signed_at: datetime | None,
        issued_at: datetime,
        amount_centimes: int | None = None,
        claims: dict[str, Any],
    ) -> IssuedReceipt:
        """Number, sign and store a receipt inside the caller's transaction.

        Every receipt says where and when it was issued (network, office, terminal,
        operator, the signed and the recorded time) and carries its audit-log index.
        """
        opened = self.open(
            session,
            kind=kind,
            worker_id=worker_id,
            terminal=terminal,
            issued_at=issued_at,
            amount_centimes=amount_centimes,
        )
        return self.sign_opened(
            session,
            opened,
            kind=kind,
            terminal=terminal,
            operator=operator,
            signed_at=signed_at,
            issued_at=issued_at,
            claims=claims,
        )

    def open(
        self,
        session: Session,
        *,
        kind: str,
        worker_id: int,
        terminal: TerminalContext,
        issued_at: datetime,
        amount_centimes: int | None,
    ) -> OpenedReceipt:
        """The receipt's row and number, before it is signed: what refers to it (a
        collection, a reversal) can be written first, and the signature comes last, when
        the audit log's index is taken."""
        session.flush()  # the worker it names may have been added by the caller just now
        receipt_id = (
            session.connection()
            .execute(
                _OPEN,
                {
                    "number": None,
                    "kind": kind,
                    "worker_id": worker_id,
                    "network_id": terminal.network_id,
                    "office_id": terminal.office_id,
                    "terminal_id": terminal.terminal_id,
                    "amount_centimes": amount_centimes,
                    "issued_at": issued_at,
                    "jws": "",
                },
            )
            .scalar_one()
        )
        return opened_receipt(terminal, receipt_id)

    def sign_opened(
        self,
        session: Session,
        opened: OpenedReceipt,
        *,
        kind: str,
        terminal: TerminalContext,
        operator: str,
        signed_at: datetime | None,
        issued_at: datetime,
        claims: dict[str, Any],
    ) -> IssuedReceipt:
        reservation = audit_log.reserve(session)
        payload = {
            "receipt_number": opened.number,
            "kind": kind,
            "iat": int(issued_at.timestamp()),
            **claims,
            "network": terminal.network_code,
            "office": terminal.office_code,
            "terminal": terminal.terminal_id,
            "operator": operator,
            "signed_at": signed_at.isoformat() if signed_at is not None else None,
            "recorded_at": issued_at.isoformat(),
            # The audit-log entry that records this transaction, and the signed promise that
            # it is in a checkpoint by then: with its index and an inclusion proof, the
            # receipt proves it is in the log; past that time without one, that the log
            # broke its promise.
            "log_entry": reservation.entry,
            "log_by": int(reservation.promise(issued_at).timestamp()),
        }
        jws = self.sign(payload)
        reservation.carry(session, SignedReceipt(opened.id, opened.number, jws))
        return IssuedReceipt(opened.id, opened.number, jws, payload, self.compact(payload))


@dataclass(frozen=True)
class OpenedReceipt:
    id: int
    number: str


def opened_receipt(terminal: TerminalContext, receipt_id: int) -> OpenedReceipt:
    """A receipt row's number: the network, then the row's id (unique, never reused)."""
    return OpenedReceipt(receipt_id, f"R-{terminal.network_code}-{receipt_id:08d}")


_receipts = Receipt.__table__  # type: ignore[attr-defined]
_OPEN = insert(_receipts).returning(_receipts.c.id)
