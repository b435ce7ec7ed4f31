"""The counter's screens as PNGs for ``make screenshots`` (docs/screens/counter-*.png), at
the 1024 x 768 of a counter PC, in French and Arabic: a temporary SQLite hub, a terminal
set up with the CLI, the counter app, a payment, then the hub cut for the offline screens.

    .venv/bin/python -m tests.browser.counter.screenshots [--out docs/screens]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select

from terminal_client.commands.context import CASABLANCA
from tests.browser.conftest import CHROMIUM, new_driver
from tests.browser.counter.conftest import (
    OFFICE,
    Counter,
    CounterApp,
    prepare_terminal,
    start_counter_app,
)
from tests.e2e.conftest import Server, free_port, seed_offices, server_env

WIDTH, HEIGHT = 1024, 768


def _hub(url: str, keys: Path, log: Path) -> Server:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "qurb.cli", "serve", "--port", str(port)],
        env=server_env(url, keys),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return Server(base, process, log)
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the hub did not start")


def shoot(out: Path) -> list[Path]:
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        url = f"sqlite:///{root / 'counter.db'}"
        keys = root / "keys"
        keys.mkdir()
        subprocess.run(
            [sys.executable, "-m", "qurb.cli", "migrate"],
            env=server_env(url, keys),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        codes = seed_offices(url, keys, [("CASHPLUS", OFFICE)])
        hub = _hub(url, keys, root / "hub.log")
        home = root / "terminal"
        number = prepare_terminal(home, hub, codes[OFFICE], root)
        with (root / "counter.log").open("wb") as log:
            base, process = start_counter_app(home, log)
            app = CounterApp(base, home, hub, process, number)
            driver = new_driver(CHROMIUM, width=WIDTH, height=HEIGHT)
            try:
                written += _screens(Counter(driver, base, app=app), out)
            finally:
                driver.quit()
                process.terminate()
                process.wait(timeout=10)
                app.hub.process.terminate()
                app.hub.process.wait(timeout=10)
    return written


def _screens(counter: Counter, out: Path) -> list[Path]:
    written: list[Path] = []

    def take(stem: str, lang: str) -> None:
        file = out / f"counter-{stem}.{lang}.png"
        file.parent.mkdir(parents=True, exist_ok=True)
        counter.driver.save_screenshot(str(file))
        written.append(file)

    number = counter.app.worker
    report = ""
    for lang in ("fr", "ar"):
        counter.driver.delete_all_cookies()
        counter.open(f"/sign-in?lang={lang}")
        take("sign-in", lang)
        counter.sign_in()
        counter.open("/")
        take("find", lang)
        counter.open("/enroll")
        counter.driver.find_element(By.ID, "f-cin").send_keys("ZZ1")
        counter.driver.find_element(By.ID, "f-last_name").send_keys("Bennani")
        counter.driver.find_element(By.ID, "f-birth_date").send_keys("1980-02-30")
        counter.driver.find_element(By.ID, "enroll").click()
        counter.wait_for(".field-error")
        take("enroll", lang)
        counter.open(f"/workers/{number}")
        counter.wait_for("#f-amount")
        take("worker", lang)
        counter.focused().send_keys("300", Keys.ENTER)
        counter.wait_for("#confirm")
        take("confirm", lang)
        counter.focused().send_keys(Keys.ENTER)
        counter.wait_for("#ticket")
        take("ticket", lang)
        _deposit_screens(counter, take, lang)
        counter.open("/tickets")
        take("receipts-today", lang)
        counter.open("/drawer")
        counter.wait_for("#drawer-form")
        counter.focused().send_keys("1")
        counter.driver.find_element(By.ID, "f-c10000").send_keys("2")
        counter.driver.find_element(By.ID, "f-c1000").send_keys("9")
        take("drawer", lang)
        if lang == "fr":  # a drawer closes once a day: the Arabic report is its reprint
            counter.driver.find_element(By.ID, "close-drawer").click()
            counter.wait_for("#ticket")
            report = counter.driver.current_url.split("/", 3)[3].split("?")[0]
        else:
            counter.open(f"/{report}")
            counter.wait_for("#ticket")
        take("drawer-report", lang)
        counter.driver.execute_cdp_cmd(
            "Page.addScriptToEvaluateOnNewDocument", {"source": "window.print = () => {};"}
        )
        counter.open("/tickets")
        counter.driver.find_element(By.CSS_SELECTOR, "#tickets a").click()
        counter.driver.find_element(By.ID, "print-58").click()
        counter.wait_for("body.print")
        take("print-58", lang)
        counter.open("/")
        counter.driver.find_element(By.CSS_SELECTOR, "header form button").click()
        counter.wait_for("#f-username")
    # Offline: the operator signed in, then the hub is cut; payments get provisional tickets.
    counter.driver.delete_all_cookies()
    counter.sign_in()
    counter.app.hub.process.terminate()
    counter.app.hub.process.wait(timeout=10)
    for lang in ("fr", "ar"):
        counter.open(f"/payments/new?number={number}&amount=120&lang={lang}")
        counter.wait_for("#confirm")
        take("offline-confirm", lang)
        counter.focused().send_keys(Keys.ENTER)
        counter.wait_for("#provisional")
        take("provisional", lang)
    return written


def _deposit_screens(counter: Counter, take: Callable[[str, str], None], lang: str) -> None:
    """A reimbursement file: the form with its mistakes, the hub's warnings, the slip, the
    envelope's label, the worker's files and the day's bordereau."""
    number = counter.app.worker
    late = (datetime.now(UTC).astimezone(CASABLANCA).date() - timedelta(days=100)).isoformat()
    counter.open(f"/workers/{number}/deposits/new")
    counter.wait_for("#f-care_kind")
    counter.driver.find_element(By.ID, "f-care_from").clear()
    counter.driver.find_element(By.ID, "f-care_from").send_keys("2099-01-01")
    counter.driver.find_element(By.ID, "f-amount").send_keys("abc")
    counter.driver.find_element(By.ID, "deposit").click()
    counter.wait_for(".field-error")
    take("deposit-form", lang)
    Select(counter.driver.find_element(By.ID, "f-care_kind")).select_by_value("pharmacy")
    for name, value in (("care_from", late), ("amount", "342,50"), ("documents", "3")):
        counter.driver.find_element(By.ID, f"f-{name}").clear()
        counter.driver.find_element(By.ID, f"f-{name}").send_keys(value)
    counter.driver.find_element(By.ID, "deposit").click()
    counter.wait_for("#warnings")
    take("deposit-warnings", lang)
    counter.driver.find_element(By.ID, "insist").click()
    counter.wait_for("#ticket")
    take("deposit-slip", lang)
    counter.driver.find_element(By.ID, "label-link").click()
    counter.wait_for("#barcode")
    take("deposit-label", lang)
    counter.open(f"/workers/{number}/deposits")
    counter.wait_for("#files")
    take("deposit-files", lang)
    counter.open("/transmittal")
    counter.wait_for("#close-transmittal").click()
    counter.wait_for("#bordereau-count")
    take("bordereau", lang)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screens"))
    args = parser.parse_args(argv)
    sys.stdout.write("".join(f"{file}\n" for file in shoot(args.out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
