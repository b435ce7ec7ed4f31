"""The back office in a real browser: Debian's headless Chromium driven by Selenium through
Debian's chromedriver, against a real uvicorn on 127.0.0.1 (tests/e2e's ``start_server``).

Nothing is downloaded: the browser and its driver are named by path, so Selenium Manager is
never asked for one (and ``SE_OFFLINE`` forbids it anyway). Without them the tests are
skipped with the reason, except in CI (``CI=true``), where a missing browser fails the run:
.ci/run installs ``chromium`` and ``chromium-driver``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from starlette.testclient import TestClient

from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.domain.roles import Role
from agent_api.persistence.db import build_engine
from agent_api.services.container import Services
from agent_api.services.registry.demo import demo_rib
from agent_api.settings import Settings
from qurb.asgi import build
from reconciliation.container import Reconciliation
from reconciliation.simulator_files import write_simulation
from tests.conftest import FakeClock
from tests.e2e.conftest import E2E_PASSWORD, Server, start_server  # noqa: F401 - a fixture
from tests.integration.conftest import build_world
from tests.support.reconciliation import close_and_settle, enroll, pay, today
from tests.support.terminal import TestTerminal

CHROMIUM = os.environ.get("QURB_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("QURB_CHROMEDRIVER", "/usr/bin/chromedriver")
PASSWORD = E2E_PASSWORD
# Who signs in where: one account per back-office role, two networks to test scope.
ACCOUNTS = {
    "cnss.finance": (Role.FINANCE, None),
    "cnss.finance2": (Role.FINANCE, None),
    "cnss.auditor": (Role.AUDITOR, None),
    "cnss.admin": (Role.CNSS_ADMIN, None),
    "admin.cashplus": (Role.NETWORK_ADMIN, "CASHPLUS"),
    "admin.wafacash": (Role.NETWORK_ADMIN, "WAFACASH"),
}
NETWORKS = ("CASHPLUS", "WAFACASH")


def _missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).exists() or shutil.which(path)):
            return f"{path} is not installed (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """The browser's path, or a skip (a failure in CI) saying what is missing."""
    missing = _missing()
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser tests must run in CI: {missing}")
        pytest.skip(missing)
    return CHROMIUM


def browser_settings(database_url: str, key_dir: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        key_dir=key_dir,
        password_time_cost=1,
        password_memory_kib=1024,
    ).with_keys({})


def seed_back_office(database_url: str, key_dir: Path) -> None:
    """Two networks, an office each, and one account per back-office role (``ACCOUNTS``)."""
    engine = build_engine(database_url)
    services = Services.build(browser_settings(database_url, key_dir), engine)
    try:
        for n, code in enumerate(NETWORKS):
            services.registry.create_network(
                SYSTEM_ACTOR,
                code=code,
                name=code.title(),
                commission_fixed_centimes=200,
                commission_bps=30,
                settlement_account=demo_rib("022", n),
            )
            office = f"{code[:2]}-01"
            services.registry.create_office(
                SYSTEM_ACTOR, code=office, network=code, name=office, city="Rabat", region="r"
            )
            services.users.create(
                SYSTEM_ACTOR,
                username=f"op.{office.lower()}",
                full_name="Op",
                role=Role.OPERATOR,
                password=PASSWORD,
                office=office,
                network=None,
            )
        for username, (role, network) in ACCOUNTS.items():
            services.users.create(
                SYSTEM_ACTOR,
                username=username,
                full_name=username,
                role=role,
                password=PASSWORD,
                office=None,
                network=network,
            )
    finally:
        engine.dispose()


