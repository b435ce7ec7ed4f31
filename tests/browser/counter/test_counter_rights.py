"""A worker's rights and a certificate printed from the counter, in Chromium."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from tests.browser.counter.conftest import Counter


def test_the_rights_screen_and_a_rights_certificate(counter: Counter) -> None:
    counter.sign_in()
    counter.open(f"/workers/{counter.app.worker}")
    counter.driver.find_element(By.ID, "rights-link").click()
    status = counter.wait_for("#rights-status")
    assert status.text  # the hub's status, in French
    assert counter.driver.find_element(By.ID, "rights-reason").text
    assert counter.focused().get_attribute("id") == "certificate-rights"
    counter.focused().click()
    ticket = counter.wait_for("#ticket").text
    assert "ATTESTATION" in ticket.upper()
    assert counter.app.worker in ticket
    counter.open("/tickets")
    assert "Attestation" in counter.wait_for("#tickets tbody tr").text
    assert counter.csp_violations() == []
