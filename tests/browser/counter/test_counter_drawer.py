"""Closing the cash drawer at the counter in a real Chromium: the operator types the count
note by note (the hub's expected figure is not on the form), a mistyped quantity is named
on its field, and the signed close report, with what the hub expected, what was counted and
the difference, is the ticket shown, printed and listed for reprint."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.counter.conftest import Counter
from tests.browser.counter.test_counter_app import _pay


def test_the_drawer_closes_with_a_difference_on_its_signed_report(counter: Counter) -> None:
    counter.sign_in()
    _pay(counter, "60")
    counter.open("/drawer")
    form = counter.wait_for("#drawer-form").text
    assert "Billets" in form
    assert "Pièces" in form
    assert "60,00" not in form  # the form does not say what the hub expects
    assert counter.focused().get_attribute("id") == "f-c20000"
    # A quantity that is not a whole number is refused on its field; nothing is sent.
    counter.driver.find_element(By.ID, "f-c5000").send_keys("un")
    counter.driver.find_element(By.ID, "f-c5000").send_keys(Keys.ENTER)
    error = counter.wait_for("#error").text
    assert "50,00 MAD" in error
    assert counter.focused().get_attribute("id") == "f-c5000"
    # One 50 dirham note and five 1 dirham coins: 55,00 counted against 60,00 expected.
    field = counter.focused()
    field.clear()
    field.send_keys("1")
    counter.driver.find_element(By.ID, "f-c100").send_keys("5", Keys.ENTER)
    ticket = counter.wait_for("#ticket").text
    assert counter.driver.find_element(By.TAG_NAME, "h1").text.startswith("Rapport de clôture C-")
    assert "CLÔTURE DE CAISSE" in ticket.upper()
    assert "60,00 MAD" in ticket  # expected
    assert "55,00 MAD" in ticket  # counted
    assert "5,00 MAD" in ticket  # the shortage
    # The report is one of today's tickets, to reprint.
    counter.open("/tickets")
    assert "C-CASHPLUS-" in counter.text()
    assert counter.csp_violations() == []


def test_the_arabic_drawer_form_is_right_to_left(counter: Counter) -> None:
    counter.sign_in()
    counter.open("/drawer?lang=ar")
    html = counter.driver.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("dir") == "rtl"
    assert "الأوراق النقدية" in counter.text()
    assert "إغلاق الصندوق" in counter.text()
    assert counter.csp_violations() == []
