"""The audit log read as C2SP tlog-tiles, from the service (``--url``: the paths under
``/v1/audit/``) or from an export directory laid out with the same paths (``--dir``), and
checked with the log key alone: a receipt's inclusion, the consistency of two checkpoints,
and the whole log (every entry hashed, every tile recomputed, the root compared with the
signed checkpoint's).

The checkpoint and the tiles (hashes) are public; the entry bundles (the leaves: terminals,
amounts, business days) are served to an auditor's admin token only, sent as a bearer token
with every request when one is given. A refusal of the entries stops the command with what
is missing (``PermissionError``), never with the token.

Nothing here trusts the source: a tile is only ever used to compute a hash that is then
checked against a signed root, and the whole-log check recomputes every tile from the
entries before comparing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from agent_api.protocol import merkle
from agent_api.protocol import tiles as tlog
from agent_api.protocol.checkpoint import Checkpoint, NoteVerifier, open_checkpoint
from agent_api.protocol.errors import ProtocolError
from agent_api.protocol.tiles import TILE_WIDTH, TileId
from auditor.deposits import check_deposits, concerns_deposits

PREFIX = "/v1/audit/"


class TileSource(Protocol):
    def get(self, path: str) -> bytes | None:
        """The resource at ``path`` (``checkpoint``, ``tile/…``), None when there is none."""

    def close(self) -> None: ...


NO_ENTRIES = "an auditor's token is needed for the entries (--token)"


def http_client(base_url: str, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=30)


_ENTRY_ID = re.compile(r"[0-9a-f]{32}")


class HttpSource:
    """The service's tlog-tiles paths: the tiles and checkpoint need nothing, the entry
    bundles an auditor's ``token``."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self._client = http_client(base_url, token)
        self._token = bool(token)

    def get(self, path: str) -> bytes | None:
        response = self._client.get(PREFIX + path)
        if response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise PermissionError(self._refused(path, response.status_code))
        response.raise_for_status()
        return response.content

    def _refused(self, path: str, status: int) -> str:
        """Why the service refused ``path``: what the auditor must give (never the token)."""
        if not self._token:
            return NO_ENTRIES if path.startswith("tile/entries/") else f"{path}: {status}"
        if status == 401:
            return f"the service refused the token given ({status}): {NO_ENTRIES}"
        return f"the token given is not an auditor's ({status}): {NO_ENTRIES}"

    def entry_index(self, entry: str) -> int | None:
        """Where the service says an entry is (``GET /v1/audit/entries/{entry}``, public);
        the caller checks it with the proof from the tiles."""
        response = self._client.get(f"/v1/audit/entries/{entry}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        index = response.json().get("index")
        return index if isinstance(index, int) else None

    def close(self) -> None:
        self._client.close()


class DirSource:
    """An export directory: ``checkpoint``, ``tile/<L>/<N>[.p/<W>]``, ``tile/entries/…``."""

    def __init__(self, root: Path) -> None:
        if not (root / "checkpoint").is_file():
            raise ValueError(f"{root} holds no checkpoint: not a tiles export")
        self._root = root

    def get(self, path: str) -> bytes | None:
        target = self._root / path
        if target.is_file():
            return target.read_bytes()
        # A partial tile kept only wider (a later checkpoint's): its prefix is the same.
        full, dot, width = path.rpartition(".p/")
        if dot and width.isdigit():
            wider = sorted(
                (int(p.name), p)
                for p in (self._root / f"{full}.p").glob("*")
                if p.name.isdigit() and int(p.name) >= int(width)
            )
            if wider:
                return wider[0][1].read_bytes()
        return None

    def close(self) -> None:
        pass


def source_of(url: str | None, directory: Path | None, token: str | None = None) -> TileSource:
    if url:
        return HttpSource(url, token)
    assert directory is not None
    return DirSource(directory)


def read_checkpoint(source: TileSource, trusted: list[NoteVerifier]) -> tuple[str, Checkpoint]:
    note = source.get("checkpoint")
    if note is None:
        raise ValueError("the source has no checkpoint")
    text = note.decode("utf-8")
    return text, open_checkpoint(text, trusted)


def fetch_tile(source: TileSource, level: int, index: int, width: int) -> bytes:
    """Tile ``level``/``index`` cut to ``width`` hashes: the partial tile, else the wider one
    the log keeps since (the spec's fallback). Raises ``ValueError`` when none holds it."""
    paths = [tlog.tile_path(level, index, width)]
    if width < TILE_WIDTH:
        paths.append(tlog.tile_path(level, index))
    for path in paths:
        data = source.get(path)
        if data is not None and len(data) >= width * merkle.HASH_SIZE:
            return data[: width * merkle.HASH_SIZE]
    raise ValueError(f"the source has no {paths[0]}")


def fetch_bundle(source: TileSource, index: int, width: int) -> list[bytes]:
    paths = [tlog.entries_path(index, width)]
    if width < TILE_WIDTH:
        paths.append(tlog.entries_path(index))
    for path in paths:
        data = source.get(path)
        if data is not None:
            entries = tlog.decode_bundle(data)
            if len(entries) >= width:
                return entries[:width]
    raise ValueError(f"the source has no {paths[0]}")


def tiles_for(source: TileSource, wanted: set[TileId], size: int) -> dict[TileId, bytes]:
    return {
        t: fetch_tile(source, t.level, t.index, tlog.width_at(t.level, t.index, size))
        for t in wanted
    }


def inclusion(source: TileSource, index: int, size: int) -> tuple[bytes, list[bytes]]:
    """The entry at ``index`` and its inclusion proof in the tree of ``size``, from tiles."""
    bundle = fetch_bundle(source, index // TILE_WIDTH, tlog.width_at(0, index // TILE_WIDTH, size))
    found = tiles_for(source, tlog.inclusion_tiles(index, size), size)
    return bundle[index % TILE_WIDTH], tlog.inclusion_proof(found, index, size)


def consistency(source: TileSource, old: int, new: int) -> list[bytes]:
    return tlog.consistency_proof(
        tiles_for(source, tlog.consistency_tiles(old, new), new), old, new
    )


@dataclass
class LogReport:
    findings: list[str] = field(default_factory=list)
    size: int = 0
    entries: int = 0
    tiles: int = 0
    deposits: int = 0  # deposit leaves checked (auditor.deposits)

    @property
    def clean(self) -> bool:
        return not self.findings


def verify_log(source: TileSource, trusted: list[NoteVerifier]) -> LogReport:
    """Recompute the whole log from its entry bundles: each entry names its own index,
    every tile at every level is what the entries make, and the root is the checkpoint's."""
    _, checkpoint = read_checkpoint(source, trusted)
    size = checkpoint.size
    report = LogReport(size=size)
    levels = _Levels(source, size, report)
    compact = merkle.CompactRange()
    deposits: list[tuple[int, dict[str, Any]]] = []
    for number in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        try:
            entries = fetch_bundle(source, number, tlog.width_at(0, number, size))
        except (ValueError, ProtocolError) as exc:
            report.findings.append(f"entries {number}: {exc}")
            return report
        for offset, entry in enumerate(entries):
            index = number * TILE_WIDTH + offset
            body = _check_entry(entry, index, report)
            if body is not None and concerns_deposits(body):
                deposits.append((index, body))
            digest = merkle.leaf_hash(entry)
            compact.append(digest)
            levels.push(0, digest)
        report.entries += len(entries)
    levels.finish()
    # The tiles hold no manifests: the slips' deposits are checked from an export.
    report.deposits = check_deposits(
        deposits, None, None, lambda where, what: report.findings.append(f"{where}: {what}")
    )
    if compact.root() != checkpoint.root_hash:
        report.findings.append(
            f"checkpoint {size}: its root is not the root of the entries "
            f"({compact.root().hex()} recomputed)"
        )
    return report


def _check_entry(entry: bytes, index: int, report: LogReport) -> dict[str, Any] | None:
    """A version 1 leaf names its own index; a version 2 leaf (sequenced in batches) an
    entry id, 32 hex digits. The leaf's content, when it is a JSON object."""
    try:
        body = json.loads(entry)
        version = body.get("v", 1)
    except (ValueError, AttributeError):
        report.findings.append(f"leaf {index}: not a JSON object")
        return None
    if version == 1:
        if body.get("index") != index:
            report.findings.append(f"leaf {index}: names index {body.get('index')}")
        return dict(body)
    named = body.get("entry")
    if not (isinstance(named, str) and _ENTRY_ID.fullmatch(named)):
        report.findings.append(f"leaf {index}: names no entry id ({named!r})")
    return dict(body)


def find_entry(source: TileSource, entry: str, size: int) -> int | None:
    """The index of the leaf that names ``entry`` among the first ``size``: by scanning the
    entry bundles (an export read offline has no index of entries)."""
    wanted = f'"entry":"{entry}"'.encode()
    for number in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        entries = fetch_bundle(source, number, tlog.width_at(0, number, size))
        for offset, data in enumerate(entries):
            if wanted in data and json.loads(data).get("entry") == entry:
                return number * TILE_WIDTH + offset
    return None


class _Levels:
    """The hashes of the tile being filled at each level, compared with the source's tile
    when full (and at the end, with the partial tiles the checkpoint's size makes)."""

    def __init__(self, source: TileSource, size: int, report: LogReport) -> None:
        self._source = source
        self._size = size
        self._report = report
        self._pending: list[list[bytes]] = []
        self._index: list[int] = []

    def push(self, level: int, digest: bytes) -> None:
        while len(self._pending) <= level:
            self._pending.append([])
            self._index.append(0)
        self._pending[level].append(digest)
        if len(self._pending[level]) == TILE_WIDTH:
            data = b"".join(self._pending[level])
            self._compare(level, self._index[level], data)
            self._pending[level] = []
            self._index[level] += 1
            self.push(level + 1, tlog.tile_root(data))

    def finish(self) -> None:
        for level, pending in enumerate(self._pending):
            if pending:
                self._compare(level, self._index[level], b"".join(pending))

    def _compare(self, level: int, index: int, expected: bytes) -> None:
        width = len(expected) // merkle.HASH_SIZE
        self._report.tiles += 1
        try:
            served = fetch_tile(self._source, level, index, width)
        except ValueError as exc:
            self._report.findings.append(f"tile {level}/{index}: {exc}")
            return
        if served != expected:
            first = next(
                k
                for k in range(width)
                if served[k * 32 : (k + 1) * 32] != expected[k * 32 : (k + 1) * 32]
            )
            self._report.findings.append(
                f"tile {level}/{index}: hash {first} is not what the entries make"
            )


def checkpoint_size(note: bytes) -> int:
    """The size line of a checkpoint note, unverified (the exporter copies, the verifier
    checks)."""
    lines = note.decode("utf-8").split("\n")
    if len(lines) < 3 or not lines[1].isdigit():
        raise ValueError("not a checkpoint note")
    return int(lines[1])


def every_path(size: int) -> Iterator[str]:
    """Every tile and entry bundle path of a tree of ``size`` leaves."""
    for tile, width in tlog.tiles_of(size):
        yield tlog.tile_path(tile.level, tile.index, width)
    for number in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        yield tlog.entries_path(number, tlog.width_at(0, number, size))


def entry_id(leaf: bytes) -> Any:
    """The entry id a version 2 leaf names (None for another)."""
    try:
        return json.loads(leaf).get("entry")
    except (ValueError, AttributeError):
        return None


def receipt_leaf(entry: bytes) -> Any:
    leaf = json.loads(entry)
    return (leaf.get("decision") or leaf).get("receipt")
