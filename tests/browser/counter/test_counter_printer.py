"""The counter's receipt printer from the browser: with an ESC/POS printer set on the
terminal, the ticket's page sends the ticket to it (here a file, as python-escpos's device
backend writes a /dev/usb/lp0); with none, the button is not offered; a printer that cannot
be opened is one sentence on the page."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By

from terminal_client.home import Home
from tests.browser.counter.conftest import Counter
from tests.browser.counter.test_counter_app import _pay

CUT = b"\x1dV"  # GS V: the paper cut every printed ticket ends with


def test_a_ticket_goes_to_the_receipt_printer_from_its_page(
    counter: Counter, tmp_path: Path
) -> None:
    counter.sign_in()
    _pay(counter, "60")
    assert not counter.driver.find_elements(By.ID, "print-escpos")  # no printer set yet
    device = tmp_path / "lp0"
    device.touch()
    Home(counter.app.home).update_config(printer=str(device))
    counter.driver.refresh()
    counter.wait_for("#print-escpos").click()
    assert "imprimante à tickets" in counter.wait_for("#printed").text
    printed = device.read_bytes()
    assert CUT in printed
    assert b"60,00 MAD" in printed
    # A printer that cannot be opened: said on the page, nothing else breaks.
    Home(counter.app.home).update_config(printer=str(tmp_path / "missing" / "lp0"))
    counter.driver.refresh()
    counter.wait_for("#print-escpos").click()
    assert "imprim" in counter.wait_for("#error").text.lower()
    assert counter.wait_for("#ticket")
    assert counter.csp_violations() == []
