"""The CNSS administrator in a real Chromium: a rate announced from next month shows among
the announced ones; a negative commission is refused with its field named and no network
written; the Arabic tariff reads right to left; a network's commission changed from a future
day shows among its announced rules, and one from today is refused naming the day."""

from __future__ import annotations

from datetime import date, timedelta

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.conftest import Browser


def _wait_for(browser: Browser, text: str) -> None:
    # While the next page loads, the old body goes stale under the reader: read again.
    WebDriverWait(browser.driver, 15, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: text in browser.text(), f"{text!r} never showed"
    )


def _signed_in(browser: Browser) -> None:
    browser.sign_in("cnss.admin")
    _wait_for(browser, "Connecté : cnss.admin")


def _fill(browser: Browser, element_id: str, value: str) -> None:
    field = browser.driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(value)


def test_the_admin_announces_a_rate_from_next_month_and_sees_it_listed(browser: Browser) -> None:
    _signed_in(browser)
    browser.open("/cnss/tariff")
    Select(browser.driver.find_element(By.ID, "r-bracket")).select_by_value(
        "TAXI_DRIVER/GRAND_TAXI"
    )
    # The month is filled in with the first month that may still change: next month.
    month = browser.driver.find_element(By.ID, "r-month").get_attribute("value")
    assert month is not None
    assert len(month) == 7
    _fill(browser, "r-base", "3500,00")
    _fill(browser, "r-bps", "650")
    browser.driver.find_element(By.CSS_SELECTOR, "form[action$='/tariff/rates'] button").click()
    _wait_for(browser, "Taux annoncé")
    row = browser.driver.find_element(By.XPATH, "//tr[th[contains(., 'GRAND_TAXI')]]").text
    assert f"à partir de {month[5:]}/{month[:4]}" in row
    assert "227,50 MAD" in row.replace("\u00a0", " ")
    assert browser.csp_violations() == []


def test_a_negative_commission_names_the_field_and_writes_nothing(browser: Browser) -> None:
    _signed_in(browser)
    browser.open("/cnss/networks")
    _fill(browser, "n-code", "BARID")
    _fill(browser, "n-name", "Barid Cash")
    _fill(browser, "n-fixed", "1,50")
    _fill(browser, "n-bps", "-5")
    _fill(browser, "n-rib", "022780000000000000000011")
    browser.driver.find_element(By.CSS_SELECTOR, "form[action$='/cnss/networks'] button").click()
    _wait_for(browser, "Champ en cause")
    alert = browser.driver.find_element(By.CSS_SELECTOR, "[role=alert]").text
    assert "Champ en cause : Commission proportionnelle (points de base)" in alert
    assert "Rien n'a été enregistré" in alert
    bps = browser.driver.find_element(By.ID, "n-bps")
    assert bps.get_attribute("aria-invalid") == "true"
    assert bps.get_attribute("value") == "-5"  # what was typed stays, to be corrected
    codes = [
        c.text for c in browser.driver.find_elements(By.CSS_SELECTOR, "tbody tr td:first-child")
    ]
    assert codes == ["CASHPLUS", "WAFACASH"]
    browser.open("/cnss/networks")
    assert "BARID" not in browser.text()


def test_the_arabic_tariff_reads_right_to_left(browser: Browser) -> None:
    _signed_in(browser)
    browser.open("/cnss/tariff?lang=ar")
    html = browser.driver.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("dir") == "rtl"
    heading = browser.driver.find_element(By.TAG_NAME, "h1")
    assert heading.text == "جدول الاشتراكات"
    assert "الفلاحون" in browser.text()
    # The heading's words sit on the right: right to left, as Arabic is read.
    left, width = browser.driver.execute_script(
        "const range = document.createRange(); range.selectNodeContents(arguments[0]);"
        "return [range.getBoundingClientRect().left, window.innerWidth];",
        heading,
    )
    assert left > width / 2
    assert browser.csp_violations() == []


def _click_and_wait(browser: Browser, by: str, target: str) -> None:
    """Click, then wait until the page the click brings has replaced this one (reading while
    the old document is torn down fails in Chromium's inspector, not only as a stale node)."""
    old = browser.driver.find_element(By.TAG_NAME, "html")
    browser.driver.find_element(by, target).click()
    WebDriverWait(browser.driver, 15).until(staleness_of(old))


def test_the_admin_changes_a_networks_commission_from_a_future_day(browser: Browser) -> None:
    _signed_in(browser)
    browser.open("/cnss/networks")
    _click_and_wait(browser, By.LINK_TEXT, "CASHPLUS")
    _wait_for(browser, "Réseau CASHPLUS : commission")
    # The first day offered is the first one a new rule may start: tomorrow.
    first = browser.driver.find_element(By.ID, "c-from").get_attribute("value")
    assert first is not None
    tomorrow = date.fromisoformat(first)
    later = tomorrow + timedelta(days=6)
    _fill(browser, "c-from", later.isoformat())
    _fill(browser, "c-fixed", "1,50")
    _fill(browser, "c-bps", "45")
    _click_and_wait(browser, By.CSS_SELECTOR, "form[action$='/commission'] button")
    _wait_for(browser, "Règle de commission annoncée")
    scheduled = browser.driver.find_element(By.XPATH, "//h2[@id='scheduled']/following::table")
    row = scheduled.text
    assert f"{later:%d/%m/%Y}" in row
    assert "150 + (montant × 45 + 5000) // 10000" in row
    assert "cnss.admin" in row
    # Today has begun: a rule from today is refused, its field named, nothing written.
    _fill(browser, "c-from", (tomorrow - timedelta(days=1)).isoformat())
    _fill(browser, "c-fixed", "0")
    _fill(browser, "c-bps", "0")
    _click_and_wait(browser, By.CSS_SELECTOR, "form[action$='/commission'] button")
    _wait_for(browser, "Champ en cause")
    alert = browser.driver.find_element(By.CSS_SELECTOR, "[role=alert]").text
    assert "Champ en cause : Premier jour d'application" in alert
    assert "Rien n'a été enregistré" in alert
    assert browser.driver.find_element(By.ID, "c-from").get_attribute("aria-invalid") == "true"
    rows = browser.driver.find_elements(
        By.XPATH, "//h2[@id='scheduled']/following::table[1]/tbody/tr"
    )
    assert len(rows) == 1
    assert browser.csp_violations() == []
