"""The Makefile's demo targets, as a newcomer types them: another port, another database
file, and the demo database served again without seeding it anew."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    assert MAKE is not None
    return subprocess.run(  # noqa: S603 - our own command, fixed argv
        [MAKE, "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_make_serve_serves_the_demo_database_on_the_port_given(tmp_path: Path) -> None:
    database = tmp_path / "demo.db"
    database.touch()
    planned = _make("-n", "serve", "PORT=9999", f"DEMO_DB={database}")
    assert planned.returncode == 0, planned.stderr
    assert "--port 9999" in planned.stdout
    assert f"QURB_DATABASE_URL=sqlite:///{database} " in planned.stdout
    assert "seed-demo" not in planned.stdout  # nothing is seeded again


def test_make_demo_serves_and_prints_its_hints_for_the_port_given(tmp_path: Path) -> None:
    database = tmp_path / "demo.db"
    database.touch()
    planned = _make("-n", "demo", "PORT=9999", f"DEMO_DB={database}")
    assert planned.returncode == 0, planned.stderr
    assert "--url http://127.0.0.1:9999" in planned.stdout  # the auditor's hint
    assert "--port 9999" in planned.stdout
    assert "--port 8000" not in planned.stdout
    # The counter of the demo's first terminal is served beside the hub.
    assert "--counter-port 8765" in planned.stdout
    moved = _make("-n", "demo", "COUNTER_PORT=9001", f"DEMO_DB={database}")
    assert "--counter-port 9001" in moved.stdout


def test_a_relative_demo_database_is_named_by_its_absolute_path() -> None:
    # The commands make demo prints are pasted in other shells, in other directories.
    planned = _make("-n", "serve", "DEMO_DB=demo.db")
    assert f"sqlite:///{ROOT / 'demo.db'} " in planned.stdout


def test_make_serve_without_a_demo_database_says_to_run_make_demo(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    served = _make("serve", f"DEMO_DB={missing}", "PORT=9999")
    assert served.returncode != 0
    assert f"error: {missing} does not exist: make demo creates it" in served.stderr
    assert "qurb-api serve" not in served.stdout
