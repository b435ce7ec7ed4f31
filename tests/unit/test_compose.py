"""docker-compose.yml, checked without a Docker engine (none runs on these machines)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_compose_runs_postgres_the_api_the_daily_job_and_prometheus(
    compose: dict[str, Any],
) -> None:
    assert set(compose["services"]) >= {"postgres", "api", "reconcile", "prometheus"}


def test_every_service_has_a_health_check_and_start_order_follows_health(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name, service in services.items():
        assert "healthcheck" in service, name
    assert services["api"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["prometheus"]["depends_on"]["api"]["condition"] == "service_healthy"


def test_api_migrates_before_serving_with_several_workers_in_production(
    compose: dict[str, Any],
) -> None:
    api = compose["services"]["api"]
    command = " ".join(api["command"])
    assert command.index("qurb-api migrate") < command.index("qurb-api serve")
    assert "--workers 4" in command
    assert api["environment"]["QURB_ENV"] == "production"
    assert api["environment"]["QURB_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "PROMETHEUS_MULTIPROC_DIR" in api["environment"]


def test_keys_come_from_secrets_files_not_the_environment(compose: dict[str, Any]) -> None:
    env = compose["services"]["api"]["environment"]
    for name in ("TOKEN_SIGNING_KEY", "RECEIPT_SIGNING_KEY", "CIN_ENCRYPTION_KEY"):
        assert f"QURB_{name}" not in env
        assert env[f"QURB_{name}_FILE"].startswith("/run/secrets/")
    declared = set(compose["secrets"])
    assert set(compose["services"]["api"]["secrets"]) <= declared


def test_postgres_keeps_synchronous_commit_and_a_volume(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert "synchronous_commit=on" in postgres["command"]
    assert any(v.endswith("/var/lib/postgresql/data") for v in postgres["volumes"])


def test_prometheus_scrapes_the_api_metrics() -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus.yml").read_text())
    job = config["scrape_configs"][0]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"][0]["targets"] == ["api:8000"]


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_docker_compose_itself_accepts_the_file(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


def test_the_daily_reconciliation_runs_as_a_daemon_after_the_api_has_migrated(
    compose: dict[str, Any],
) -> None:
    job = compose["services"]["reconcile"]
    command = " ".join(job["command"])
    assert command.startswith("qurb-reconcile daemon --at 02:00")
    assert "--inbox" in command
    assert "--reports" in command
    assert job["depends_on"]["api"]["condition"] == "service_healthy"
    assert job["environment"]["QURB_RECEIPT_SIGNING_KEY_FILE"].startswith("/run/secrets/")
    assert set(job["secrets"]) <= set(compose["secrets"])
