"""The counter application (``qurb-terminal serve``) as a counter runs it: a real hub on
127.0.0.1, a terminal initialised and activated with the real CLI, the counter app in its
own process on another loopback port, and headless Chromium on it (tests/browser)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import pytest
from selenium.webdriver.common.by import By

from terminal_client.cli import main
from terminal_client.home import Home
from tests.browser.conftest import Browser, new_driver
from tests.e2e.conftest import E2E_PASSWORD, Server, free_port, seed_offices
from tests.support.workers import worker_payload

OFFICE = "CP-01"
OPERATOR = "op.cp-01"


def terminal(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``qurb-terminal`` with ``args``, run in this process as the end-to-end tests run it
    (tests/support/counter.py): a fresh interpreter per command cost each counter test five
    interpreter starts before its browser opened. Its output is returned as a finished
    process's; the counter app itself still runs in its own process."""
    written, said = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(written, encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(said, encoding="utf-8", write_through=True)
    typed = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--home", str(home), *args])
    finally:
        sys.stdin = typed
    out.flush()
    err.flush()
    return subprocess.CompletedProcess(
        list(args), code, written.getvalue().decode("utf-8"), said.getvalue().decode("utf-8")
    )


@dataclass
class CounterApp:
    """The served counter: its URL, its terminal's folder, and the hub behind it."""

    url: str
    home: Path
    hub: Server
    process: subprocess.Popen[bytes]
    worker: str  # a worker enrolled at the office, by registration number

    def point_at(self, hub: Server) -> None:
        """The hub came back on another port: the terminal's next request goes there."""
        self.hub = hub
        Home(self.home).update_config(server=hub.url)


def start_counter_app(home: Path, handle: BinaryIO) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own command, fixed argv
        [
            sys.executable,
            "-m",
            "terminal_client.cli",
            "--home",
            str(home),
            "serve",
            "--port",
            str(port),
            "--no-browser",
        ],
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/sign-in", timeout=1).status_code == 200:
                return url, process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"the counter app did not start on {url}")


def prepare_terminal(home: Path, hub: Server, activation_code: str, tmp_path: Path) -> str:
    """init, activate, and one worker enrolled through the CLI; its registration number."""
    for args in (("init", "--server", hub.url), ("activate", activation_code)):
        done = terminal(home, *args)
        assert done.returncode == 0, done.stderr
    done = terminal(home, "login", OPERATOR, stdin=E2E_PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    payload = tmp_path / "worker.json"
    payload.write_text(json.dumps(worker_payload()))
    done = terminal(home, "enroll", "--from-json", str(payload))
    assert done.returncode == 0, done.stderr
    number = next(w for w in done.stdout.split() if w.isdigit() and len(w) == 10)
    assert terminal(home, "logout").returncode == 0
    return number


@pytest.fixture
def counter_app(
    chromium: str,
    database_url: str,
    key_dir: Path,
    tmp_path: Path,
    start_server: Callable[..., Server],
) -> Iterator[CounterApp]:
    codes = seed_offices(database_url, key_dir, [("CASHPLUS", OFFICE)])
    hub = start_server()
    home = tmp_path / "terminal"
    number = prepare_terminal(home, hub, codes[OFFICE], tmp_path)
    with (tmp_path / "counter-app.log").open("wb") as log:
        url, process = start_counter_app(home, log)
        try:
            yield CounterApp(url, home, hub, process, number)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def counter(chromium: str, counter_app: CounterApp) -> Iterator[Counter]:
    driver = new_driver(chromium, width=1024, height=768)
    try:
        yield Counter(driver, counter_app.url, app=counter_app)
    finally:
        driver.quit()


class Counter(Browser):
    """The operator's browser on the counter app."""

    def __init__(self, driver: Any, base: str, *, app: CounterApp) -> None:
        super().__init__(driver, base)
        self.app = app

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def sign_in(self, username: str = OPERATOR, password: str = E2E_PASSWORD) -> None:
        self.open("/sign-in")
        self.driver.find_element(By.ID, "f-username").send_keys(username)
        self.driver.find_element(By.ID, "f-password").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
        self.wait_for("header .who, [role=alert]")

    def wait_for(self, css: str, timeout: float = 15) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.driver.find_elements(By.CSS_SELECTOR, css)
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"{css} never showed; the page reads:\n{self.text()}")

    def wait_until(self, script: str, timeout: float = 15) -> None:
        """Until ``script`` returns true in the page (what a script of the page changes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.driver.execute_script(script):
                return
            time.sleep(0.05)
        raise AssertionError(f"never true: {script}")

    def focused(self) -> Any:
        return self.driver.switch_to.active_element
