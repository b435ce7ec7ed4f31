"""The ``qurb-api`` command against the database ``QURB_DATABASE_URL`` names."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent_api.services.container import audit_log_of
from agent_api.settings import KEY_KINDS, Settings
from qurb.cli import main


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, key_dir: Path) -> None:
    monkeypatch.setenv("QURB_DATABASE_URL", database_url)
    monkeypatch.setenv("QURB_KEY_DIR", str(key_dir))
    monkeypatch.setenv("QURB_ENV", "test")
    monkeypatch.setenv("QURB_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("QURB_PASSWORD_MEMORY_KIB", "1024")


@pytest.mark.usefixtures("env")
def test_seed_demo_writes_the_promised_json_and_prints_how_to_sign_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo.json"
    assert main(["seed-demo", "--json", str(out)]) == 0
    demo = json.loads(out.read_text())
    assert out.stat().st_mode & 0o777 == 0o600  # it holds passwords
    assert len(demo["networks"]) == 3
    assert len(demo["offices"]) >= 20
    assert len({o["network"] for o in demo["offices"]}) == 3
    assert {t["office"] for t in demo["terminals"]} == {o["code"] for o in demo["offices"]}
    assert all(t["activation_code"].startswith(f"{t['id']}-") for t in demo["terminals"])
    roles = {u["role"] for u in demo["users"]}
    assert roles == {"operator", "supervisor", "network_admin", "cnss_admin", "finance", "auditor"}
    for user in demo["users"]:
        assert set(user) <= {"username", "password", "role", "office", "network"}
    printed = capsys.readouterr().out
    assert "cnss.admin" in printed
    assert "POST /v1/admin/sessions" in printed


@pytest.mark.usefixtures("env")
def test_seed_demo_twice_is_refused_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["seed-demo"]) == 0
    assert main(["seed-demo"]) == 2
    assert "registry_not_empty" in capsys.readouterr().err


@pytest.mark.usefixtures("env")
def test_registry_commands_create_what_they_say(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "create-network",
                "--code",
                "TASSHILAT",
                "--name",
                "Tasshilat",
                "--commission-bps",
                "80",
                "--settlement-account",
                "022780000000000000123458",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "create-office",
                "--code",
                "TS-OUJ-01",
                "--network",
                "TASSHILAT",
                "--name",
                "Oujda 1",
                "--city",
                "Oujda",
                "--region",
                "Oriental",
            ]
        )
        == 0
    )
    assert main(["create-terminal", "--office", "TS-OUJ-01", "--label", "Guichet 1"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert (
        main(
            [
                "create-user",
                "--username",
                "op.ts-ouj-01",
                "--full-name",
                "Karim",
                "--role",
                "operator",
                "--office",
                "TS-OUJ-01",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert '"activation_code": "1-' in printed
    assert "a long enough password" not in printed


@pytest.mark.usefixtures("env")
def test_bad_input_names_the_field_and_creates_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert (
        main(
            [
                "create-network",
                "--code",
                "bad code",
                "--name",
                "X",
                "--settlement-account",
                "022780000000000000123458",
            ]
        )
        == 2
    )
    assert "(code)" in capsys.readouterr().err
    assert (
        main(
            [
                "create-office",
                "--code",
                "XX-01",
                "--network",
                "NOSUCH",
                "--name",
                "n",
                "--city",
                "c",
                "--region",
                "r",
            ]
        )
        == 2
    )
    assert "(network)" in capsys.readouterr().err


def test_generate_keys_writes_a_usable_private_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "secrets"
    assert main(["generate-keys", str(target)]) == 0
    env = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    settings = Settings.from_env({"QURB_ENV": "production", **env})
    assert set(settings.keys) == set(KEY_KINDS)
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in target.iterdir())
    assert main(["generate-keys", str(target)]) == 2  # never overwrites


def _log_key() -> str:
    """The log's verifier key, as ``GET /v1/audit/key`` serves it."""
    settings = Settings.from_env()
    log = audit_log_of(settings, lambda: None, lambda: datetime.now(UTC))  # type: ignore[arg-type, return-value]
    return log.verifier_key()


@pytest.mark.usefixtures("env")
def test_the_demo_days_audit_hint_runs_as_printed_from_another_shell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed-demo"]) == 0
    out = tmp_path / "demo"
    url = "http://127.0.0.1:8765"
    assert main(["demo-day", "--date", "2026-11-20", "--out", str(out), "--url", url]) == 0
    printed = capsys.readouterr().out
    export, check = (
        line.strip()
        for line in printed.splitlines()
        if re.search(r"qurb-audit (export|verify)", line)
    )
    # Another shell has neither the variable make set nor the virtual environment activated.
    assert "$QURB_DATABASE_URL" not in printed
    assert f'--key "$(curl -s {url}/v1/audit/key)"' in check
    another_shell = {k: v for k, v in os.environ.items() if k != "QURB_DATABASE_URL"}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    exported = _in_a_shell(export, elsewhere, another_shell)
    assert exported.returncode == 0, exported.stderr
    # The server is not running here: the key curl would fetch, given as it would arrive.
    offline = check.replace(f'"$(curl -s {url}/v1/audit/key)"', shlex.quote(_log_key()))
    verified = _in_a_shell(offline, elsewhere, another_shell)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.rstrip().endswith("clean")


def _in_a_shell(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A shell on purpose: what is tested is the command line as a person pastes it.
    return subprocess.run(  # noqa: S602
        command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
