"""The interactive prompts, driven through a pseudo-terminal as an operator types them:
the password is not echoed, a malformed answer is asked again at once, and the enrollment
ends with a registration number."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from tests.e2e.conftest import E2E_PASSWORD, Server, seed_offices
from tests.support.workers import this_month, worker_payload


def _spawn(home: Path, *args: str) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "terminal_client.cli", "--home", str(home), *args],
        encoding="utf-8",
        timeout=30,
    )


@pytest.fixture
def signed_in_home(
    start_server: Callable[..., Server], database_url: str, key_dir: Path, tmp_path: Path
) -> Path:
    codes = seed_offices(database_url, key_dir, [("CASHPLUS", "CP-01")])
    server = start_server()
    home = tmp_path / "terminal"
    for args in (("init", "--server", server.url), ("activate", codes["CP-01"])):
        child = _spawn(home, *args)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, child.before
    login = _spawn(home, "login", "op.cp-01")
    login.expect(r"(?i)(mot de passe|password).*: ")
    login.sendline(E2E_PASSWORD)
    login.expect(pexpect.EOF)
    login.close()
    assert login.exitstatus == 0, login.before
    # getpass turned echo off: the password never appeared on the screen.
    assert E2E_PASSWORD not in (login.before or "")
    return home


def test_enrollment_prompts_ask_again_for_a_malformed_answer(signed_in_home: Path) -> None:
    child = _spawn(signed_in_home, "enroll")
    answers = [
        "12345",  # not a CIN: asked again
        "BE123456",
        "El Amrani",
        "Fatima",
        "1985-04-12",
        "F",
        "0612345678",
        "12 rue des Orangers",
        "Rabat",
        "ARTISAN",  # the code, or its number in the menu; its one bracket is then taken
        "ART-2023-0042",
        this_month(),
        # One child, typed in French: the relation word and "oui"/"non" are understood.
        "o",
        "enfant",
        "",
        "El Amrani",
        "Youssef",
        "2015-09-01",
        "M",
        "n",
        "n",
    ]
    child.expect(": ")
    child.sendline(answers[0])
    child.expect("✘")
    for answer in answers[1:]:
        child.expect(": ")
        child.sendline(answer)
    child.expect(r"[0-9]{10}")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_pay_names_the_worker_asks_then_prints_a_ticket_with_the_amount(
    signed_in_home: Path, tmp_path: Path
) -> None:
    payload = tmp_path / "worker.json"
    payload.write_text(json.dumps(worker_payload()))
    enroll = _spawn(signed_in_home, "enroll", "--from-json", str(payload))
    enroll.expect(r"([0-9]{10})")
    number = enroll.match.group(1)
    enroll.expect(pexpect.EOF)
    child = _spawn(signed_in_home, "pay", number, "100")
    child.expect(f"Fatima El Amrani \\({number}\\)")
    child.expect(r"\(o/n\): ")
    child.sendline("o")
    child.expect("100,00 MAD")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
