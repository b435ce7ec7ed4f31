"""Every word the operator reads is French or Arabic: the counter's main flows are run in both
languages against the real server with a catalog that records every message id it could not
translate, and the screens are read for English words and the service's field names."""

from __future__ import annotations

import gettext
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from terminal_client import i18n
from tests.e2e.conftest import E2E_PASSWORD, Server
from tests.support.counter import Counter, signed_in_counter
from tests.support.workers import this_month, worker_payload

# Words of the English messages a French or Arabic screen showed before (issue 15, item 16)
# and of the service's developer messages; none is a French word.
ENGLISH = re.compile(
    r"\b(the|is|are|be|should|every|paid|input|greater|than|cannot|digits|operator|must|"
    r"owed|nothing|will|which|your|more|this|that|has|have|unpaid|since|rights|open|due|"
    r"next|pay|to|of|in|through|type|amount|negative|worker|found)\b",
    re.IGNORECASE,
)
# A service field name such as registration_number or cin_masked (codes are capitals).
FIELD_NAME = re.compile(r"\b[a-z]+_[a-z_]+\b")


class RecordingCatalog:
    """The real catalog of a language, noting every id it has no translation for."""

    def __init__(self, real: gettext.NullTranslations, misses: set[str]) -> None:
        self._real = real
        self._known: dict[str, str] = getattr(real, "_catalog", {})
        self._misses = misses

    def gettext(self, message: str) -> str:
        if not self._known.get(message):
            self._misses.add(message)
        return self._real.gettext(message)


@pytest.fixture
def misses(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    found: set[str] = set()
    real = i18n._catalog
    monkeypatch.setattr(i18n, "_catalog", lambda lang: RecordingCatalog(real(lang), found))
    return found


@pytest.fixture
def counter(
    start_server: Callable[..., Server],
    database_url: str,
    key_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Counter:
    terminal, _ = signed_in_counter(
        start_server, database_url, key_dir, tmp_path, capsys, monkeypatch
    )
    return terminal


def _screens(counter: Counter, lang: str, tmp_path: Path) -> list[tuple[str, str]]:
    """(command, what it printed) for the operator's main flows, in ``lang``."""
    screens: list[tuple[str, str]] = []

    def run(*args: str, lines: tuple[str, ...] = ()) -> str:
        _, out, err = counter.answers("--lang", lang, *args, lines=list(lines))
        screens.append((" ".join(args), out + err))
        return out + err

    run("login", "op.cp-01", lines=(E2E_PASSWORD,))
    payload = tmp_path / "worker.json"
    payload.write_text(json.dumps(worker_payload(cin="BJ445566")))
    enrolled = run("enroll", "--from-json", str(payload))
    number = re.findall(r"\b[0-9]{10}\b", enrolled)[0]
    # An interactive enrollment with a mistake at each checked question.
    menu = run(
        "enroll",
        lines=("BE123456", "El Amrani", "Fatima", "1985-04-12", "F", "0612345678", "x", "Rabat"),
    )
    farmer = re.findall(r"\b(\d+)\. FARMER —", menu)[0]
    run(
        "enroll",
        lines=(
            "BE123456",
            "El Amrani",
            "Fatima",
            "1985-02-30",
            "1985-04-12",
            "F",
            "12345",
            "0612345678",
            "12 rue des Orangers",
            "0612345678",
            "Rabat",
            "PLUMBER",
            farmer,
            "2101-99",
            this_month(),
            "o",
            "enfant",
            "",
            "El Amrani",
            "Youssef",
            "2015-09-01",
            "M",
            "n",
            "n",
        ),
    )
    run("enroll", lines=("BJ445566", "1"))  # already enrolled: shown
    run("enroll", "--from-json", str(payload))  # already enrolled: refused
    run("find", number)
    run("find", "--cin", lines=("BJ445566",))
    run("quote", number)
    run("rights", number)
    for amount in ("abc", "-5", "0", "12,345"):
        run("pay", number, amount)
    run("pay", number, "100", lines=("n",))
    run("pay", number, "100", lines=("o",))
    run("pay", "--yes", number, "99999")  # more than is owed: refused by the service
    run("rights", number)
    run("certificate", number)
    run("certificate", number, "--kind", "payments")
    run("day")
    return screens


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_no_untranslated_message_reaches_the_screen(
    counter: Counter, misses: set[str], lang: str, tmp_path: Path
) -> None:
    screens = _screens(counter, lang, tmp_path)
    assert sorted(misses) == []
    english = {
        command: sorted(set(ENGLISH.findall(shown)) | set(FIELD_NAME.findall(shown)))
        for command, shown in screens
        if ENGLISH.search(shown) or FIELD_NAME.search(shown)
    }
    assert english == {}
    assert "Traceback" not in "".join(shown for _, shown in screens)
