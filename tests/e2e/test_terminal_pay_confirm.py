"""Before money is taken, the operator sees whose account it goes to and what it pays for,
and confirms; ``--yes`` is for scripts. A payment nobody confirmed is never collected."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from agent_api.persistence.db import build_engine
from agent_api.persistence.tables import Contribution
from terminal_client.money import format_mad, parse_mad
from tests.e2e.conftest import Server
from tests.support.counter import Counter, signed_in_counter
from tests.support.workers import month_offset, this_month, worker_payload


def _collections(database_url: str) -> int:
    engine = build_engine(database_url)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(Contribution)).one()
    engine.dispose()
    return int(count)


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
    payload = tmp_path / "worker.json"
    payload.write_text(json.dumps(worker_payload(coverage_start=this_month())))
    code, out, err = terminal.run("enroll", "--from-json", str(payload))
    assert code == 0, err
    number = next(w for w in out.split() if w.isdigit() and len(w) == 10)
    return terminal, number


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
    assert _collections(database_url) == 1


def test_answering_no_collects_nothing(counter: tuple[Counter, str], database_url: str) -> None:
    terminal, number = counter
    code, out, _ = terminal.answers("pay", number, "100", lines=["n"])
    assert code == 1
    assert "Rien n'a été encaissé." in out
    assert _collections(database_url) == 0


def test_a_script_without_yes_and_without_an_answer_collects_nothing(
    counter: tuple[Counter, str], database_url: str
) -> None:
    terminal, number = counter
    code, _, err = terminal.run("pay", number, "100")
    assert code == 2
    assert "rien n'a été envoyé" in err
    assert _collections(database_url) == 0


def test_yes_collects_without_the_question(counter: tuple[Counter, str], database_url: str) -> None:
    terminal, number = counter
    code, out, err = terminal.run("pay", "--yes", number, "100")
    assert code == 0, err
    assert "Encaisser ce montant ?" not in out
    assert "Fatima El Amrani" in out
    assert _collections(database_url) == 1


def test_the_confirmation_is_asked_in_arabic(
    counter: tuple[Counter, str], database_url: str
) -> None:
    terminal, number = counter
    code, out, err = terminal.answers("--lang", "ar", "pay", number, "100", lines=["ن"])
    assert code == 0, err + out
    assert "استخلاص هذا المبلغ؟ (ن/ل)" in out
    assert _collections(database_url) == 1


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
    assert _collections(database_url) == 0
