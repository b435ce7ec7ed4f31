"""Writing a pending entry with everything that must land with it, in as few statements as
can be.

A signed write records its leaf as a pending entry (``audit_entries``), in its own
transaction and without any lock of the log: the sequencer gives it its index later. On
PostgreSQL the entry, the signed receipt that names it and the stored response of the signed
request are one statement (data-modifying CTEs, which PostgreSQL runs to completion whether
or not the outer statement reads them): one round trip instead of three. SQLite runs in
process, where a statement costs no round trip: it runs them one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, insert, update

from agent_api.persistence.fast import Fast
from agent_api.persistence.tables import AuditEntry, IdempotencyRecord, Receipt

_e = AuditEntry.__table__  # type: ignore[attr-defined]
_r = Receipt.__table__  # type: ignore[attr-defined]
_i = IdempotencyRecord.__table__  # type: ignore[attr-defined]

_ADD_ENTRY = insert(_e).values(
    entry=bindparam("entry"),
    kind=bindparam("leaf_kind"),
    data=bindparam("leaf_data"),
    leaf_hash=bindparam("leaf_hash"),
    recorded_at=bindparam("leaf_at"),
)
_SIGN_RECEIPT = (
    update(_r)
    .where(_r.c.id == bindparam("receipt_id"))
    .values(number=bindparam("receipt_number"), jws=bindparam("receipt_jws"))
)
_ANSWER = (
    update(_i)
    .where(_i.c.id == bindparam("record_id"))
    .values(response_status=bindparam("response_status"), response_body=bindparam("response"))
)


@dataclass(frozen=True)
class SignedReceipt:
    """A receipt's signature, written with the entry it names."""

    id: int
    number: str
    jws: str

    def params(self) -> dict[str, Any]:
        return {"receipt_id": self.id, "receipt_number": self.number, "receipt_jws": self.jws}


@dataclass(frozen=True)
class Answer:
    """The response a signed write got, stored under its sequence number."""

    record_id: int
    status: int
    body: str

    def params(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "response_status": self.status, "response": self.body}


def sign_receipt(connection: Connection, receipt: SignedReceipt) -> None:
    _FAST[("receipt",)].run(connection, receipt.params())


def write_entry(
    connection: Connection,
    entry: dict[str, Any],
    *,
    receipt: SignedReceipt | None,
    answer: Answer | None,
) -> None:
    """The pending entry, with the receipt that names it and the response it records."""
    params = dict(entry)
    if receipt is not None:
        params.update(receipt.params())
    if answer is not None:
        params.update(answer.params())
    if connection.dialect.name == "postgresql":
        _combined(receipt is not None, answer is not None).run(connection, params)
        return
    _FAST[("entry",)].run(connection, params)
    if receipt is not None:
        _FAST[("receipt",)].run(connection, params)
    if answer is not None:
        _FAST[("answer",)].run(connection, params)


_FAST = {
    ("entry",): Fast(_ADD_ENTRY),
    ("receipt",): Fast(_SIGN_RECEIPT),
    ("answer",): Fast(_ANSWER),
}


@cache
def _combined(with_receipt: bool, with_answer: bool) -> Fast:
    """One PostgreSQL statement for the entry and what goes with it."""
    parts: list[Any] = []
    if with_receipt:
        parts.append(_SIGN_RECEIPT.cte("receipt"))
    if with_answer:
        parts.append(_ANSWER.cte("answer"))
    return Fast(_ADD_ENTRY.add_cte(*parts) if parts else _ADD_ENTRY)
