"""The Merkle tree as C2SP tlog-tiles: tile arithmetic, paths, entry bundles, and proofs
computed from tiles. Pure: no I/O; the server reads tiles from its database, ``qurb-audit``
over HTTP or from an export directory, and both hand them to the same functions here.

A tile at level ``L`` and index ``N`` holds up to 256 consecutive hashes of the tree at
height ``8·L``: at level 0 the leaf hashes ``N·256 …``, at level 1 the roots of the full
level-0 tiles, and so on. The levels in between are not stored: a node at height
``8·L + r`` is the root of ``2^r`` consecutive hashes of one level-``L`` tile. A tile of
fewer than 256 hashes is *partial* (the right edge of the tree) and never feeds the level
above. Any hash an RFC 9162 proof needs is the Merkle Tree Hash of a range that splits into
perfect subtrees, so a proof reads at most a few tiles per level: O(log n) tiles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from . import merkle
from .errors import ProofError

__all__ = [
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "TileId",
    "TilePath",
    "compact_range",
    "consistency_proof",
    "consistency_tiles",
    "decode_bundle",
    "edge_tiles",
    "encode_bundle",
    "encode_index",
    "entries_path",
    "grow",
    "inclusion_proof",
    "inclusion_tiles",
    "parse_tile_path",
    "range_hash",
    "root",
    "root_tiles",
    "tile_path",
    "tiles_of",
    "width_at",
]

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
TILE_BYTES = TILE_WIDTH * merkle.HASH_SIZE
MAX_LEVEL = 63
# An entry bundle prefixes each entry with its length as a big-endian uint16.
MAX_ENTRY_BYTES = 0xFFFF


@dataclass(frozen=True, order=True)
class TileId:
    """A tile's place: its level and its index within the level (its width is the tree's)."""

    level: int
    index: int


@dataclass(frozen=True)
class TilePath:
    """A parsed ``tile/…`` path: ``level`` None for an entry bundle; ``width`` 256 when full."""

    level: int | None
    index: int
    width: int

    @property
    def partial(self) -> bool:
        return self.width < TILE_WIDTH


def width_at(level: int, index: int, size: int) -> int:
    """How many hashes tile (``level``, ``index``) holds in a tree of ``size`` leaves: 256
    when full, 0 when the tree does not reach it. The same for the entry bundle ``index``
    (level 0)."""
    hashes = size >> (TILE_HEIGHT * level)
    return max(0, min(TILE_WIDTH, hashes - index * TILE_WIDTH))


def tiles_of(size: int) -> Iterator[tuple[TileId, int]]:
    """Every tile of a tree of ``size`` leaves with its width, level by level."""
    level = 0
    while size >> (TILE_HEIGHT * level):
        count = size >> (TILE_HEIGHT * level)
        for index in range((count + TILE_WIDTH - 1) // TILE_WIDTH):
            yield TileId(level, index), width_at(level, index, size)
        level += 1


def edge_tiles(size: int) -> list[TileId]:
    """The partial tile of each level of a tree of ``size`` leaves: what grows next."""
    edges = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        count = size >> (TILE_HEIGHT * level)
        if count % TILE_WIDTH:
            edges.append(TileId(level, count // TILE_WIDTH))
        level += 1
    return edges


# --- paths -------------------------------------------------------------------------------

_GROUP = re.compile(r"x[0-9]{3}")
_LAST = re.compile(r"[0-9]{3}")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,2}")


def encode_index(index: int) -> str:
    """``1234067`` → ``x001/x234/067``: three-digit path elements, all but the last ``x``."""
    if index < 0:
        raise ValueError("a tile index is not negative")
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[k : k + 3] for k in range(0, len(digits), 3)]
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """``tile/<L>/<N>[.p/<W>]``."""
    suffix = f".p/{width}" if width < TILE_WIDTH else ""
    return f"tile/{level}/{encode_index(index)}{suffix}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    """``tile/entries/<N>[.p/<W>]``."""
    suffix = f".p/{width}" if width < TILE_WIDTH else ""
    return f"tile/entries/{encode_index(index)}{suffix}"


def parse_tile_path(path: str) -> TilePath:
    """Parse ``<L>/<N>[.p/<W>]`` or ``entries/<N>[.p/<W>]`` (what follows ``tile/``),
    strictly as the spec writes them: no leading zeroes, no empty element, widths 1..255.
    Raises ``ValueError`` naming what is wrong."""
    parts = path.split("/")
    if len(parts) < 2:
        raise ValueError("a tile path is <level>/<index>[.p/<width>]")
    head, rest = parts[0], parts[1:]
    level: int | None
    if head == "entries":
        level = None
    elif _DECIMAL.fullmatch(head) and int(head) <= MAX_LEVEL:
        level = int(head)
    else:
        raise ValueError(f"the level is a decimal number from 0 to {MAX_LEVEL}")
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        text = rest[-1]
        if not _DECIMAL.fullmatch(text) or not 1 <= int(text) < TILE_WIDTH:
            raise ValueError("a partial tile's width is a decimal number from 1 to 255")
        width = int(text)
        rest = [*rest[:-2], rest[-2][:-2]]
    if len(rest) > 7:  # 2^64 has 20 digits: 7 groups
        raise ValueError("the tile index is too large")
    *groups, last = rest
    if not all(_GROUP.fullmatch(g) for g in groups) or not _LAST.fullmatch(last):
        raise ValueError("the tile index is three-digit groups, all but the last after an x")
    digits = "".join(g[1:] for g in groups) + last
    if groups and groups[0] == "x000":
        raise ValueError("the tile index has a leading group of zeroes")
    index = int(digits)
    if index >= 1 << 63:
        raise ValueError("the tile index is too large")
    return TilePath(level, index, width)


# --- entry bundles -----------------------------------------------------------------------


def encode_bundle(entries: Iterable[bytes]) -> bytes:
    """Each entry prefixed with its length, big-endian uint16."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY_BYTES:
            raise ValueError(f"an entry of {len(entry)} bytes does not fit an entry bundle")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    entries = []
    at = 0
    while at < len(data):
        if at + 2 > len(data):
            raise ProofError("the entry bundle ends inside a length")
        length = int.from_bytes(data[at : at + 2], "big")
        at += 2
        if at + length > len(data):
            raise ProofError("the entry bundle ends inside an entry")
        entries.append(data[at : at + length])
        at += length
    return entries


