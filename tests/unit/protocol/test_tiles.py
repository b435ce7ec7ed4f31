"""C2SP tlog-tiles: paths as the spec writes them, tiles grown in any batches equal to the
definition, and proofs from a handful of tiles byte for byte those of the whole tree."""

from __future__ import annotations

import random

import pytest

from agent_api.protocol import merkle, tiles
from agent_api.protocol.errors import ProofError
from agent_api.protocol.tiles import TileId, TilePath

SIZE = 65_537 + 300
LEAVES = [merkle.leaf_hash(i.to_bytes(8, "big")) for i in range(SIZE)]
BOUNDARIES = [1, 2, 255, 256, 257, 511, 65_535, 65_536, 65_537, SIZE]


@pytest.fixture(scope="module")
def grown() -> dict[TileId, bytes]:
    return tiles.grow(0, LEAVES, {})


def _at(all_tiles: dict[TileId, bytes], size: int) -> dict[TileId, bytes]:
    """The tiles of the tree at ``size``: each cut to its width then (a prefix)."""
    return {
        tile: all_tiles[tile][: width * merkle.HASH_SIZE] for tile, width in tiles.tiles_of(size)
    }


def test_paths_are_three_digit_groups_and_partial_tiles_name_their_width() -> None:
    assert tiles.encode_index(0) == "000"
    assert tiles.encode_index(67) == "067"
    assert tiles.encode_index(1000) == "x001/000"
    assert tiles.encode_index(1_234_067) == "x001/x234/067"
    assert tiles.tile_path(0, 1_234_067) == "tile/0/x001/x234/067"
    assert tiles.tile_path(1, 3, 17) == "tile/1/003.p/17"
    assert tiles.entries_path(5, 200) == "tile/entries/005.p/200"
    assert tiles.parse_tile_path("0/x001/x234/067") == TilePath(0, 1_234_067, 256)
    assert tiles.parse_tile_path("2/003.p/17") == TilePath(2, 3, 17)
    assert tiles.parse_tile_path("entries/x001/000.p/1") == TilePath(None, 1000, 1)
    for index in (0, 9, 999, 1000, 65_536, 2**40 + 7):
        assert tiles.parse_tile_path(f"0/{tiles.encode_index(index)}").index == index


@pytest.mark.parametrize(
    "path",
    [
        "00/000",  # a level with a leading zero
        "64/000",  # beyond the last level
        "-1/000",
        "0/0",  # not three digits
        "0/0000",
        "0/x000/001",  # a leading group of zeroes
        "0/001/002",  # all but the last group start with x
        "0/x001",  # the last group does not
        "0/000.p/0",
        "0/000.p/256",  # a full tile has no .p
        "0/000.p/07",
        "0/000.p/",
        "0/000.p",
        "0/000/",
        "0",
        "data/000",
        "0/x001/x002/x003/x004/x005/x006/x007/000",
    ],
)
def test_a_malformed_tile_path_is_refused(path: str) -> None:
    with pytest.raises(ValueError, match=r"level|index|width|tile path"):
        tiles.parse_tile_path(path)


def test_the_spec_examples_of_partial_tiles() -> None:
    widths = dict(tiles.tiles_of(70_000))
    full = [t for t, w in widths.items() if t.level == 0 and w == 256]
    assert len(full) == 273
    assert widths[TileId(0, 273)] == 112
    assert widths[TileId(1, 0)] == 256
    assert widths[TileId(1, 1)] == 17
    assert widths[TileId(2, 0)] == 1
    assert len(widths) == 273 + 4
    assert dict(tiles.tiles_of(256)) == {TileId(0, 0): 256, TileId(1, 0): 1}
    assert tiles.edge_tiles(256) == [TileId(1, 0)]
    assert tiles.edge_tiles(70_000) == [TileId(0, 273), TileId(1, 1), TileId(2, 0)]


