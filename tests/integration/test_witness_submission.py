"""The hub submits each checkpoint to its witnesses and publishes their cosignatures: the
served checkpoint carries them, a witness that lost track is caught up after its 409, a
rewritten history gets none, and a witness that is down or lies costs nothing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlmodel import Session, delete, select

from agent_api.errors import ConfigurationError
from agent_api.http.app import _sign_checkpoints
from agent_api.persistence.db import build_engine
from agent_api.persistence.tables import AuditCosignature
from agent_api.protocol.checkpoint import NoteVerifier, open_checkpoint
from agent_api.protocol.cosignature import Cosigner, CosignerKey, cosign, require_quorum
from agent_api.protocol.errors import NoteError
from agent_api.protocol.keys import private_key_from_seed
from agent_api.services.container import Services
from agent_api.services.log import audit_log
from agent_api.services.log.transparency import CheckpointView
from agent_api.services.log.witnessing import WitnessConfig, Witnessing
from agent_api.settings import Settings
from auditor import witness_cli, witness_store
from auditor.cli import main
from auditor.witness import create_witness_app
from tests.conftest import FakeClock
from tests.e2e.conftest import free_port
from tests.integration.conftest import World
from tests.support.reconciliation import enroll, pay
from tests.support.terminal import TestTerminal

WITNESS_URL = "http://witness.test"


def submit_once(submitter: Witnessing, view: CheckpointView) -> dict[str, str]:
    """One round of submissions, as the checkpoint loop makes, then the client closed."""

    async def run() -> dict[str, str]:
        try:
            return await submitter.submit(view)
        finally:
            await submitter.aclose()

    return asyncio.run(run())


class Harness:
    """One witness (its own directory and key) and the hub's submitter wired to it."""

    def __init__(self, world: World, directory: Path) -> None:
        self.world = world
        self.directory = directory
        self.key: CosignerKey = witness_store.init(directory, "witness.test/w1").key()
        origin = world.services.audit.origin
        self.witness = witness_cli.build(
            directory, witness_cli.parse_logs([f"{origin}={world.services.audit.verifier_key()}"])
        )
        self.transport = httpx.ASGITransport(app=create_witness_app(self.witness))

    def submitter(self, services: Services | None = None) -> Witnessing:
        chosen = services or self.world.services
        return Witnessing(
            chosen.new_uow,
            chosen.audit,
            [WitnessConfig(WITNESS_URL, self.key)],
            timeout_ms=2000,
            clock=chosen.clock,
            transport=self.transport,
        )

    def checkpoint_and_submit(self, services: Services | None = None) -> str:
        chosen = services or self.world.services
        latest = chosen.audit.checkpoint()
        return submit_once(self.submitter(chosen), latest)[self.key.name]

    def served(self) -> str:
        return self.world.client.get("/v1/audit/checkpoint").text

    def stored(self) -> list[int]:
        with Session(self.world.services.engine) as session:
            return sorted(session.exec(select(AuditCosignature.size)).all())


@pytest.fixture
def harness(world: World, tmp_path: Path) -> Harness:
    return Harness(world, tmp_path / "witness")


def _cosigned(harness: Harness) -> float:
    value = REGISTRY.get_sample_value(
        "qurb_witness_submissions_total", {"witness": harness.key.name, "outcome": "cosigned"}
    )
    return value or 0.0


def test_each_new_checkpoint_is_cosigned_and_served_with_the_cosignature(
    harness: Harness, terminal: TestTerminal
) -> None:
    before = _cosigned(harness)
    enroll(terminal)
    assert harness.checkpoint_and_submit() == "cosigned"
    first = harness.served()
    [cosignature] = require_quorum(first, [harness.key], 1)
    assert cosignature.key.name == "witness.test/w1"
    # The log's own signature still verifies: the cosignature is one more line.
    log_key = NoteVerifier.from_string(harness.world.client.get("/v1/audit/key").text.strip())
    small = open_checkpoint(first, [log_key])
    enroll(terminal)
    enroll(terminal)
    # The witness holds the first size; the submission carries the proof from there.
    assert harness.checkpoint_and_submit() == "cosigned"
    second = harness.served()
    assert open_checkpoint(second, [log_key]).size > small.size
    require_quorum(second, [harness.key], 1)
    assert len(harness.stored()) == 2
    # Nothing new: the witness is not asked again.
    assert harness.checkpoint_and_submit() == "current"
    assert _cosigned(harness) == before + 2
    # The auditor's list of checkpoints carries them too (what `qurb-audit export` keeps).
    items = harness.world.client.get(
        "/v1/audit/checkpoints", headers=harness.world.auth("cnss.auditor")
    ).json()["items"]
    assert [bool(require_quorum(i["note"], [harness.key], 1)) for i in items[-2:]] == [True, True]


