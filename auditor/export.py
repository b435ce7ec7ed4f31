"""Exporting the audit log: leaves, checkpoints and the terminal key history, as one JSON
document an auditor keeps and verifies offline.

From a database (a copy the auditor was handed, read with plain SQL: the export trusts
nothing of the service's code), or from the service over HTTP with an auditor's token. Either
way each checkpoint's note carries the witnesses' cosignatures the log kept for it (table
``audit_cosignatures``) as extra signature lines, the text ``GET /v1/audit/checkpoints``
serves, so that ``verify --quorum`` can hold an export from a database to them too.

The log can also be exported as C2SP tlog-tiles, a directory with the paths the service
serves under ``/v1/audit/`` (``tiles_from_service``, ``tiles_from_database``), which
``qurb-audit verify-tiles --dir`` checks as it would the service itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Connection, create_engine, inspect, text

from agent_api.protocol import merkle
from agent_api.protocol import tiles as tlog
from agent_api.protocol.checkpoint import add_signature_lines
from agent_api.protocol.tiles import TILE_WIDTH
from auditor import tile_log

EXPORT_FORMAT = "qurb-audit-export/1"
PAGE = 1000


def from_database(url: str, *, start: int = 0, end: int | None = None) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            upper = end if end is not None else 2**62
            leaves = [
                {"index": int(i), "kind": k, "data": d, "leaf_hash": h}
                for i, k, d, h in c.execute(
                    text(
                        "SELECT leaf_index, kind, data, leaf_hash FROM audit_leaves"
                        " WHERE leaf_index >= :s AND leaf_index < :e ORDER BY leaf_index"
                    ),
                    {"s": start, "e": upper},
                )
            ]
            cosigned = _cosignatures(c)
            checkpoints = [
                {
                    "size": int(size),
                    "note": _with_cosignatures(note, cosigned.get(int(size))),
                    "signed_at": _iso(signed_at),
                }
                for size, note, signed_at in c.execute(
                    text("SELECT size, note, signed_at FROM audit_checkpoints ORDER BY size")
                )
            ]
            keys = [
                {
                    "terminal_id": int(t),
                    "keyid": k,
                    "public_key": p,
                    "status": s,
                    "created_at": _iso(created),
                    "retired_at": _iso(retired),
                }
                for t, k, p, s, created, retired in c.execute(
                    text(
                        "SELECT terminal_id, keyid, public_key, status, created_at, retired_at"
                        " FROM terminal_keys ORDER BY id"
                    )
                )
            ]
            receipts = [
                {"number": number, "jws": jws}
                for number, jws in c.execute(
                    text("SELECT number, jws FROM receipts WHERE number IS NOT NULL ORDER BY id")
                )
            ]
            transmittals = _manifests(c)
    finally:
        engine.dispose()
    return {**_document(start, leaves, checkpoints, keys, receipts), "transmittals": transmittals}


def _manifests(c: Connection) -> list[dict[str, str]]:
    """Each transmittal slip's signed manifest, which lists its deposits (its leaf holds only
    the manifest's digest); none from a database older than the deposits."""
    if not inspect(c).has_table("transmittals"):
        return []
    rows = c.execute(
        text("SELECT number, manifest FROM transmittals WHERE number IS NOT NULL ORDER BY id")
    )
    return [{"number": str(number), "manifest": str(manifest)} for number, manifest in rows]


def _cosignatures(c: Connection) -> dict[int, list[str]]:
    """The cosignature lines kept for each checkpoint size, in the order the service appends
    them (by witness); none from a database older than the witnesses' table."""
    if not inspect(c).has_table("audit_cosignatures"):
        return {}
    lines: dict[int, list[str]] = {}
    rows = c.execute(text("SELECT size, line FROM audit_cosignatures ORDER BY size, witness"))
    for size, line in rows:
        lines.setdefault(int(size), []).append(str(line))
    return lines


def _with_cosignatures(note: str, lines: list[str] | None) -> str:
    """The note as the service serves it: its cosignatures after the log's own signature."""
    return add_signature_lines(note, lines) if lines else note


