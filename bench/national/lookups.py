"""The small temporary tables each loading session holds, which the bulk statements join:
terminals (``_t``), days (``_d``), the category mix (``_cb``), dues (``_due``), names,
networks and the allocation counter (``_k``)."""

# Every statement here is put together from this package's constants, never from input:
# S608 (SQL built from strings) does not apply.
# ruff: noqa: S608
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .country import FIRST_NAMES, LAST_NAMES
from .plan import Plan
from .session import Session

_LOOKUPS = {
    "_t": "t0 INTEGER PRIMARY KEY, terminal_id INTEGER, office_id INTEGER, network_id INTEGER, "
    "net_code TEXT, office_code TEXT, city TEXT, operator_id INTEGER, operator TEXT, "
    "keyid TEXT, q INTEGER",
    "_d": "d INTEGER PRIMARY KEY, day {date}, iso TEXT, e0 BIGINT, close_e BIGINT",
    "_cb": "slot INTEGER PRIMARY KEY, cb INTEGER, category TEXT, bracket TEXT, doc TEXT",
    "_due": "cb INTEGER, m INTEGER, due BIGINT, ym TEXT, first {date}, e BIGINT, "
    "PRIMARY KEY (cb, m)",
    "_ln": "k INTEGER PRIMARY KEY, latin TEXT, arabic TEXT",
    "_fn": "k INTEGER PRIMARY KEY, latin TEXT, arabic TEXT, sex TEXT",
    "_n": "n INTEGER PRIMARY KEY, id INTEGER, code TEXT",
    "_k": "n INTEGER PRIMARY KEY",
}


def lookups(session: Session, plan: Plan) -> None:
    """The session's temporary lookup tables (gone with the session)."""
    content: dict[str, Sequence[Sequence[Any]]] = {
        "_t": [tuple(r) for r in plan.lookup_terminals],
        "_d": plan.days,
        "_cb": plan.slots,
        "_due": plan.dues,
        "_ln": [(k, *names) for k, names in enumerate(LAST_NAMES)],
        "_fn": [(k, *names) for k, names in enumerate(FIRST_NAMES)],
        "_n": [(k, n[0], n[1]) for k, n in enumerate(plan.networks)],
        "_k": [(0,), (1,)],
    }
    date_type = "DATE" if session.sql.name == "postgresql" else "TEXT"
    for name, columns in _LOOKUPS.items():
        session.execute(f"CREATE TEMP TABLE {name} ({columns.format(date=date_type)})")
        rows = content[name]
        marks = ", ".join("?" * len(rows[0]))
        session.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
        if session.sql.name == "postgresql":
            session.execute(f"ANALYZE {name}")
    session.commit()