def test_an_export_from_a_database_copy_carries_the_cosignatures_a_quorum_needs(
    harness: Harness,
    terminal: TestTerminal,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``qurb-audit export --database-url`` keeps each checkpoint's note as the service serves
    it, cosignatures included, so ``verify --quorum`` needs no ``--url`` export."""
    world = harness.world
    for _ in range(2):
        enroll(terminal)
        assert harness.checkpoint_and_submit() == "cosigned"
    served = world.client.get("/v1/audit/checkpoints", headers=world.auth("cnss.auditor"))
    exported = tmp_path / "export.json"
    assert main(["export", "--database-url", database_url, "--output", str(exported)]) == 0
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert [c["note"] for c in document["checkpoints"]] == [
        i["note"] for i in served.json()["items"]
    ]
    capsys.readouterr()
    key = world.services.audit.verifier_key()
    witness = ["--witness", harness.key.to_string(), "--quorum", "1"]
    assert main(["verify", str(exported), "--key", key, *witness]) == 0
    assert "cosigned by 1 trusted witnesses" in capsys.readouterr().out
    # The tiles' export from the database too: its checkpoint is the one served, cosigned.
    tiles = tmp_path / "tiles"
    assert main(["export-tiles", "--database-url", database_url, "--output", str(tiles)]) == 0
    require_quorum((tiles / "checkpoint").read_text(encoding="utf-8"), [harness.key], 1)
    assert (tiles / "checkpoint").read_text(encoding="utf-8") == harness.served()


def test_a_receipts_offline_proof_leads_to_the_cosigned_checkpoint(
    harness: Harness, terminal: TestTerminal
) -> None:
    auditor = harness.world.auth("cnss.auditor")  # signing in is logged too: before the checkpoint
    collected = pay(terminal, enroll(terminal), 5_000, "CA-01")
    assert harness.checkpoint_and_submit() == "cosigned"
    bundle = harness.world.client.get(
        f"/v1/audit/receipts/{collected.receipt}/proof", headers=auditor
    ).json()
    require_quorum(bundle["checkpoint"], [harness.key], 1)


def test_a_witness_the_log_lost_track_of_is_caught_up_after_its_409(
    harness: Harness, terminal: TestTerminal
) -> None:
    enroll(terminal)
    assert harness.checkpoint_and_submit() == "cosigned"
    # The log forgets what the witness answered (say, a crash before it stored the line).
    with Session(harness.world.services.engine) as session:
        session.exec(delete(AuditCosignature))
        session.commit()
    enroll(terminal)
    # It submits from 0, learns the witness's size from the 409, and resubmits from there.
    assert harness.checkpoint_and_submit() == "cosigned"
    assert len(harness.stored()) == 1
    require_quorum(harness.served(), [harness.key], 1)


def test_a_rewritten_history_signed_with_the_same_key_gets_no_cosignature(
    harness: Harness, terminal: TestTerminal, tmp_path: Path, sqlite_template: Path
) -> None:
    for _ in range(3):
        enroll(terminal)
    assert harness.checkpoint_and_submit() == "cosigned"
    # Another copy of the log, under the same key and origin, with another history: what a
    # log operator who rewrote the past would have to show the witness.
    forked_db = tmp_path / "forked.db"
    shutil.copyfile(sqlite_template, forked_db)
    forked_engine = build_engine(f"sqlite:///{forked_db}", pool_size=1)
    settings = harness.world.services.settings
    forked = Services.build(
        Settings(
            environment="test",
            database_url=f"sqlite:///{forked_db}",
            key_dir=settings.key_dir,
            keys=settings.keys,
        ),
        forked_engine,
        FakeClock(),
    )
    try:
        with forked.new_uow() as uow:
            for i in range(40):
                audit_log.append(uow.session, "rewritten", {"n": i}, at=forked.clock())
            uow.commit()
        assert harness.checkpoint_and_submit(forked) == "refused"
        with Session(forked_engine) as session:
            assert session.exec(select(AuditCosignature)).all() == []
        forked_note = forked.audit.latest_checkpoint().note
        with pytest.raises(NoteError, match="quorum of 1"):
            require_quorum(forked_note, [harness.key], 1)
        # The witness kept the log-signed forked checkpoint as evidence.
        refusals = witness_store.WitnessStore(harness.directory).refusals(forked.audit.origin)
        assert [reason for reason, _ in refusals] == ["inconsistent"]
    finally:
        forked_engine.dispose()
    # The honest log goes on being cosigned.
    enroll(terminal)
    assert harness.checkpoint_and_submit() == "cosigned"


def test_a_witness_that_is_down_costs_the_log_only_its_cosignature(
    world: World, terminal: TestTerminal
) -> None:
    enroll(terminal)
    key = Cosigner("witness.test/down", private_key_from_seed(bytes([3] * 32))).key()
    submitter = Witnessing(
        world.services.new_uow,
        world.services.audit,
        [WitnessConfig(f"http://127.0.0.1:{free_port()}", key)],
        timeout_ms=300,
        clock=world.services.clock,
    )
    latest = world.services.audit.checkpoint()
    assert submit_once(submitter, latest) == {"witness.test/down": "unreachable"}
    assert world.client.get("/v1/audit/checkpoint").text == latest.note


def test_a_cosignature_that_does_not_verify_is_not_kept(
    world: World, terminal: TestTerminal
) -> None:
    enroll(terminal)
    key = Cosigner("witness.test/w9", private_key_from_seed(bytes([4] * 32))).key()
    liar = Cosigner("witness.test/w9", private_key_from_seed(bytes([5] * 32)))
    latest = world.services.audit.checkpoint()
    text = latest.note[: latest.note.rfind("\n\n") + 1]

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=cosign(text, liar, 1_800_000_000))

    submitter = Witnessing(
        world.services.new_uow,
        world.services.audit,
        [WitnessConfig(WITNESS_URL, key)],
        timeout_ms=1000,
        clock=world.services.clock,
        transport=httpx.MockTransport(answer),
    )
    assert submit_once(submitter, latest) == {"witness.test/w9": "invalid_response"}
    assert world.client.get("/v1/audit/checkpoint").text == latest.note


def test_witness_settings_are_validated_naming_the_entry() -> None:
    vkey = Cosigner("w.test/a", private_key_from_seed(bytes([6] * 32))).key().to_string()
    other = Cosigner("w.test/b", private_key_from_seed(bytes([7] * 32))).key().to_string()
    parsed = Settings.from_env(
        {"QURB_WITNESSES": f"https://a.test/ {vkey}; http://b.test:8 {other}"}
    )
    assert parsed.witnesses == (("https://a.test", vkey), ("http://b.test:8", other))
    assert parsed.witness_timeout_ms == 3000
    bad = {
        f"ftp://a.test {vkey}": "entry 1: the URL",
        "https://a.test": "entry 1 must be 'URL VKEY'",
        f"https://a.test {vkey}; https://b.test {vkey}": "entry 2: that witness key is repeated",
        "https://a.test not+a+key": "entry 1: the witness key is not valid",
    }
    for raw, message in bad.items():
        with pytest.raises(ConfigurationError, match=message):
            Settings.from_env({"QURB_WITNESSES": raw})
    with pytest.raises(ConfigurationError, match="QURB_WITNESS_TIMEOUT_MS"):
        Settings.from_env({"QURB_WITNESS_TIMEOUT_MS": "5"})


class FailingOnce(Witnessing):
    """A submitter whose first round fails as a database outage would."""

    def __init__(self, services: Services) -> None:
        super().__init__(services.new_uow, services.audit, [], timeout_ms=100, clock=services.clock)
        self.rounds = 0
        self.second_round = asyncio.Event()

    @property
    def configured(self) -> bool:
        return True

    async def submit(self, view: CheckpointView) -> dict[str, str]:
        self.rounds += 1
        if self.rounds == 1:
            raise RuntimeError("the database went away")
        self.second_round.set()
        return {}


def test_a_failed_round_of_submissions_does_not_stop_the_checkpoint_loop(
    world: World, terminal: TestTerminal
) -> None:
    enroll(terminal)
    submitter = FailingOnce(world.services)

    async def run() -> None:
        loop = asyncio.create_task(_sign_checkpoints(world.services, submitter, 0))
        try:
            await asyncio.wait_for(submitter.second_round.wait(), timeout=30)
        finally:
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop

    asyncio.run(run())
    assert submitter.rounds >= 2
