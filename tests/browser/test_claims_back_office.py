"""AMO reimbursement files in the back office, in a real Chromium: CNSS finance opens the
tracking exceptions from the menu, the missing envelope first, takes it and resolves it; a
network admin reads its day's files per office and a slip's files with their stage, the
other network's never shown; both in Arabic right to left on a 1024 px laptop, nothing the
CSP refuses."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from starlette.testclient import TestClient

from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.services.container import Services
from qurb.asgi import build
from reconciliation.container import Reconciliation
from tests.browser.conftest import Browser, browser_settings, new_driver
from tests.conftest import FakeClock
from tests.e2e.conftest import Server
from tests.integration.conftest import PASSWORD, build_world
from tests.support.claims import TrackedDay, deposit, tracked_day
from tests.support.reconciliation import enroll
from tests.support.terminal import TestTerminal

SHOTS = os.environ.get("QURB_SCREENSHOTS_DIR")


def seed_claims(database_url: str, key_dir: Path, *, world_exists: bool = False) -> TrackedDay:
    """A day of files at CA-01 with CNSS's tracking files, and one file at WA-01. On a
    database that already has its users and offices (``world_exists``), a new counter of
    each office takes them."""
    settings = browser_settings(database_url, key_dir)
    clock = FakeClock()
    app = build(settings, clock=clock)
    with TestClient(app) as client:
        services: Services = app.state.services
        if world_exists:
            # Its day is already closed (the finance screens' settled day): the files go in
            # the next one, as a counter working after the close would put them.
            clock.advance(days=1)
            codes = {
                office: services.terminals.create(
                    SYSTEM_ACTOR, office=office, label="Guichet AMO"
                ).activation_code
                for office in ("CA-01", "WA-01")
            }
        else:
            codes = build_world(services, client).activation_codes
        counters = {}
        for office, operator in (("CA-01", "op.ca-01"), ("WA-01", "op.wa-01")):
            counter = TestTerminal(client, clock)
            assert counter.activate(codes[office]).status_code == 201
            assert counter.login(operator, PASSWORD).status_code == 201
            counters[office] = counter
        recon = Reconciliation.build(settings, services.engine, clock)
        day = tracked_day(counters["CA-01"], recon.claims)
        deposit(counters["CA-01"], day.worker)  # still at the office
        deposit(counters["WA-01"], enroll(counters["WA-01"]))
    return day


@pytest.fixture
def claims_browser(
    chromium: str,
    database_url: str,
    key_dir: Path,
    start_server: Callable[..., Server],
) -> Iterator[tuple[Browser, TrackedDay]]:
    day = seed_claims(database_url, key_dir)
    server = start_server()
    driver = new_driver(chromium)
    try:
        yield Browser(driver, server.url), day
    finally:
        driver.quit()


def test_finance_takes_and_resolves_the_missing_envelope_shown_first(
    claims_browser: tuple[Browser, TrackedDay],
) -> None:
    browser, day = claims_browser
    browser.sign_in("cnss.finance")
    browser.driver.find_element(By.LINK_TEXT, "Suivi des dossiers AMO").click()  # the menu
    text = browser.wait_text("Exceptions du suivi des dossiers AMO")
    assert "1 enveloppe(s) manquante(s)" in text
    first = browser.driver.find_element(By.CSS_SELECTOR, "#tracking-queue tbody tr")
    assert "Enveloppe manquante" in first.text
    assert day.missing in first.text
    assert day.slip in first.text
    if SHOTS:
        browser.screenshot(Path(SHOTS) / "finance-tracking.png")
    first.find_element(By.LINK_TEXT, day.missing).click()
    browser.wait_text("Exception de suivi n°")
    browser.driver.find_element(By.CSS_SELECTOR, "button[value=take]").click()
    assert "Exception prise" in browser.wait_text("Exception prise")
    browser.driver.find_element(By.ID, "f-note").send_keys("Enveloppe retrouvée au bureau.")
    Select(browser.driver.find_element(By.ID, "f-resolution")).select_by_value(
        "envelope_found_resent"
    )
    browser.driver.find_element(By.CSS_SELECTOR, "button[value=resolve]").click()
    text = browser.wait_text("Exception résolue")
    assert "enveloppe retrouvée et renvoyée" in text
    assert "Enveloppe retrouvée au bureau." in text
    assert "cnss.finance" in text
    assert browser.csp_violations() == []
    if SHOTS:
        browser.screenshot(Path(SHOTS) / "finance-tracking-exception.png")
    browser.open("/finance/tracking")
    queue = browser.driver.find_element(By.ID, "tracking-queue").text
    assert day.missing not in queue  # resolved: no longer in what is left to do


def test_the_tracking_queue_reads_right_to_left_in_arabic_on_a_laptop(
    claims_browser: tuple[Browser, TrackedDay],
) -> None:
    browser, day = claims_browser
    browser.driver.set_window_size(1024, 768)
    browser.sign_in("cnss.finance")
    browser.open("/finance/tracking?lang=ar")
    text = browser.wait_text("استثناءات تتبع")
    assert day.missing in text
    html = browser.driver.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("dir") == "rtl"
    width = browser.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 1024
    assert browser.csp_violations() == []
    if SHOTS:
        browser.screenshot(Path(SHOTS) / "finance-tracking-ar.png")


def test_a_network_admin_reads_its_files_per_office_and_a_slips_files(
    claims_browser: tuple[Browser, TrackedDay],
) -> None:
    browser, day = claims_browser
    browser.sign_in("admin.cashplus")
    browser.driver.find_element(By.LINK_TEXT, "Dossiers AMO").click()  # the menu
    browser.wait_text("Dossiers AMO déposés le")
    offices = browser.driver.find_element(By.ID, "deposit-offices").text
    assert "CA-01" in offices
    assert "WA-01" not in offices
    if SHOTS:
        browser.screenshot(Path(SHOTS) / "network-deposits.png")
    browser.driver.find_element(By.LINK_TEXT, day.slip).click()
    text = browser.wait_text("Les dépôts du bordereau")
    assert "enveloppe manquante" in text
    assert "remboursé" in text
    assert day.worker in text
    assert browser.csp_violations() == []
    if SHOTS:
        browser.screenshot(Path(SHOTS) / "network-deposit-slip.png")


def test_the_files_of_the_day_read_right_to_left_in_arabic_on_a_laptop(
    claims_browser: tuple[Browser, TrackedDay],
) -> None:
    browser, day = claims_browser
    browser.driver.set_window_size(1024, 768)
    browser.sign_in("admin.cashplus")
    browser.open(f"/deposits/slips/{day.slip}?lang=ar")
    text = browser.wait_text("إيداعات الجدول")
    assert "ظرف مفقود" in text
    html = browser.driver.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("dir") == "rtl"
    browser.open("/deposits?lang=ar")
    browser.wait_text("ملفات التأمين الإجباري المودعة")
    width = browser.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 1024
    assert browser.csp_violations() == []
    if SHOTS:
        browser.screenshot(Path(SHOTS) / "network-deposits-ar.png")
