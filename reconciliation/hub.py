"""What the hub recorded: the collections and reversals of business days, read in bulk as
``HubLine`` values for settlement and line matching.

Read with SQLAlchemy Core, not the ORM: a national day is hundreds of thousands of lines and
building an ORM object per row would cost more than the matching itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import fields
from datetime import date
from typing import TypeVarTuple

from sqlalchemy import Connection, CursorResult, Select, select, text
from sqlalchemy.orm import aliased

from agent_api.persistence.tables import Contribution, Network, Office, Receipt, Reversal, Worker
from reconciliation.model import HubKind, HubLine

_BATCH = 20_000

_Row = TypeVarTuple("_Row")


def _line_maker() -> Callable[..., HubLine]:
    """Builds HubLine values by filling their slots: a frozen dataclass's ``__init__`` goes
    through ``object.__setattr__`` per field, which costs more than reading the row."""
    assert [f.name for f in fields(HubLine)] == list(_FIELDS)
    s_ref, s_kind, s_net, s_day, s_rn, s_amount, s_office, s_original = (
        getattr(HubLine, name).__set__ for name in _FIELDS
    )
    new = object.__new__

    def make(  # noqa: PLR0917  (positional, like HubLine's own constructor)
        reference: str,
        kind: HubKind,
        network: str,
        day: date,
        rn: str,
        amount: int,
        office: str,
        original: str | None,
    ) -> HubLine:
        line: HubLine = new(HubLine)
        s_ref(line, reference)
        s_kind(line, kind)
        s_net(line, network)
        s_day(line, day)
        s_rn(line, rn)
        s_amount(line, amount)
        s_office(line, office)
        s_original(line, original)
        return line

    return make


_FIELDS = (
    "reference",
    "kind",
    "network",
    "business_date",
    "registration_number",
    "amount_centimes",
    "office",
    "original_reference",
)


def hub_lines(
    connection: Connection, days: Sequence[date], *, networks: Sequence[str] | None = None
) -> Iterator[HubLine]:
    """Every collection and reversal of the given business days (of the given networks)."""
    for day in days:
        yield from _day_lines(connection, day, networks)


def _day_lines(
    connection: Connection, day: date, networks: Sequence[str] | None
) -> Iterator[HubLine]:
    # One query per day, so that the date is not a column to convert on every row.
    c = Contribution.__table__  # type: ignore[attr-defined]
    r = Reversal.__table__  # type: ignore[attr-defined]
    rec = Receipt.__table__  # type: ignore[attr-defined]
    w = Worker.__table__  # type: ignore[attr-defined]
    n = Network.__table__  # type: ignore[attr-defined]
    o = Office.__table__  # type: ignore[attr-defined]
    collections = (
        select(rec.c.number, n.c.code, w.c.registration_number, c.c.amount_centimes, o.c.code)
        .join(rec, rec.c.id == c.c.receipt_id)
        .join(w, w.c.id == c.c.worker_id)
        .join(n, n.c.id == c.c.network_id)
        .join(o, o.c.id == c.c.office_id)
        .where(c.c.business_date == day)
    )
    original = aliased(rec)
    reversals = (
        select(
            rec.c.number,
            n.c.code,
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
        .where(r.c.business_date == day)
    )
    if networks is not None:
        collections = collections.where(n.c.code.in_(list(networks)))
        reversals = reversals.where(n.c.code.in_(list(networks)))
    make = _line_maker()
    collection = HubKind.COLLECTION
    for rows in _stream(connection, collections).partitions():
        for number, network, rn, amount, office in rows:
            yield make(number, collection, network, day, rn, amount, office, None)
    reversal = HubKind.REVERSAL
    for batch in _stream(connection, reversals).partitions():
        for number, network, rn, amount, office, original_number in batch:
            yield make(number, reversal, network, day, rn, amount, office, original_number)


def _stream(connection: Connection, query: Select[*_Row]) -> CursorResult[*_Row]:
    """Runs ``query`` to be read in batches, every row of it.

    Options per statement, not on the connection: a connection's options would stay set for
    the rest of the transaction (and PostgreSQL cannot stream an INSERT). PostgreSQL streams
    through a cursor, which it plans to return its first tenth quickly
    (``cursor_tuple_fraction``): on a national day that is a million index probes into the
    receipts and the workers instead of a few hash joins, several times slower. Every row is
    read here, so the cursor is planned for all of them, and the setting is put back at once
    (a cursor is planned when it is declared). Should the query fail, the transaction is
    aborted and its setting goes with it."""
    streamed = query.execution_options(yield_per=_BATCH)
    if connection.dialect.name != "postgresql":
        return connection.execute(streamed)
    previous = connection.execute(
        text("SELECT current_setting('cursor_tuple_fraction')")
    ).scalar_one()
    connection.execute(text("SELECT set_config('cursor_tuple_fraction', '1', true)"))
    result = connection.execute(streamed)
    connection.execute(
        text("SELECT set_config('cursor_tuple_fraction', :previous, true)"), {"previous": previous}
    )
    return result
