"""The counter under trouble, against the real server: the number printed on a provisional
ticket, a wrong supervisor password, and an answer that never comes. Nothing ever shows the
operator a Python traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import E2E_PASSWORD, Server
from tests.support.counter import Counter, enroll_from_json, signed_in_counter


@pytest.fixture
def counter(
    start_server: Callable[..., Server],
    database_url: str,
    key_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Counter, Server]:
    return signed_in_counter(start_server, database_url, key_dir, tmp_path, capsys, monkeypatch)


def test_the_number_on_a_provisional_ticket_shows_the_queued_payment_then_its_receipt(
    counter: tuple[Counter, Server], tmp_path: Path, start_server: Callable[..., Server]
) -> None:
    terminal, server = counter
    number = enroll_from_json(terminal, tmp_path)
    server.process.terminate()
    server.process.wait(timeout=10)
    code, out, _ = terminal.run("pay", "--yes", number, "12,50")
    assert code == 6
    provisional = next(x for x in out.split() if x.startswith("#"))
    code, out, err = terminal.run("receipt", "show", provisional)
    assert code == 6, err
    assert "Traceback" not in out + err
    assert "PROVISOIRE" in out.upper()
    assert "12,50 MAD" in out
    assert number in out
    back = start_server()
    terminal.point_at(back.url)
    code, out, err = terminal.run("receipt", "show", provisional)
    assert code == 0, err
    assert "R-CASHPLUS-" in out
    assert "PROVISOIRE" not in out.upper()
    assert "12,50 MAD" in out


def test_a_number_no_ticket_of_this_terminal_carries_is_refused_in_a_sentence(
    counter: tuple[Counter, Server],
) -> None:
    terminal, _ = counter
    code, out, err = terminal.run("receipt", "show", "#12")
    assert "Traceback" not in out + err
    assert code == 2
    assert "#12" in err


def test_a_wrong_supervisor_password_leaves_the_operators_session_open(
    counter: tuple[Counter, Server], tmp_path: Path
) -> None:
    terminal, _ = counter
    number = enroll_from_json(terminal, tmp_path)
    code, out, err = terminal.run("pay", "--yes", number, "20")
    assert code == 0, err
    receipt = next(x for x in out.split() if x.startswith("R-CASHPLUS-"))
    code, _, err = terminal.run(
        "reverse", receipt, "--reason", "mauvais assuré", stdin="sup.cp-01\nnot-the-password\n"
    )
    assert code == 3, err  # refused by the rules, not "sign in again" (4)
    assert "superviseur" in err
    assert "session reste ouverte" in err
    assert "Reconnectez" not in err
    code, out, err = terminal.run(
        "reverse", receipt, "--reason", "mauvais assuré", stdin=f"sup.cp-01\n{E2E_PASSWORD}\n"
    )
    assert code == 0, err  # the same session, the right password: reversed
    assert receipt in out
