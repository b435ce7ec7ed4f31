"""The statements that write a chunk of collections: their facts computed once, then the
receipt, the audit leaf, the contribution, the idempotency record and the allocations of each.
"""

# Every statement here is put together from this package's constants and computed integers,
# never from input: S608 (SQL built from strings) does not apply.
# ruff: noqa: S608
from __future__ import annotations

import hashlib
import json

from agent_api.protocol.encoding import b64url_encode

from .dialect import Dialect, registration, staged
from .plan import DOUBLE_EVERY, OFFLINE_EVERY, OPEN_SECONDS, SLOTS, SPREAD_SECONDS, Plan

RECEIPT_KID = b64url_encode(hashlib.sha256(b"qurb national seed: no receipt key").digest())
RECEIPT_HEADER = b64url_encode(
    json.dumps(
        {"alg": "EdDSA", "kid": RECEIPT_KID, "typ": "qurb-receipt+jwt"}, separators=(",", ":")
    ).encode()
)


def _collection_facts(sql: Dialect, plan: Plan, lo: int, hi: int) -> str:
    """Collections lo..hi with every fact their rows need.

    Collection i is the s-th signed write of terminal (i-1) mod T (s = (i-1) div T + 1), for
    that terminal's worker (s-1) mod q on their r-th visit (r = (s-1) div q); it falls on
    business day d = ((i-1)·D) div N at a time that only grows with i, and its audit leaf
    comes after the i-1 collections before it and the closes of the d days before its own.
    """
    t, d, n = plan.terminal_count, plan.day_count, plan.collections
    number = f"'R-' || c.net_code || '-' || {sql.pad('c.i', 8)}"
    return f"""
    WITH RECURSIVE {sql.numbers(lo, hi)},
    c AS (
        SELECT g.i, t.terminal_id, t.office_id, t.network_id, t.net_code, t.office_code,
               t.operator_id, t.operator, t.keyid, dy.day, dy.iso AS day_iso,
               (g.i - 1) / {t} + 1 AS seq,
               dy.e0 + {OPEN_SECONDS} + (((g.i - 1) * {d}) % {n}) * {SPREAD_SECONDS} / {n}
                   AS recv,
               CASE WHEN g.i % {OFFLINE_EVERY} = 0 THEN 1800 ELSE 1 END AS lag,
               CASE WHEN g.i % {DOUBLE_EVERY} = 0 THEN 1 ELSE 0 END AS dbl,
               t.t0 + 1 + {t} * (((g.i - 1) / {t}) % t.q) AS w,
               {plan.first_payment_month} + {plan.step} * (((g.i - 1) / {t}) / t.q) AS m1,
               (g.i - 1) + {plan.network_count} * dy.d AS leaf
        FROM g
        JOIN _t t ON t.t0 = (g.i - 1) % {t}
        JOIN _d dy ON dy.d = ((g.i - 1) * {d}) / {n}
    )
    SELECT /* facts */ c.i, c.terminal_id, c.office_id, c.network_id, c.net_code,
           c.office_code, c.operator_id, c.operator, c.keyid, c.day, c.day_iso, c.seq,
           c.recv, c.recv - c.lag AS signed, CASE WHEN c.lag > 1 THEN 1 ELSE 0 END AS offline,
           c.dbl, c.w, c.leaf,
           u1.due AS due1, u1.ym AS ym1, u1.first AS first1,
           u2.due AS due2, u2.ym AS ym2, u2.first AS first2,
           u1.due + c.dbl * u2.due AS amount,
           {number} AS number, {registration(sql, "c.w")} AS reg,
           {sql.ts("c.recv")} AS ts_recv, {sql.ts("c.recv - c.lag")} AS ts_signed,
           {sql.iso("c.recv")} AS iso_recv, {sql.iso("c.recv - c.lag")} AS iso_signed
    FROM c
    JOIN _cb b ON b.slot = (c.w * 48271) % {SLOTS}
    JOIN _due u1 ON u1.cb = b.cb AND u1.m = c.m1
    JOIN _due u2 ON u2.cb = b.cb AND u2.m = c.m1 + 1"""


