"""A deposit slip's QR opened on a phone, in a real headless Chromium against a real hub: the
page verifies the slip in the browser, shows what was deposited (no name: worker or
dependent, the kind of care, the dates, the amount, the documents, the deadline and the
warnings in words), then where the file is, as the hub tells the holder of the very slip it
stored (here: sent, then refused by CNSS with its reason). French, then Arabic right to
left; an altered slip is refused and shows nothing of a file; no page breaks the CSP."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from selenium.webdriver.common.by import By
from starlette.testclient import TestClient

from agent_api.domain.claims import TrackingStatus
from agent_api.services.container import Services
from qurb.asgi import build
from reconciliation.container import Reconciliation
from reconciliation.formats.tracking import TrackingEvent, write_tracking
from tests.browser.conftest import PASSWORD, Browser, browser_settings, new_driver
from tests.browser.test_verify_page import open_receipt
from tests.conftest import FakeClock
from tests.e2e.conftest import Server
from tests.integration.conftest import build_world
from tests.support.terminal import TestTerminal
from tests.support.workers import child, worker_payload

# Where the screenshots go when asked (QURB_SCREENSHOTS=dir): to look at, not to assert on.
SHOTS = os.environ.get("QURB_SCREENSHOTS")


@dataclass
class Slips:
    refused: dict[str, Any]  # a dependent's old stay, three warnings, refused by CNSS (R02)
    waiting: dict[str, Any]  # a worker's pharmacy slip, still at the office
    cancelled: dict[str, Any]  # a slip handed back the same day, and its cancellation
    server: Server


def _seed(
    database_url: str, key_dir: Path
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    settings = browser_settings(database_url, key_dir)
    clock = FakeClock()
    app = build(settings, clock=clock)
    with TestClient(app) as client:
        services: Services = app.state.services
        world = build_world(services, client)
        counter = TestTerminal(client, clock)
        assert counter.activate(world.activation_codes["CA-01"]).status_code == 201
        assert counter.login("op.ca-01", PASSWORD).status_code == 201
        enrolled = counter.send(
            "POST", "/v1/workers", worker_payload(cin="VD123456", dependents=[child()])
        )
        assert enrolled.status_code == 201, enrolled.text
        worker = enrolled.json()["registration_number"]
        [dependent] = enrolled.json()["worker"]["dependents"]
        today = clock.now.date()
        refused = counter.send(
            "POST",
            "/v1/deposits",
            {
                "registration_number": worker,
                "dependent_id": dependent["id"],
                "care_kind": "hospitalisation",
                "care_from": (today - timedelta(days=80)).isoformat(),
                "care_to": (today - timedelta(days=76)).isoformat(),
                "amount_spent_centimes": 1_234_550,
                "documents": 7,
                "insist": True,
            },
        )
        assert refused.status_code == 201, refused.text
        slip = counter.send("POST", "/v1/offices/current/transmittals", {})
        assert slip.status_code == 201, slip.text
        recon = Reconciliation.build(services.settings, services.engine, services.clock)
        refusal = TrackingEvent(
            event_id="V1",
            event_date=today + timedelta(days=3),
            network="CASHPLUS",
            slip_number=slip.json()["number"],
            deposit_number=refused.json()["deposit_number"],
            registration_number=worker,
            cnss_file_number="AMO26-0088123",
            status=TrackingStatus.REFUSED,
            reimbursed_centimes=None,
            reason_code="R02",
            reason_text="délai de dépôt dépassé",
        )
        recon.claims.apply(write_tracking([refusal]), source="CNSS_SUIVI_DOSSIERS_CASHPLUS_1.csv")
        waiting = counter.send(
            "POST",
            "/v1/deposits",
            {
                "registration_number": worker,
                "care_kind": "pharmacy",
                "care_from": today.isoformat(),
                "amount_spent_centimes": 34_250,
                "documents": 3,
            },
        )
        assert waiting.status_code == 201, waiting.text
        handed_back = counter.send(
            "POST",
            "/v1/deposits",
            {
                "registration_number": worker,
                "care_kind": "optical",
                "care_from": today.isoformat(),
                "amount_spent_centimes": 90_000,
                "documents": 2,
            },
        )
        assert handed_back.status_code == 201, handed_back.text
        cancellation = counter.send(
            "POST",
            f"/v1/deposits/{handed_back.json()['deposit_number']}/cancellation",
            {
                "reason": "envelope handed back",
                "supervisor": {"username": "sup.ca-01", "password": PASSWORD},
            },
        )
        assert cancellation.status_code == 201, cancellation.text
        services.audit.checkpoint()
    cancelled = {**handed_back.json(), "cancellation": cancellation.json()}
    return refused.json(), waiting.json(), cancelled


@pytest.fixture
def slips(
    chromium: str, database_url: str, key_dir: Path, start_server: Callable[..., Server]
) -> Slips:
    refused, waiting, cancelled = _seed(database_url, key_dir)
    return Slips(refused, waiting, cancelled, start_server())


@pytest.fixture
def phone(chromium: str, slips: Slips) -> Iterator[Browser]:
    driver = new_driver(chromium, width=412, height=915)
    try:
        yield Browser(driver, slips.server.url)
    finally:
        driver.quit()


def _shot(phone: Browser, name: str) -> None:
    if SHOTS:
        height = int(phone.driver.execute_script("return document.documentElement.scrollHeight"))
        phone.driver.set_window_size(412, height + 140)
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        phone.driver.save_screenshot(str(Path(SHOTS) / f"{name}.png"))


def _dmy(day: str) -> str:
    return date.fromisoformat(day).strftime("%d/%m/%Y")


def test_a_refused_slip_shows_what_was_deposited_and_why_cnss_refused_it(
    phone: Browser, slips: Slips
) -> None:
    slip = slips.refused
    claims = jwt.decode(slip["slip"]["receipt"], options={"verify_signature": False})

    assert open_receipt(phone, slip["slip"]["compact"]) == "valid"

    text = phone.text()
    _shot(phone, "verify-deposit.fr")
    assert "Reçu authentique" in text
    assert "Dépôt d'un dossier de remboursement AMO" in text
    assert slip["deposit_number"] in text
    assert "un ayant droit de l'assuré(e)" in text
    assert "Hospitalisation" in text
    assert f"{_dmy(claims['care_from'])} – {_dmy(claims['care_to'])}" in text
    assert "12\u00a0345,50\u00a0MAD" in text.replace(" ", "\u00a0")
    assert f"Date limite de dépôt\n{_dmy(claims['deadline'])}" in text
    assert "Délai de dépôt dépassé : la CNSS refusera probablement ce dossier" in text
    assert "Bénéficiaire non déclaré" in text
    refused_on = (date.fromisoformat(slip["business_date"]) + timedelta(days=3)).strftime(
        "%d/%m/%Y"
    )
    assert f"Refusé par la CNSS le \u2066{refused_on}\u2069 (motif \u2066R02\u2069)" in text
    assert "délai de dépôt dépassé." in text
    assert "Inscrit au journal d'audit public" in text
    # No name: the slip has none, and the page invents none.
    assert "Fatima" not in text
    assert phone.csp_violations() == []


def test_the_arabic_page_shows_the_file_right_to_left(phone: Browser, slips: Slips) -> None:
    slip = slips.waiting

    assert open_receipt(phone, slip["slip"]["compact"], "?lang=ar") == "valid"

    html = phone.driver.find_element(By.TAG_NAME, "html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    text = phone.text()
    _shot(phone, "verify-deposit.ar")
    assert "وصل أصلي" in text
    assert "إيداع ملف استرجاع مصاريف التأمين الإجباري عن المرض" in text
    assert "صيدلية" in text
    assert "المؤمَّن(ة)" in text
    assert f"في الوكالة منذ \u2066{_dmy(slip['business_date'])}\u2069" in text
    assert phone.driver.find_element(By.ID, "main").get_attribute("data-stage") == "at_office"
    assert phone.csp_violations() == []


def test_an_altered_slip_is_not_authentic_and_shows_nothing_of_a_file(
    phone: Browser, slips: Slips
) -> None:
    compact = slips.refused["slip"]["compact"]
    at = 60
    altered = compact[:at] + ("7" if compact[at] != "7" else "8") + compact[at + 1 :]

    assert open_receipt(phone, altered) in {"forged", "damaged"}

    text = phone.text()
    assert "Reçu NON authentique" in text
    assert slips.refused["deposit_number"] not in text
    assert "Refusé" not in text
    assert phone.driver.find_element(By.ID, "main").get_attribute("data-stage") is None
    assert phone.csp_violations() == []


def test_a_cancelled_slip_says_so_and_its_cancellation_receipt_names_it(
    phone: Browser, slips: Slips
) -> None:
    slip = slips.cancelled
    cancellation = slip["cancellation"]

    assert open_receipt(phone, slip["slip"]["compact"]) == "valid"
    assert f"Dépôt annulé le \u2066{_dmy(cancellation['business_date'])}\u2069" in phone.text()
    assert open_receipt(phone, cancellation["receipt"]["compact"]) == "valid"

    text = phone.text()
    assert "Annulation d'un dépôt (dossier rendu)" in text
    assert f"N° du dépôt (étiquette de l'enveloppe)\n{slip['deposit_number']}" in text
    assert f"Annule le reçu de dépôt\n{slip['slip']['number']}" in text
    # A cancellation receipt is no file: the page asks nothing about one.
    assert "Où en est ce dossier" not in text
    assert phone.csp_violations() == []
