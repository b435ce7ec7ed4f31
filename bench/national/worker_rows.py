"""The statements that write a chunk of workers and their category periods."""

# Every statement here is put together from this package's constants and computed integers,
# never from input: S608 (SQL built from strings) does not apply.
# ruff: noqa: S608
from __future__ import annotations

import hashlib

from .country import FIRST_NAMES, LAST_NAMES
from .dialect import Dialect, registration, staged
from .plan import SLOTS, Plan

CIN_KEY_ID = hashlib.sha256(b"qurb national seed: no CIN key").hexdigest()[:16]
# Phones and addresses have the shape of sealed values (``persistence.sealing``) under a key
# id no deployment configures: volume, not people; nothing clear reaches the database.
CONTACT_KEY_ID = hashlib.sha256(b"qurb national seed: no contact key").hexdigest()[:16]


def worker_statements(sql: Dialect, plan: Plan, lo: int, hi: int) -> list[str]:
    """Workers lo..hi and their category periods: worker w belongs to terminal (w-1) mod T
    and its office; coverage starts in one of the tariff's months before the history."""
    t = plan.terminal_count
    facts = f"""
    WITH RECURSIVE {sql.numbers(lo, hi)}
    SELECT /* facts */ g.i, t.city, t.office_id, t.terminal_id, t.operator_id, b.category,
           b.bracket, b.doc, cov.first, cov.e
    FROM g
    JOIN _t t ON t.t0 = (g.i - 1) % {t}
    JOIN _cb b ON b.slot = (g.i * 48271) % {SLOTS}
    JOIN _due cov ON cov.cb = b.cb AND cov.m = (g.i * 40503) % {plan.coverage_months}"""
    document = (
        f"CASE WHEN doc IS NULL THEN NULL WHEN doc = '' THEN {sql.pad('i', 8)} "
        f"ELSE doc || '-' || {sql.pad('i', 8)} END"
    )
    enrolled = "e + (i % 25) * 86400 + 30000 + i % 20000"
    workers = f"""
    INSERT INTO workers (id, registration_number, cin_index, cin_ciphertext, cin_key_id,
                         last_name, first_name, last_name_ar, first_name_ar, birth_date, sex,
                         phone, address, city, category, bracket, document_number,
                         coverage_start, status, enrolled_at, office_id, terminal_id,
                         enrolled_by)
    SELECT i, {registration(sql, "i")}, {sql.sha256("'cin/' || i")}, {sql.sealed("i")},
           '{CIN_KEY_ID}', ln.latin, fn.latin, ln.arabic, fn.arabic,
           {sql.birth_date("(i * 7919) % 14600")}, fn.sex,
           {_sealed(sql, "i * 7919")}, {_sealed(sql, "i * 104729")},
           city, category, bracket, {document}, first, 'active', {sql.ts(enrolled)}, office_id,
           terminal_id, operator_id
    FROM p
    JOIN _ln ln ON ln.k = (i * 31) % {len(LAST_NAMES)}
    JOIN _fn fn ON fn.k = (i * 17) % {len(FIRST_NAMES)}"""
    periods = """
    INSERT INTO worker_category_periods (id, worker_id, category, bracket, effective_from)
    SELECT i, i, category, bracket, first FROM p"""
    return staged(sql, facts, [workers, periods])


def _sealed(sql: Dialect, number: str) -> str:
    return f"'q1:{CONTACT_KEY_ID}:' || {sql.sealed(number)}"
