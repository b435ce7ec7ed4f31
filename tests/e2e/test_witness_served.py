"""End to end: a real witness (``qurb-audit witness serve``) and the real service configured
with it (QURB_WITNESSES), each a uvicorn on 127.0.0.1. The service's checkpoints come back
cosigned; ``qurb-audit verify --quorum 1`` accepts them with the witness's key and refuses
them with a key of a witness that never saw the log."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import httpx
import pytest

from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.domain.roles import Role
from agent_api.persistence.db import build_engine
from agent_api.protocol.cosignature import Cosigner, CosignerKey, require_quorum
from agent_api.protocol.errors import NoteError
from agent_api.services.container import Services
from agent_api.settings import Settings
from tests.e2e.conftest import E2E_PASSWORD, free_port, server_env

DEADLINE_SECONDS = 60


class Processes:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.running: list[subprocess.Popen[bytes]] = []
        self.handles: list[BinaryIO] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Path:
        log = self.tmp_path / f"{name}.log"
        handle = log.open("wb")
        self.handles.append(handle)
        self.running.append(
            subprocess.Popen(  # noqa: S603 - our own commands, fixed argv
                [sys.executable, "-m", *argv], env=env, stdout=handle, stderr=subprocess.STDOUT
            )
        )
        return log

    def stop(self) -> None:
        for process in self.running:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for handle in self.handles:
            handle.close()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    yield started
    started.stop()


def audit_tool(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command, fixed argv
        [sys.executable, "-m", "auditor.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def wait_until_up(url: str, log: Path, probe: str = "/healthz") -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        try:
            httpx.get(url + probe, timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
        else:
            return
    raise AssertionError(f"{url} did not start:\n{log.read_text()}")


def seed(database_url: str, key_dir: Path) -> None:
    """Two networks (each a leaf of the log) and an auditor for the export."""
    settings = Settings(
        environment="test",
        database_url=database_url,
        key_dir=key_dir,
        password_time_cost=1,
        password_memory_kib=1024,
    ).with_keys({})
    engine = build_engine(database_url)
    services = Services.build(settings, engine)
    for code in ("WITNESSA", "WITNESSB"):
        services.registry.create_network(
            SYSTEM_ACTOR,
            code=code,
            name=code.title(),
            commission_fixed_centimes=0,
            commission_bps=0,
            settlement_account="022780000000000000123458",
        )
    services.users.create(
        SYSTEM_ACTOR,
        username="auditor.e2e",
        full_name="Auditor",
        role=Role.AUDITOR,
        password=E2E_PASSWORD,
        office=None,
        network=None,
    )
    engine.dispose()


def test_the_served_checkpoint_is_cosigned_and_qurb_audit_requires_the_quorum(
    processes: Processes, database_url: str, key_dir: Path, tmp_path: Path
) -> None:
    env = server_env(database_url, key_dir)
    witness_dir = tmp_path / "witness"
    made = audit_tool("witness", "init", "--dir", str(witness_dir), "--name", "w.e2e/1", env=env)
    assert made.returncode == 0, made.stderr
    witness_vkey = made.stdout.strip()
    witness_key = CosignerKey.from_string(witness_vkey)
    witness_port = free_port()
    witness_url = f"http://127.0.0.1:{witness_port}"

    seed(database_url, key_dir)
    hub_port = free_port()
    hub = f"http://127.0.0.1:{hub_port}"
    hub_env = {
        **env,
        "QURB_WITNESSES": f"{witness_url} {witness_vkey}",
        "QURB_CHECKPOINT_INTERVAL_SECONDS": "1",
        "QURB_WITNESS_TIMEOUT_MS": "2000",
    }
    hub_log = processes.start(
        "hub", ["qurb.cli", "serve", "--port", str(hub_port), "--workers", "1"], hub_env
    )
    wait_until_up(hub, hub_log)
    log_vkey = httpx.get(hub + "/v1/audit/key").text.strip()
    origin = log_vkey.split("+", 1)[0]
    witness_log = processes.start(
        "witness",
        [
            "auditor.cli",
            "witness",
            "serve",
            "--dir",
            str(witness_dir),
            "--log",
            f"{origin}={log_vkey}",
            "--port",
            str(witness_port),
        ],
        env,
    )
    wait_until_up(witness_url, witness_log, "/add-checkpoint")
    token = httpx.post(
        hub + "/v1/admin/sessions", json={"username": "auditor.e2e", "password": E2E_PASSWORD}
    ).json()["token"]

    # The service signs a checkpoint every second and submits it; wait for the cosignature.
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        note = httpx.get(hub + "/v1/audit/checkpoint").text
        try:
            require_quorum(note, [witness_key], 1)
            break
        except NoteError:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no cosignature:\n{hub_log.read_text()}\n{witness_log.read_text()}"
                ) from None
            time.sleep(0.3)

    export = tmp_path / "export.json"
    exported = audit_tool(
        "export", "--url", hub, "--token", token, "--output", str(export), env=env
    )
    assert exported.returncode == 0, exported.stderr
    accepted = audit_tool(
        "verify",
        str(export),
        "--key",
        log_vkey,
        "--witness",
        witness_vkey,
        "--quorum",
        "1",
        env=env,
    )
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "cosigned by 1 trusted witnesses" in accepted.stdout

    stranger = Cosigner.generate("w.e2e/1").key().to_string()
    refused = audit_tool(
        "verify", str(export), "--key", log_vkey, "--witness", stranger, "--quorum", "1", env=env
    )
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "not witnessed: cosigned by 0 of the trusted witnesses" in refused.stdout
