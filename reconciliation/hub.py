"""What the hub recorded: the collections and reversals of business days, read in bulk as
``HubLine`` values for settlement and line matching.

Read with SQLAlchemy Core, not the ORM: a national day is hundreds of thousands of lines and
building an ORM object per row would cost more than the matching itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from sqlalchemy import Connection, select
from sqlalchemy.orm import aliased

from agent_api.persistence.tables import Contribution, Network, Office, Receipt, Reversal, Worker
from reconciliation.model import HubKind, HubLine

_BATCH = 20_000


def hub_lines(
    connection: Connection, days: Sequence[date], *, networks: Sequence[str] | None = None
) -> Iterator[HubLine]:
    """Every collection and reversal of the given business days (of the given networks)."""
    c = Contribution.__table__  # type: ignore[attr-defined]
    r = Reversal.__table__  # type: ignore[attr-defined]
    rec = Receipt.__table__  # type: ignore[attr-defined]
    w = Worker.__table__  # type: ignore[attr-defined]
    n = Network.__table__  # type: ignore[attr-defined]
    o = Office.__table__  # type: ignore[attr-defined]
    collections = (
        select(
            rec.c.number,
            n.c.code,
            c.c.business_date,
            w.c.registration_number,
            c.c.amount_centimes,
            o.c.code,
        )
        .join(rec, rec.c.id == c.c.receipt_id)
        .join(w, w.c.id == c.c.worker_id)
        .join(n, n.c.id == c.c.network_id)
        .join(o, o.c.id == c.c.office_id)
        .where(c.c.business_date.in_(list(days)))
    )
    original = aliased(rec)
    reversals = (
        select(
            rec.c.number,
            n.c.code,
            r.c.business_date,
            w.c.registration_number,
            r.c.amount_centimes,
            o.c.code,
            original.c.number,
        )
        .join(rec, rec.c.id == r.c.receipt_id)
        .join(c, c.c.id == r.c.contribution_id)
        .join(original, original.c.id == c.c.receipt_id)
        .join(w, w.c.id == c.c.worker_id)
        .join(n, n.c.id == r.c.network_id)
        .join(o, o.c.id == r.c.office_id)
        .where(r.c.business_date.in_(list(days)))
    )
    if networks is not None:
        collections = collections.where(n.c.code.in_(list(networks)))
        reversals = reversals.where(n.c.code.in_(list(networks)))
    collection = HubKind.COLLECTION
    # Per statement, not on the connection: a connection's options would stay set for the
    # rest of the transaction (and PostgreSQL cannot stream an INSERT).
    for rows in connection.execute(collections.execution_options(yield_per=_BATCH)).partitions():
        for number, network, day, rn, amount, office in rows:
            yield HubLine(number, collection, network, day, rn, amount, office)
    reversal = HubKind.REVERSAL
    for batch in connection.execute(reversals.execution_options(yield_per=_BATCH)).partitions():
        for number, network, day, rn, amount, office, original_number in batch:
            yield HubLine(number, reversal, network, day, rn, amount, office, original_number)
