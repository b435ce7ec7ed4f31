"""The terminal speaks French by default and Arabic on request, through stdlib ``gettext``.

Message ids are English. Catalogs live in ``locale/<lang>/LC_MESSAGES/qurb_terminal.po``
with the compiled ``.mo`` committed next to them, so an installed terminal needs no build
step. Code marks a literal for translation with ``N_("…")`` (or calls ``_("…")``); the
scanner below finds those, and :data:`MESSAGE_IDS` lists the labels and prompts the CLI
translates by variable. Maintenance, without Babel or GNU gettext installed::

    python -m terminal_client.i18n update [LANG…]   # add new ids to the .po files
    python -m terminal_client.i18n compile          # write every .mo from its .po
    python -m terminal_client.i18n check            # missing translations, stale .mo
"""

from __future__ import annotations

import ast
import gettext
import string
import struct
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "MESSAGE_IDS",
    "N_",
    "PoEntry",
    "PoError",
    "catalog_problems",
    "format_po",
    "mo_bytes",
    "parse_po",
    "placeholders",
    "po_path",
    "translator",
    "used_message_ids",
]

DOMAIN = "qurb_terminal"
LANGUAGES = ("fr", "ar")  # the first is the default
PACKAGE_DIR = Path(__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "locale"

# Labels and prompts the CLI passes to the translator as variables (the scanner cannot see
# those); every other message is marked where it is written.
MESSAGE_IDS: tuple[str, ...] = (
    *("Registration number", "Amount", "Receipt", "Months credited", "Office", "Terminal"),
    *("Operator", "Signed at", "Recorded at", "Verify this receipt: scan the code"),
    "Queued: will be sent when the network is back",
    "Provisional ticket — not yet confirmed by CNSS",
    *("Password", "CIN", "Last name", "First name", "Date of birth (YYYY-MM-DD)", "Sex (F/M)"),
    *("Phone", "Address", "City", "Category", "Bracket", "Professional document number"),
    *("Coverage starts (YYYY-MM)", "Total due", "Month", "Due", "Paid", "Outstanding"),
    *("Rights", "open", "suspended", "waiting", "Supervisor username", "Supervisor password"),
    *("Reason", "Receipt verified: signature valid", "Receipt NOT valid", "Nothing queued"),
    *("queued writes", "Collections", "Reversals", "Net", "Enrollment", "Collection"),
    *("Reversal", "Certificate", "Worker", "Covered through", "Reverses receipt"),
)

_MO_MAGIC = 0x950412DE
_MARKERS = frozenset({"N_", "_", "gettext"})


def N_(message: str) -> str:  # noqa: N802 — the xgettext convention for "translate later"
    """Mark ``message`` for translation without translating it (it is translated when shown)."""
    return message


def translator(lang: str) -> Callable[[str], str]:
    """The ``gettext`` function of ``lang``; ``ValueError`` for a language we do not ship."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    return _catalog(lang).gettext


@cache
def _catalog(lang: str) -> gettext.NullTranslations:
    # fallback=False: a missing .mo is a packaging bug, not a reason to print English.
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang])


# -- catalogs: the subset of the PO format we write, and the GNU MO format -------------------


class PoError(ValueError):
    """A ``.po`` file uses syntax this reader does not accept."""


@dataclass(frozen=True)
class PoEntry:
    msgid: str
    msgstr: str
    fuzzy: bool = False


_ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "t": "\t"}


def _unquote(text: str, where: str) -> str:
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise PoError(f"{where}: expected a quoted string")
    out: list[str] = []
    chars = iter(text[1:-1])
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            if escaped not in _ESCAPES:
                raise PoError(f"{where}: unsupported escape \\{escaped}")
            out.append(_ESCAPES[escaped])
        elif char == '"':
            raise PoError(f"{where}: unescaped quote")
        else:
            out.append(char)
    return "".join(out)


def parse_po(text: str) -> list[PoEntry]:
    """Read singular, context-free entries; plural forms and ``msgctxt`` are refused."""
    entries: list[PoEntry] = []
    parts: dict[str, str] = {}
    field = ""
    fuzzy = False

    def flush() -> None:
        nonlocal fuzzy
        if not parts:
            return  # flags and comments may precede the msgid they belong to
        if "msgstr" not in parts:
            raise PoError(f"msgid {parts['msgid']!r} has no msgstr")
        if any(e.msgid == parts["msgid"] for e in entries):
            raise PoError(f"duplicate msgid {parts['msgid']!r}")
        entries.append(PoEntry(parts["msgid"], parts["msgstr"], fuzzy))
        parts.clear()
        fuzzy = False

    for number, raw in enumerate(text.splitlines(), start=1):
        line, where = raw.strip(), f"line {number}"
        if line.startswith("#,"):
            flush()
            fuzzy = "fuzzy" in line[2:].replace(",", " ").split()
        elif not line or line.startswith("#"):
            if not line:
                flush()
        elif line.startswith("msgid "):
            flush()
            field, parts["msgid"] = "msgid", _unquote(line[6:].strip(), where)
        elif line.startswith("msgstr ") and field == "msgid":
            field, parts["msgstr"] = "msgstr", _unquote(line[7:].strip(), where)
        elif line.startswith('"') and field in parts:
            parts[field] += _unquote(line, where)
        else:
            raise PoError(f"{where}: unsupported or misplaced {line.split()[0]!r}")
    flush()
    return entries


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    return '"' + escaped.replace("\n", "\\n") + '"'


def format_po(entries: Iterable[PoEntry]) -> str:
    """Write entries in PO syntax; a multi-line ``msgstr`` (the header) gets one line each."""
    blocks: list[str] = []
    for entry in entries:
        lines = ["#, fuzzy"] if entry.fuzzy else []
        lines.append(f"msgid {_quote(entry.msgid)}")
        if "\n" in entry.msgstr.rstrip("\n"):
            pieces = entry.msgstr.splitlines(keepends=True)
            lines += ['msgstr ""', *(_quote(p) for p in pieces)]
        else:
            lines.append(f"msgstr {_quote(entry.msgstr)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def mo_bytes(entries: Iterable[PoEntry]) -> bytes:
    """Compile to the GNU MO format (gettext manual §10.3), byte-for-byte reproducible.

    Like ``msgfmt``: fuzzy and untranslated entries are left out (so the English shows),
    ids are sorted so readers may binary-search, and no hash table is written (size 0).
    """
    pairs = sorted(
        (e.msgid.encode("utf-8"), e.msgstr.encode("utf-8"))
        for e in entries
        if e.msgstr and not e.fuzzy
    )
    count = len(pairs)
    ids_table = 7 * 4
    strs_table = ids_table + 8 * count
    offset = strs_table + 8 * count
    descriptors: list[bytes] = []
    for blob in [msgid for msgid, _ in pairs] + [msgstr for _, msgstr in pairs]:
        descriptors.append(struct.pack("<2I", len(blob), offset))
        offset += len(blob) + 1
    header = struct.pack("<7I", _MO_MAGIC, 0, count, ids_table, strs_table, 0, offset)
    data = b"".join(m + b"\0" for m, _ in pairs) + b"".join(s + b"\0" for _, s in pairs)
    return header + b"".join(descriptors) + data


def po_path(lang: str, locale_dir: Path | None = None) -> Path:
    return (locale_dir or LOCALE_DIR) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def placeholders(message: str) -> set[str]:
    """The ``str.format`` fields of ``message``: a translation must keep exactly these."""
    return {name for _, name, _, _ in string.Formatter().parse(message) if name is not None}


# -- which ids the code uses -------------------------------------------------------------------


def _marked_literals(path: Path) -> list[str]:
    found: list[tuple[int, int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func, first = node.func, node.args[0]
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in _MARKERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.append((node.lineno, node.col_offset, first.value))
    return [text for *_, text in sorted(found)]


def used_message_ids(package_dir: Path | None = None) -> list[str]:
    """Every id the terminal may show: marked literals in source order, then MESSAGE_IDS."""
    ids: dict[str, None] = {}
    for path in sorted((package_dir or PACKAGE_DIR).rglob("*.py")):
        ids.update(dict.fromkeys(_marked_literals(path)))
    ids.update(dict.fromkeys(MESSAGE_IDS))
    return list(ids)


def _header(lang: str) -> str:
    return (
        "Project-Id-Version: qurb-terminal\n"
        f"Language: {lang}\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: 8bit\n"
    )


def catalog_problems(
    languages: Sequence[str] = LANGUAGES, locale_dir: Path | None = None
) -> list[str]:
    """What ``check`` reports: untranslated, fuzzy, obsolete or mis-formatted entries, stale
    or missing ``.mo`` files. Empty when the catalogs are ready to ship."""
    used = used_message_ids()
    problems: list[str] = []
    for lang in languages:
        path = po_path(lang, locale_dir)
        if not path.exists():
            problems.append(f"{lang}: no catalog at {path}")
            continue
        entries = parse_po(path.read_text(encoding="utf-8"))
        by_id = {e.msgid: e for e in entries}
        for msgid in used:
            entry = by_id.get(msgid)
            if entry is None or not entry.msgstr:
                problems.append(f"{lang}: untranslated {msgid!r}")
            elif entry.fuzzy:
                problems.append(f"{lang}: fuzzy {msgid!r}")
            elif placeholders(entry.msgstr) != placeholders(msgid):
                problems.append(f"{lang}: {msgid!r} changes the {{placeholders}}")
        problems += [f"{lang}: obsolete {m!r}" for m in by_id.keys() - {"", *used}]
        mo = path.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != mo_bytes(entries):
            problems.append(f"{lang}: {mo.name} is out of date; run the compile command")
    return problems


def _update(lang: str) -> None:
    path = po_path(lang)
    old = {e.msgid: e for e in parse_po(path.read_text(encoding="utf-8"))} if path.exists() else {}
    header = old.get("", PoEntry("", _header(lang)))
    entries = [header, *(old.get(m, PoEntry(m, "")) for m in used_message_ids())]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(format_po(entries), encoding="utf-8")


def _compile_all() -> list[Path]:
    written = []
    for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        po.with_suffix(".mo").write_bytes(mo_bytes(parse_po(po.read_text(encoding="utf-8"))))
        written.append(po.with_suffix(".mo"))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args.pop(0) if args else ""
    if command == "compile":
        for mo in _compile_all():
            sys.stdout.write(f"wrote {mo.relative_to(LOCALE_DIR)}\n")
        return 0
    if command == "update":
        for lang in args or LANGUAGES:
            _update(lang)
            sys.stdout.write(f"updated {po_path(lang).relative_to(LOCALE_DIR)}\n")
        return 0
    if command == "check":
        problems = catalog_problems()
        sys.stdout.write("".join(f"{p}\n" for p in problems) or "catalogs are complete\n")
        return 1 if problems else 0
    sys.stderr.write("usage: python -m terminal_client.i18n compile | update [LANG…] | check\n")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
