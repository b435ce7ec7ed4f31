"""Enrolling at the counter, against the real server: each answer is checked as it is typed,
categories and brackets are a menu from the tariff, a farmer is asked for no document, and a
CIN already enrolled stops at once with the registration number it has."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import Server
from tests.support.counter import Counter, enroll_from_json, signed_in_counter
from tests.support.workers import this_month, worker_payload


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


def _menu_number(out: str, code: str) -> str:
    found = re.search(rf"\b(\d+)\. {code} —", out)
    assert found, f"{code} is not in the menu:\n{out}"
    return found[1]


def _registration_number(out: str) -> str:
    found = re.search(r"(?:Registration number|N° d'immatriculation)[^:]*: ([0-9]{10})", out)
    assert found, out
    return found[1]


def _menus(terminal: Counter) -> str:
    """The category menu as the terminal prints it (an enrollment stopped at that question)."""
    _, out, _ = terminal.answers(
        "enroll",
        lines=[
            "BX10001",
            "Bennani",
            "Karim",
            "1980-01-20",
            "M",
            "0661223344",
            "3 rue Fes",
            "Fes",
        ],
    )
    return out


def test_each_answer_is_checked_as_it_is_typed_and_asked_again_with_the_reason(
    counter: Counter,
) -> None:
    menu = _menus(counter)
    artisan = _menu_number(menu, "ARTISAN")
    answers = [
        "BE123456",
        "El Amrani",
        "Fatima",
        "1985-02-30",  # no 30 February: asked again at once
        "1985-04-12",
        "F",
        "12345",  # not a phone number: asked again at once
        "0612345678",
        "12 rue des Orangers",
        "0612345678",  # a phone number typed as the city: asked again
        "Rabat",
        "PLUMBER",  # not a category of the tariff: asked again
        artisan,
        "ART-2023-0042",
        this_month(),
        "n",
    ]
    code, out, err = counter.answers("enroll", lines=answers)
    assert code == 0, err + out
    # (the questions are printed without a newline when the answers are piped)
    problems = ["✘ " + p for p in re.findall(r"✘ ([^\n]*)", out)]
    assert problems == [
        "✘ Cette date n'existe pas dans le calendrier : vérifiez le jour et le mois.",
        "✘ Tapez un numéro de téléphone marocain : 06…, 07…, 05… ou +212…, "
        "10 chiffres en comptant le 0.",
        "✘ Ceci ressemble à un numéro de téléphone, pas à une ville : tapez le nom de la ville.",
        "✘ Tapez le numéro d'une des lignes ci-dessus.",
    ]
    assert re.fullmatch(r"[0-9]{10}", _registration_number(out))


def test_categories_and_brackets_are_a_numbered_menu_from_the_tariff(counter: Counter) -> None:
    menu = _menus(counter)
    for code, label in (("ARTISAN", "Artisans"), ("FARMER", "Agriculteurs")):
        assert re.search(rf"\b\d+\. {code} — {label}", menu), menu
    answers = ["BE654321", "Alaoui", "Said", "1979-06-01", "M", "0522334455", "1 av. Hassan II"]
    answers += ["Casablanca", "TAXI_DRIVER", "", "", ""]
    _, out, _ = counter.answers("enroll", lines=answers)
    # The bracket menu shows each bracket's monthly due.
    assert re.search(r"\b\d+\. GRAND_TAXI — .*MAD/mois\)$", out, re.MULTILINE), out


def test_a_farmer_is_not_asked_for_a_professional_document(counter: Counter) -> None:
    farmer = _menu_number(_menus(counter), "FARMER")
    answers = ["BK998877", "Ouali", "Ahmed", "1970-03-15", "M", "0611111111", "Douar Ait"]
    answers += ["Khenifra", farmer, this_month(), "n"]
    code, out, err = counter.answers("enroll", lines=answers)
    assert code == 0, err + out
    assert "document professionnel" not in out.lower()
    assert re.fullmatch(r"[0-9]{10}", _registration_number(out))


def test_a_cin_already_enrolled_stops_at_once_with_its_registration_number(
    counter: Counter, tmp_path: Path
) -> None:
    number = enroll_from_json(counter, tmp_path)
    code, out, _ = counter.answers("enroll", lines=["be 123456", "1"])
    assert f"Cette CIN est déjà immatriculée sous le numéro {number}." in out
    assert "Nom" in out  # no name was asked: the worker is shown
    assert "Fatima" in out
    assert "El Amrani" in out
    assert code == 0


def test_the_operator_can_collect_for_the_worker_already_enrolled(
    counter: Counter, tmp_path: Path
) -> None:
    number = enroll_from_json(counter, tmp_path)
    code, out, err = counter.answers("enroll", lines=["BE123456", "2", "50", "o"])
    assert code == 0, err + out
    assert "Fatima El Amrani" in out
    assert "R-CASHPLUS-" in out
    assert number in out


def test_an_enrollment_file_with_an_enrolled_cin_gives_the_registration_number(
    counter: Counter, tmp_path: Path
) -> None:
    number = enroll_from_json(counter, tmp_path)
    payload = tmp_path / "again.json"
    payload.write_text(json.dumps(worker_payload()))
    code, out, _ = counter.run("enroll", "--from-json", str(payload))
    assert code == 3
    assert number in out
