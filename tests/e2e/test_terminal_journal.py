"""``receipts today`` and ``reprint``: the day's tickets of this terminal, from its own
journal, with the hub up or down (the same journal as the counter app's list)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import Server
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


def test_todays_receipts_list_and_reprint_work_with_the_hub_down(
    counter: tuple[Counter, Server], tmp_path: Path
) -> None:
    terminal, server = counter
    number = enroll_from_json(terminal, tmp_path)
    code, out, err = terminal.run("pay", "--yes", number, "42,50")
    assert code == 0, err
    receipt = re.search(r"R-CASHPLUS-\d+", out)
    assert receipt is not None
    server.process.terminate()
    server.process.wait(timeout=10)
    code, out, _ = terminal.run("pay", "--yes", number, "17")
    assert code == 6
    queued = re.search(r"#\d+", out)
    assert queued is not None

    code, out, err = terminal.run("receipts", "today")
    assert code == 0, err
    lines = out.splitlines()
    assert queued[0] in lines[0]  # newest first
    assert "17,00 MAD" in lines[0]
    assert "provisoire" in lines[0]
    assert any(receipt[0] in line and "42,50 MAD" in line for line in lines)

    code, out, err = terminal.run("reprint", receipt[0])
    assert code == 0, err
    assert receipt[0] in out
    assert "42,50 MAD" in out
    assert "█" in out  # its QR code
    code, out, _ = terminal.run("reprint", queued[0], "--width", "80")
    assert code == 0
    assert "17,00 MAD" in out
    assert "Ticket provisoire" in out
    code, _, err = terminal.run("reprint", "R-CASHPLUS-99999999")
    assert code == 2
    assert "R-CASHPLUS-99999999" in err
