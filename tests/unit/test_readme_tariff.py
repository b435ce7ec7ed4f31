"""The categories and brackets the README tells an operator to type are the seeded tariff's:
a code the service would refuse, or one it offers that the README leaves out, fails here."""

from __future__ import annotations

import re
from pathlib import Path

from agent_api.domain.tariff import SEED_CATEGORIES

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_table() -> dict[str, tuple[list[str], str]]:
    section = README.read_text(encoding="utf-8").split("### Categories and brackets", 1)[1]
    rows: dict[str, tuple[list[str], str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = (re.findall(r"`([A-Z0-9_]+)`", cells[2]), cells[3])
        elif rows and not line.startswith("|"):
            break
    return rows


def test_the_readme_lists_every_seeded_category_with_its_brackets_and_document() -> None:
    expected = {
        c.code: ([b.code for b in c.brackets], c.document_label or "none") for c in SEED_CATEGORIES
    }
    assert _readme_table() == expected
