"""Before money is taken, the operator sees whose account it goes to and what it pays for,
and confirms; ``--yes`` is for scripts. A payment nobody confirmed is never collected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from terminal_client.money import format_mad, parse_mad
from tests.e2e.conftest import Server
from tests.support.counter import Counter, collections_in, enroll_from_json, signed_in_counter
from tests.support.workers import month_offset, this_month


@pytest.fixture
def counter(
    start_server: Callable[..., Server],
    database_url: str,
    key_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Counter, str]:
    terminal, _ = signed_in_counter(
        start_server, database_url, key_dir, tmp_path, capsys, monkeypatch
    )
    return terminal, enroll_from_json(terminal, tmp_path, coverage_start=this_month())


def _mm_yyyy(month: str) -> str:
    return f"{month[5:7]}/{month[:4]}"


def test_pay_shows_the_workers_name_and_the_months_then_collects_once_confirmed(
    counter: tuple[Counter, str], database_url: str
) -> None:
    terminal, number = counter
    code, quote, _ = terminal.run("quote", number)
    assert code == 0
    line = next(x for x in quote.splitlines() if x.startswith(this_month()))
    monthly = parse_mad(" ".join(line.split()[1:3]))  # "135,00 MAD", as the quote prints it
    two_months = format_mad(2 * monthly)
    code, out, err = terminal.answers("pay", number, two_months, lines=["o"])
    assert code == 0, err + out
    before_question = out.split("Encaisser ce montant ?")[0]
    assert f"Fatima El Amrani ({number})" in before_question
    assert two_months in before_question
    first, second = _mm_yyyy(this_month()), _mm_yyyy(month_offset(1))
    assert f"paie de {first} à {second} en entier (2 mois)" in before_question
    assert collections_in(database_url) == 1


def test_answering_no_collects_nothing(counter: tuple[Counter, str], database_url: str) -> None:
    terminal, number = counter
    code, out, _ = terminal.answers("pay", number, "100", lines=["n"])
    assert code == 1
    assert "Rien n'a été encaissé." in out
    assert collections_in(database_url) == 0


def test_a_script_without_yes_and_without_an_answer_collects_nothing(
    counter: tuple[Counter, str], database_url: str
) -> None:
    terminal, number = counter
    code, _, err = terminal.run("pay", number, "100")
    assert code == 2
    assert "rien n'a été envoyé" in err
    assert collections_in(database_url) == 0


def test_yes_collects_without_the_question(counter: tuple[Counter, str], database_url: str) -> None:
    terminal, number = counter
    code, out, err = terminal.run("pay", "--yes", number, "100")
    assert code == 0, err
    assert "Encaisser ce montant ?" not in out
    assert "Fatima El Amrani" in out
    assert collections_in(database_url) == 1


def test_the_confirmation_is_asked_in_arabic(
    counter: tuple[Counter, str], database_url: str
) -> None:
    terminal, number = counter
    code, out, err = terminal.answers("--lang", "ar", "pay", number, "100", lines=["ن"])
    assert code == 0, err + out
    assert "استخلاص هذا المبلغ؟ (ن/ل)" in out
    assert collections_in(database_url) == 1


def test_a_part_of_a_month_is_said_as_such(counter: tuple[Counter, str]) -> None:
    terminal, number = counter
    code, out, _ = terminal.answers("pay", number, "10", lines=["n"])
    assert code == 1
    assert "paie 10,00 MAD sur les" in out
    assert f"dus pour {_mm_yyyy(this_month())}" in out


def test_more_than_is_owed_is_said_before_the_question(counter: tuple[Counter, str]) -> None:
    terminal, number = counter
    code, out, _ = terminal.answers("pay", number, "99999", lines=["n"])
    assert code == 1
    assert "C'est plus que ce qui est dû jusqu'à" in out.split("Encaisser ce montant ?")[0]


def test_a_payment_beyond_the_prepayment_limit_is_refused_with_the_limit_in_mad(
    counter: tuple[Counter, str], database_url: str
) -> None:
    terminal, number = counter
    # Above thirteen months of dues, below the ceiling of one collection (50 000 MAD).
    code, _, err = terminal.run("pay", "--yes", number, "20000")
    assert code != 0
    # The server's refusal carries the limit in centimes; the operator reads it in MAD.
    refusal = err.strip().splitlines()[-1]
    assert "au plus" in refusal
    assert "MAD" in refusal
    assert collections_in(database_url) == 0
