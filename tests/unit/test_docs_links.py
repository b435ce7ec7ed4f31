"""The README and the docs name only files a clone of this repository has: every relative
link resolves, and nothing points outside the repository (``../shared`` is not in a clone)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])

# [text](target) and [text]: target; the target up to a space or a closing parenthesis.
LINK = re.compile(r"\[[^\]]*\]\(\s*([^)\s]*)[^)]*\)|^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
OUTSIDE = re.compile(r"\bshared/")


def _links(text: str) -> list[str]:
    return [a or b for a, b in LINK.findall(FENCE.sub("", text))]


def _anchors(text: str) -> set[str]:
    """The ids GitHub gives a Markdown file's headings: lower case, punctuation dropped,
    spaces as hyphens, ``-1``, ``-2``… on repeats."""
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", FENCE.sub("", text), re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_documents_are_found() -> None:
    assert ROOT / "README.md" in DOCUMENTS
    assert ROOT / "docs" / "design.md" in DOCUMENTS


@pytest.mark.parametrize("document", DOCUMENTS, ids=_name)
def test_every_relative_link_names_a_file_of_the_repository(document: Path) -> None:
    broken = []
    for target in _links(document.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        resolved = (document.parent / path).resolve() if path else document
        if (
            not resolved.exists()
            or not resolved.is_relative_to(ROOT)
            or (
                anchor
                and resolved.suffix == ".md"
                and anchor not in _anchors(resolved.read_text(encoding="utf-8"))
            )
        ):
            broken.append(target)
    assert broken == [], f"{_name(document)} links to what a clone does not have: {broken}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=_name)
def test_nothing_points_outside_the_repository(document: Path) -> None:
    lines = document.read_text(encoding="utf-8").splitlines()
    outside = [f"{n}: {line}" for n, line in enumerate(lines, 1) if OUTSIDE.search(line)]
    assert outside == [], f"{_name(document)} names files outside the repository: {outside}"


def test_the_link_reader_finds_inline_and_reference_links_outside_code() -> None:
    text = "see [a](docs/a.md#x), [b](#anchor) and [u](https://x.example)\n[r]: e.md\n"
    text += "```\n[not](a-link.md)\n```\n"
    assert _links(text) == ["docs/a.md#x", "#anchor", "https://x.example", "e.md"]


def test_anchors_are_named_as_github_names_them() -> None:
    text = "# Qurb — the design\n## 1. Close\n## The `qurb-api` command\n## 1. Close\n"
    text += "```\n# a comment in a shell example\n```\n"
    assert _anchors(text) == {"qurb--the-design", "1-close", "the-qurb-api-command", "1-close-1"}
