"""``qurb-audit`` on a real database: a clean log verifies clean, and each tampering a
database administrator could try is caught with a precise finding."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from agent_api.protocol import merkle
from auditor import tile_log
from auditor.cli import main
from reconciliation.container import Reconciliation
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.integration.test_audit_tiles import grow_log
from tests.support.reconciliation import close_and_settle, enroll, pay, today
from tests.support.terminal import TestTerminal


@pytest.fixture
def logged(world: World, terminal: TestTerminal, clock: FakeClock, database_url: str) -> str:
    """A day of collections, closed and settled (a checkpoint), then more activity."""
    worker = enroll(terminal)
    for amount in (7_000, 8_000, 9_000):
        pay(terminal, worker, amount, "CA-01")
    services = world.services
    close_and_settle(Reconciliation.build(services.settings, services.engine, clock), today(clock))
    enroll(terminal)
    services.audit.checkpoint()
    return database_url


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


def _sql(engine: Engine, statement: str, **params: object) -> None:
    with engine.begin() as connection:
        connection.execute(text(statement), params)


def _leaf(engine: Engine, index: int) -> tuple[str, str]:
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT data, recorded_at FROM audit_leaves WHERE leaf_index = :i"), {"i": index}
        ).one()
    return str(row[0]), str(row[1])


def _size(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM audit_leaves")).scalar_one())


def _collection_index(engine: Engine) -> int:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT leaf_index, data FROM audit_leaves")).all()
    return next(int(i) for i, d in rows if '"amount_centimes":8000' in d)


def test_an_untouched_log_verifies_clean_with_its_settlement(
    logged: str, world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = _verify(logged, world, tmp_path, capsys)
    assert status == 0, out
    assert "clean" in out
    assert " 0 token-bound" in out  # every signature re-verified from the log alone
    assert " 0 signatures verified" not in out
    assert " 2 settlements checked, 5 receipts checked" in out  # 2 enrollments, 3 payments
    assert "0 checkpoints" not in out


def _edit_amount(engine: Engine) -> None:
    i = _collection_index(engine)
    data, _ = _leaf(engine, i)
    _sql(
        engine,
        "UPDATE audit_leaves SET data = :d WHERE leaf_index = :i",
        d=data.replace('"amount_centimes":8000', '"amount_centimes":800'),
        i=i,
    )


def _rewrite(engine: Engine, index: int, data: str) -> None:
    """Replace a leaf's bytes and, as a careful forger would, its hash too."""
    _sql(
        engine,
        "UPDATE audit_leaves SET data = :d, leaf_hash = :h WHERE leaf_index = :i",
        d=data,
        h=merkle.leaf_hash(data.encode()).hex(),
        i=index,
    )


def _edit_amount_and_rehash(engine: Engine) -> None:
    i = _collection_index(engine)
    data, _ = _leaf(engine, i)
    _rewrite(engine, i, data.replace('"amount_centimes":8000', '"amount_centimes":800'))


def _delete_row(engine: Engine) -> None:
    _sql(engine, "DELETE FROM audit_leaves WHERE leaf_index = :i", i=_collection_index(engine))


def _insert_back_dated(engine: Engine) -> None:
    n = _size(engine)
    last, recorded = _leaf(engine, n - 1)
    body = json.loads(last)
    body["entry"] = secrets.token_hex(16)
    # Dated an hour before the leaf it follows, with the promise that date makes: slipped in
    # afterwards, it is in none of the checkpoints signed after that promise ran out.
    at = datetime.fromisoformat(body["at"]) - timedelta(hours=1)
    body["at"] = at.isoformat()
    body["log_by"] = (at + timedelta(hours=1)).isoformat()
    _insert_leaf(engine, n, body, recorded)


def _log_twice(engine: Engine) -> None:
    n = _size(engine)
    last, recorded = _leaf(engine, n - 1)
    _insert_leaf(engine, n, json.loads(last), recorded)


