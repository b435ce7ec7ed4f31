"""The auditor in a real Chromium: no button that writes on any screen the menu reaches,
every write URL of the back office refused (403) with the auditor's own session and CSRF
token, the log's page right to left in Arabic, its chart drawn without breaking the CSP, and
a receipt checked from the PNG of its ticket sent through the page's file input."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from selenium.webdriver.common.by import By
from starlette.routing import Route
from starlette.testclient import TestClient

from qurb.asgi import build
from qurb.backoffice.routes import ROUTES
from qurb.backoffice.views.auditor import READING_POSTS
from terminal_client.printing import ticket_png
from terminal_client.receipts import decode_unverified
from terminal_client.ticket import render_ticket
from tests.browser.conftest import PASSWORD, Browser, browser_settings, cookies_of, new_driver
from tests.conftest import FakeClock
from tests.e2e.conftest import Server
from tests.integration.conftest import build_world
from tests.support.reconciliation import enroll, pay
from tests.support.terminal import TestTerminal

SAMPLES = {"integer": "1", "string": "CA-01", "path": "x"}


def test_an_auditor_finds_no_button_that_writes(browser: Browser) -> None:
    browser.sign_in("cnss.auditor")
    browser.open("/")
    menu = [
        a.get_attribute("href")
        for a in browser.driver.find_elements(By.CSS_SELECTOR, "header nav a")
    ]
    assert any(href.endswith("/audit/log") for href in menu)
    for href in menu:
        browser.driver.get(href)
        # The one POST an auditor is shown reads only: the receipt's QR image, a file.
        reading = browser.driver.find_elements(By.CSS_SELECTOR, "main form[data-reads-only]")
        for form in reading:
            action = urlsplit(form.get_attribute("action")).path.removeprefix("/back-office")
            assert action in READING_POSTS, href
        writes = browser.driver.find_elements(
            By.CSS_SELECTOR, "main form[method=post]:not([data-reads-only])"
        )
        assert writes == [], href
        buttons = [
            b.text
            for b in browser.driver.find_elements(By.CSS_SELECTOR, "main button")
            if b.find_element(By.XPATH, "ancestor::form").get_attribute("method") != "get"
            and b.find_element(By.XPATH, "ancestor::form").get_attribute("data-reads-only") is None
        ]
        assert buttons == [], href
    assert browser.csp_violations() == []


def test_every_write_url_refuses_an_auditor(browser: Browser) -> None:
    browser.sign_in("cnss.auditor")
    browser.open("/audit/log")
    token = browser.driver.find_element(By.CSS_SELECTOR, "header input[name=csrf_token]")
    session = cookies_of(browser)["qurb_back_office"]["value"]
    writes = [
        r
        for r in ROUTES
        if isinstance(r, Route)
        and "POST" in (r.methods or set())
        and r.path not in ("/sign-in", "/sign-out", *READING_POSTS)
    ]
    assert writes
    with httpx.Client(base_url=browser.base, cookies={"qurb_back_office": session}) as client:
        for route in writes:
            path = route.path
            for name, convertor in route.param_convertors.items():
                kind = type(convertor).__name__.removesuffix("Convertor").lower()
                path = re.sub(r"\{" + name + r"(:[a-z]+)?\}", SAMPLES.get(kind, "x"), path)
            answer = client.post(
                "/back-office" + path,
                data={"csrf_token": token.get_attribute("value")},
                follow_redirects=False,
            )
            assert answer.status_code == 403, path


def test_the_auditors_arabic_log_page_is_right_to_left(browser: Browser) -> None:
    browser.sign_in("cnss.auditor")
    browser.open("/audit/log?lang=ar")
    html = browser.driver.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("dir") == "rtl"
    assert "سجل التدقيق" in browser.text()
    assert browser.driver.find_elements(By.CSS_SELECTOR, "figure.chart svg")
    browser.open("/audit/receipts")
    browser.driver.find_element(By.ID, "f-receipt").send_keys("not a receipt")
    browser.driver.find_element(By.CSS_SELECTOR, "main form button").click()
    browser.wait_text("ليس وصلا موقعا")  # the answer is a new page: waited for
    assert browser.csp_violations() == []


@dataclass
class Ticket:
    """A receipt issued at CA-01 and the PNG of its ticket, as the terminal prints it."""

    number: str
    png: Path
    server: Server


@pytest.fixture
def ticket(
    chromium: str,
    database_url: str,
    key_dir: Path,
    tmp_path: Path,
    start_server: Callable[..., Server],
) -> Ticket:
    settings = browser_settings(database_url, key_dir)
    clock = FakeClock()
    app = build(settings, clock=clock)
    with TestClient(app) as client:
        world = build_world(app.state.services, client)
        counter = TestTerminal(client, clock)
        assert counter.activate(world.activation_codes["CA-01"]).status_code == 201
        assert counter.login("op.ca-01", PASSWORD).status_code == 201
        collected = pay(counter, enroll(counter), 7_000, "CA-01")
        jws = counter.send("GET", f"/v1/receipts/{collected.receipt}").json()["receipt"]
    png = tmp_path / "ticket.png"
    ticket_png(render_ticket(decode_unverified(jws)), jws, png)
    return Ticket(collected.receipt, png, start_server())


@pytest.fixture
def auditor_browser(chromium: str, ticket: Ticket) -> Iterator[Browser]:
    driver = new_driver(chromium)
    try:
        yield Browser(driver, ticket.server.url)
    finally:
        driver.quit()


def test_an_auditor_uploads_a_tickets_png_and_sees_the_receipt_hold(
    auditor_browser: Browser, ticket: Ticket
) -> None:
    browser = auditor_browser
    browser.sign_in("cnss.auditor")
    browser.open("/audit/receipts")
    browser.driver.find_element(By.ID, "f-image").send_keys(str(ticket.png))
    browser.driver.find_element(By.CSS_SELECTOR, "main form[data-reads-only] button").click()
    shown = browser.wait_text(f"Le reçu {ticket.number} est authentique")
    assert "Reçu lu dans le QR de l'image." in shown
    assert browser.driver.find_element(By.ID, "f-receipt").get_attribute("value").count(".") == 2
    # An image with no receipt in it: refused in the reader's words, the form kept.
    browser.open("/audit/receipts?lang=ar")
    browser.driver.find_element(By.ID, "f-image").send_keys(str(Path(__file__)))
    browser.driver.find_element(By.CSS_SELECTOR, "main form[data-reads-only] button").click()
    browser.wait_text("ليس صورة PNG أو JPEG")
    assert browser.driver.find_elements(By.ID, "f-image")
    assert browser.csp_violations() == []