@dataclass
class Browser:
    """One headless Chromium window on the served back office."""

    driver: Any
    base: str
    downloads: Path | None = None

    def open(self, path: str) -> None:
        self.driver.get(self.base + "/back-office" + path)

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        self.open("/sign-in")
        self.driver.find_element(By.ID, "f-username").send_keys(username)
        self.driver.find_element(By.ID, "f-password").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:  # signed in, or told why not
            if self.driver.find_elements(By.CSS_SELECTOR, "header .who, [role=alert]"):
                return
            time.sleep(0.05)

    def text(self) -> str:
        found: str = self.driver.find_element(By.TAG_NAME, "body").text
        return found

    def wait_text(self, text: str, timeout: float = 15) -> str:
        """The page's text once it shows ``text`` (a page being replaced is waited for)."""
        deadline = time.monotonic() + timeout
        found = ""
        while time.monotonic() < deadline:
            try:
                found = self.text()
            except (StaleElementReferenceException, NoSuchElementException):
                continue
            except WebDriverException as exc:
                # Chromium's word for the same race when the body is replaced between finding
                # it and reading its text (seen once in CI after a form's submit).
                if "does not belong to the document" not in str(exc.msg):
                    raise
                continue
            if text in found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never showed; the page reads:\n{found}")

    def csp_violations(self) -> list[str]:
        """Console lines about the Content-Security-Policy since the last call."""
        logs = self.driver.get_log("browser")
        return [e["message"] for e in logs if "Content Security Policy" in e["message"]]

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))


def new_driver(chromium: str, *, width: int = 1280, height: int = 900, lang: str = "fr") -> Any:
    os.environ.setdefault("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
        f"--lang={lang}",
        "--disable-extensions",
        "--no-first-run",
        "--password-store=basic",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option(
        "prefs", {"download.prompt_for_download": False, "credentials_enable_service": False}
    )
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture
def served(
    chromium: str,
    database_url: str,
    key_dir: Path,
    start_server: Callable[..., Server],  # noqa: F811 - the imported fixture
) -> Server:
    """A real uvicorn serving a seeded database."""
    seed_back_office(database_url, key_dir)
    server: Server = start_server()
    return server


@pytest.fixture
def browser(chromium: str, served: Server, tmp_path: Path) -> Iterator[Browser]:
    driver = new_driver(chromium)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    try:
        yield Browser(driver, served.url, downloads)
    finally:
        driver.quit()


@dataclass
class FinanceDay:
    """A closed and settled day of six collections at CA-01 (CASHPLUS), not yet matched,
    and the files CNSS would send for it: a ledger that misses some of them."""

    business_date: date
    ledger: Path
    server: Server


def seed_finance_day(database_url: str, key_dir: Path, out: Path) -> tuple[date, Path]:
    settings = browser_settings(database_url, key_dir)
    clock = FakeClock()
    app = build(settings, clock=clock)
    with TestClient(app) as client:
        services: Services = app.state.services
        world = build_world(services, client)
        services.users.create(
            SYSTEM_ACTOR,
            username="cnss.finance2",
            full_name="Finance 2",
            role=Role.FINANCE,
            password=PASSWORD,
            office=None,
            network=None,
        )
        counter = TestTerminal(client, clock)
        assert counter.activate(world.activation_codes["CA-01"]).status_code == 201
        assert counter.login("op.ca-01", PASSWORD).status_code == 201
        recon = Reconciliation.build(settings, services.engine, clock)
        for n in range(6):
            pay(counter, enroll(counter), 8_000 + n * 150, "CA-01")
        day = today(clock)
        close_and_settle(recon, day)
        files = write_simulation(
            recon, day, out, rates="missing_in_ledger=0.5", seed=3, camt_version="08"
        )
    ledger = next(p for p in files if p.name.startswith("CNSS_") and f"{day:%Y%m%d}" in p.name)
    return day, ledger


@pytest.fixture
def finance_day(
    chromium: str,
    database_url: str,
    key_dir: Path,
    tmp_path: Path,
    start_server: Callable[..., Server],  # noqa: F811 - the imported fixture
) -> FinanceDay:
    day, ledger = seed_finance_day(database_url, key_dir, tmp_path / "files")
    return FinanceDay(day, ledger, start_server())


@pytest.fixture
def finance_browser(chromium: str, finance_day: FinanceDay, tmp_path: Path) -> Iterator[Browser]:
    driver = new_driver(chromium)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    try:
        yield Browser(driver, finance_day.server.url, downloads)
    finally:
        driver.quit()


def cookies_of(browser: Browser) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in browser.driver.get_cookies()}


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1)