def _insert_leaf(engine: Engine, n: int, body: dict[str, object], recorded: object) -> None:
    data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    _sql(
        engine,
        "INSERT INTO audit_leaves (leaf_index, kind, data, leaf_hash, recorded_at)"
        " VALUES (:i, :k, :d, :h, :r)",
        i=n,
        k=body["kind"],
        d=data,
        h=merkle.leaf_hash(data.encode()).hex(),
        r=recorded,
    )


def _reorder(engine: Engine) -> None:
    i = _collection_index(engine)
    a, _ = _leaf(engine, i)
    b, _ = _leaf(engine, i + 1)
    _rewrite(engine, i, b)
    _rewrite(engine, i + 1, a)


def _forge_receipt(engine: Engine) -> None:
    # A receipt slipped into the receipts table, signed by nobody the service publishes.
    _sql(engine, "UPDATE receipts SET jws = :j WHERE id = 1", j="eyJhbGciOiJFZERTQSJ9.e30.AAAA")


def _backdate_revocation(engine: Engine) -> None:
    # The terminal's key recorded as revoked long before its requests: whatever it signed
    # afterwards was signed with a key it no longer held.
    revoked = datetime(2026, 1, 1, tzinfo=UTC)
    _sql(engine, "UPDATE terminal_keys SET status = 'revoked', retired_at = :at", at=revoked)


def _truncate(engine: Engine) -> None:
    _sql(engine, "DELETE FROM audit_leaves WHERE leaf_index >= :i", i=_size(engine) - 2)


TAMPERINGS: dict[str, tuple[Callable[[Engine], None], str]] = {
    "edit an amount": (_edit_amount, "do not hash to the stored leaf hash"),
    "edit an amount and rehash": (_edit_amount_and_rehash, "has another root"),
    "delete a row": (_delete_row, "leaves are missing or reordered"),
    "insert a back-dated row": (_insert_back_dated, "(the log broke its promise)"),
    "log an entry twice": (_log_twice, "(logged twice)"),
    # Leaves sequenced in batches name their entry, not their index: moved, they make
    # another tree.
    "reorder two leaves": (_reorder, "has another root"),
    "truncate the log": (_truncate, "the log was truncated"),
    "forge a receipt": (_forge_receipt, "receipt R-CASHPLUS-00000001: "),
    "use a key after its revocation": (_backdate_revocation, "used after it was revoked"),
}


@pytest.mark.parametrize("name", TAMPERINGS)
def test_each_tampering_is_caught_with_a_precise_finding(
    logged: str,
    world: World,
    engine: Engine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
) -> None:
    tamper, finding = TAMPERINGS[name]
    tamper(engine)
    status, out = _verify(logged, world, tmp_path, capsys)
    assert status == 1, out
    assert finding in out, out


