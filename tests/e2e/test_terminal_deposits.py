"""Reimbursement files through the real terminal client and the real hub, on both databases:
a deposit CNSS will likely refuse is stopped, then taken when the worker insists, with its
label and slip; an offline deposit waits in the outbox and is taken with its warnings; a
deposit is cancelled the same day by a supervisor; the day closes into a bordereau; and the
worker's files say where each envelope is."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func
from sqlmodel import Session, select

from agent_api.persistence.db import build_engine
from agent_api.persistence.tables import Deposit, DepositCancellation
from terminal_client.commands.context import CASABLANCA
from tests.e2e.conftest import E2E_PASSWORD, Server, server_env
from tests.support.counter import Counter, enroll_from_json, signed_in_counter
from tests.support.workers import child


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


def _count(database_url: str, table: type) -> int:
    engine = build_engine(database_url)
    with Session(engine) as session:
        found = session.exec(select(func.count()).select_from(table)).one()
    engine.dispose()
    return int(found)


def _days_ago(days: int) -> str:
    return (datetime.now(UTC).astimezone(CASABLANCA).date() - timedelta(days=days)).isoformat()


def _deposit_number(out: str) -> str:
    return next(w for w in out.split() if w.startswith("D-CASHPLUS-"))


# Care 100 days ago: past the 60-day deadline, so the hub warns before it takes the file.
LATE = ("--care-kind", "pharmacy", "--amount", "342,50", "--documents", "3")


def test_a_late_file_is_stopped_until_the_worker_insists_then_labelled_and_slipped(
    counter: tuple[Counter, Server], tmp_path: Path, database_url: str
) -> None:
    terminal, _ = counter
    number = enroll_from_json(terminal, tmp_path)
    late = _days_ago(100)
    code, out, _ = terminal.answers("deposit", number, *LATE, "--from", late, lines=["n"])
    assert code == 1
    assert "Délai de dépôt dépassé depuis le" in out
    assert "la CNSS refusera probablement ce dossier (motif R02)" in out
    assert "Rien n'a été déposé : l'enveloppe est rendue à l'assuré." in out
    assert _count(database_url, Deposit) == 0

    label = tmp_path / "label.png"
    code, out, err = terminal.answers(
        "deposit", number, *LATE, "--from", late, "--label-png", str(label), lines=["o"]
    )
    assert code == 0, err
    deposit = _deposit_number(out)
    assert f"Étiquette de l'enveloppe: {deposit}" in out
    flat = " ".join(out.split())
    assert "RÉCÉPISSÉ DE DÉPÔT" in flat
    assert "L'assuré a été averti et a insisté pour déposer" in flat
    assert "(motif R02)" in flat.split("insisté pour déposer", 1)[1]
    assert "342,50 MAD" in flat
    read = zxingcpp.read_barcodes(Image.open(label).convert("L"))
    assert [r.text for r in read] == [deposit]
    assert _count(database_url, Deposit) == 1


def test_a_deposit_typed_offline_is_queued_and_taken_with_its_warnings_when_sent(
    counter: tuple[Counter, Server],
    tmp_path: Path,
    database_url: str,
    start_server: Callable[..., Server],
) -> None:
    terminal, server = counter
    number = enroll_from_json(terminal, tmp_path)
    server.process.terminate()
    server.process.wait(timeout=10)
    code, out, _ = terminal.run("deposit", number, *LATE, "--from", _days_ago(100))
    assert code == 6
    assert "En attente, signé hors ligne" in out
    assert "avec les avertissements qu'il trouvera alors" in out
    assert _count(database_url, Deposit) == 0
    back = start_server()
    terminal.point_at(back.url)
    code, out, err = terminal.run("outbox", "sync")
    assert code == 0, err
    deposit = _deposit_number(out)
    assert f"Étiquette de l'enveloppe: {deposit}" in out  # the envelope is labelled now
    # Signed offline: taken without asking, the warning printed on the slip.
    assert "(motif R02)" in " ".join(out.split())
    assert _count(database_url, Deposit) == 1
    terminal.run("outbox", "sync")
    assert _count(database_url, Deposit) == 1


def test_todays_deposit_is_cancelled_by_a_supervisor_and_a_wrong_password_changes_nothing(
    counter: tuple[Counter, Server], tmp_path: Path, database_url: str
) -> None:
    terminal, _ = counter
    number = enroll_from_json(terminal, tmp_path)
    _, out, _ = terminal.run("deposit", number, *LATE, "--from", _days_ago(100), "--insist")
    deposit = _deposit_number(out)
    code, _, err = terminal.run(
        "deposit", "cancel", deposit, "--reason", "enveloppe rendue", stdin="sup.cp-01\nwrong\n"
    )
    assert code == 3
    assert "superviseur" in err
    assert _count(database_url, DepositCancellation) == 0
    code, out, err = terminal.run(
        "deposit",
        "cancel",
        deposit,
        "--reason",
        "enveloppe rendue",
        stdin=f"sup.cp-01\n{E2E_PASSWORD}\n",
    )
    assert code == 0, err
    assert "DÉPÔT ANNULÉ" in out
    assert "Rendez l'enveloppe à l'assuré." in out
    assert _count(database_url, DepositCancellation) == 1
    code, _, err = terminal.run(
        "deposit", "cancel", deposit, "--reason", "encore", stdin=f"sup.cp-01\n{E2E_PASSWORD}\n"
    )
    assert code == 3
    assert "Ce dépôt est déjà annulé." in err


def test_the_day_closes_into_a_bordereau_and_the_workers_files_say_where_each_is(
    counter: tuple[Counter, Server], tmp_path: Path
) -> None:
    terminal, _ = counter
    number = enroll_from_json(terminal, tmp_path, dependents=[child()])
    # By CIN the dependents are listed: the second line of the menu is the child.
    code, out, err = terminal.answers(
        "deposit", "--cin", *LATE, "--from", _days_ago(100), "--insist", lines=["BE123456", "2"]
    )
    assert code == 0, err
    assert "Youssef El Amrani" in out
    first = _deposit_number(out)
    _, out, _ = terminal.run("deposit", number, *LATE, "--from", _days_ago(90), "--insist")
    second = _deposit_number(out)
    manifest = tmp_path / "manifest.jws"
    code, out, err = terminal.run(
        "transmittal", "close", "--width", "80", "--manifest", str(manifest)
    )
    assert code == 0, err
    assert "BORDEREAU D'ENVOI" in out
    assert first in out
    assert second in out
    assert "Pièces à compter" in out
    slip = next(w for w in out.split() if w.startswith("B-CASHPLUS-"))
    assert manifest.read_text().count(".") == 2
    code, _, err = terminal.run("transmittal", "close")
    assert code == 3
    assert "aucun bordereau n'a été établi" in err
    code, out, err = terminal.run("deposits", number)
    assert code == 0, err
    assert f"Envoyé à la CNSS, bordereau {slip}" in out
    assert out.index(second) < out.index(first)  # newest first
    code, out, err = terminal.run("--lang", "ar", "deposits", number)
    assert code == 0, err
    assert f"أُرسل إلى الصندوق ضمن الجدول {slip}" in out


def test_cnss_tracking_file_shows_at_the_counter_as_each_files_journey(
    counter: tuple[Counter, Server], tmp_path: Path, database_url: str, key_dir: Path
) -> None:
    terminal, _ = counter
    number = enroll_from_json(terminal, tmp_path)
    paid, refused, lost = (
        _deposit_number(
            terminal.run("deposit", number, *LATE, "--from", _days_ago(d), "--insist")[1]
        )
        for d in (100, 90, 80)
    )
    code, out, err = terminal.run("transmittal", "close")
    assert code == 0, err
    slip = next(w for w in out.split() if w.startswith("B-CASHPLUS-"))
    day = datetime.now(UTC).astimezone(CASABLANCA).strftime("%d/%m/%Y")
    lines = [
        "ID_EVENEMENT;DATE_EVENEMENT;CODE_RESEAU;NUM_BORDEREAU;NUM_DEPOT;NUM_IMMATRICULATION;"
        "NUM_DOSSIER_CNSS;STATUT;MONTANT_REMBOURSE;MOTIF",
        f"V1;{day};CASHPLUS;{slip};;;;BORDEREAU_RECU;;",
        f"V2;{day};CASHPLUS;{slip};{paid};{number};AMO26-1;REMBOURSE;274,00;",
        f'V3;{day};CASHPLUS;{slip};{refused};{number};AMO26-2;REJETE;;"R02 - délai; dépassé"',
        f"V4;{day};CASHPLUS;{slip};{lost};{number};;NON_RECU;;",
        "TOTAL;4;274,00;;;;;;;",
    ]
    tracking = tmp_path / f"CNSS_SUIVI_DOSSIERS_CASHPLUS_{day[6:]}{day[3:5]}{day[:2]}.csv"
    tracking.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode())
    applied = subprocess.run(  # noqa: S603 - our own command, fixed argv
        [sys.executable, "-m", "reconciliation.cli", "tracking", str(tracking)],
        env=server_env(database_url, key_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "missing_envelope" in applied.stdout, applied.stderr
    code, out, err = terminal.run("deposits", number)
    assert code == 0, err
    # Each file on two lines: what was deposited, then where it is.
    assert out.split(paid, 1)[1].split("\n")[1].strip().startswith("Remboursé : 274,00 MAD")
    assert "Refusé par la CNSS (R02 — délai de dépôt dépassé)" in out
    assert f"Manquant : la CNSS ne l'a pas trouvé dans le bordereau {slip}" in out
    code, out, err = terminal.run("--lang", "ar", "deposits", number)
    assert "تم التعويض: 274,00 MAD" in out
    assert f"مفقود: لم يجده الصندوق ضمن الجدول {slip}" in out
