"""Reimbursement files at the counter in Chromium, against a real hub: the deposit form is
reached from the worker's page and says each mistake on its field; the hub's warnings are
read to the worker, who insists; the slip is a ticket with the envelope's label beside it,
whose barcode reads back as the deposit number; a supervisor cancels a deposit the same
day; the day closes into a bordereau; the worker's files say where each envelope is. In
French, and in Arabic right to left; nothing breaks the CSP."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import BytesIO

import zxingcpp
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select
from sqlalchemy import func
from sqlmodel import Session, select

from agent_api.persistence.db import build_engine
from agent_api.persistence.tables import Deposit
from terminal_client.commands.context import CASABLANCA
from tests.browser.counter.conftest import Counter
from tests.e2e.conftest import E2E_PASSWORD, Server


def _days_ago(days: int) -> str:
    return (datetime.now(UTC).astimezone(CASABLANCA).date() - timedelta(days=days)).isoformat()


def _fill(counter: Counter, values: dict[str, str]) -> None:
    for name, value in values.items():
        element = counter.driver.find_element(By.ID, f"f-{name}")
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)


def _deposit_late_file(counter: Counter, days: int = 100) -> str:
    """From the worker's page, a file of care ``days`` ago, the worker insisting: the
    slip's ticket text."""
    counter.open(f"/workers/{counter.app.worker}")
    counter.driver.find_element(By.ID, "deposit-link").click()
    counter.wait_for("#f-care_kind")
    _fill(
        counter,
        {
            "care_kind": "laboratory",
            "care_from": _days_ago(days),
            "amount": "180",
            "documents": "2",
        },
    )
    counter.driver.find_element(By.ID, "deposit").click()
    counter.wait_for("#insist").click()
    return str(counter.wait_for("#ticket").text)


def test_a_deposit_is_checked_as_typed_warned_insisted_and_labelled(counter: Counter) -> None:
    counter.sign_in()
    counter.open(f"/workers/{counter.app.worker}")
    counter.driver.find_element(By.ID, "deposit-link").click()
    counter.wait_for("#f-care_kind")
    assert counter.focused().get_attribute("id") == "f-care_kind"
    # Checked as the operator leaves a field: care to come is named at once.
    care_from = counter.driver.find_element(By.ID, "f-care_from")
    care_from.clear()
    care_from.send_keys("2099-01-01", Keys.TAB)
    assert "après aujourd'hui" in counter.wait_for("#e-care_from").text
    _fill(counter, {"amount": "12,345", "documents": "0"})
    counter.driver.find_element(By.ID, "deposit").click()
    counter.wait_for("#e-care_kind")
    # Each mistake on its own field, the first one focused, what was typed kept.
    for name in ("care_kind", "care_from", "amount", "documents"):
        field = counter.driver.find_element(By.ID, f"f-{name}")
        assert field.get_attribute("aria-invalid") == "true", name
    assert counter.focused().get_attribute("id") == "f-care_kind"
    assert counter.driver.find_element(By.ID, "f-amount").get_attribute("value") == "12,345"
    late = _days_ago(100)
    _fill(
        counter, {"care_kind": "pharmacy", "care_from": late, "amount": "342,50", "documents": "3"}
    )
    counter.driver.find_element(By.ID, "deposit").click()
    warnings = counter.wait_for("#warnings").text
    assert "Délai de dépôt dépassé depuis le" in warnings
    assert "la CNSS refusera probablement ce dossier (motif R02)" in warnings
    # The safe answer has the focus: Enter alone does not take a file CNSS will refuse.
    assert counter.focused().get_attribute("id") == "give-back"
    counter.driver.find_element(By.ID, "insist").click()
    ticket = counter.wait_for("#ticket").text
    assert "RÉCÉPISSÉ DE DÉPÔT" in ticket
    assert "insisté pour déposer" in ticket
    # The slip on screen says each warning as it was told, the month of care included.
    assert "Droits AMO fermés au mois des soins (" in " ".join(ticket.split())
    number = next(w for w in ticket.split() if w.startswith("D-CASHPLUS-"))
    counter.driver.find_element(By.ID, "label-link").click()
    barcode = counter.wait_for("#barcode")
    counter.wait_until("return document.getElementById('barcode').naturalWidth > 0")
    assert barcode.get_attribute("class") == "w58"  # along the roll: 58 mm is the default
    shot = Image.open(BytesIO(counter.driver.get_screenshot_as_png())).convert("L")
    assert [r.text for r in zxingcpp.read_barcodes(shot)] == [number]
    assert number in counter.driver.find_element(By.CSS_SELECTOR, "figcaption").text
    assert counter.csp_violations() == []


