"""The auditor in a real Chromium: no button that writes on any screen the menu reaches,
every write URL of the back office refused (403) with the auditor's own session and CSRF
token, and the log's page right to left in Arabic, its chart drawn without breaking the CSP."""

from __future__ import annotations

import re

import httpx
from selenium.webdriver.common.by import By
from starlette.routing import Route

from qurb.backoffice.routes import ROUTES
from tests.browser.conftest import Browser, cookies_of

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
        writes = browser.driver.find_elements(By.CSS_SELECTOR, "main form[method=post]")
        assert writes == [], href
        buttons = [
            b.text
            for b in browser.driver.find_elements(By.CSS_SELECTOR, "main button")
            if b.find_element(By.XPATH, "ancestor::form").get_attribute("method") != "get"
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
        and r.path not in ("/sign-in", "/sign-out")
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
