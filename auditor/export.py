"""Exporting the audit log: leaves, checkpoints and the terminal key history, as one JSON
document an auditor keeps and verifies offline.

From a database (a copy the auditor was handed, read with plain SQL: the export trusts
nothing of the service's code), or from the service over HTTP with an auditor's token.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
from sqlalchemy import create_engine, text

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
            checkpoints = [
                {"size": int(size), "note": note}
                for size, note in c.execute(
                    text("SELECT size, note FROM audit_checkpoints ORDER BY size")
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
    finally:
        engine.dispose()
    return _document(start, leaves, checkpoints, keys, receipts)


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
        start, leaves, [{"size": c["size"], "note": c["note"]} for c in checkpoints], keys
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
