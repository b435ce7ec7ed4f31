"""A worker's account as the counter paths read and write it: a handful of prepared
statements (SQLAlchemy Core, built once, run by ``Fast``) instead of the ORM, because quotes,
collections and rights run on every payment at every counter.

- ``read_worker`` reads the worker (optionally locked for the transaction) with its category
  and the tariff's version (``persistence.tariff``), so that a tariff changed a moment ago is
  seen by the very next collection at no extra round trip;
- ``read_periods``, ``read_paid`` (allocations with the time each was recorded) and
  ``read_declarations`` (fishing days) read the rest of the account, one statement each;
- ``record_collection`` writes a collection: on PostgreSQL in one statement.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, text

from agent_api.domain.account_state import Paid
from agent_api.domain.dues import CategoryPeriod
from agent_api.persistence.fast import Fast
from agent_api.persistence.tables import (
    AccountAllocation,
    Category,
    Contribution,
    DailyDeclaration,
    Receipt,
    Reversal,
    Worker,
    WorkerCategoryPeriod,
)
from agent_api.persistence.tariff import TARIFF_VERSION

_w = Worker.__table__  # type: ignore[attr-defined]
_c = Category.__table__  # type: ignore[attr-defined]
_p = WorkerCategoryPeriod.__table__  # type: ignore[attr-defined]
_a = AccountAllocation.__table__  # type: ignore[attr-defined]
_co = Contribution.__table__  # type: ignore[attr-defined]
_re = Reversal.__table__  # type: ignore[attr-defined]
_d = DailyDeclaration.__table__  # type: ignore[attr-defined]
_rc = Receipt.__table__  # type: ignore[attr-defined]

_WORKER_SELECT = (
    select(
        _w.c.id,
        _w.c.registration_number,
        _w.c.status,
        _w.c.category,
        _w.c.coverage_start,
        _w.c.first_name,
        _w.c.last_name,
        _c.c.collected_at_counter,
        _c.c.label_fr,
        *TARIFF_VERSION,
    )
    .join(_c, _c.c.code == _w.c.category)
    .where(_w.c.registration_number == bindparam("registration_number"))
)
# Every write to a worker's account holds its row for the rest of the transaction, so two
# offices paying for one worker at once are allocated one after the other (SQLite serializes
# writers anyway; FOR UPDATE is PostgreSQL's).
_WORKER = Fast(_WORKER_SELECT)
_WORKER_LOCKED = Fast(_WORKER_SELECT.with_for_update(of=_w))

_PERIODS = Fast(
    select(_p.c.category, _p.c.bracket, _p.c.effective_from)
    .where(_p.c.worker_id == bindparam("worker_id"))
    .order_by(_p.c.effective_from)
)
_ALLOCATIONS = Fast(
    select(
        _a.c.month,
        _a.c.kind,
        _a.c.amount_centimes,
        _a.c.contribution_id,
        _a.c.reversal_id,
        _co.c.recorded_at.label("paid_at"),
        _re.c.recorded_at.label("reversed_at"),
    )
    .select_from(
        _a.outerjoin(_co, _co.c.id == _a.c.contribution_id).outerjoin(
            _re, _re.c.id == _a.c.reversal_id
        )
    )
    .where(_a.c.worker_id == bindparam("worker_id"))
)
_DECLARATIONS = Fast(
    select(_d.c.day, _d.c.contribution_centimes).where(_d.c.worker_id == bindparam("worker_id"))
)


def read_worker(
    connection: Connection, registration_number: str, *, lock: bool
) -> dict[str, Any] | None:
    """The worker's row with its category's flags and the tariff's version (``id``,
    ``registration_number``, ``status``, ``category``, ``coverage_start``, names,
    ``collected_at_counter``, ``label_fr``, ``rates_version``, ``categories_version``,
    ``waivers_version``); None when no worker has this number."""
    return (_WORKER_LOCKED if lock else _WORKER).mapping(
        connection, {"registration_number": registration_number}
    )


def read_periods(connection: Connection, worker_id: int) -> list[CategoryPeriod]:
    return [CategoryPeriod(*p) for p in _PERIODS.rows(connection, {"worker_id": worker_id})]


def read_paid(connection: Connection, worker_id: int) -> list[Paid]:
    """Every allocation of the worker's account, from a collection or a reversal."""
    return [
        Paid(
            month=month,
            kind=kind,
            amount_centimes=amount,
            source="c" if contribution_id is not None else "r",
            source_id=contribution_id if contribution_id is not None else reversal_id,
            at=paid_at if contribution_id is not None else reversed_at,
        )
        for month, kind, amount, contribution_id, reversal_id, paid_at, reversed_at in (
            _ALLOCATIONS.rows(connection, {"worker_id": worker_id})
        )
    ]


def read_declarations(connection: Connection, worker_id: int) -> list[tuple[date, int]]:
    """The worker's declared fishing days: (day, contribution in centimes)."""
    return [
        (day, amount) for day, amount in _DECLARATIONS.rows(connection, {"worker_id": worker_id})
    ]


