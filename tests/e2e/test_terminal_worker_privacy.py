"""The counter with issue 16's protections, against the real server: a worker read by number
shows the name, dues and rights but not the birth date, phone or address; another office
amends a worker with the CIN from their card; and every body with personal data carries a
salt drawn once, so a queued enrollment is resent byte for byte and the audit log's digest
of it is the digest of those very bytes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from agent_api.persistence.db import build_engine
from agent_api.persistence.tables import AuditLeaf
from agent_api.protocol.digest import content_digest
from terminal_client.home import Home
from terminal_client.outbox import Outbox
from tests.e2e.conftest import Server, seed_offices
from tests.support.counter import Counter, enroll_from_json, sign_in, signed_in_counter
from tests.support.log import sequenced
from tests.support.workers import worker_payload

CIN = "BE123456"


@pytest.fixture
def two_networks(
    start_server: Callable[..., Server],
    database_url: str,
    key_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Counter, Counter, str]:
    codes = seed_offices(database_url, key_dir, [("CASHPLUS", "CP-01"), ("WAFACASH", "WA-01")])
    server = start_server()
    home = sign_in(
        Counter(tmp_path / "a", capsys, monkeypatch), server.url, codes["CP-01"], "CP-01"
    )
    away = sign_in(
        Counter(tmp_path / "b", capsys, monkeypatch), server.url, codes["WA-01"], "WA-01"
    )
    return home, away, enroll_from_json(home, tmp_path, cin=CIN)


def test_find_by_number_at_another_office_shows_the_name_and_rights_not_the_contact(
    two_networks: tuple[Counter, Counter, str],
) -> None:
    _, away, number = two_networks
    code, out, err = away.run("find", number)
    assert code == 0, err
    assert "Fatima" in out
    assert "El Amrani" in out
    assert "Droits santé" in out
    assert "1985-04-12" not in out
    assert "+212" not in out
    assert "Orangers" not in out
    code, out, err = away.run("--lang", "ar", "find", number)
    assert code == 0, err
    assert "الحقوق الصحية" in out
    assert not any(word in out for word in ("Health", "rights", "Status", "Dues"))


def test_another_office_amends_once_the_operator_types_the_cin_from_the_card(
    two_networks: tuple[Counter, Counter, str],
) -> None:
    _, away, number = two_networks
    code, out, err = away.run("amend", number, "--city", "Fès", stdin="BE 123456\n")
    assert code == 0, err + out
    assert "Un autre bureau a immatriculé cet assuré" in out
    assert "CIN (lue sur la carte de l'assuré)" in out
    assert "Fès" in out
    assert CIN not in out


def test_the_full_file_at_another_office_comes_with_the_cin(
    two_networks: tuple[Counter, Counter, str],
) -> None:
    _, away, _ = two_networks
    code, out, err = away.run("find", "--cin", stdin=f"{CIN}\n")
    assert code == 0, err
    assert "+212612345678" in out
    assert CIN not in out


def test_a_queued_enrollment_keeps_its_salt_and_the_log_holds_the_digest_of_its_bytes(
    start_server: Callable[..., Server],
    database_url: str,
    key_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counter, server = signed_in_counter(
        start_server, database_url, key_dir, tmp_path, capsys, monkeypatch
    )
    server.process.terminate()
    server.process.wait(timeout=10)
    payload = tmp_path / "worker.json"
    payload.write_text(json.dumps(worker_payload(cin=CIN)))
    code, _, _ = counter.run("enroll", "--from-json", str(payload))
    assert code == 6  # queued
    outbox = Outbox(Home(counter.home).outbox_file)
    [queued] = [item for item in outbox.pending() if item.path == "/v1/workers"]
    outbox.close()
    salt = json.loads(queued.body)["salt"]
    assert len(salt) >= 22
    assert salt not in payload.read_text()  # drawn by the terminal, not typed

    back = start_server()
    counter.point_at(back.url)
    code, _, err = counter.run("outbox", "sync")
    assert code == 0, err
    engine = sequenced(build_engine(database_url))
    with Session(engine) as session:
        leaves = session.exec(select(AuditLeaf).order_by(col(AuditLeaf.leaf_index))).all()
    engine.dispose()
    enrolled = [
        json.loads(leaf.data)
        for leaf in leaves
        if '"/v1/workers"' in leaf.data and '"status":201' in leaf.data
    ]
    assert len(enrolled) == 1
    assert enrolled[0]["request"]["covered"]["content-digest"] == content_digest(queued.body)


def test_find_after_a_payment_says_what_fell_due_not_that_it_is_owed(
    two_networks: tuple[Counter, Counter, str],
) -> None:
    home, _, number = two_networks
    quote_code, quote, _ = home.run("quote", number)
    assert quote_code == 0
    owed = next(line for line in quote.splitlines() if line.startswith("Total"))
    amount = owed.split(":", 1)[1].strip().removesuffix(" MAD")
    assert home.run("pay", "--yes", number, amount)[0] == 0
    code, out, err = home.run("find", number)
    assert code == 0, err
    # Everything due is paid: the line on dues must not read as money still owed.
    assert "dû(s)" not in out
    assert "échu(s) depuis" in out
    assert "en tout" in out
