"""docs/signed-documents.md read as data: per document, the claims it lists; and a signed
document's payload flattened into the same claim names (``months[].month``, ``totals.net``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "signed-documents.md"
SETTLEMENT_TYPE = "qurb-settlement+jwt"
# "## `collection`: a collection receipt" opens the table of the document `collection`.
_SECTION = re.compile(r"^## `([a-z:_]+)`", re.M)
_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|(.*)\|\s*$")


def documented_rows(text: str | None = None) -> dict[str, list[tuple[str, list[str]]]]:
    """Each document's rows: the claim's name and its other cells (type, meaning, example)."""
    doc = DOC_PATH.read_text(encoding="utf-8") if text is None else text
    found: dict[str, list[tuple[str, list[str]]]] = {}
    marks = list(_SECTION.finditer(doc))
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(doc)
        rows = []
        for line in doc[mark.end() : end].splitlines():
            row = _ROW.match(line)
            if row is not None:
                rows.append((row.group(1), [cell.strip() for cell in row.group(2).split("|")]))
        found[mark.group(1)] = rows
    return found


def documented_claims() -> dict[str, set[str]]:
    return {key: {name for name, _ in rows} for key, rows in documented_rows().items()}


def document_key(header: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    """Which of the doc's documents a signed payload is."""
    if header.get("typ") == SETTLEMENT_TYPE:
        return "settlement"
    if payload.get("kind") == "certificate":
        return f"certificate:{payload['certificate']}"
    return str(payload["kind"])


def paths_of(payload: Mapping[str, Any], prefix: str = "") -> set[str]:
    """Every claim name in ``payload``: nested objects as ``a.b``, lists of objects as
    ``a[].b`` (the list itself is named too)."""
    paths: set[str] = set()
    for key, value in payload.items():
        name = f"{prefix}{key}"
        paths.add(name)
        if isinstance(value, Mapping):
            paths |= paths_of(value, f"{name}.")
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Mapping):
                    paths |= paths_of(item, f"{name}[].")
    return paths