def test_every_tile_hash_is_the_merkle_tree_hash_the_spec_defines(
    grown: dict[TileId, bytes],
) -> None:
    assert {t: len(d) // 32 for t, d in grown.items()} == dict(tiles.tiles_of(SIZE))
    for tile, data in grown.items():
        span = 256**tile.level
        width = len(data) // 32
        rng = random.Random(tile.index)  # noqa: S311 (test data)
        for i in rng.sample(range(width), min(width, 3)):
            first = (tile.index * 256 + i) * span
            expected = merkle.root(LEAVES[first : first + span])
            assert data[i * 32 : (i + 1) * 32] == expected


def test_tiles_grown_in_batches_of_any_size_equal_tiles_grown_at_once(
    grown: dict[TileId, bytes],
) -> None:
    stored: dict[TileId, bytes] = {}
    rng = random.Random(7)  # noqa: S311 (test data)
    size = 0
    while size < SIZE:
        batch = LEAVES[size : size + rng.choice([1, 3, 255, 256, 257, 5000])]
        edges = {t: stored[t] for t in tiles.edge_tiles(size)}
        stored.update(tiles.grow(size, batch, edges))
        size += len(batch)
    assert stored == grown


def test_growing_from_a_tile_narrower_than_the_tree_is_refused() -> None:
    stored = tiles.grow(0, LEAVES[:300], {})
    with pytest.raises(ValueError, match="narrower"):
        tiles.grow(300, LEAVES[300:301], {TileId(0, 1): stored[TileId(0, 1)][:32]})


@pytest.mark.parametrize("size", BOUNDARIES)
def test_proofs_from_a_few_tiles_are_the_proofs_of_the_whole_tree(
    grown: dict[TileId, bytes], size: int
) -> None:
    at = _at(grown, size)
    rng = random.Random(size)  # noqa: S311 (test data)
    indexes = {0, size - 1, size // 2, *rng.sample(range(size), min(size, 4))}
    for index in indexes:
        needed = tiles.inclusion_tiles(index, size)
        assert len(needed) <= 8  # O(log n): a few tiles per level, three levels here
        proof = tiles.inclusion_proof({t: at[t] for t in needed}, index, size)
        assert proof == merkle.inclusion_proof(LEAVES[:size], index)
    olds = {1, 255, 256, 257, size // 3 or 1, size - 1 or 1, size}
    for old in sorted(o for o in olds if o <= size):
        needed = tiles.consistency_tiles(old, size)
        assert len(needed) <= 10
        proof = tiles.consistency_proof({t: at[t] for t in needed}, old, size)
        assert proof == merkle.consistency_proof(LEAVES[:size], old)
    assert tiles.root({t: at[t] for t in tiles.root_tiles(size)}, size) == merkle.root(
        LEAVES[:size]
    )


def test_a_missing_or_short_tile_is_a_proof_error_not_a_wrong_proof(
    grown: dict[TileId, bytes],
) -> None:
    at = _at(grown, 1000)
    needed = tiles.inclusion_tiles(999, 1000)
    with pytest.raises(ProofError, match="missing"):
        tiles.inclusion_proof({}, 999, 1000)
    short = {t: at[t][:32] for t in needed}
    with pytest.raises(ProofError, match="too short"):
        tiles.inclusion_proof(short, 999, 1000)


def test_entry_bundles_are_uint16_length_prefixed_entries() -> None:
    entries = [b"", b"a", "é".encode(), b"x" * 65_535]
    bundle = tiles.encode_bundle(entries)
    assert bundle[:5] == b"\x00\x00\x00\x01a"
    assert tiles.decode_bundle(bundle) == entries
    with pytest.raises(ValueError, match="65536 bytes"):
        tiles.encode_bundle([b"x" * 65_536])
    with pytest.raises(ProofError):
        tiles.decode_bundle(b"\x00\x05abc")
    with pytest.raises(ProofError):
        tiles.decode_bundle(b"\x00")