def _receipt_rows(sql: Dialect) -> str:
    # The claims of AccountService.collect, in the order the service signs them.
    payload = (
        """'{"receipt_number":"' || number || '","kind":"collection","iat":' || recv"""
        """ || ',"registration_number":"' || reg || '","amount_centimes":' || amount"""
        """ || ',"months":[{"month":"' || ym1 || '","kind":"due","amount_centimes":' || due1"""
        """ || '}' || CASE WHEN dbl = 1 THEN ',{"month":"' || ym2"""
        """ || '","kind":"due","amount_centimes":' || due2 || '}' ELSE '' END"""
        """ || '],"business_date":"' || day_iso || '","network":"' || net_code"""
        """ || '","office":"' || office_code || '","terminal":' || terminal_id"""
        """ || ',"operator":"' || operator || '","signed_at":"' || iso_signed"""
        """ || '","recorded_at":"' || iso_recv || '","log_index":' || leaf || '}'"""
    )
    return f"""
    INSERT INTO receipts (id, number, kind, worker_id, network_id, office_id, terminal_id,
                          amount_centimes, issued_at, jws)
    SELECT i, number, 'collection', w, network_id, office_id, terminal_id, amount, ts_recv,
           '{RECEIPT_HEADER}.' || {sql.b64url(payload)} || '.' || {sql.filler_signature("i")}
    FROM p"""


def _contribution_rows(sql: Dialect) -> str:
    return f"""
    INSERT INTO contributions (id, receipt_id, worker_id, network_id, office_id, terminal_id,
                               operator_id, amount_centimes, payer_phone, signed_at,
                               recorded_at, business_date, offline, late,
                               signed_business_date, sequence)
    SELECT i, i, w, network_id, office_id, terminal_id, operator_id, amount, NULL, ts_signed,
           ts_recv, day, offline = 1, {sql.false}, NULL, seq
    FROM p"""


def _allocation_rows(_sql: Dialect) -> str:
    # Ids stay dense: collection i's first allocation follows the (i-1) div 5 doubles before.
    return f"""
    INSERT INTO allocations (id, worker_id, month, kind, amount_centimes, contribution_id,
                             reversal_id)
    SELECT i + (i - 1) / {DOUBLE_EVERY} + k.n, w, CASE k.n WHEN 0 THEN first1 ELSE first2 END,
           'due', CASE k.n WHEN 0 THEN due1 ELSE due2 END, i, NULL
    FROM p JOIN _k k ON k.n <= p.dbl"""


def _idempotency_rows(sql: Dialect) -> str:
    return f"""
    INSERT INTO idempotency_records (id, terminal_id, key, request_digest, keyid, signed_at,
                                     received_at, offline, response_status, response_body)
    SELECT i, terminal_id, seq, {sql.sha256("'request/' || i")}, keyid, ts_signed, ts_recv,
           offline = 1, 201, ''
    FROM p"""


def _leaf_rows(sql: Dialect) -> str:
    # Canonical JSON (sorted keys, no spaces) shaped like idempotency._leaf_facts.
    data = (
        """'{"at":"' || iso_recv || '","decision":{"amount_centimes":' || amount"""
        """ || ',"business_date":"' || day_iso || '","receipt":"' || number"""
        f""" || '","response_sha256":"' || {sql.sha256("'response/' || i")}"""
        """ || '","status":201},"index":' || leaf || ',"kind":"signed_write","offline":'"""
        """ || CASE WHEN offline = 1 THEN 'true' ELSE 'false' END"""
        """ || ',"request":{"covered":{"idempotency-key":"' || seq || '"},"keyid":"' || keyid"""
        """ || '","method":"POST","path":"/v1/contributions","query":""},"sequence":' || seq"""
        """ || ',"signed_at":"' || iso_signed || '","terminal_id":' || terminal_id"""
        """ || ',"v":1}'"""
    )
    return f"""
    INSERT INTO audit_leaves (leaf_index, kind, data, leaf_hash, recorded_at)
    SELECT leaf, 'signed_write', data, {sql.leaf_hash("data")}, ts_recv
    FROM (SELECT leaf, ts_recv, {data} AS data FROM p {sql.fence}) s"""


def collection_statements(sql: Dialect, plan: Plan, lo: int, hi: int) -> list[str]:
    """The transaction that writes collections lo..hi into their five tables."""
    inserts = [
        build(sql)
        for build in (
            _receipt_rows,
            _leaf_rows,
            _contribution_rows,
            _idempotency_rows,
            _allocation_rows,
        )
    ]
    return staged(sql, _collection_facts(sql, plan, lo, hi), inserts)
