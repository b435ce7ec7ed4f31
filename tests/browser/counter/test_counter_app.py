"""The counter application in a real Chromium at 1024 x 768, against a real hub: the
operator signs in, finds a worker, reads whose account and which months before the cash is
taken, confirms with Enter, gets the ticket, prints it on a 58 or 80 mm roll, and reprints
it from today's list; Arabic is right to left; nothing breaks the CSP."""

from __future__ import annotations

import base64
import re

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.counter.conftest import OPERATOR, Counter
from tests.e2e.conftest import E2E_PASSWORD
from tests.support.counter import collections_in as collections_of


def _pay(counter: Counter, amount: str) -> str:
    """Find the worker by number, type the amount, confirm with Enter: the ticket's text."""
    counter.open("/")
    counter.focused().send_keys(counter.app.worker, Keys.ENTER)
    counter.wait_for("#worker-name")
    counter.focused().send_keys(amount, Keys.ENTER)
    counter.wait_for("#confirm")
    counter.focused().send_keys(Keys.ENTER)
    return str(counter.wait_for("#ticket").text)


def test_the_operator_signs_in_and_the_header_shows_the_offices_day(counter: Counter) -> None:
    counter.open("/")
    assert counter.driver.current_url.endswith("/sign-in")
    assert counter.focused().get_attribute("id") == "f-username"
    counter.sign_in()
    text = counter.wait_text("Encaissements du jour")
    assert "CP-01" in text
    assert counter.driver.find_element(By.ID, "day-count").text == "0"
    assert counter.driver.find_element(By.ID, "day-queued").text == "0 · 0,00 MAD"
    cookie = {c["name"]: c for c in counter.driver.get_cookies()}["qurb_counter"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    # The first field has the focus: the operator types at once.
    assert counter.focused().get_attribute("id") == "f-number"
    assert counter.csp_violations() == []


def test_a_wrong_password_is_said_and_the_password_field_has_the_focus(counter: Counter) -> None:
    counter.sign_in(password="wrong password")
    alert = counter.wait_for("[role=alert]")
    assert "mot de passe" in alert.text.lower()
    assert counter.focused().get_attribute("id") == "f-password"


def test_find_pay_with_one_key_and_the_ticket_shows_the_receipt(
    counter: Counter, database_url: str
) -> None:
    counter.sign_in()
    counter.open("/")
    counter.focused().send_keys(counter.app.worker, Keys.ENTER)
    counter.wait_text("Fatima")
    # The amount field has the focus; the confirmation names the worker and the months.
    counter.focused().send_keys("100", Keys.ENTER)
    counter.wait_for("#confirm")
    assert counter.driver.find_element(By.ID, "confirm-name").text == "Fatima El Amrani"
    assert counter.driver.find_element(By.ID, "confirm-amount").text == "100,00 MAD"
    assert "paie 100,00 MAD sur les" in counter.driver.find_element(By.ID, "covers").text
    assert collections_of(database_url) == 0  # nothing is taken before the confirmation
    assert counter.focused().get_attribute("id") == "confirm"
    counter.focused().send_keys(Keys.ENTER)
    ticket = counter.wait_for("#ticket").text
    assert "ENCAISSEMENT" in ticket
    assert "100,00 MAD" in ticket
    assert re.search(r"R-CASHPLUS-\d+", ticket)
    assert collections_of(database_url) == 1
    # The header counts it; going back and sending the form again collects nothing more.
    assert counter.driver.find_element(By.ID, "day-count").text == "1"
    counter.driver.back()
    counter.wait_for("#confirm").click()
    counter.wait_for("#ticket")
    assert collections_of(database_url) == 1
    assert counter.csp_violations() == []


def test_a_mistyped_amount_is_refused_naming_the_field(counter: Counter, database_url: str) -> None:
    counter.sign_in()
    counter.open(f"/workers/{counter.app.worker}")
    counter.focused().send_keys("12,345", Keys.ENTER)
    error = counter.wait_for(".field-error")
    assert "deux décimales" in error.text
    field = counter.driver.find_element(By.ID, "f-amount")
    assert field.get_attribute("aria-invalid") == "true"
    assert counter.focused().get_attribute("id") == "f-amount"
    assert collections_of(database_url) == 0


def test_esc_goes_back_from_the_confirmation_without_collecting(
    counter: Counter, database_url: str
) -> None:
    counter.sign_in()
    counter.open(f"/payments/new?number={counter.app.worker}&amount=50")
    counter.wait_for("#confirm")
    counter.focused().send_keys(Keys.ESCAPE)
    counter.wait_for("#f-amount")
    assert collections_of(database_url) == 0


def test_a_worker_is_found_by_the_cin_on_the_card(counter: Counter) -> None:
    counter.sign_in()
    counter.open("/")
    counter.driver.find_element(By.ID, "f-cin").send_keys("be 123456", Keys.ENTER)
    counter.wait_text("Fatima")
    assert counter.app.worker in counter.text()
    counter.open("/")
    counter.driver.find_element(By.ID, "f-cin").send_keys("123", Keys.ENTER)
    assert "CIN" in counter.wait_for("#cin-error").text


def test_the_print_pages_are_sized_for_58_and_80_mm_rolls(counter: Counter) -> None:
    counter.sign_in()
    _pay(counter, "25")
    # The print page opens the browser's print dialog by itself: counted here instead, since
    # a headless dialog would never be closed.
    counter.driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {"source": "window.print = () => { window.printed = (window.printed || 0) + 1; };"},
    )
    counter.driver.find_element(By.ID, "print-58").click()
    counter.wait_for("body.print")
    assert "25,00 MAD" in counter.driver.find_element(By.ID, "ticket").text
    loaded = "return document.getElementById('qr').naturalWidth"
    assert counter.driver.execute_script(loaded) > 0
    assert counter.driver.execute_script("return window.printed") == 1
    for width in (58, 80):
        counter.driver.get(counter.driver.current_url.split("?")[0] + f"?width={width}")
        counter.wait_for("body.print")
        pdf = counter.driver.execute_cdp_cmd(
            "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True}
        )
        data = base64.b64decode(pdf["data"])
        box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)", data)
        assert box is not None
        assert abs(float(box[1]) - width / 25.4 * 72) < 1  # the page is the roll's width
    assert counter.csp_violations() == []


