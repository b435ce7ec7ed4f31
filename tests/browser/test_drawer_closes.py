"""The network administrator's drawer closes in a real Chromium: two counters of the network
closed with a shortage and an excess, the other network's close not shown, the Arabic page
right to left and readable on a 1024 px laptop, nothing the CSP refuses."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from starlette.testclient import TestClient

from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.services.container import Services
from qurb.asgi import build
from tests.browser.conftest import Browser, browser_settings, new_driver
from tests.conftest import FakeClock
from tests.e2e.conftest import Server
from tests.integration.conftest import PASSWORD, build_world
from tests.support.reconciliation import enroll, pay
from tests.support.terminal import TestTerminal

# Where the screenshots go when someone wants to look at them (``make screenshots`` style).
SHOTS = os.environ.get("QURB_SCREENSHOTS_DIR")


def _close(counter: TestTerminal, counts: list[tuple[int, int]]) -> str:
    body = {"counts": [{"denomination_centimes": d, "quantity": q} for d, q in counts]}
    response = counter.send("POST", "/v1/drawer-closes", body)
    assert response.status_code == 201, response.text
    number: str = response.json()["receipt"]["number"]
    return number


def seed_closes(database_url: str, key_dir: Path) -> dict[str, str]:
    """Closes of the day at two CASHPLUS counters (one short, one over) and one WAFACASH."""
    settings = browser_settings(database_url, key_dir)
    clock = FakeClock()
    app = build(settings, clock=clock)
    numbers = {}
    with TestClient(app) as client:
        services: Services = app.state.services
        world = build_world(services, client)
        for office, operator in (
            ("CA-01", "op.ca-01"),
            ("CA-02", "op.ca-02"),
            ("WA-01", "op.wa-01"),
        ):
            counter = TestTerminal(client, clock)
            assert counter.activate(world.activation_codes[office]).status_code == 201
            assert counter.login(operator, PASSWORD).status_code == 201
            worker = enroll(counter)
            pay(counter, worker, 25_000, office)
            pay(counter, worker, 13_550, office)
            counts = {
                "CA-01": [(20_000, 1), (10_000, 1), (5_000, 1), (2_000, 1), (1_000, 1), (50, 1)],
                "CA-02": [(20_000, 1), (10_000, 1), (5_000, 1), (2_000, 2), (500, 1), (50, 1)],
                "WA-01": [(20_000, 2)],
            }[office]
            numbers[office] = _close(counter, counts)
        services.terminals.create(SYSTEM_ACTOR, office="CA-01", label="Guichet 2")
    return numbers


@pytest.fixture
def closes_browser(
    chromium: str,
    database_url: str,
    key_dir: Path,
    start_server: Callable[..., Server],
) -> Iterator[tuple[Browser, dict[str, str]]]:
    numbers = seed_closes(database_url, key_dir)
    server = start_server()
    driver = new_driver(chromium)
    try:
        yield Browser(driver, server.url), numbers
    finally:
        driver.quit()


def test_a_network_admin_sees_each_counters_close_and_difference(
    closes_browser: tuple[Browser, dict[str, str]],
) -> None:
    browser, numbers = closes_browser
    browser.sign_in("admin.cashplus")
    browser.driver.find_element(By.LINK_TEXT, "Clôtures de caisse").click()  # from the menu
    text = browser.wait_text("Clôtures de caisse du")
    assert numbers["CA-01"] in text
    assert numbers["CA-02"] in text
    assert numbers["WA-01"] not in text
    assert "-5,00 MAD" in text  # CA-01: 380,50 counted for 385,50
    assert "manque" in text
    assert "excédent" in text
    assert browser.csp_violations() == []
    if SHOTS:
        browser.screenshot(Path(SHOTS) / "network-drawer-closes.png")


def test_the_drawer_closes_read_right_to_left_in_arabic_on_a_laptop(
    closes_browser: tuple[Browser, dict[str, str]],
) -> None:
    browser, numbers = closes_browser
    browser.driver.set_window_size(1024, 768)
    browser.sign_in("admin.cashplus")
    browser.open("/network/drawer-closes?lang=ar")
    text = browser.wait_text("إغلاقات الصناديق")
    assert numbers["CA-01"] in text
    html = browser.driver.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("dir") == "rtl"
    width = browser.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 1024
    assert browser.csp_violations() == []
    if SHOTS:
        browser.screenshot(Path(SHOTS) / "network-drawer-closes-ar.png")
