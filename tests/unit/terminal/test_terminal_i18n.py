"""Languages: French by default, Arabic on request, catalogs complete and compiled."""

from __future__ import annotations

import gettext
import io
import shutil
from pathlib import Path

import pytest

from terminal_client import i18n
from terminal_client.i18n import (
    LANGUAGES,
    MESSAGE_IDS,
    PoEntry,
    PoError,
    format_po,
    mo_bytes,
    parse_po,
    placeholders,
    po_path,
    translator,
    used_message_ids,
)


def _catalog(lang: str) -> dict[str, PoEntry]:
    return {e.msgid: e for e in parse_po(po_path(lang).read_text(encoding="utf-8"))}


def test_french_is_the_default_and_arabic_is_offered() -> None:
    assert LANGUAGES == ("fr", "ar")


def test_labels_show_in_the_operators_language() -> None:
    assert translator("fr")("Amount") == "Montant"
    assert translator("ar")("Amount") == "المبلغ"
    assert translator("fr")("Provisional ticket — not yet confirmed by CNSS") == (
        "Ticket provisoire — pas encore confirmé par la CNSS"
    )


def test_a_language_we_do_not_ship_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language 'de'"):
        translator("de")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_committed_mo_is_compiled_from_its_po(lang: str) -> None:
    po = po_path(lang)
    assert po.with_suffix(".mo").read_bytes() == mo_bytes(parse_po(po.read_text("utf-8")))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalog_translates_every_message_the_terminal_shows(lang: str) -> None:
    catalog = _catalog(lang)
    untranslated = [m for m in used_message_ids() if m not in catalog or not catalog[m].msgstr]
    assert untranslated == []
    assert [m for m in used_message_ids() if catalog[m].fuzzy] == []
    # and the installed translator really answers with it
    assert all(translator(lang)(m) == catalog[m].msgstr for m in used_message_ids())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalog_holds_no_message_the_terminal_no_longer_shows(lang: str) -> None:
    assert set(_catalog(lang)) - {""} - set(used_message_ids()) == set()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders_the_code_fills_in(lang: str) -> None:
    catalog = _catalog(lang)
    changed = [m for m in used_message_ids() if placeholders(catalog[m].msgstr) != placeholders(m)]
    assert changed == []


def test_the_labels_the_cli_needs_are_all_listed() -> None:
    for label in ("Registration number", "Supervisor password", "Reverses receipt", "Net"):
        assert label in MESSAGE_IDS


def test_the_check_command_finds_the_catalogs_complete(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert i18n.main(["check"]) == 0
    assert capsys.readouterr().out == "catalogs are complete\n"


def test_the_compile_command_rewrites_a_stale_mo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(i18n.LOCALE_DIR, tmp_path / "locale")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    stale = po_path("fr").with_suffix(".mo")
    stale.write_bytes(b"")
    assert i18n.main(["compile"]) == 0
    assert (
        stale.read_bytes()
        == (i18n.PACKAGE_DIR / "locale/fr/LC_MESSAGES/qurb_terminal.mo").read_bytes()
    )


def test_the_update_command_adds_new_messages_and_keeps_translations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(i18n.LOCALE_DIR, tmp_path / "locale")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    monkeypatch.setattr(i18n, "MESSAGE_IDS", (*MESSAGE_IDS, "A brand new label"))
    assert i18n.main(["update", "fr", "es"]) == 0
    french = {e.msgid: e.msgstr for e in parse_po(po_path("fr").read_text("utf-8"))}
    assert french["A brand new label"] == ""
    assert french["Amount"] == "Montant"
    spanish = parse_po(po_path("es").read_text("utf-8"))
    assert "Language: es" in spanish[0].msgstr
    assert {e.msgid for e in spanish[1:]} == set(used_message_ids())
    problems = i18n.catalog_problems(("fr",))
    assert problems == ["fr: untranslated 'A brand new label'"]


def test_the_mo_writer_produces_what_stdlib_gettext_reads() -> None:
    entries = [
        PoEntry("", "Content-Type: text/plain; charset=UTF-8\n"),
        PoEntry("Amount", "Montant"),
        PoEntry("Paid", "المؤدى"),
        PoEntry("Fuzzy", "Flou", fuzzy=True),
        PoEntry("Untranslated", ""),
    ]
    catalog = gettext.GNUTranslations(io.BytesIO(mo_bytes(entries)))
    assert catalog.gettext("Amount") == "Montant"
    assert catalog.gettext("Paid") == "المؤدى"
    assert catalog.gettext("Fuzzy") == "Fuzzy"  # fuzzy translations are not shipped
    assert catalog.gettext("Untranslated") == "Untranslated"


def test_po_files_read_back_exactly_as_written() -> None:
    entries = [
        PoEntry("", "Language: fr\nContent-Type: text/plain; charset=UTF-8\n"),
        PoEntry('Say "hi"', "Dites « bonjour »"),
        PoEntry("Tab\there\\now", "Tab\tici\\maintenant"),
        PoEntry("Line one\nline two", "Ligne un\nligne deux", fuzzy=True),
    ]
    assert parse_po(format_po(entries)) == entries


def test_po_continuation_lines_and_comments_are_read() -> None:
    text = (
        "# translator comment\n#: cli.py:12\n"
        'msgid ""\n"Long "\n"message"\nmsgstr "Long"\n" message"\n'
    )
    assert parse_po(text) == [PoEntry("Long message", "Long message")]


@pytest.mark.parametrize(
    "text",
    [
        'msgid "a"\nmsgid_plural "as"\nmsgstr[0] "x"\n',
        'msgctxt "menu"\nmsgid "a"\nmsgstr "b"\n',
        'msgid "a"\n',
        'msgid "a"\nmsgstr "b"\n\nmsgid "a"\nmsgstr "c"\n',
        'msgid "a\\q"\nmsgstr "b"\n',
    ],
)
def test_po_syntax_this_reader_does_not_handle_is_refused(text: str) -> None:
    with pytest.raises(PoError):
        parse_po(text)


def test_marked_strings_are_found_wherever_the_code_translates(tmp_path: Path) -> None:
    (tmp_path / "screen.py").write_text(
        'x = N_("Marked")\n'
        'print(_("Translated"))\n'
        'ctx.say(ctx._("Through a context"))\n'
        'print("Not for translation")\n'
        "label = _(variable)\n",
        encoding="utf-8",
    )
    found = used_message_ids(tmp_path)
    assert found[:3] == ["Marked", "Translated", "Through a context"]
    assert "Not for translation" not in found
