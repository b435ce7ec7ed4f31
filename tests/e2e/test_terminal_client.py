"""The real terminal client against the real server (uvicorn on 127.0.0.1, a random port),
on both databases: a counter's day online, through an outage, and through a crash."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from terminal_client.api import Terminal
from terminal_client.home import Home
from tests.e2e.conftest import E2E_PASSWORD, Server
from tests.support.counter import Counter, collections_in, enroll_from_json, signed_in_counter


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


def test_activate_login_enroll_quote_pay_and_verify_the_receipt(
    counter: tuple[Counter, Server], tmp_path: Path, database_url: str
) -> None:
    terminal, _ = counter
    number = enroll_from_json(terminal, tmp_path)
    code, out, _ = terminal.run("quote", number)
    assert code == 0
    assert "MAD" in out
    code, out, err = terminal.run("pay", "--yes", number, "155,77")
    assert code == 0, err
    assert "155,77 MAD" in out
    receipt = next(x for x in out.split() if x.startswith("R-CASHPLUS-"))
    code, _, err = terminal.run("receipt", "verify", receipt)
    assert code == 0, err
    assert collections_in(database_url) == 1
    png, pdf = tmp_path / "r.png", tmp_path / "r.pdf"
    code, _, err = terminal.run("receipt", "print", receipt, "--png", str(png), "--pdf", str(pdf))
    assert code == 0, err
    assert png.stat().st_size > 0
    assert pdf.read_bytes().startswith(b"%PDF")


def test_three_payments_during_an_outage_are_collected_once_each_after_sync(
    counter: tuple[Counter, Server],
    tmp_path: Path,
    database_url: str,
    start_server: Callable[..., Server],
) -> None:
    terminal, server = counter
    number = enroll_from_json(terminal, tmp_path)
    server.process.terminate()
    server.process.wait(timeout=10)
    for amount in ("10,00", "20,00", "30,00"):
        code, out, _ = terminal.run("pay", "--yes", number, amount)
        assert code == 6  # queued: safe in the outbox, a provisional ticket printed
        assert amount in out
    code, out, _ = terminal.run("outbox", "list")
    assert len([line for line in out.splitlines() if line.startswith("#")]) == 3
    assert collections_in(database_url) == 0
    back = start_server()
    terminal.point_at(back.url)
    code, out, err = terminal.run("outbox", "sync")
    assert code == 0, err
    assert out.count("R-CASHPLUS-") >= 3
    assert collections_in(database_url) == 3
    code, out, _ = terminal.run("outbox", "sync")
    assert collections_in(database_url) == 3


class KilledAfterAnswer(BaseException):
    """Stands for the process dying after the answer arrived, before it was stored."""


class DiesAfterSending(httpx.HTTPTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        if request.url.path == "/v1/contributions":
            raise KilledAfterAnswer
        return response


def test_a_client_killed_between_sending_and_storing_collects_once(
    counter: tuple[Counter, Server], tmp_path: Path, database_url: str
) -> None:
    terminal, _ = counter
    number = enroll_from_json(terminal, tmp_path)
    home = Home(terminal.home)
    dying = Terminal(home, http=httpx.Client(transport=DiesAfterSending()))
    with pytest.raises(KilledAfterAnswer):
        dying.write(
            "POST",
            "/v1/contributions",
            {"registration_number": number, "amount_centimes": 5_000},
            label="pay",
        )
    dying.close()
    assert collections_in(database_url) == 1  # the service did collect
    restarted = Terminal(home)
    [outcome] = restarted.sync()
    restarted.close()
    assert outcome.state == "done"
    assert collections_in(database_url) == 1  # and the retry did not collect again


def test_the_day_reads_in_arabic_and_a_rotated_key_keeps_working(
    counter: tuple[Counter, Server], tmp_path: Path, database_url: str
) -> None:
    terminal, _ = counter
    number = enroll_from_json(terminal, tmp_path)
    assert terminal.run("pay", "--yes", number, "50")[0] == 0
    code, arabic, err = terminal.run("--lang", "ar", "day")
    assert code == 0, err
    assert any("\u0600" <= ch <= "\u06ff" for ch in arabic)
    assert "50,00 MAD" in arabic
    code, status, err = terminal.run("--lang", "ar", "status")
    assert code == 0, err
    assert "الخادم" in status  # "Server"
    assert "متصل" in status  # online
    code, _, err = terminal.run("rotate-key")
    assert code == 0, err
    # The service ended the session bound to the old key: sign in again, then collect.
    assert terminal.run("pay", "--yes", number, "10")[0] == 4
    assert terminal.run("login", "op.cp-01", stdin=E2E_PASSWORD + "\n")[0] == 0
    assert terminal.run("pay", "--yes", number, "10")[0] == 0
    assert collections_in(database_url) == 2


def test_dependents_are_added_and_removed_from_the_counter(
    counter: tuple[Counter, Server], tmp_path: Path
) -> None:
    terminal, _ = counter
    number = enroll_from_json(terminal, tmp_path)
    spouse = tmp_path / "spouse.json"
    spouse.write_text(
        json.dumps(
            [
                {
                    "relation": "spouse",
                    "cin": "BK998877",
                    "last_name": "Bennani",
                    "first_name": "Karim",
                    "birth_date": "1982-01-20",
                    "sex": "M",
                }
            ]
        )
    )
    code, out, err = terminal.run("amend", number, "--add-dependent", str(spouse))
    assert code == 0, err
    assert "Karim" in out
    assert "BK998877" not in out  # shown masked
    dependent_id = next(x for x in out.split() if x.startswith("#"))[1:]
    code, out, err = terminal.run("amend", number, "--remove-dependent", dependent_id)
    assert code == 0, err
    assert "Karim" not in out


class DiesAfterRotating(httpx.HTTPTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        if request.url.path == "/v1/terminals/current/keys":
            raise KilledAfterAnswer
        return response


def test_a_rotation_interrupted_after_the_service_accepted_it_is_recovered(
    counter: tuple[Counter, Server], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal, _ = counter
    number = enroll_from_json(terminal, tmp_path)
    real_client = httpx.Client
    monkeypatch.setattr(
        "terminal_client.api.httpx.Client",
        lambda **kwargs: real_client(transport=DiesAfterRotating(), **kwargs),
    )
    with pytest.raises(KilledAfterAnswer):
        terminal.run("rotate-key")
    monkeypatch.setattr("terminal_client.api.httpx.Client", real_client)
    # The next command resends the rotation, learns it was accepted and adopts the new key.
    code, out, err = terminal.run("login", "op.cp-01", stdin=E2E_PASSWORD + "\n")
    assert code == 0, err
    assert "Changement de clé" in out
    assert not Home(terminal.home).staged_key_file.exists()
    assert terminal.run("pay", "--yes", number, "10")[0] == 0
