"""The back office's foundation in a real Chromium: sign-in, the strict CSP with no console
violation, the Arabic page right to left, sign-out that refuses the old cookie."""

from __future__ import annotations

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.conftest import Browser, cookies_of


def test_finance_signs_in_and_out_and_the_old_cookie_is_refused(browser: Browser) -> None:
    browser.sign_in("cnss.finance")
    browser.wait_text("Connecté : cnss.finance")
    session = cookies_of(browser)["qurb_back_office"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"
    browser.driver.find_element(By.CSS_SELECTOR, "header form button").click()
    browser.wait_text("Vous êtes déconnecté.")
    old = httpx.get(
        browser.base + "/back-office/",
        cookies={"qurb_back_office": session["value"]},
        follow_redirects=False,
    )
    assert old.status_code == 303
    assert old.headers["location"].startswith("/back-office/sign-in")
    assert browser.csp_violations() == []


def test_the_pages_carry_a_csp_and_nothing_violates_it(browser: Browser) -> None:
    answer = httpx.get(browser.base + "/back-office/sign-in")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    browser.sign_in("cnss.finance")
    browser.open("/?lang=ar")
    browser.open("/")
    # htmx loaded (so the policy let our own script run) and added no inline style.
    assert browser.driver.execute_script("return typeof window.htmx") == "object"
    assert browser.csp_violations() == []


def test_the_arabic_page_is_right_to_left(browser: Browser) -> None:
    browser.sign_in("cnss.finance")
    browser.open("/?lang=ar")
    html = browser.driver.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("dir") == "rtl"
    assert html.get_attribute("lang") == "ar"
    assert (
        browser.driver.execute_script("return getComputedStyle(document.body).direction") == "rtl"
    )
    assert "تسجيل الخروج" in browser.text()


def test_a_wrong_password_shows_why_from_the_keyboard(browser: Browser) -> None:
    browser.open("/sign-in")
    browser.driver.find_element(By.ID, "f-username").send_keys("cnss.finance", Keys.TAB)
    active = browser.driver.switch_to.active_element
    assert active.get_attribute("id") == "f-password"
    active.send_keys("wrong", Keys.ENTER)
    browser.wait_text("mot de passe erroné")
    alert = browser.driver.find_element(By.CSS_SELECTOR, "[role=alert]")
    assert "mot de passe erroné" in alert.text
