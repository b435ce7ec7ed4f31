"""``make screenshots``: PNGs of the back office's main screens (and the counter app's,
tests/browser/counter/screenshots.py), in French and Arabic, written
outside the tests (default ``docs/screens/``) for the README and for people to look at.

A temporary SQLite database gets the browser tests' settled day, the CNSS ledger imported and
matched; a real uvicorn serves it; headless Chromium takes each screen at 1280 px. Other
roles' screens are added to ``SCREENS``. The public verification page is taken as a phone
shows it (412 px): one of the day's receipts, and the same receipt signed by another key.

    .venv/bin/python -m tests.browser.screenshots [--out docs/screens] [--width 1280]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import jwt
from selenium.webdriver.common.by import By
from sqlmodel import col, select

from agent_api.persistence.db import build_engine
from agent_api.persistence.tables import Receipt
from agent_api.protocol.compact_receipt import Ed25519CompactSigner, compact_sign
from agent_api.protocol.keys import generate_private_key
from agent_api.services.container import Services
from reconciliation.container import Reconciliation
from tests.browser.conftest import (
    CHROMEDRIVER,
    CHROMIUM,
    Browser,
    browser_settings,
    new_driver,
    seed_finance_day,
)
from tests.browser.counter import screenshots as counter_screens
from tests.browser.test_claims_back_office import seed_claims
from tests.e2e.conftest import free_port, server_env

# (file stem, who signs in, path with {day}).
SCREENS: list[tuple[str, str, str]] = [
    ("sign-in", "", "/sign-in"),
    ("finance-calendar", "cnss.finance", "/finance/calendar?month={month}"),
    ("finance-day", "cnss.finance", "/finance/days/{day}"),
    ("finance-exceptions", "cnss.finance", "/finance/exceptions?day={day}"),
    ("finance-upload", "cnss.finance", "/finance/uploads"),
    ("finance-statement", "cnss.finance", "/finance/statements/QURB-STL-CASHPLUS-{compact}"),
    ("audit-log", "cnss.auditor", "/audit/log"),
    ("audit-security-events", "cnss.auditor", "/audit/security-events"),
    ("audit-receipt-check", "cnss.auditor", "/audit/receipts"),
    ("network-offices", "admin.cashplus", "/network/offices"),
    ("network-terminals", "admin.cashplus", "/network/terminals"),
    ("cnss-networks", "cnss.admin", "/cnss/networks"),
    ("cnss-network-commission", "cnss.admin", "/cnss/networks/CASHPLUS"),
    ("cnss-tariff", "cnss.admin", "/cnss/tariff"),
    ("finance-tracking", "cnss.finance", "/finance/tracking"),
    ("network-deposits", "admin.cashplus", "/deposits?day={claims_day}"),
    ("network-deposit-slip", "admin.cashplus", "/deposits/slips/B-CASHPLUS-000001"),
]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screens"))
    parser.add_argument("--width", type=int, default=1280)
    args = parser.parse_args(argv)
    for needed in (CHROMIUM, CHROMEDRIVER):
        if not Path(needed).exists():
            sys.stderr.write(
                f"error: {needed} is missing (apt-get install chromium chromium-driver)\n"
            )
            return 2
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        url = f"sqlite:///{root / 'screens.db'}"
        keys = root / "keys"
        keys.mkdir()
        subprocess.run(
            [sys.executable, "-m", "qurb.cli", "migrate"],
            env=server_env(url, keys),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        day, ledger = seed_finance_day(url, keys, root / "files")
        recon = _reconciliation(url, keys)
        recon.inputs.import_ledger(ledger.read_bytes(), name=ledger.name, by="screenshots")
        recon.reconciler.run(day, by="screenshots")
        # AMO files, their slip and CNSS's tracking (the next business day: today is closed).
        claims_day = seed_claims(url, keys, world_exists=True).business_date
        port = free_port()
        server = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "qurb.cli", "serve", "--port", str(port)],
            env=server_env(url, keys),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(base)
            written = _shoot(
                base, args.out, args.width, day.isoformat(), f"{day:%Y%m%d}", claims_day
            )
            written += _shoot_verification(base, args.out, _verify_links(url, keys))
        finally:
            server.terminate()
            server.wait(timeout=10)
    written += counter_screens.shoot(args.out)  # the counter app's, at 1024 x 768
    sys.stdout.write("".join(f"{file}\n" for file in written))
    return 0


def _reconciliation(url: str, keys: Path) -> Reconciliation:
    return Reconciliation.build(browser_settings(url, keys), build_engine(url))


def _wait(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def _shoot(base: str, out: Path, width: int, day: str, compact: str, claims_day: str) -> list[Path]:
    written = []
    for lang in ("fr", "ar"):
        driver = new_driver(CHROMIUM, width=width, height=900)
        browser = Browser(driver, base)
        signed = ""
        try:
            for stem, who, path in SCREENS:
                if who and who != signed:
                    driver.delete_all_cookies()  # the next one signs in afresh
                    browser.sign_in(who)
                    signed = who
                target = path.format(day=day, month=day[:7], compact=compact, claims_day=claims_day)
                joiner = "&" if "?" in target else "?"
                browser.open(f"{target}{joiner}lang={lang}")
                file = out / f"{stem}.{lang}.png"
                _full_page(driver, file, width)
                written.append(file)
        finally:
            driver.quit()
    return written


# The public verification page, as a phone opens it from a ticket's QR (qurb/verify).
PHONE_WIDTH = 412


def _verify_links(url: str, keys: Path) -> list[tuple[str, str]]:
    """(file stem, fragment): a collection receipt of the seeded day, under a signed
    checkpoint, and the same claims signed by a key the hub never published."""
    engine = build_engine(url)
    try:
        services = Services.build(browser_settings(url, keys), engine)
        services.audit.checkpoint()
        with services.new_uow() as uow:
            jws = uow.session.exec(
                select(Receipt.jws).where(Receipt.kind == "collection").order_by(col(Receipt.id))
            ).first()
        assert jws is not None
        compact = services.receipts.compact_of(jws)
        assert compact is not None
        claims = jwt.decode(jws, options={"verify_signature": False})
        forged = compact_sign(claims, Ed25519CompactSigner(generate_private_key()))
    finally:
        engine.dispose()
    return [("verify-receipt", compact), ("verify-forged", forged)]


def _shoot_verification(base: str, out: Path, links: list[tuple[str, str]]) -> list[Path]:
    written = []
    for lang in ("fr", "ar"):
        driver = new_driver(CHROMIUM, width=PHONE_WIDTH, height=900)
        try:
            for stem, fragment in links:
                driver.get(f"{base}/V?lang={lang}#{fragment}")
                deadline = time.monotonic() + 15
                main = driver.find_element(By.ID, "main")
                while time.monotonic() < deadline and not (
                    main.get_attribute("data-log")
                    or main.get_attribute("data-verdict")
                    in ("forged", "damaged", "none", "unsupported")
                ):
                    time.sleep(0.05)
                file = out / f"{stem}.{lang}.png"
                _whole_phone_page(driver, file)
                written.append(file)
        finally:
            driver.quit()
    return written


def _whole_phone_page(driver: Any, file: Path) -> None:
    """The whole page as a phone lays it out: the viewport itself made as tall as the page
    (a window's height also counts the browser's own bars)."""
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    metrics = {"width": PHONE_WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": True}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    file.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(file))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _full_page(driver: Any, file: Path, width: int) -> None:
    """The whole page, not just the window (at most 2,400 px tall): the window is made as tall
    as the page, then shot. (Chromium's capture beyond the viewport shifts a short
    right-to-left page sideways.)"""
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(width, min(height, 2400))
    file.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(file))
    driver.set_window_size(width, 900)


if __name__ == "__main__":
    raise SystemExit(main())
