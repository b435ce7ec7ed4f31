"""The counter when the link is bad, with no Qurb server at all: a closed port (nothing
listens), a socket on 127.0.0.1 that accepts and never answers, and a stub that answers one
canned refusal. Reads say the server is unreachable, writes wait in the outbox, waiting is
shown and bounded, and no error ever reaches the operator as a Python traceback."""

from __future__ import annotations

import json
import os
import socket
import stat
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pexpect
import pytest

from terminal_client import commands
from terminal_client.api import Patience, Terminal
from terminal_client.home import Home
from tests.e2e.conftest import free_port
from tests.support.counter import Counter

REGISTRATION = "0000000171"


def _signed_in_home(home: Path, server: str) -> Home:
    """An activated terminal with an operator signed in, as left by init, activate, login."""
    state = Home(home)
    state.initialize(server, passphrase=None, lang="fr")
    state.update_config(
        terminal_id=7,
        office={"code": "CP-01", "name": "Casa Maarif"},
        network={"code": "CASHPLUS", "name": "Cash Plus"},
    )
    state.save_session(
        {
            "token": "token-of-the-operator",
            "expires_at": "2099-01-01T00:00:00+00:00",
            "username": "op.cp-01",
            "full_name": "Amina B.",
            "role": "operator",
            "office": "CP-01",
        }
    )
    return state


