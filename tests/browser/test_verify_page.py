"""The public verification page a worker's phone opens from the receipt's QR, in a real
headless Chromium against a real hub on 127.0.0.1: an authentic receipt (French, then
Arabic right to left), one signed by another key, one with a flipped character, and a link
whose spaces the browser percent-encoded. No page breaks the CSP."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import pytest
from selenium.webdriver.common.by import By
from starlette.testclient import TestClient

from agent_api.protocol.compact_receipt import Ed25519CompactSigner, compact_sign
from agent_api.protocol.keys import generate_private_key
from agent_api.services.container import Services
from qurb.asgi import build
from tests.browser.conftest import PASSWORD, Browser, browser_settings, new_driver
from tests.conftest import FakeClock
from tests.e2e.conftest import Server
from tests.integration.conftest import build_world
from tests.support.terminal import TestTerminal
from tests.support.workers import worker_payload


@dataclass
class Issued:
    collection: dict[str, str]
    enrollment: dict[str, str]
    server: Server


def seed_receipts(database_url: str, key_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """A worker enrolled and a payment of two months at CA-01, under a signed checkpoint."""
    settings = browser_settings(database_url, key_dir)
    clock = FakeClock()
    app = build(settings, clock=clock)
    with TestClient(app) as client:
        services: Services = app.state.services
        world = build_world(services, client)
        counter = TestTerminal(client, clock)
        assert counter.activate(world.activation_codes["CA-01"]).status_code == 201
        assert counter.login("op.ca-01", PASSWORD).status_code == 201
        enrolled = counter.send("POST", "/v1/workers", worker_payload(cin="VP123456"))
        assert enrolled.status_code == 201, enrolled.text
        number = enrolled.json()["registration_number"]
        paid = counter.send(
            "POST", "/v1/contributions", {"registration_number": number, "amount_centimes": 31_154}
        )
        assert paid.status_code == 201, paid.text
        services.audit.checkpoint()
        again = counter.send("GET", f"/v1/receipts/{paid.json()['receipt']['number']}")
        assert again.json()["compact"] == paid.json()["receipt"]["compact"]
    return paid.json()["receipt"], enrolled.json()["receipt"]


@pytest.fixture
def issued(
    chromium: str,
    database_url: str,
    key_dir: Path,
    start_server: Callable[..., Server],
) -> Issued:
    collection, enrollment = seed_receipts(database_url, key_dir)
    return Issued(collection, enrollment, start_server())


@pytest.fixture
def phone(chromium: str, issued: Issued) -> Iterator[Browser]:
    """A phone-sized window."""
    driver = new_driver(chromium, width=412, height=915)
    try:
        yield Browser(driver, issued.server.url)
    finally:
        driver.quit()


def open_receipt(phone: Browser, fragment: str, query: str = "") -> str:
    """The page at /V with ``fragment``, once it has said its last word; its verdict."""
    phone.driver.get(f"{phone.base}/V{query}#{fragment}")
    deadline = time.monotonic() + 15
    main = phone.driver.find_element(By.ID, "main")
    while time.monotonic() < deadline:
        verdict = main.get_attribute("data-verdict")
        if verdict and (verdict != "valid" or main.get_attribute("data-log") == "done"):
            return str(verdict)
        time.sleep(0.05)
    raise AssertionError(f"the page never decided:\n{phone.text()}")


def test_an_authentic_receipt_shows_what_it_proves_and_that_it_is_in_the_log(
    phone: Browser, issued: Issued
) -> None:
    compact = issued.collection["compact"]
    claims = jwt.decode(issued.collection["receipt"], options={"verify_signature": False})
    assert open_receipt(phone, compact) == "valid"
    text = phone.text()
    assert "Reçu authentique" in text
    assert "Paiement de cotisation" in text
    amount = claims["amount_centimes"]
    assert f"{amount // 100},{amount % 100:02d}\u00a0MAD" in text.replace(" ", "\u00a0")
    for month in claims["months"]:
        year, number = month["month"].split("-")
        assert f"{number}/{year}" in text
    assert "CA-01 · CASHPLUS" in text
    assert claims["receipt_number"] in text
    assert "Inscrit au journal d'audit public" in text
    # The receipt names its entry; the hub's public answer gives the index the page shows.
    where = httpx.get(f"{phone.base}/v1/audit/entries/{claims['log_entry']}", timeout=10).json()
    assert where["state"] == "included"
    assert f"entrée n° {where['index']}" in text
    root = r"\(racine \u2066?[0-9a-f]{16}\u2069?…\)"  # the hash, isolated left to right
    assert re.search(r"point de contrôle signé de \d+ entrées " + root, text)
    assert phone.csp_violations() == []


def test_the_arabic_page_reads_right_to_left(phone: Browser, issued: Issued) -> None:
    assert open_receipt(phone, issued.collection["compact"], "?lang=ar") == "valid"
    html = phone.driver.find_element(By.TAG_NAME, "html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    text = phone.text()
    assert "وصل أصلي" in text
    assert "أداء الاشتراك" in text
    assert "مسجَّل في سجل التدقيق العمومي" in text
    # The switch back to French keeps the receipt.
    switch = phone.driver.find_element(By.ID, "lang-switch").get_attribute("href")
    assert switch is not None
    assert switch.endswith("?lang=fr#" + issued.collection["compact"].replace(" ", "%20"))
    assert phone.csp_violations() == []


def test_a_receipt_signed_by_another_key_is_called_not_authentic(
    phone: Browser, issued: Issued
) -> None:
    claims = jwt.decode(issued.collection["receipt"], options={"verify_signature": False})
    forged = compact_sign(
        {**claims, "amount_centimes": 99_999_00}, Ed25519CompactSigner(generate_private_key())
    )
    assert open_receipt(phone, forged) == "forged"
    text = phone.text()
    assert "Reçu NON authentique" in text
    assert "999" not in text  # nothing of what a forgery claims is shown
    assert "Reçu authentique" not in text
    assert phone.csp_violations() == []


@pytest.mark.parametrize("where", [-3, 40])
def test_a_receipt_with_a_flipped_character_is_called_not_authentic(
    phone: Browser, issued: Issued, where: int
) -> None:
    compact = issued.collection["compact"]
    at = where % len(compact)
    altered = compact[:at] + ("7" if compact[at] != "7" else "8") + compact[at + 1 :]
    assert open_receipt(phone, altered) in {"forged", "damaged"}
    text = phone.text()
    assert "Reçu NON authentique" in text
    assert "Reçu authentique" not in text
    assert phone.csp_violations() == []


def test_a_link_whose_spaces_are_percent_encoded_verifies(phone: Browser, issued: Issued) -> None:
    # Base45 has a space, which a browser writes %20 in a fragment (and its % as it is).
    compact = next(
        c for c in (issued.collection["compact"], issued.enrollment["compact"]) if " " in c
    )
    assert open_receipt(phone, compact.replace(" ", "%20")) == "valid"


def test_a_link_without_a_receipt_says_what_to_do(phone: Browser, issued: Issued) -> None:
    assert open_receipt(phone, "") == "none"
    assert "Scannez le code QR imprimé sur votre reçu" in phone.text()


def test_an_enrollment_receipt_shows_the_category_and_the_coverage_start(
    phone: Browser, issued: Issued
) -> None:
    claims = jwt.decode(issued.enrollment["receipt"], options={"verify_signature": False})
    assert open_receipt(phone, issued.enrollment["compact"]) == "valid"
    text = phone.text()
    assert "Immatriculation" in text
    assert f"{claims['category']} · {claims['bracket']}" in text
    year, month = claims["coverage_start"].split("-")
    assert f"Couverture à partir de\n{month}/{year}" in text
    assert claims["registration_number"] in text