# --- hashes from tiles -------------------------------------------------------------------

Tiles = Mapping[TileId, bytes]


def _perfect(lo: int, hi: int) -> Iterator[tuple[int, int]]:
    """The perfect subtrees (height, index) covering ``[lo, hi)``, left to right."""
    while lo < hi:
        height = (hi - lo).bit_length() - 1
        while lo & ((1 << height) - 1):
            height -= 1
        yield height, lo >> height
        lo += 1 << height


def _place(height: int, index: int) -> tuple[TileId, int, int]:
    """Where node (height, index) comes from: a tile and the run of its hashes it roots."""
    level, rest = divmod(height, TILE_HEIGHT)
    first = index << rest
    return TileId(level, first >> TILE_HEIGHT), first % TILE_WIDTH, 1 << rest


def _range_tiles(lo: int, hi: int) -> set[TileId]:
    return {_place(h, k)[0] for h, k in _perfect(lo, hi)}


def _fold(hashes: list[bytes]) -> bytes:
    """The root of a perfect subtree, given its 2^k hashes left to right."""
    node = merkle.node_hash
    while len(hashes) > 1:
        hashes = [node(left, right) for left, right in zip(hashes[::2], hashes[1::2], strict=True)]
    return hashes[0]


def _node(tiles: Tiles, height: int, index: int) -> bytes:
    tile, start, count = _place(height, index)
    data = tiles.get(tile)
    if data is None:
        raise ProofError(f"tile {tile.level}/{tile.index} is missing")
    if len(data) < (start + count) * merkle.HASH_SIZE:
        raise ProofError(f"tile {tile.level}/{tile.index} is too short for this tree")
    size = merkle.HASH_SIZE
    return _fold([data[k * size : (k + 1) * size] for k in range(start, start + count)])