@pytest.fixture
def counter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Counter:
    for name in ("QURB_TERMINAL_TIMEOUT", "QURB_TERMINAL_CONNECT_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "terminal"
    _signed_in_home(home, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    return Counter(home, capsys, monkeypatch)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A socket on 127.0.0.1 that accepts connections, reads nothing and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    for connection in held:
        connection.close()
    listener.close()


def _queue(home: Path, path: str, body: dict[str, Any], label: str) -> None:
    terminal = Terminal(Home(home), patience=Patience(connect=1, total=1))
    outcome = terminal.write("POST", path, body, label=label)
    terminal.close()
    assert outcome.state == "queued"


# -- item 13: a read with the server unreachable -------------------------------------------


@pytest.mark.parametrize(
    "command", [("find", REGISTRATION), ("rights", REGISTRATION), ("quote", REGISTRATION)]
)
def test_a_read_with_the_server_unreachable_says_so_and_that_nothing_was_recorded(
    counter: Counter, command: tuple[str, ...]
) -> None:
    code, out, err = counter.run(*command)
    assert code == 9
    assert "Le serveur est injoignable : rien n'a été enregistré" in err
    assert "sera envoy" not in out + err  # nothing was queued: do not say it will be sent
    assert "Traceback" not in out + err


def test_the_day_offline_shows_the_collections_this_terminal_still_holds(
    counter: Counter,
) -> None:
    for amount in (3_000, 1_250):
        _queue(
            counter.home,
            "/v1/contributions",
            {"registration_number": REGISTRATION, "amount_centimes": amount},
            f"pay {REGISTRATION}",
        )
    _queue(counter.home, "/v1/workers", {"cin": "BE123456"}, "enrollment")
    code, out, err = counter.run("day")
    assert code == 9
    assert "injoignable" in err
    held = out.split("En attente dans ce terminal, pas encore envoyé à la CNSS :")[1]
    assert "Encaissements: 2  42,50 MAD" in held
    assert "Autres opérations: 1" in held


def test_the_day_offline_in_arabic_holds_no_english(counter: Counter) -> None:
    code, out, err = counter.run("--lang", "ar", "day")
    assert code == 9
    assert "تعذّر الوصول إلى الخادم" in err
    assert not any(word in out + err for word in ("server", "Collections", "outbox"))


def test_a_write_that_is_never_queued_says_nothing_was_recorded(counter: Counter) -> None:
    code, _, err = counter.run("login", "op.cp-01", stdin="secret\n")
    assert code == 9
    assert "rien n'a été enregistré" in err


# -- item 14: a link that accepts and never answers ------------------------------------------


def test_a_read_on_a_silent_link_says_it_waits_and_gives_up_after_the_timeout(
    counter: Counter, silent_server: str
) -> None:
    counter.point_at(silent_server)
    started = time.monotonic()
    code, _, err = counter.run("--timeout", "1", "find", REGISTRATION)
    waited = time.monotonic() - started
    assert code == 9
    assert "En attente du serveur… (abandon après 1 s)" in err
    assert "injoignable" in err
    assert waited < 5  # one second asked; the old client waited 10 s per request


def test_queued_writes_on_a_silent_link_stay_queued_and_the_wait_is_not_repeated(
    counter: Counter, silent_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for amount in (1_000, 2_000):
        _queue(
            counter.home,
            "/v1/contributions",
            {"registration_number": REGISTRATION, "amount_centimes": amount},
            f"pay {REGISTRATION}",
        )
    counter.point_at(silent_server)
    monkeypatch.setenv("QURB_TERMINAL_TIMEOUT", "1")
    started = time.monotonic()
    code, out, err = counter.run("day")  # sends the queue first, then reads the day
    waited = time.monotonic() - started
    assert code == 9
    assert err.count("En attente du serveur") == 1
    assert waited < 5  # given up once for the whole command, not once per request
    assert "Encaissements: 2  30,00 MAD" in out  # both still held, nothing lost
    code, out, _ = counter.run("outbox", "list")
    assert len([line for line in out.splitlines() if line.startswith("#")]) == 2


def test_a_timeout_that_is_not_a_number_is_refused_in_a_sentence(
    counter: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QURB_TERMINAL_TIMEOUT", "soon")
    code, _, err = counter.run("find", REGISTRATION)
    assert code == 2
    assert "QURB_TERMINAL_TIMEOUT doit être un nombre de secondes" in err


def test_an_operator_waits_at_most_5_s_to_connect_and_8_s_for_an_answer() -> None:
    assert Patience() == Patience(connect=5, total=8)


# -- item 17: whose credentials were refused --------------------------------------------------


@pytest.fixture
def refusing_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Answers every request with the refusal put in the list (the last one put)."""
    refusals: list[dict[str, Any]] = []

    class Refuse(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = json.dumps({"error": refusals[-1]}).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", refusals
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_a_refused_supervisor_password_says_the_operators_session_is_still_open(
    counter: Counter, refusing_server: tuple[str, list[dict[str, Any]]]
) -> None:
    url, refusals = refusing_server
    counter.point_at(url)
    refusals.append(
        {"code": "invalid_credentials", "message": "wrong password", "field": "supervisor"}
    )
    code, _, err = counter.run("reverse", "R-CP-1", "--reason", "erreur", stdin="sup\npw\n")
    assert code == 3
    assert "Votre propre session reste ouverte" in err
    assert "Reconnectez" not in err
    assert Home(counter.home).session() is not None


def test_a_locked_supervisor_account_does_not_read_as_the_operators(
    counter: Counter, refusing_server: tuple[str, list[dict[str, Any]]]
) -> None:
    url, refusals = refusing_server
    counter.point_at(url)
    refusals.append({"code": "account_locked", "message": "locked", "field": "supervisor"})
    code, _, err = counter.run("reverse", "R-CP-1", "--reason", "erreur", stdin="sup\npw\n")
    assert code == 3
    assert "superviseur" in err
    assert "Votre propre session reste ouverte" in err


def test_refused_credentials_without_a_field_are_the_operators_own(
    counter: Counter, refusing_server: tuple[str, list[dict[str, Any]]]
) -> None:
    url, refusals = refusing_server
    counter.point_at(url)
    refusals.append({"code": "invalid_credentials", "message": "wrong password"})
    code, _, err = counter.run("login", "op.cp-01", stdin="wrong\n")
    assert code == 4
    assert "superviseur" not in err


# -- item 12: no traceback, ever ------------------------------------------------------------


def _spawn(home: Path, *args: str, timeout: float = 20) -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QURB_TERMINAL")}
    return pexpect.spawn(
        sys.executable,
        ["-m", "terminal_client.cli", "--home", str(home), *args],
        encoding="utf-8",
        timeout=timeout,
        env=env,
    )


@pytest.mark.parametrize(
    ("command", "prompt"),
    [
        (("login",), r"(?i)(identifiant|username).*: "),
        (("login", "op.cp-01"), r"(?i)(mot de passe|password).*: "),
        (("reverse", "R-CP-1", "--reason", "erreur"), r"(?i)superviseur.*: "),
    ],
)
def test_ctrl_c_at_a_prompt_stops_with_a_sentence_not_a_traceback(
    counter: Counter, command: tuple[str, ...], prompt: str
) -> None:
    child = _spawn(counter.home, *command)
    child.expect(prompt)
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert "Interrompu (Ctrl-C) : arrêt ici." in (child.before or "")
    assert "Traceback" not in (child.before or "")
    assert child.exitstatus == 130


def test_the_end_of_input_at_a_prompt_stops_with_a_sentence_not_a_traceback(
    counter: Counter,
) -> None:
    child = _spawn(counter.home, "reverse", "R-CP-1", "--reason", "erreur")
    child.expect(r"(?i)superviseur.*: ")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert "Aucune réponse n'a été saisie : arrêt ici." in (child.before or "")
    assert "Traceback" not in (child.before or "")
    assert child.exitstatus == 2


def test_ctrl_c_while_waiting_for_a_silent_server_stops_at_once_and_keeps_the_write(
    counter: Counter, silent_server: str
) -> None:
    _queue(
        counter.home,
        "/v1/contributions",
        {"registration_number": REGISTRATION, "amount_centimes": 500},
        f"pay {REGISTRATION}",
    )
    counter.point_at(silent_server)
    child = _spawn(counter.home, "--timeout", "30", "outbox", "sync")
    child.expect("En attente du serveur")
    child.sendintr()
    child.expect(pexpect.EOF, timeout=10)
    child.close()
    shown = child.before or ""
    assert "Interrompu" in shown
    assert "Opérations en attente d'envoi : 1." in shown
    assert "Traceback" not in shown
    assert child.exitstatus == 130


def test_an_unforeseen_error_is_logged_for_support_and_the_operator_told_where(
    counter: Counter,
) -> None:
    (counter.home / "config.json").write_text("{ half a file", encoding="utf-8")
    code, out, err = counter.run("status")
    log = counter.home / "errors.log"
    assert code == 1
    assert "Traceback" not in out + err
    assert "Erreur inattendue : la commande s'est arrêtée." in err
    assert f"Les détails pour le support sont dans {log}." in err
    assert "JSONDecodeError" in log.read_text(encoding="utf-8")
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_the_error_log_holds_where_it_failed_but_not_what_the_operator_typed(
    counter: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(ctx: commands.Context, args: Any) -> int:
        raise ValueError("cannot read CIN BE123456 nor phone 0612345678")

    monkeypatch.setattr(commands, "status", fails)
    code, _, err = counter.run("status")
    report = (counter.home / "errors.log").read_text(encoding="utf-8")
    assert code == 1
    assert "ValueError" in report
    assert "in fails" in report  # where: the function, its file and line
    assert "BE123456" not in report + err
    assert "0612345678" not in report + err


# -- what the outbox shows reads in the operator's language ----------------------------------


def test_the_outbox_list_names_each_write_in_french(counter: Counter) -> None:
    _queue(
        counter.home,
        "/v1/contributions",
        {"registration_number": REGISTRATION, "amount_centimes": 1_250},
        f"pay {REGISTRATION} 12,50 MAD",
    )
    _queue(counter.home, "/v1/declarations/daily", {}, f"declare {REGISTRATION} (2 d)")
    code, out, _ = counter.run("outbox", "list")
    assert code == 0
    lines = out.splitlines()
    assert "hors ligne" in lines[0]
    assert f"Encaissement {REGISTRATION} 12,50 MAD" in lines[0]
    assert f"Jours déclarés {REGISTRATION} (2)" in lines[1]
    assert not any(word in out for word in ("pay ", "declare", "offline", " d)"))


def test_a_queued_write_the_server_refuses_is_explained_in_french(
    counter: Counter, refusing_server: tuple[str, list[dict[str, Any]]]
) -> None:
    _queue(
        counter.home,
        "/v1/contributions",
        {"registration_number": REGISTRATION, "amount_centimes": 1_250},
        f"pay {REGISTRATION} 12,50 MAD",
    )
    url, refusals = refusing_server
    counter.point_at(url)
    refusals.append({"code": "worker_suspended", "message": "worker file is suspended"})
    code, out, _ = counter.run("outbox", "sync")
    assert f"✘ #1 Encaissement {REGISTRATION} 12,50 MAD" in out
    assert "Le dossier de cet assuré est suspendu" in out
    assert "worker_suspended" not in out
    assert "worker file is suspended" not in out
    code, _, err = counter.run("receipt", "show", "#1")
    assert code == 3
    assert "L'opération #1 a été refusée par le serveur" in err
    assert "Le dossier de cet assuré est suspendu" in err