def test_todays_receipts_list_reprints_a_ticket(counter: Counter) -> None:
    counter.sign_in()
    first = re.search(r"R-CASHPLUS-\d+", _pay(counter, "30"))
    _pay(counter, "40")
    assert first is not None
    counter.driver.find_element(By.CSS_SELECTOR, "a[accesskey=r]").click()
    counter.wait_for("#tickets")
    rows = counter.driver.find_elements(By.CSS_SELECTOR, "#tickets tbody tr")
    assert [r.text for r in rows if first[0] in r.text]
    row = next(r for r in rows if first[0] in r.text)
    assert "30,00 MAD" in row.text
    row.find_element(By.TAG_NAME, "a").click()
    ticket = counter.wait_for("#ticket").text
    assert first[0] in ticket
    assert "30,00 MAD" in ticket


def test_the_arabic_counter_is_right_to_left(counter: Counter) -> None:
    counter.sign_in()
    counter.open("/?lang=ar")
    html = counter.driver.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("dir") == "rtl"
    assert html.get_attribute("lang") == "ar"
    direction = "return getComputedStyle(document.body).direction"
    assert counter.driver.execute_script(direction) == "rtl"
    assert "البحث عن مؤمَّن له" in counter.text()
    ticket = _pay(counter, "20")
    assert "20,00 MAD" in ticket
    assert counter.csp_violations() == []


def test_sign_out_ends_the_session_and_the_old_cookie_opens_nothing(counter: Counter) -> None:
    counter.sign_in()
    old = {c["name"]: c for c in counter.driver.get_cookies()}["qurb_counter"]["value"]
    counter.driver.find_element(By.CSS_SELECTOR, "header form button").click()
    counter.wait_text("Vous êtes déconnecté.")
    answer = httpx.get(
        counter.base + "/tickets", cookies={"qurb_counter": old}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in"


def test_other_sites_cannot_drive_the_counter(counter: Counter, database_url: str) -> None:
    counter.sign_in()
    cookie = {c["name"]: c for c in counter.driver.get_cookies()}["qurb_counter"]["value"]
    counter.open(f"/payments/new?number={counter.app.worker}&amount=10")
    token = counter.wait_for("input[name=csrf]").get_attribute("value")
    nonce = counter.driver.find_element(By.CSS_SELECTOR, "input[name=nonce]")
    form = {
        "number": counter.app.worker,
        "amount_centimes": "1000",
        "nonce": nonce.get_attribute("value"),
    }
    cookies = {"qurb_counter": cookie}
    without_token = httpx.post(counter.base + "/payments", data=form, cookies=cookies)
    assert without_token.status_code == 403
    from_elsewhere = httpx.post(
        counter.base + "/payments",
        data={**form, "csrf": token},
        cookies=cookies,
        headers={"Origin": "http://evil.example"},
    )
    assert from_elsewhere.status_code == 403
    port = counter.base.rsplit(":", 1)[1]
    rebound = httpx.get(counter.base + "/", headers={"Host": f"evil.example:{port}"})
    assert rebound.status_code == 421
    assert collections_of(database_url) == 0
    assert OPERATOR  # the operator stayed signed in


def test_a_supervisor_reverses_todays_collection_at_the_same_counter(
    counter: Counter, database_url: str
) -> None:
    counter.sign_in()
    paid = re.search(r"R-CASHPLUS-\d+", _pay(counter, "60"))
    assert paid is not None
    counter.driver.find_element(By.ID, "reverse-link").click()
    counter.wait_for("#f-reason").send_keys("mauvais assuré")
    counter.driver.find_element(By.ID, "f-supervisor_username").send_keys("sup.cp-01")
    password = counter.driver.find_element(By.ID, "f-supervisor_password")
    password.send_keys("not the password", Keys.ENTER)
    # A wrong supervisor password is the supervisor's: the operator stays signed in.
    error = counter.wait_for("#error")
    assert "superviseur" in error.text.lower()
    assert counter.focused().get_attribute("id") == "f-supervisor_password"
    assert counter.driver.find_elements(By.CSS_SELECTOR, "header .who")
    counter.focused().send_keys(E2E_PASSWORD, Keys.ENTER)
    ticket = counter.wait_for("#ticket").text
    assert "ANNULATION" in ticket
    assert paid[0] in ticket  # the receipt it reverses
    assert "-60,00 MAD" in ticket
    assert collections_of(database_url) == 1
