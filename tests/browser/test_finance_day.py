"""Finance works a day in a real Chromium: uploads CNSS's ledger, sees each exception with
its reason, resolves two in one action, exports the queue, signs out; a refused file shows
its line and field."""

from __future__ import annotations

import time

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from tests.browser.conftest import Browser, FinanceDay, cookies_of


def upload(browser: Browser, path: str) -> None:
    browser.open("/finance/uploads")
    browser.driver.find_element(By.ID, "k-ledger").click()
    browser.driver.find_element(By.ID, "f-file").send_keys(path)
    browser.driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()


def test_finance_works_the_days_exceptions_from_the_browser(
    finance_browser: Browser, finance_day: FinanceDay
) -> None:
    browser, day = finance_browser, finance_day.business_date
    browser.sign_in("cnss.finance")
    upload(browser, str(finance_day.ledger))
    assert "rapprochée à nouveau : version 1" in browser.wait_text("Fichier enregistré.")
    browser.driver.find_element(By.LINK_TEXT, "Traiter les écarts ouverts de la journée").click()
    browser.wait_text("File des écarts")  # the queue's page, before its rows are read
    rows = browser.driver.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")
    missing = [r for r in rows if "absent du grand livre" in r.text]
    assert len(missing) >= 2, browser.text()
    assert "CA-01" in missing[0].text
    for row in missing[:2]:
        row.find_element(By.CSS_SELECTOR, "input[name=exception_id]").click()
    Select(browser.driver.find_element(By.ID, "f-reason_code")).select_by_value(
        "cnss_booking_corrected"
    )
    browser.driver.find_element(By.ID, "f-comment").send_keys("CNSS rebooked them on D+1")
    browser.driver.find_element(By.CSS_SELECTOR, "button[name=to][value=resolved]").click()
    browser.wait_text("2 écarts résolus.")
    remaining = browser.driver.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")
    assert len(remaining) == len(rows) - 2
    browser.driver.find_element(By.PARTIAL_LINK_TEXT, "Exporter en CSV").click()
    assert browser.downloads is not None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not list(browser.downloads.glob("*.csv")):
        time.sleep(0.2)
    [exported] = list(browser.downloads.glob("*.csv"))
    assert exported.read_text().startswith("id,business_date,")
    assert f"{day.isoformat()}" in exported.read_text()
    session = cookies_of(browser)["qurb_back_office"]["value"]
    browser.driver.find_element(By.CSS_SELECTOR, "header form button").click()
    browser.wait_text("Vous êtes déconnecté.")
    old = httpx.get(
        browser.base + "/back-office/finance/exceptions",
        cookies={"qurb_back_office": session},
        follow_redirects=False,
    )
    assert old.status_code == 303
    assert browser.csp_violations() == []


def test_a_refused_upload_shows_the_line_and_the_field(
    finance_browser: Browser, finance_day: FinanceDay
) -> None:
    browser = finance_browser
    rows = finance_day.ledger.read_bytes().decode("utf-8-sig").split("\r\n")
    cells = rows[2].split(";")
    cells[rows[0].split(";").index("MONTANT")] = "douze"
    rows[2] = ";".join(cells)
    broken = finance_day.ledger.with_name("broken-" + finance_day.ledger.name)
    broken.write_bytes("\r\n".join(rows).encode())
    browser.sign_in("cnss.finance")
    upload(browser, str(broken))
    browser.wait_text("Fichier refusé.")
    alert = browser.driver.find_element(By.CSS_SELECTOR, "[role=alert]")
    assert "Fichier refusé." in alert.text
    assert "MONTANT" in alert.text
    assert "line 3" in alert.text
    browser.open(f"/finance/days/{finance_day.business_date.isoformat()}")
    assert "pas encore rapprochée" in browser.text()


def test_the_queue_filters_with_htmx_without_a_csp_violation(
    finance_browser: Browser, finance_day: FinanceDay
) -> None:
    browser = finance_browser
    browser.sign_in("cnss.finance")
    upload(browser, str(finance_day.ledger))
    browser.wait_text("Fichier enregistré.")
    browser.open("/finance/exceptions")
    Select(browser.driver.find_element(By.ID, "f-kind")).select_by_value("missing")
    browser.driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "kind=missing" not in browser.driver.current_url:
        time.sleep(0.1)
    assert "kind=missing" in browser.driver.current_url  # htmx pushed the filtered URL
    rows = browser.driver.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")
    assert rows
    assert all("non reçu" in r.text for r in rows)
    assert browser.csp_violations() == []
