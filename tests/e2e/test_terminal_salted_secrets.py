"""The counter salts every body that carries a password or a payer's phone (issue 16, item 3),
against the real server: each sign-in and each supervisor's approval draws its own salt, a
collection with the payer's phone queued through an outage keeps the salt it was signed with
and is resent byte for byte, and the audit log holds the digest of those very bytes."""

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
from terminal_client.outbox import Item, Outbox
from tests.e2e.conftest import E2E_PASSWORD, Server
from tests.support.counter import Counter, enroll_from_json, signed_in_counter
from tests.support.log import sequenced

PAYER_PHONE = "0661223344"


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


def _sent(counter: Counter, path: str) -> list[Item]:
    """What the counter signed for ``path``, oldest first, as its outbox keeps it."""
    outbox = Outbox(Home(counter.home).outbox_file)
    items = [item for item in outbox.recent() if item.path == path]
    outbox.close()
    return items[::-1]


def _digests(database_url: str, path: str) -> list[str]:
    """The content digests the audit log holds for signed writes to ``path``, oldest first."""
    engine = sequenced(build_engine(database_url))
    with Session(engine) as session:
        leaves = session.exec(select(AuditLeaf).order_by(col(AuditLeaf.leaf_index))).all()
    engine.dispose()
    found = []
    for leaf in leaves:
        data = json.loads(leaf.data)
        if data.get("kind") == "signed_write" and data["request"]["path"] == path:
            found.append(data["request"]["covered"]["content-digest"])
    return found


def _outbox_bytes(counter: Counter) -> bytes:
    """Every byte of the counter's outbox on disk: the database and its journal."""
    outbox = Home(counter.home).outbox_file
    files = [outbox, outbox.with_name(outbox.name + "-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def test_each_sign_in_and_each_approval_carry_their_own_salt_and_no_password_stays_behind(
    counter: tuple[Counter, Server], tmp_path: Path, database_url: str
) -> None:
    terminal, _ = counter
    assert terminal.run("login", "op.cp-01", stdin=E2E_PASSWORD + "\n")[0] == 0
    number = enroll_from_json(terminal, tmp_path)
    code, out, err = terminal.run("pay", "--yes", number, "20")
    assert code == 0, err
    receipt = next(x for x in out.split() if x.startswith("R-CASHPLUS-"))
    code, _, err = terminal.run(
        "reverse", receipt, "--reason", "mauvais assuré", stdin=f"sup.cp-01\n{E2E_PASSWORD}\n"
    )
    assert code == 0, err

    # Two sign-ins with the same username and password: without a salt their bodies, and so
    # the digests the log keeps, would be the same.
    sign_ins = _digests(database_url, "/v1/sessions")
    assert len(sign_ins) == 2
    assert len(set(sign_ins)) == 2
    unsalted = json.dumps({"username": "op.cp-01", "password": E2E_PASSWORD}).encode()
    assert content_digest(unsalted) not in sign_ins
    reversal = f"/v1/contributions/{receipt}/reversal"
    [approval] = _digests(database_url, reversal)
    approve = {"username": "sup.cp-01", "password": E2E_PASSWORD}
    unsalted = json.dumps({"reason": "mauvais assuré", "supervisor": approve}).encode()
    assert approval != content_digest(unsalted)

    # Once over, these writes leave no password in the counter's outbox on disk.
    assert [i.body for i in _sent(terminal, "/v1/sessions")] == [b"", b""]
    assert [i.body for i in _sent(terminal, reversal)] == [b""]
    assert E2E_PASSWORD.encode() not in _outbox_bytes(terminal)


def test_a_queued_collection_with_the_payers_phone_is_resent_with_the_salt_it_was_signed_with(
    counter: tuple[Counter, Server],
    tmp_path: Path,
    database_url: str,
    start_server: Callable[..., Server],
) -> None:
    terminal, server = counter
    number = enroll_from_json(terminal, tmp_path)
    server.process.terminate()
    server.process.wait(timeout=10)
    code, _, _ = terminal.run("pay", "--yes", "--payer-phone", PAYER_PHONE, number, "30")
    assert code == 6  # queued
    [queued] = _sent(terminal, "/v1/contributions")
    body = json.loads(queued.body)
    assert body["payer_phone"] == PAYER_PHONE
    assert len(body["salt"]) >= 22

    back = start_server()
    terminal.point_at(back.url)
    code, out, err = terminal.run("outbox", "sync")
    assert code == 0, err
    assert "R-CASHPLUS-" in out
    [resent] = _sent(terminal, "/v1/contributions")
    assert resent.body == queued.body
    assert _digests(database_url, "/v1/contributions") == [content_digest(queued.body)]