def range_hash(tiles: Tiles, lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) from tiles, for a range that starts at a multiple of the largest power of
    two not above its length (every range a proof or a root asks for)."""
    nodes = [_node(tiles, h, k) for h, k in _perfect(lo, hi)]
    result = nodes[-1]
    for left in reversed(nodes[:-1]):
        result = merkle.node_hash(left, result)
    return result


def root_tiles(size: int) -> set[TileId]:
    return _range_tiles(0, size) if size else set()


def root(tiles: Tiles, size: int) -> bytes:
    """The tree's root at ``size`` from tiles."""
    return range_hash(tiles, 0, size) if size else merkle.EMPTY_ROOT


def compact_range(tiles: Tiles, size: int) -> merkle.CompactRange:
    """The frontier of the tree at ``size`` (``merkle.CompactRange``), from ``root_tiles``:
    where appending resumes."""
    return merkle.CompactRange(size, [_node(tiles, h, k) for h, k in _perfect(0, size)])


def inclusion_tiles(index: int, size: int) -> set[TileId]:
    """The tiles an inclusion proof of leaf ``index`` in a tree of ``size`` needs."""
    return {t for lo, hi in merkle.inclusion_ranges(index, size) for t in _range_tiles(lo, hi)}


def inclusion_proof(tiles: Tiles, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, from the tiles of ``inclusion_tiles``."""
    return [range_hash(tiles, lo, hi) for lo, hi in merkle.inclusion_ranges(index, size)]


def consistency_tiles(old_size: int, size: int) -> set[TileId]:
    return {t for lo, hi in merkle.consistency_ranges(old_size, size) for t in _range_tiles(lo, hi)}


def consistency_proof(tiles: Tiles, old_size: int, size: int) -> list[bytes]:
    """PROOF(old_size, D[size]) of RFC 9162 §2.1.4.1, from the tiles of
    ``consistency_tiles``."""
    return [range_hash(tiles, lo, hi) for lo, hi in merkle.consistency_ranges(old_size, size)]


def tile_root(data: bytes) -> bytes:
    """The root of a full tile: the hash it contributes to the level above."""
    if len(data) != TILE_BYTES:
        raise ValueError("only a full tile has a root in the level above")
    size = merkle.HASH_SIZE
    return _fold([data[k : k + size] for k in range(0, len(data), size)])


# --- growing -----------------------------------------------------------------------------


def grow(start: int, leaf_hashes: Sequence[bytes], edges: Tiles) -> dict[TileId, bytes]:
    """The tiles a tree of ``start`` leaves changes when ``leaf_hashes`` are appended: every
    tile touched, with its whole new content. ``edges`` holds the tree's partial tiles
    (``edge_tiles(start)``), at least as wide as the tree makes them (only that prefix is
    used: the caller that stores tiles checks nobody grew them meanwhile)."""
    changed: dict[TileId, bytes] = {}
    size = merkle.HASH_SIZE
    level, position, hashes = 0, start, list(leaf_hashes)
    while hashes:
        for value in hashes:
            if len(value) != size:
                raise ValueError(f"hashes are {size} bytes")
        index, offset = divmod(position, TILE_WIDTH)
        pieces: list[bytes] = []
        if offset:
            current = edges.get(TileId(level, index), b"")
            if len(current) < offset * size:
                raise ValueError(f"tile {level}/{index} is missing or narrower than the tree")
            pieces.append(current[: offset * size])
        filled = offset
        above: list[bytes] = []
        for value in hashes:
            pieces.append(value)
            filled += 1
            if filled == TILE_WIDTH:
                data = b"".join(pieces)
                changed[TileId(level, index)] = data
                above.append(tile_root(data))
                index, pieces, filled = index + 1, [], 0
        if filled:
            changed[TileId(level, index)] = b"".join(pieces)
        level, position, hashes = level + 1, position // TILE_WIDTH, above
    return changed