@dataclass(frozen=True)
class NewCollection:
    """Everything a collection writes but its receipt's signature."""

    worker_id: int
    network_id: int
    office_id: int
    terminal_id: int
    operator_id: int
    amount_centimes: int
    payer_phone: str | None
    signed_at: datetime
    recorded_at: datetime
    business_date: date
    offline: bool
    late: bool
    signed_business_date: date | None
    sequence: int
    allocations: list[tuple[date, str, int]]  # (month, kind, centimes)

    def row(self) -> dict[str, Any]:
        """The contribution's columns (the allocations are rows of their own)."""
        return {name: getattr(self, name) for name in _COLLECTION_COLUMNS}


_COLLECTION_COLUMNS = tuple(f.name for f in fields(NewCollection) if f.name != "allocations")


_RECEIPT_COLUMNS = (
    "number",
    "kind",
    "worker_id",
    "network_id",
    "office_id",
    "terminal_id",
    "amount_centimes",
    "issued_at",
    "jws",
)
_CONTRIBUTION_COLUMNS = ("receipt_id", *_COLLECTION_COLUMNS)
_ALLOCATION_COLUMNS = (
    "worker_id",
    "month",
    "kind",
    "amount_centimes",
    "contribution_id",
    "reversal_id",
)
_ADD_RECEIPT = Fast(insert(_rc).returning(_rc.c.id), columns=_RECEIPT_COLUMNS)
_ADD_CONTRIBUTION = Fast(insert(_co).returning(_co.c.id), columns=_CONTRIBUTION_COLUMNS)
_ADD_ALLOCATION = Fast(insert(_a), columns=_ALLOCATION_COLUMNS)
# PostgreSQL: the receipt's row, the collection and its allocations in one statement (each
# data-modifying CTE feeds the next its id; foreign keys are checked at the statement's end).
_RECORD_POSTGRESQL = Fast(
    text(
        """
    WITH receipt AS (
        INSERT INTO receipts (number, kind, worker_id, network_id, office_id, terminal_id,
                              amount_centimes, issued_at, jws)
        VALUES (NULL, 'collection', :worker_id, :network_id, :office_id, :terminal_id,
                :amount_centimes, :recorded_at, '')
        RETURNING id
    ), contribution AS (
        INSERT INTO contributions (receipt_id, worker_id, network_id, office_id, terminal_id,
                                   operator_id, amount_centimes, payer_phone, signed_at,
                                   recorded_at, business_date, offline, late,
                                   signed_business_date, sequence)
        SELECT receipt.id, :worker_id, :network_id, :office_id, :terminal_id, :operator_id,
               :amount_centimes, :payer_phone, :signed_at, :recorded_at, :business_date,
               :offline, :late, :signed_business_date, :sequence
        FROM receipt
        RETURNING id, receipt_id
    )
    INSERT INTO allocations (worker_id, month, kind, amount_centimes, contribution_id,
                             reversal_id)
    SELECT :worker_id, moved.month, moved.kind, moved.centimes, contribution.id, NULL
    FROM contribution,
         unnest(CAST(:months AS date[]), CAST(:kinds AS text[]), CAST(:centimes AS bigint[]))
             AS moved(month, kind, centimes)
    RETURNING contribution_id, (SELECT receipt_id FROM contribution)
    """
    ).bindparams(
        # Typed as the column is, so that the payer's phone is sealed here too: a textual
        # statement's parameters are otherwise sent as they are.
        bindparam("payer_phone", type_=_co.c.payer_phone.type),
    ),
    returns_rows=True,
)


def record_collection(connection: Connection, new: NewCollection) -> tuple[int, int]:
    """Write the collection's receipt row (unsigned), the collection and its allocations;
    their ids (receipt, contribution)."""
    if connection.dialect.name == "postgresql":
        months, kinds, centimes = zip(*new.allocations, strict=True)
        recorded = _RECORD_POSTGRESQL.first(
            connection,
            {**new.row(), "months": list(months), "kinds": list(kinds), "centimes": list(centimes)},
        )
        assert recorded is not None
        contribution_id, receipt_id = recorded
        return int(receipt_id), int(contribution_id)
    receipt_id = _ADD_RECEIPT.scalar(
        connection,
        {
            "number": None,
            "kind": "collection",
            "worker_id": new.worker_id,
            "network_id": new.network_id,
            "office_id": new.office_id,
            "terminal_id": new.terminal_id,
            "amount_centimes": new.amount_centimes,
            "issued_at": new.recorded_at,
            "jws": "",
        },
    )
    contribution_id = _ADD_CONTRIBUTION.scalar(connection, {**new.row(), "receipt_id": receipt_id})
    _ADD_ALLOCATION.many(
        connection,
        [
            {
                "worker_id": new.worker_id,
                "month": month,
                "kind": kind,
                "amount_centimes": amount,
                "contribution_id": contribution_id,
                "reversal_id": None,
            }
            for month, kind, amount in new.allocations
        ],
    )
    return int(receipt_id), int(contribution_id)
