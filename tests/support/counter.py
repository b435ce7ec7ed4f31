"""``qurb-terminal`` run in-process against the real server, as a counter operator types it:
each command's standard input is the operator's answers, one a line."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from terminal_client.cli import main
from tests.e2e.conftest import E2E_PASSWORD, Server, seed_offices


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
    assert terminal.run("init", "--server", server.url)[0] == 0
    code, _, err = terminal.run("activate", codes[office])
    assert code == 0, err
    code, _, err = terminal.run("login", f"op.{office.lower()}", stdin=E2E_PASSWORD + "\n")
    assert code == 0, err
    return terminal, server
