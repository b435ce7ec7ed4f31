"""Fishing days declared at the counter, in Chromium: a mistyped earning is said on its
field, then the days become dues the worker can pay."""

from __future__ import annotations

import json
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.counter.conftest import Counter, terminal
from tests.support.workers import month_offset, worker_payload


def test_fishing_days_are_declared_and_a_mistyped_earning_is_named(
    counter: Counter, tmp_path: Path
) -> None:
    counter.sign_in()
    payload = tmp_path / "fisher.json"
    fisher = worker_payload(
        cin="FW12345",
        category="FISHING_WORKER",
        bracket="ALGAE_HARVESTER",
        document_number="LM-44521",
        coverage_start=month_offset(-1),
    )
    payload.write_text(json.dumps(fisher))
    enrolled = terminal(counter.app.home, "enroll", "--from-json", str(payload))
    assert enrolled.returncode == 0, enrolled.stderr
    number = next(w for w in enrolled.stdout.split() if w.isdigit() and len(w) == 10)
    counter.open(f"/workers/{number}")
    counter.driver.find_element(By.ID, "fishing-link").click()
    counter.wait_for("#f-declared_by").send_keys("Coopérative Al Amal")
    month = month_offset(-1)
    counter.driver.find_element(By.ID, "f-day0").send_keys(f"{month}-03")
    counter.driver.find_element(By.ID, "f-earnings0").send_keys("500")
    counter.driver.find_element(By.ID, "f-day1").send_keys(f"{month}-04")
    counter.driver.find_element(By.ID, "f-earnings1").send_keys("4,205", Keys.ENTER)
    assert "décimales" in counter.wait_for("#e-earnings1").text
    earnings = counter.driver.find_element(By.ID, "f-earnings1")
    assert earnings.get_attribute("aria-invalid") == "true"
    assert counter.driver.find_element(By.ID, "f-day0").get_attribute("value") == f"{month}-03"
    earnings.clear()
    earnings.send_keys("420", Keys.ENTER)
    table = counter.wait_for("#declared").text
    assert f"{month}-03" in table
    assert f"{month}-04" in table
    assert "MAD" in table
    assert counter.csp_violations() == []
