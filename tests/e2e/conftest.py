"""End-to-end fixtures: the real ``qurb-api serve`` in a subprocess on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

import httpx
import pytest

from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.domain.roles import Role
from agent_api.persistence.db import build_engine
from agent_api.services.container import Services
from agent_api.settings import Settings

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def server_env(database_url: str, key_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QURB_", "PROMETHEUS_"))}
    env.update(
        QURB_ENV="test",
        QURB_DATABASE_URL=database_url,
        QURB_KEY_DIR=str(key_dir),
        QURB_PASSWORD_TIME_COST="1",
        QURB_PASSWORD_MEMORY_KIB="1024",
    )
    return env


@pytest.fixture
def start_server(database_url: str, key_dir: Path, tmp_path: Path) -> Iterator[object]:
    started: list[Server] = []
    handles: list[BinaryIO] = []

    def start(workers: int = 1) -> Server:
        port = free_port()
        log = tmp_path / f"server-{port}.log"
        handle = log.open("wb")
        handles.append(handle)
        process = subprocess.Popen(  # noqa: S603 - our own command, fixed argv
            [
                sys.executable,
                "-m",
                "qurb.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=server_env(database_url, key_dir),
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        server = Server(f"http://127.0.0.1:{port}", process, log)
        started.append(server)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(server.url + "/healthz", timeout=1).status_code == 200:
                    return server
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"server did not start:\n{log.read_text()}")

    yield start
    for server in started:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    for handle in handles:
        handle.close()


def at_once(actions: Sequence[Callable[[], T]]) -> list[T]:
    """Run every action in its own thread, all released by one barrier at the same instant;
    the results in the actions' order."""
    barrier = threading.Barrier(len(actions))
    results: list[T | None] = [None] * len(actions)

    def run(index: int, action: Callable[[], T]) -> None:
        barrier.wait()
        results[index] = action()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r is not None for r in results), "an action failed in its thread"
    return [r for r in results if r is not None]


E2E_PASSWORD = "correct horse battery"


def seed_offices(
    database_url: str, key_dir: Path, offices: Sequence[tuple[str, str]]
) -> dict[str, str]:
    """Networks and offices ``(network, office)``, a pending terminal, an operator and a
    supervisor per office; the activation code of each office's terminal."""
    settings = Settings(
        environment="test",
        database_url=database_url,
        key_dir=key_dir,
        password_time_cost=1,
        password_memory_kib=1024,
    ).with_keys({})
    engine = build_engine(database_url)
    services = Services.build(settings, engine)
    codes = {}
    for network, office in offices:
        if network not in {
            n.code for n in services.registry.list_networks(SYSTEM_ACTOR, limit=100, offset=0)
        }:
            services.registry.create_network(
                SYSTEM_ACTOR,
                code=network,
                name=network.title(),
                commission_fixed_centimes=0,
                commission_bps=0,
                settlement_account="022780000000000000123458",
            )
        services.registry.create_office(
            SYSTEM_ACTOR, code=office, network=network, name=office, city="Rabat", region="r"
        )
        codes[office] = services.terminals.create(
            SYSTEM_ACTOR, office=office, label="G1"
        ).activation_code
        for role, prefix in ((Role.OPERATOR, "op"), (Role.SUPERVISOR, "sup")):
            services.users.create(
                SYSTEM_ACTOR,
                username=f"{prefix}.{office.lower()}",
                full_name=prefix.title(),
                role=role,
                password=E2E_PASSWORD,
                office=office,
                network=None,
            )
    engine.dispose()
    return codes
