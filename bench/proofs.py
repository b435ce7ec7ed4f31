"""Proof latency from tiles at national size: an inclusion proof of a random old leaf through
``AuditLog.inclusion_proof`` on a log of 10,000,000 leaves, beside the same on a small log.

    python bench/proofs.py [--leaves 10000000] [--small 1000] [--samples 300]
                           [--database-url URL] [--prefix P]

The log's tiles are built directly (synthetic leaf hashes folded into C2SP tlog-tiles by
``agent_api.protocol.tiles.grow``, bulk-inserted, then one signed checkpoint of the whole
tree): the proofs only read tiles and the checkpoint's size, so the leaves' rows themselves
are not written. Each proof is checked against the checkpoint's root outside the timing.
Before the tiles a proof read every leaf hash up to the tree size (issue 18: 12.2 s and
873 MB at 10 M leaves); from tiles it reads a few rows per level, so the two figures should
be close: flat, not linear.

A fresh database each run: SQLite in a temporary directory unless ``--database-url`` names a
PostgreSQL one, whose ``public`` schema is dropped and recreated. Prints, last, one
``name=value`` a line: ``proof_ms_national`` and ``proof_ms_small`` (median milliseconds),
``proof_p99_ms_national``, ``proof_tiles_national`` (tiles one proof reads),
``proof_build_s_national`` (building the tiles), each preceded by ``--prefix`` (by default
``sqlite_`` on SQLite and nothing on PostgreSQL, as ``make bench`` names its figures).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, create_engine, insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent_api.persistence.audit_tiles import read_tiles
from agent_api.persistence.db import build_engine
from agent_api.persistence.tables import AuditCheckpoint
from agent_api.persistence.tables.audit import AuditTile
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.protocol import merkle, tiles
from agent_api.protocol.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
from agent_api.services.log.transparency import AuditLog
from qurb.migrate import upgrade

CHUNK = 1 << 16  # leaves hashed and folded at a time (a multiple of 256)
ORIGIN = "bench.qurb.example/proofs"
AT = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def leaf(index: int) -> bytes:
    return merkle.leaf_hash(b"bench leaf %d" % index)


def fresh(url: str) -> None:
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)


def build(engine: Engine, size: int, signer: NoteSigner) -> float:
    """The tiles of ``size`` synthetic leaves and a signed checkpoint of them; seconds."""
    began = time.perf_counter()
    table = AuditTile.__table__  # type: ignore[attr-defined]
    edges: dict[tiles.TileId, bytes] = {}
    for start in range(0, size, CHUNK):
        hashes = [leaf(i) for i in range(start, min(start + CHUNK, size))]
        changed = tiles.grow(start, hashes, edges)
        full = [
            {"level": t.level, "tile_index": t.index, "width": 256, "hashes": d.hex()}
            for t, d in changed.items()
            if len(d) == tiles.TILE_BYTES
        ]
        if full:
            with engine.begin() as connection:
                connection.execute(insert(table), full)
        for t, d in changed.items():
            if len(d) == tiles.TILE_BYTES:
                edges.pop(t, None)
            else:
                edges[t] = d
    with engine.begin() as connection:
        if edges:
            connection.execute(
                insert(table),
                [
                    {
                        "level": t.level,
                        "tile_index": t.index,
                        "width": len(d) // 32,
                        "hashes": d.hex(),
                    }
                    for t, d in edges.items()
                ],
            )
        root = tiles.root(read_tiles(connection, tiles.root_tiles(size)), size)
        note = sign_checkpoint(Checkpoint(ORIGIN, size, root), signer)
        connection.execute(
            insert(AuditCheckpoint.__table__),  # type: ignore[attr-defined]
            {"size": size, "root_hash": root.hex(), "note": note, "frontier": "", "signed_at": AT},
        )
    return time.perf_counter() - began


def measure(engine: Engine, size: int, samples: int, signer: NoteSigner) -> dict[str, float]:
    """Inclusion proofs of random leaves in the older half of the log, through the service."""
    log = AuditLog(lambda: UnitOfWork(engine), lambda: AT, signer)
    root = bytes.fromhex(log.latest_checkpoint().root_hash)
    rng = random.Random(18)  # noqa: S311  (which leaves to prove, not secrets)
    indexes = [rng.randrange(max(1, size // 2)) for _ in range(samples + 20)]
    times = []
    for n, index in enumerate(indexes):
        began = time.perf_counter()
        proof = log.inclusion_proof(index, size)
        elapsed = time.perf_counter() - began
        if n >= 20:  # the first ones warm the pool and the caches
            times.append(elapsed * 1000)
        merkle.verify_inclusion(leaf(index), index, size, [bytes.fromhex(h) for h in proof], root)
    times.sort()
    return {
        "ms": statistics.median(times),
        "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))],
        "tiles": statistics.mean(len(tiles.inclusion_tiles(i, size)) for i in indexes),
    }


def run(url: str, size: int, samples: int, signer: NoteSigner) -> tuple[dict[str, float], float]:
    fresh(url)
    engine = build_engine(url, pool_size=2)
    try:
        seconds = build(engine, size, signer)
        return measure(engine, size, samples, signer), seconds
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leaves", type=int, default=10_000_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--database-url")
    parser.add_argument("--prefix")
    args = parser.parse_args()
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    with tempfile.TemporaryDirectory() as workdir:
        urls = [
            args.database_url or f"sqlite:///{Path(workdir) / f'{label}.db'}"
            for label in ("small", "national")
        ]
        prefix = args.prefix
        if prefix is None:
            prefix = "" if args.database_url else "sqlite_"
        small, _ = run(urls[0], args.small, args.samples, signer)
        national, seconds = run(urls[1], args.leaves, args.samples, signer)
        if args.database_url:
            fresh(args.database_url)  # leave no national-size tables behind
    print(f"# {args.leaves:,} leaves (national), {args.small:,} (small), {args.samples} proofs")
    print(f"{prefix}proof_ms_national={national['ms']:.2f}")
    print(f"{prefix}proof_p99_ms_national={national['p99_ms']:.2f}")
    print(f"{prefix}proof_tiles_national={national['tiles']:.1f}")
    print(f"{prefix}proof_build_s_national={seconds:.1f}")
    print(f"{prefix}proof_ms_small={small['ms']:.2f}")
    print(f"{prefix}proof_p99_ms_small={small['p99_ms']:.2f}")


if __name__ == "__main__":
    main()
