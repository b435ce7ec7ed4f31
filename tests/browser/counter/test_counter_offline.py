"""The hub goes away in the middle of the day: the counter says so in a banner, takes the
payment with a provisional ticket from the outbox, shows it queued in the header and in
today's list, and hands over the final receipt once the hub is back, collected once."""

from __future__ import annotations

import re
from collections.abc import Callable

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.counter.conftest import Counter
from tests.e2e.conftest import Server
from tests.support.counter import collections_in


def test_server_cut_provisional_ticket_then_the_final_receipt_when_it_is_back(
    counter: Counter, database_url: str, start_server: Callable[..., Server]
) -> None:
    counter.sign_in()
    counter.open(f"/workers/{counter.app.worker}")  # the operator has the worker's file open
    counter.wait_for("#f-amount")
    hub = counter.app.hub
    hub.process.terminate()
    hub.process.wait(timeout=10)

    counter.focused().send_keys("75", Keys.ENTER)
    counter.wait_for("#confirm")
    assert "injoignable" in counter.text()  # the name cannot be checked: said before the cash
    counter.focused().send_keys(Keys.ENTER)
    ticket = counter.wait_for("#ticket").text
    assert "Ticket provisoire" in ticket
    assert "75,00 MAD" in ticket
    assert counter.driver.find_element(By.ID, "offline").is_displayed()
    assert counter.driver.find_element(By.ID, "day-queued").text == "1 · 75,00 MAD"
    ticket_page = counter.driver.current_url
    counter.open("/tickets")
    row = counter.wait_for("#tickets tbody tr.provisional")
    assert "75,00 MAD" in row.text
    assert "provisoire" in row.text
    assert collections_in(database_url) == 0

    counter.app.point_at(start_server())
    counter.driver.get(ticket_page)
    notice = counter.wait_for("[role=status] a")
    assert re.search(r"#\d+ est confirmé : reçu R-CASHPLUS-\d+", notice.text)
    ticket = counter.wait_for("#ticket").text
    assert "Ticket provisoire" not in ticket
    assert re.search(r"R-CASHPLUS-\d+", ticket)
    assert "75,00 MAD" in ticket
    assert counter.driver.find_elements(By.ID, "offline") == []
    assert counter.driver.find_element(By.ID, "day-queued").text == "0 · 0,00 MAD"
    assert counter.driver.find_element(By.ID, "day-count").text == "1"
    counter.open("/tickets")
    assert counter.driver.find_elements(By.CSS_SELECTOR, "#tickets tr.provisional") == []
    assert collections_in(database_url) == 1
    assert counter.csp_violations() == []
