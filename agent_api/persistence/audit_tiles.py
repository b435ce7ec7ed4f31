"""The audit log's tiles in the database (table ``audit_tiles``): reading the few a proof
needs, and integrating new leaves into them.

Integrating is the step that makes leaves part of the tree a checkpoint signs: it runs in
the signing transaction, exactly once per leaf. Each tile it grows is guarded by its stored
width (``UPDATE … WHERE width = <what it read>``) and each tile it starts by the primary key
(``INSERT … ON CONFLICT DO NOTHING``); a writer that finds either moved under it raises
``Conflict`` (``tiles_moved``) and its transaction must roll back, so two integrations of the
same leaves can never both commit, whatever locks the caller holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, and_, or_, select, update

from agent_api.errors import Conflict
from agent_api.persistence.sql import insert_ignoring_duplicates
from agent_api.persistence.tables.audit import AuditTile
from agent_api.protocol import tiles
from agent_api.protocol.merkle import HASH_SIZE
from agent_api.protocol.tiles import TileId

_t = AuditTile.__table__  # type: ignore[attr-defined]


def tiled_size(connection: Connection) -> int:
    """How many leaves the tiles hold: the rightmost level-0 tile says (one index probe)."""
    row = connection.execute(
        select(_t.c.tile_index, _t.c.width)
        .where(_t.c.level == 0)
        .order_by(_t.c.tile_index.desc())
        .limit(1)
    ).first()
    return 0 if row is None else int(row[0]) * tiles.TILE_WIDTH + int(row[1])


def read_tiles(connection: Connection, wanted: Iterable[TileId]) -> dict[TileId, bytes]:
    """The stored tiles among ``wanted`` (one query), each as wide as it is now."""
    keys = sorted({(t.level, t.index) for t in wanted})
    if not keys:
        return {}
    # OR of (level, index) pairs, not a row-value IN: SQLite scans the table for the latter
    # (measured: 11 ms a proof at 10 M leaves), and probes the key once a pair for the former.
    rows = connection.execute(
        select(_t.c.level, _t.c.tile_index, _t.c.hashes).where(
            or_(*(and_(_t.c.level == level, _t.c.tile_index == index) for level, index in keys))
        )
    )
    return {TileId(int(level), int(index)): bytes.fromhex(data) for level, index, data in rows}


def integrate(connection: Connection, start: int, leaf_hashes: Sequence[bytes]) -> None:
    """Append ``leaf_hashes`` (raw 32-byte leaf hashes of leaves ``start, start+1, …``) to the
    tiles of a tree of ``start`` leaves, in the caller's transaction. Raises ``Conflict``
    when the tiles do not hold exactly ``start`` leaves, or when another transaction grew
    them meanwhile (the caller rolls back; nothing it wrote here survives)."""
    if not leaf_hashes:
        return
    held = tiled_size(connection)
    if held != start:
        raise Conflict(
            f"the tiles hold {held} leaves, not {start}: integrate from there",
            code="tiles_moved",
        )
    edges = read_tiles(connection, tiles.edge_tiles(start))
    for tile, data in tiles.grow(start, leaf_hashes, edges).items():
        width = len(data) // HASH_SIZE
        before = tiles.width_at(tile.level, tile.index, start)
        if before:
            result = connection.execute(
                update(_t)
                .where(_t.c.level == tile.level)
                .where(_t.c.tile_index == tile.index)
                .where(_t.c.width == before)
                .values(width=width, hashes=data.hex())
                .returning(_t.c.width)
            )
        else:
            result = connection.execute(
                insert_ignoring_duplicates(_t, connection, ("level", "tile_index")).returning(
                    _t.c.width
                ),
                {
                    "level": tile.level,
                    "tile_index": tile.index,
                    "width": width,
                    "hashes": data.hex(),
                },
            )
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT.
        if result.first() is None:
            raise Conflict(
                f"tile {tile.level}/{tile.index} grew meanwhile: another integration won",
                code="tiles_moved",
            )
