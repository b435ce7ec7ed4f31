"""``qurb-audit verify`` and key rotation, on a clock that moves as a real one does.

A rotation request is signed by the key it retires: the leaf recording it is the retired
key's last legitimate use, whatever the clock read when each was stamped. A write the log
records after that leaf with the retired key is still a finding.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from agent_api.protocol import merkle
from auditor.cli import main
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World
from tests.support.reconciliation import enroll, pay
from tests.support.terminal import TestTerminal


class TickingClock(FakeClock):
    """Every reading is a millisecond after the one before: the rotation's retirement and
    the leaf that records it, taken in that order, get different times."""

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return TickingClock()


@pytest.fixture
def rotated(world: World, terminal: TestTerminal) -> str:
    """A collection, a rotation, then more collections with the new key: the old key's id."""
    worker = enroll(terminal)
    pay(terminal, worker, 7_000, "CA-01")
    old = terminal.keyid
    assert terminal.rotate().status_code == 201
    assert terminal.login("op.ca-01", PASSWORD).status_code == 201
    pay(terminal, worker, 8_000, "CA-01")
    world.services.audit.checkpoint()
    return old


def _verify(
    url: str, world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    out = tmp_path / "export.json"
    assert main(["export", "--database-url", url, "--output", str(out)]) == 0
    jwks = tmp_path / "keys.json"
    jwks.write_text(world.client.get("/v1/keys").text)
    capsys.readouterr()
    key = world.services.audit.verifier_key()
    status = main(["verify", str(out), "--key", key, "--jwks", str(jwks)])
    return status, capsys.readouterr().out


def _leaves(engine: Engine) -> list[tuple[int, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT leaf_index, data, recorded_at FROM audit_leaves ORDER BY leaf_index")
        ).all()
    return [(int(i), str(d), str(r)) for i, d, r in rows]


def test_a_log_with_a_key_rotation_verifies_clean(
    rotated: str,
    world: World,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out = _verify(database_url, world, tmp_path, capsys)
    assert status == 0, out
    assert "used after" not in out
    assert "clean" in out


def _replay_at_the_end(engine: Engine, keyid: str, amount: int) -> tuple[int, int]:
    """The collection of ``amount`` that ``keyid`` signed, slipped in again at the end of
    the log as a careful forger would (its own index, a later time, a fresh hash): the
    genuine leaf's index and the forged one's."""
    leaves = _leaves(engine)
    index, data, recorded = next(
        (i, d, r)
        for i, d, r in leaves
        if f'"amount_centimes":{amount}' in d and f'"keyid":"{keyid}"' in d
    )
    body = json.loads(data)
    body["index"] = len(leaves)
    last = datetime.fromisoformat(json.loads(leaves[-1][1])["at"])
    body["at"] = (last + timedelta(seconds=1)).isoformat()
    forged = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_leaves (leaf_index, kind, data, leaf_hash, recorded_at)"
                " VALUES (:i, :k, :d, :h, :r)"
            ),
            {
                "i": len(leaves),
                "k": body["kind"],
                "d": forged,
                "h": merkle.leaf_hash(forged.encode()).hex(),
                "r": recorded,
            },
        )
    return index, len(leaves)


def test_a_write_logged_with_the_retired_key_after_its_rotation_is_reported(
    rotated: str,
    world: World,
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    genuine, forged = _replay_at_the_end(engine, rotated, 7_000)
    status, out = _verify(database_url, world, tmp_path, capsys)
    assert status == 1, out
    assert f"leaf {forged}: key {rotated} used after it was retired" in out, out
    # Only the forged one: not the genuine collection, nor the rotation the old key signed.
    assert out.count("used after") == 1, out
    assert f"leaf {genuine}:" not in out


def test_a_write_logged_after_the_terminal_was_revoked_is_reported(
    world: World,
    terminal: TestTerminal,
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pay(terminal, enroll(terminal), 6_000, "CA-01")
    revoke = f"/v1/admin/terminals/{terminal.terminal_id}/revoke"
    assert world.client.post(revoke, headers=world.auth("admin.cashplus")).status_code == 200
    world.services.audit.checkpoint()
    clean, out = _verify(database_url, world, tmp_path, capsys)
    assert clean == 0, out
    _, forged = _replay_at_the_end(engine, terminal.keyid, 6_000)
    status, out = _verify(database_url, world, tmp_path, capsys)
    assert status == 1, out
    assert f"leaf {forged}: key {terminal.keyid} used after it was revoked" in out, out