def from_service(
    base_url: str, token: str, *, start: int = 0, end: int | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        checkpoints = _get(client, "/v1/audit/checkpoints")["items"]
        size = max((c["size"] for c in checkpoints), default=0)
        upper = size if end is None else min(end, size)
        leaves = [leaf for page in _pages(client, start, upper) for leaf in page]
        keys = _get(client, "/v1/audit/terminal-keys")["items"]
    return _document(
        start,
        leaves,
        [{"size": c["size"], "note": c["note"], "signed_at": c["signed_at"]} for c in checkpoints],
        keys,
    )


def _pages(client: httpx.Client, start: int, end: int) -> Iterator[list[dict[str, Any]]]:
    for lo in range(start, end, PAGE):
        hi = min(end, lo + PAGE)
        items = _get(client, f"/v1/audit/leaves?start={lo}&end={hi}")["items"]
        yield [
            {"index": i["index"], "kind": i["kind"], "data": i["data"], "leaf_hash": i["leaf_hash"]}
            for i in items
        ]


def _get(client: httpx.Client, path: str) -> Any:
    response = client.get(path)
    response.raise_for_status()
    return response.json()


def _document(
    start: int,
    leaves: list[dict[str, Any]],
    checkpoints: list[dict[str, Any]],
    keys: list[dict[str, Any]],
    receipts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "format": EXPORT_FORMAT,
        "start": start,
        "leaves": leaves,
        "checkpoints": checkpoints,
        "terminal_keys": keys,
        "receipts": receipts or [],
    }


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def dump(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


# --- the tiles layout ----------------------------------------------------------------------


def tiles_from_service(base_url: str, output: Path, token: str | None = None) -> int:
    """Copy the log's tiles (C2SP tlog-tiles) into ``output``, at the paths the service
    serves them under ``/v1/audit/``: ``checkpoint``, ``tile/<L>/<N>[.p/<W>]`` and
    ``tile/entries/<N>[.p/<W>]``. The checkpoint and tiles are public, the entry bundles need
    an auditor's ``token`` (``PermissionError`` before anything is written without one that
    the service accepts). The tree size copied."""
    source = tile_log.HttpSource(base_url, token)
    try:
        note = source.get("checkpoint")
        if note is None:
            raise ValueError(f"{base_url} serves no checkpoint")
        size = tile_log.checkpoint_size(note)
        if size:
            source.get(tlog.entries_path(0, tlog.width_at(0, 0, size)))  # the token, first
        for path in tile_log.every_path(size):
            data = source.get(path)
            if data is None:
                raise ValueError(f"{base_url} does not serve {path} of its own checkpoint")
            _write(output, path, data)
    finally:
        source.close()
    _write(output, "checkpoint", note)
    return size


def tiles_from_database(url: str, output: Path) -> int:
    """The same layout from a copy of the database, read with plain SQL, up to its latest
    checkpoint (whose tiles the service built when it signed it), its note cosigned as the
    service serves it."""
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            note = c.execute(
                text("SELECT note FROM audit_checkpoints ORDER BY size DESC LIMIT 1")
            ).scalar()
            if note is None:
                raise ValueError("the database holds no checkpoint")
            size = tile_log.checkpoint_size(note.encode())
            note = _with_cosignatures(note, _cosignatures(c).get(size))
            rows = c.execution_options(yield_per=500).execute(
                text("SELECT level, tile_index, hashes FROM audit_tiles")
            )
            for level, index, hashes in rows:
                width = tlog.width_at(int(level), int(index), size)
                if width:
                    data = bytes.fromhex(hashes)[: width * merkle.HASH_SIZE]
                    _write(output, tlog.tile_path(int(level), int(index), width), data)
            leaves = c.execution_options(yield_per=TILE_WIDTH * 8).execute(
                text("SELECT data FROM audit_leaves WHERE leaf_index < :n ORDER BY leaf_index"),
                {"n": size},
            )
            bundle: list[bytes] = []
            number = 0
            for (data,) in leaves:
                bundle.append(str(data).encode())
                if len(bundle) == TILE_WIDTH:
                    _write(output, tlog.entries_path(number), tlog.encode_bundle(bundle))
                    bundle, number = [], number + 1
            if bundle:
                path = tlog.entries_path(number, len(bundle))
                _write(output, path, tlog.encode_bundle(bundle))
    finally:
        engine.dispose()
    _write(output, "checkpoint", note.encode())
    return size


def _write(root: Path, path: str, data: bytes) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
