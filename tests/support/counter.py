"""``qurb-terminal`` run in-process against the real server, as a counter operator types it:
each command's standard input is the operator's answers, one a line."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from agent_api.persistence.db import build_engine
from agent_api.persistence.tables import Contribution
from terminal_client.cli import main
from terminal_client.home import Home
from tests.e2e.conftest import E2E_PASSWORD, Server, seed_offices
from tests.support.workers import worker_payload


class Counter:
    """Runs ``qurb-terminal`` commands in-process against one terminal home."""

    def __init__(
        self, home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.home = home
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def run(self, *args: str, stdin: str = "") -> tuple[int, str, str]:
        self.monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(["--home", str(self.home), *args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def answers(self, *args: str, lines: list[str]) -> tuple[int, str, str]:
        return self.run(*args, stdin="".join(f"{line}\n" for line in lines))

    def point_at(self, url: str) -> None:
        """Sends this terminal's next requests to ``url`` (a server restarted on a new port)."""
        Home(self.home).update_config(server=url)


def sign_in(counter: Counter, server_url: str, activation_code: str, office: str) -> Counter:
    """Sets the terminal up as a counter does on its first day: init, activate, the office's
    operator signs in. Each step must succeed."""
    assert counter.run("init", "--server", server_url)[0] == 0
    code, _, err = counter.run("activate", activation_code)
    assert code == 0, err
    code, _, err = counter.run("login", f"op.{office.lower()}", stdin=E2E_PASSWORD + "\n")
    assert code == 0, err
    return counter


def signed_in_counter(
    start_server: Callable[..., Server],
    database_url: str,
    key_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *,
    office: str = "CP-01",
) -> tuple[Counter, Server]:
    codes = seed_offices(database_url, key_dir, [("CASHPLUS", office)])
    server = start_server()
    terminal = Counter(tmp_path / "terminal", capsys, monkeypatch)
    return sign_in(terminal, server.url, codes[office], office), server


def enroll_from_json(counter: Counter, tmp_path: Path, **fields: Any) -> str:
    """Enrolls ``worker_payload(**fields)`` from a JSON file, as an office that keeps its
    enrollments in files does; returns the registration number the counter printed."""
    payload = tmp_path / "worker.json"
    payload.write_text(json.dumps(worker_payload(**fields)))
    code, out, err = counter.run("enroll", "--from-json", str(payload))
    assert code == 0, err
    return next(w for w in out.split() if w.isdigit() and len(w) == 10)


def collections_in(database_url: str) -> int:
    """How many collections the service holds: what the counter's payments really did."""
    engine = build_engine(database_url)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(Contribution)).one()
    engine.dispose()
    return int(count)
