"""The statements that close every business day of the history, per network: the closed
days themselves and their ``day_closed`` audit leaves."""

# Every statement here is put together from this package's constants and computed integers,
# never from input: S608 (SQL built from strings) does not apply.
# ruff: noqa: S608
from __future__ import annotations

from .dialect import Dialect
from .plan import Plan

CLOSED_BY = "qurb-reconcile"


def close_leaves(sql: Dialect, plan: Plan) -> str:
    """Each network's ``day_closed`` leaf per day, stating what the day collected."""
    # Day d closes after the ceil((d+1)·N/D) collections of days 0..d and the closes before.
    d, n, nn = plan.day_count, plan.collections, plan.network_count
    index = f"(((CAST(dy.d AS BIGINT) + 1) * {n} + {d} - 1) / {d} + {nn} * dy.d + nw.n)"
    data = (
        f"""'{{"at":"' || {sql.iso("dy.close_e")} || '","business_date":"' || dy.iso"""
        f""" || '","by":"{CLOSED_BY}","collections":' || COALESCE(a.c, 0)"""
        """ || ',"gross_centimes":' || COALESCE(a.g, 0) || ',"index":' || """
        f"""{index} || ',"kind":"day_closed","network":"' || nw.code || '","v":1}}'"""
    )
    return f"""
    WITH a AS (
        SELECT network_id, business_date, COUNT(*) AS c, SUM(amount_centimes) AS g
        FROM contributions GROUP BY network_id, business_date
    )
    INSERT INTO audit_leaves (leaf_index, kind, data, leaf_hash, recorded_at)
    SELECT leaf, 'day_closed', data, {sql.leaf_hash("data")}, {sql.ts("close_e")}
    FROM (
        SELECT {index} AS leaf, dy.close_e, {data} AS data
        FROM _d dy CROSS JOIN _n nw
        LEFT JOIN a ON a.network_id = nw.id AND a.business_date = dy.day
        {sql.fence}
    ) s"""


def business_day_rows(sql: Dialect, plan: Plan) -> str:
    """Every network's business days, closed."""
    return f"""
    INSERT INTO business_days (id, network_id, business_date, status, closed_at, closed_by)
    SELECT dy.d * {plan.network_count} + nw.n + 1, nw.id, dy.day, 'closed',
           {sql.ts("dy.close_e")}, '{CLOSED_BY}'
    FROM _d dy CROSS JOIN _n nw"""