def test_a_supervisor_cancels_todays_deposit_and_a_wrong_password_is_said_on_its_field(
    counter: Counter,
) -> None:
    counter.sign_in()
    _deposit_late_file(counter)
    counter.driver.find_element(By.ID, "cancel-link").click()
    counter.wait_for("#f-reason").send_keys("enveloppe rendue")
    counter.driver.find_element(By.ID, "f-supervisor_username").send_keys("sup.cp-01")
    counter.driver.find_element(By.ID, "f-supervisor_password").send_keys("wrong", Keys.ENTER)
    assert "superviseur" in counter.wait_for("#error").text
    assert counter.focused().get_attribute("id") == "f-supervisor_password"
    counter.focused().send_keys(E2E_PASSWORD, Keys.ENTER)
    ticket = counter.wait_for("#ticket").text
    assert "DÉPÔT ANNULÉ" in ticket
    counter.open(f"/workers/{counter.app.worker}/deposits")
    assert "Annulé (enveloppe rendue)" in counter.wait_for("#files").text


def test_the_day_closes_into_a_bordereau_and_the_files_show_the_journey_in_arabic(
    counter: Counter,
) -> None:
    counter.sign_in()
    first = next(w for w in _deposit_late_file(counter).split() if w.startswith("D-CASHPLUS-"))
    counter.open(f"/workers/{counter.app.worker}/deposits")
    assert "À l'agence, pas encore envoyé" in counter.wait_for("#files").text
    counter.driver.find_element(By.ID, "nav-transmittal").click()
    counter.wait_for("#close-transmittal").click()
    count = counter.wait_for("#bordereau-count").text
    assert count == "1 enveloppes, 2 pièces à compter."
    bordereau = counter.driver.find_element(By.ID, "ticket").text
    assert first in bordereau
    assert "Signature du coursier" in bordereau
    slip = next(w for w in bordereau.split() if w.startswith("B-CASHPLUS-"))
    counter.wait_until("return document.getElementById('qr').naturalWidth > 0")
    counter.open("/transmittal")
    counter.wait_for("#close-transmittal").click()
    assert "aucun bordereau" in counter.wait_for("#error").text
    counter.open(f"/workers/{counter.app.worker}/deposits?lang=ar")
    files = counter.wait_for("#files").text
    assert f"أُرسل إلى الصندوق ضمن الجدول {slip}" in files
    assert counter.driver.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    # The list fits the counter's 1024 px screen, in both languages: nothing to scroll
    # sideways to.
    for lang in ("fr", "ar"):
        counter.open(f"/workers/{counter.app.worker}/deposits?lang={lang}")
        counter.wait_for("#files")
        assert counter.driver.execute_script(
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        ), lang
    counter.open(f"/workers/{counter.app.worker}/deposits/new")
    _fill(counter, {"care_kind": "dental", "care_from": _days_ago(80), "amount": "90"})
    counter.driver.find_element(By.ID, "deposit").click()
    assert "انقضى أجل إيداع الملف منذ" in counter.wait_for("#warnings").text
    assert counter.csp_violations() == []


def test_a_deposit_taken_while_the_hub_is_cut_is_queued_then_labelled_when_it_is_back(
    counter: Counter, database_url: str, start_server: Callable[..., Server]
) -> None:
    counter.sign_in()
    counter.open(f"/workers/{counter.app.worker}/deposits/new")
    counter.wait_for("#f-care_kind")
    hub = counter.app.hub
    hub.process.terminate()
    hub.process.wait(timeout=10)
    care = {"care_kind": "optical", "care_from": _days_ago(100), "amount": "600"}
    _fill(counter, {**care, "documents": "2"})
    counter.driver.find_element(By.ID, "deposit").click()
    message = counter.wait_for("#message").text
    # Signed offline: no warnings step, and the operator is told why.
    assert "avec les avertissements qu'il trouvera alors" in message
    assert deposits_in(database_url) == 0
    counter.app.point_at(start_server())
    counter.open("/tickets")
    notice = counter.wait_for("[role=status] a")
    assert re.search(
        r"Le dépôt #\d+ est pris par le serveur : enveloppe D-CASHPLUS-\d{8}", notice.text
    )
    notice.click()
    ticket = counter.wait_for("#ticket").text
    assert "(motif R02)" in " ".join(ticket.split())  # taken with its warning, printed
    assert counter.driver.find_element(By.ID, "label-link").is_displayed()
    assert deposits_in(database_url) == 1


def deposits_in(database_url: str) -> int:
    engine = build_engine(database_url)
    with Session(engine) as session:
        found = session.exec(select(func.count()).select_from(Deposit)).one()
    engine.dispose()
    return int(found)
