"""Issue 19: the operator closes the cash drawer with the real ``qurb-terminal`` against the
real server, on both databases: a day with a reversal closed with a difference, the count
typed at the prompts, a second count refused, the supervisor's list, and a close refused
while the server is away or payments still wait in the outbox."""

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


def _receipt(out: str) -> str:
    return next(x for x in out.split() if x.startswith("R-CASHPLUS-"))


def test_a_day_with_a_reversal_closes_with_its_difference_and_a_signed_report(
    counter: tuple[Counter, Server], tmp_path: Path
) -> None:
    terminal, _ = counter
    number = enroll_from_json(terminal, tmp_path)
    assert terminal.run("pay", "--yes", number, "250")[0] == 0
    code, out, _ = terminal.run("pay", "--yes", number, "35,50")
    assert code == 0
    wrong = _receipt(out)
    code, _, err = terminal.run(
        "reverse", wrong, "--reason", "mauvais montant", stdin=f"sup.cp-01\n{E2E_PASSWORD}\n"
    )
    assert code == 0, err

    # 200 + 20 + 20 + 5 + 2 + 2 dirhams: 249,00 counted, 250,00 expected.
    code, out, err = terminal.run(
        "drawer", "close", "--yes", "--count", "200=1", "--count", "20=2", "--count", "5=1",
        "--count", "2=2",
    )  # fmt: skip

    assert code == 0, err
    assert "Attendu: 250,00 MAD" in out
    assert "Compté: 249,00 MAD" in out
    assert "Écart: -1,00 MAD" in out
    assert "CLÔTURE DE CAISSE" in out
    assert "Manque en caisse: 1,00 MAD" in out
    report = next(x for x in out.split() if x.startswith("C-CASHPLUS-"))

    # Another count for the same day: refused in a sentence, exit 3.
    code, out, err = terminal.run("drawer", "close", "--yes", "--count", "200=1", "--count", "50=1")
    assert code == 3
    assert "déjà clôturée" in err
    assert "Comptage de caisse" in err

    # The supervisor reads the office's closes.
    assert terminal.run("logout")[0] == 0
    assert terminal.run("login", "sup.cp-01", stdin=E2E_PASSWORD + "\n")[0] == 0
    code, out, err = terminal.run("drawer", "list")
    assert code == 0, err
    assert report in out
    assert "-1,00 MAD" in out


def test_the_count_is_typed_note_by_note_in_arabic(counter: tuple[Counter, Server]) -> None:
    terminal, _ = counter
    # Enter alone is none; Arabic-Indic digits are read; then yes (ن).
    answers = ["١", "", "", "", "", "", "", "", "", "", "", "٢", "ن"]
    code, out, err = terminal.answers("--lang", "ar", "drawer", "close", lines=answers)
    assert code == 0, err
    assert "الفرق: +200,10 MAD" in out  # nothing was collected: all of it is over
    assert "إغلاق الصندوق" in out


def test_a_close_is_never_queued_the_server_must_count_the_drawer(
    counter: tuple[Counter, Server],
    tmp_path: Path,
    start_server: Callable[..., Server],
) -> None:
    terminal, server = counter
    number = enroll_from_json(terminal, tmp_path)
    server.process.terminate()
    server.process.wait(timeout=10)

    code, _, err = terminal.run("drawer", "close", "--yes", "--count", "100=1")
    assert code == 9
    assert "clôture de caisse a besoin de ses chiffres" in err
    code, _, _ = terminal.run("outbox", "list")
    assert code == 0

    # A payment taken during the outage is in the drawer but not yet on the server.
    assert terminal.run("pay", "--yes", number, "100")[0] == 6
    code, _, err = terminal.run("drawer", "close", "--yes", "--count", "100=1")
    assert code == 6
    assert "outbox sync" in err

    back = start_server()
    terminal.point_at(back.url)
    code, out, err = terminal.run("drawer", "close", "--yes", "--count", "100=1")
    assert code == 0, err  # the payment went first; then the drawer closed on it
    assert "Attendu: 100,00 MAD" in out
    assert "Écart: 0,00 MAD" in out


def test_the_printer_set_on_the_terminal_gets_the_receipt_and_the_close_report(
    counter: tuple[Counter, Server], tmp_path: Path
) -> None:
    terminal, _ = counter
    device = tmp_path / "lp0"  # what a USB receipt printer's device file takes
    device.touch()
    code, out, err = terminal.run("printer", "set", str(device))
    assert code == 0, err
    number = enroll_from_json(terminal, tmp_path)
    code, out, _ = terminal.run("pay", "--yes", number, "100")
    assert code == 0
    # The payment's receipt went to the printer as it was shown: no second command needed.
    assert _receipt(out).encode() in device.read_bytes()
    device.write_bytes(b"")
    code, _, err = terminal.run("receipt", "print", _receipt(out), "--printer")
    assert code == 0, err
    printed = device.read_bytes()
    assert _receipt(out).encode() in printed
    assert b"\x1dv0" in printed  # the QR, as a raster image
    assert printed.count(b"\x1dV") == 1  # and the cut

    code, out, err = terminal.run("drawer", "close", "--yes", "--count", "100=1")
    assert code == 0, err
    report = next(x for x in out.split() if x.startswith("C-CASHPLUS-"))
    printed = device.read_bytes()  # a device file takes each ticket afresh
    assert report.encode() in printed
    assert b"\x1dv0" not in printed  # no QR on the report: it stays with the cash
    assert printed.count(b"\x1dV") == 1

    # The report again, from the terminal's own copy.
    code, out, err = terminal.run("receipt", "show", report)
    assert code == 0, err
    assert "CLÔTURE DE CAISSE" in out

    # A printer that went away: said in a sentence; the close itself was recorded.
    device.unlink()
    terminal.run("printer", "set", str(tmp_path / "gone" / "lp0"))
    code, _, err = terminal.run("receipt", "print", report, "--printer")
    assert code == 1
    assert "L'imprimante n'a pas imprimé" in err