def test_a_receipt_upgraded_with_its_proof_verifies_offline_and_a_forged_one_does_not(
    world: World, terminal: TestTerminal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    collected = pay(terminal, enroll(terminal), 6_000, "CA-01")
    auditor = world.auth("cnss.auditor")
    bundle = world.client.get(f"/v1/audit/receipts/{collected.receipt}/proof", headers=auditor)
    assert bundle.status_code == 200, bundle.text
    (tmp_path / "proof.json").write_text(bundle.text)
    (tmp_path / "jwks.json").write_text(world.client.get("/v1/keys").text)
    key = world.services.audit.verifier_key()
    args = ["--jwks", str(tmp_path / "jwks.json"), "--key", key]
    assert main(["verify-proof", str(tmp_path / "proof.json"), *args]) == 0
    assert f"receipt {collected.receipt}: signature valid" in capsys.readouterr().out
    forged = bundle.json()
    forged["leaf"] = forged["leaf"].replace('"amount_centimes":6000', '"amount_centimes":600')
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    assert main(["verify-proof", str(tmp_path / "forged.json"), *args]) == 1
    assert "not in the checkpointed tree" in capsys.readouterr().out
    receipt = bundle.json()["receipt"]
    assert main(["verify-receipt", receipt, "--jwks", str(tmp_path / "jwks.json")]) == 0


def test_a_newer_checkpoint_is_shown_to_extend_an_older_one_kept_by_the_auditor(
    logged: str,
    world: World,
    terminal: TestTerminal,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = tmp_path / "old.note"
    old.write_text(world.client.get("/v1/audit/checkpoint").text)
    enroll(terminal)
    world.services.audit.checkpoint()
    new = tmp_path / "new.note"
    new.write_text(world.client.get("/v1/audit/checkpoint").text)
    export = tmp_path / "export.json"
    assert main(["export", "--database-url", logged, "--output", str(export)]) == 0
    key = world.services.audit.verifier_key()
    assert main(["consistency", str(old), str(new), "--key", key, "--export", str(export)]) == 0
    assert "extends" in capsys.readouterr().out
    assert main(["consistency", str(new), str(old), "--key", key, "--export", str(export)]) == 1


# -- from tiles alone (C2SP tlog-tiles) -----------------------------------------------------


class _Served:
    """The service as ``--url`` reaches it, through the test client, with the command's
    bearer token when it gives one."""

    def __init__(self, world: World, token: str | None) -> None:
        self._client = world.client
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.seen: list[str] = []

    def get(self, path: str) -> Any:
        self.seen.append(path)
        return self._client.get(path, headers=self._headers)

    def close(self) -> None:
        pass  # the test client outlives the command


@pytest.fixture
def served(world: World, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(tile_log, "http_client", lambda url, token=None: _Served(world, token))
    return "http://testserver"


@pytest.fixture
def token(world: World) -> str:
    """An auditor's back-office token: the entry bundles are the auditor's alone."""
    return world.sign_in("cnss.auditor")


@pytest.fixture
def tiled(logged: str, world: World) -> str:
    """The logged day, then filler leaves past a full tile, signed: tiles at two levels."""
    grow_log(world.services.engine, 700)
    world.services.audit.checkpoint()
    return logged


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_whole_log_verifies_from_its_tiles_over_http_and_from_an_export_directory(
    tiled: str,
    served: str,
    token: str,
    world: World,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = world.services.audit.verifier_key()
    from_db, from_http = tmp_path / "db", tmp_path / "http"
    assert main(["export-tiles", "--database-url", tiled, "--output", str(from_db)]) == 0
    http = ["export-tiles", "--url", served, "--token", token, "--output", str(from_http)]
    assert main(http) == 0
    exported = _files(from_db)
    assert exported == _files(from_http)
    assert {"checkpoint", "tile/0/000", "tile/0/001", "tile/0/002.p/188", "tile/1/000.p/2"} <= set(
        exported
    )
    assert {"tile/entries/000", "tile/entries/002.p/188"} <= set(exported)
    capsys.readouterr()
    assert main(["verify-tiles", "--key", key, "--dir", str(from_db)]) == 0
    assert "700 entries and 4 tiles recomputed: clean" in capsys.readouterr().out
    assert main(["verify-tiles", "--key", key, "--url", served, "--token", token]) == 0
    assert "clean" in capsys.readouterr().out
    # Without the log's key, nothing is believed.
    other = "other.example+0a0b0c0d+AQ" + "A" * 42 + "="
    assert main(["verify-tiles", "--key", other, "--dir", str(from_db)]) == 2


def test_a_leaf_altered_after_it_was_signed_shows_in_the_tiles_it_no_longer_makes(
    tiled: str,
    served: str,
    token: str,
    world: World,
    engine: Engine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    index = _collection_index(engine)
    data, _ = _leaf(engine, index)
    _rewrite(engine, index, data.replace('"amount_centimes":8000', '"amount_centimes":800'))
    key = world.services.audit.verifier_key()
    capsys.readouterr()
    assert main(["verify-tiles", "--key", key, "--url", served, "--token", token]) == 1
    out = capsys.readouterr().out
    assert f"tile 0/0: hash {index} is not what the entries make" in out
    assert "checkpoint 700: its root is not the root of the entries" in out
    # A tile edited in an export is caught as well.
    directory = tmp_path / "export"
    assert main(["export-tiles", "--database-url", tiled, "--output", str(directory)]) == 0
    _rewrite(engine, index, data)  # the database back as signed: only the file differs now
    level_one = directory / "tile/1/000.p/2"
    level_one.write_bytes(bytes(32) + level_one.read_bytes()[32:])
    assert main(["verify-tiles", "--key", key, "--dir", str(directory)]) == 1
    assert "tile 1/0: hash 0 is not what the entries make" in capsys.readouterr().out


def test_a_receipt_and_two_checkpoints_verify_from_a_few_tiles(
    tiled: str,
    served: str,
    token: str,
    world: World,
    terminal: TestTerminal,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = world.services.audit.verifier_key()
    old = tmp_path / "old.note"
    old.write_text(world.client.get("/v1/audit/checkpoint").text)
    collected = pay(terminal, enroll(terminal), 6_000, "CA-01")
    jws = terminal.send("GET", f"/v1/receipts/{collected.receipt}").json()["receipt"]
    jwks = tmp_path / "jwks.json"
    jwks.write_text(world.client.get("/v1/keys").text)
    receipt = ["verify-receipt-tiles", jws, "--jwks", str(jwks), "--key", key, "--url", served]
    receipt += ["--token", token]
    capsys.readouterr()
    assert main(receipt) == 1  # collected after the last checkpoint: not signed yet
    assert "not in the checkpoint of 700 leaves yet" in capsys.readouterr().out
    world.services.audit.checkpoint()
    assert main(receipt) == 0
    assert f"receipt {collected.receipt}: signature valid" in capsys.readouterr().out
    new = tmp_path / "new.note"
    new.write_text(world.client.get("/v1/audit/checkpoint").text)
    directory = tmp_path / "export"
    exporting = ["export-tiles", "--url", served, "--token", token, "--output", str(directory)]
    assert main(exporting) == 0
    extends = ["--key", key, "--dir", str(directory)]
    assert main(["consistency-tiles", str(old), str(new), *extends]) == 0
    assert "extends checkpoint 700 (from tiles)" in capsys.readouterr().out
    assert main(["consistency-tiles", str(new), str(old), *extends]) == 1
    assert main(["verify-receipt-tiles", jws, "--jwks", str(jwks), *extends]) == 0


def test_the_entries_over_http_need_an_auditors_token_and_the_tiles_none(
    tiled: str,
    served: str,
    token: str,
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The entry bundles are the leaves, the auditor's alone: without a token a command that
    reads them says what it needs; another role's token is refused; the token may come from
    the environment; it is never printed; two checkpoints' consistency (tiles only) needs
    none."""
    key = world.services.audit.verifier_key()
    monkeypatch.delenv("QURB_AUDIT_TOKEN", raising=False)
    whole = ["verify-tiles", "--key", key, "--url", served]
    nothing = tmp_path / "nothing"
    commands = [whole, ["export-tiles", "--url", served, "--output", str(nothing)]]
    capsys.readouterr()
    for command in commands:
        assert main(command) == 2, command
        assert "an auditor's token is needed for the entries (--token)" in capsys.readouterr().err
    assert not nothing.exists()  # refused before anything was written
    finance = world.sign_in("cnss.finance")
    assert main([*whole, "--token", finance]) == 2
    err = capsys.readouterr().err
    assert "not an auditor's (403)" in err
    assert finance not in err
    assert main([*whole, "--token", "not-a-token"]) == 2
    assert "the service refused the token given (401)" in capsys.readouterr().err
    monkeypatch.setenv("QURB_AUDIT_TOKEN", token)
    assert main(whole) == 0
    captured = capsys.readouterr()
    assert "clean" in captured.out
    assert token not in captured.out + captured.err
    monkeypatch.delenv("QURB_AUDIT_TOKEN")
    old = tmp_path / "old.note"
    old.write_text(world.client.get("/v1/audit/checkpoint").text)
    grow_log(world.services.engine, 900)
    world.services.audit.checkpoint()
    new = tmp_path / "new.note"
    new.write_text(world.client.get("/v1/audit/checkpoint").text)
    assert main(["consistency-tiles", str(old), str(new), "--key", key, "--url", served]) == 0
    assert "extends checkpoint 700 (from tiles)" in capsys.readouterr().out
