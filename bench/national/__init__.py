"""A national history in bulk: the database the growth benchmark measures against.

    python bench/national --database-url URL [--offices 8000] [--workers 3000000]
        [--collections 10000000] [--verify]

(or ``python -m national …`` from ``bench/``; ``bench/load.py --national`` imports it).

``seed_national(url, offices=…, workers=…, collections=…)`` fills a database freshly migrated
with ``qurb.migrate.upgrade(url)`` (nothing registered yet) with what a year of the service
would have left at national scale:

- five networks with their rough real-world shares of the offices, the offices across
  Moroccan cities and regions, one or two active terminals per office, each with its active
  key, an operator and a supervisor per office and an administrator per network;
- workers of the counter categories of the seeded tariff, each tied to one terminal (their
  usual counter), covered from a month of the tariff's life before the history starts, with
  their registration number (serial = id, Damm check digit, as the service numbers them) and
  one category period;
- collections on the business days (Monday to Saturday, national holidays excepted) of the
  last twelve months, each with its receipt, its one or two monthly allocations (distinct
  months per worker), its idempotency record and its audit-log leaf; every past day closed
  per network, with its ``day_closed`` leaf, in the order the live service would have logged
  them; the log's head holds the frontier of those leaves (and, given the log key, a signed
  checkpoint), so the live service appends and signs on top of it.

Ids, receipt numbers (``R-<NETWORK>-<id>``), idempotency keys (per terminal, 1, 2, 3 …) and
the database's sequences all continue where the seed stops: what the live service writes next
never collides with the history.

The history is volume, not evidence. Said plainly:

- the workers' CINs do not decrypt: ``cin_ciphertext`` has the shape of a sealed CIN under
  a key id no deployment configures, and ``cin_index`` is no HMAC of any CIN; phones and
  addresses likewise have the shape of sealed values under a key id no deployment
  configures (the service opens them only to show or amend a worker, which the benchmark's
  counters do on the workers they enroll themselves);
- receipts are JWS-shaped (a real header and payload, ~800 characters) but the signature part
  is filler under a ``kid`` no key publishes;
- the ``signed_write`` leaves keep the shape of the service's (``_leaf_facts``) without the
  request's signature, so ``qurb-audit verify`` reports them; their hashes, the tree and the
  head are real RFC 6962 and the log stays consistent;
- stored idempotency responses are empty: a sequence number older than the offline window
  can never be replayed (its signature would be refused as stale), so the benchmark does not
  pay the storage of responses nobody can ask for again; request digests are filler;
- terminal keys are random unless ``key_secret`` is given (then ``terminal_key`` rebuilds a
  terminal's private key: a benchmark convenience, never for production), and every seeded
  user shares one argon2 hash (of ``password`` when given, else of a random one).

How it is fast: the database generates the rows itself (``INSERT … SELECT`` over
``generate_series`` on PostgreSQL, a recursive CTE on SQLite) from a few small lookup tables,
each chunk's facts computed once and inserted into the five collection tables; the indexes
are dropped during the load and rebuilt after (the schema ends as it began: the test compares
it). On PostgreSQL two sessions load at once, with the foreign-key triggers off when the user
is a superuser (``session_replication_role = replica``, as ``pg_restore --disable-triggers``;
the rows are consistent by construction and ``foreign_key_violations`` checks them), and the
heaps are vacuumed before their indexes come back. SQLite loads on one connection without
journal nor fsync, its journal mode restored at the end. A failed seed leaves a database to
throw away.

Where the time goes (PostgreSQL, full scale): generating and writing the rows, about 35 µs of
CPU per collection across its five tables (row insertion with its WAL, the receipt's base64,
the leaf's SHA-256), then the index builds and the vacuum; on two cores the run is CPU-bound.

The package, in the order a seed runs:

- ``country``: networks, cities, names, the category mix, the holidays;
- ``plan``: the plan the load reads (registry rows, lookup tables) and the history's shape;
- ``registry``: the registry laid out and written, and ``terminal_key``;
- ``schedule``: the business days, who pays which months, and the dues;
- ``dialect``: the expressions PostgreSQL and SQLite spell differently;
- ``session``, ``lookups``: the loading sessions and their temporary lookup tables;
- ``collection_rows``, ``worker_rows``, ``day_rows``: the bulk statements;
- ``indexes``, ``runner``: the indexes dropped and rebuilt; transactions on two sessions;
- ``audit_head``: the leaves folded into the log's frontier, the head and its checkpoint;
- ``phases``, ``seed``: the load phase by phase, and ``seed_national`` with its ``Seeded``;
- ``checks``, ``cli``: foreign keys and size; the command line (``__main__`` runs it).
"""

import sys
from pathlib import Path

# The repository's packages (agent_api, qurb) import from its root, whoever imports this.
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from .audit_head import frontier
from .checks import database_size, foreign_key_violations
from .cli import main
from .registry import terminal_key
from .seed import Seeded, seed_national

__all__ = [
    "Seeded",
    "database_size",
    "foreign_key_violations",
    "frontier",
    "main",
    "seed_national",
    "terminal_key",
]
