"""Enrolling at the counter in Chromium: a typing mistake is said next to its field, with the
focus there and everything else kept, corrected in place; a dependent on the same screen;
the category and bracket from a menu; a CIN already enrolled leads to that worker."""

from __future__ import annotations

import re

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select

from tests.browser.counter.conftest import Counter


def _type(counter: Counter, values: dict[str, str]) -> None:
    for name, value in values.items():
        element = counter.driver.find_element(By.ID, f"f-{name}")
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)


def test_a_typing_mistake_is_corrected_in_place_and_the_worker_is_enrolled(
    counter: Counter,
) -> None:
    counter.sign_in()
    counter.driver.find_element(By.CSS_SELECTOR, "a[accesskey=e]").click()
    counter.wait_for("#f-cin")
    assert counter.focused().get_attribute("id") == "f-cin"
    # Checked as typed: leaving a field with a mistake says it at once (counter.js), and
    # correcting it takes the sentence away.
    counter.focused().send_keys("C1", Keys.TAB)
    assert "CIN" in counter.wait_for("#e-cin").text
    cin = counter.driver.find_element(By.ID, "f-cin")
    cin.send_keys(Keys.BACKSPACE, Keys.BACKSPACE, "cd 765432", Keys.TAB)
    cin_error_gone = "return document.getElementById('e-cin') === null"
    counter.wait_until(cin_error_gone)
    _type(
        counter,
        {
            "cin": "cd 765432",
            "last_name": "Bennani",
            "first_name": "Omar",
            "birth_date": "1980-02-30",  # no such day
            "sex": "M",
            "phone": "06 12 34 56 78",
            "address": "3 derb Sidi Ahmed",
            "city": "Fès",
            "plan": "ARTISAN/REGISTERED",
            "document_number": "ART-2020-7",
            "d0_relation": "child",
            "d0_last_name": "Bennani",
            "d0_first_name": "Sara",
            "d0_birth_date": "2015-06-01",
            "d0_sex": "F",
        },
    )
    counter.driver.find_element(By.ID, "enroll").click()
    error = counter.wait_for("#e-birth_date")
    assert "calendrier" in error.text
    assert counter.driver.find_elements(By.CSS_SELECTOR, ".field-error") == [error]
    field = counter.focused()
    assert field.get_attribute("id") == "f-birth_date"
    assert field.get_attribute("aria-invalid") == "true"
    # Everything else typed is still there, the dependent too.
    assert counter.driver.find_element(By.ID, "f-first_name").get_attribute("value") == "Omar"
    assert counter.driver.find_element(By.ID, "f-d0_first_name").get_attribute("value") == "Sara"
    field.clear()
    field.send_keys("1980-02-03", Keys.ENTER)  # Enter enrolls, from any field
    ticket = counter.wait_for("#ticket").text
    assert "IMMATRICULATION" in ticket
    number = re.search(r"\b\d{10}\b", ticket)
    assert number is not None
    counter.driver.find_element(By.ID, "pay-link").click()
    counter.wait_text("Omar")
    rows = counter.driver.find_elements(By.CSS_SELECTOR, ".card div")
    assert [r.text for r in rows if r.text.startswith("Ayants droit")] == ["Ayants droit\n1"]
    assert counter.csp_violations() == []


def test_a_cin_already_enrolled_leads_to_the_existing_worker(counter: Counter) -> None:
    counter.sign_in()
    counter.open("/enroll")
    counter.wait_for("#f-cin")
    _type(
        counter,
        {
            "cin": "BE123456",  # the fixture's worker
            "last_name": "Autre",
            "first_name": "Nom",
            "birth_date": "1990-01-01",
            "sex": "F",
            "phone": "0612345678",
            "address": "1 rue",
            "city": "Rabat",
            "plan": "ARTISAN/REGISTERED",
            "document_number": "ART-1",
        },
    )
    counter.driver.find_element(By.ID, "enroll").click()
    notice = counter.wait_for("#already")
    assert counter.app.worker in notice.text
    assert counter.driver.find_element(By.ID, "worker-name").text == "Fatima El Amrani"
    assert counter.focused().get_attribute("id") == "f-amount"  # ready to take the payment
