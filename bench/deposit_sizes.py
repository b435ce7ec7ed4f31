"""How big a deposit slip and its cancellation receipt are as a JWS and as their compact
form (QC1), and the QR each needs at level M: the figures docs/signed-documents.md quotes.

Issued through the real API (in-process, a temporary SQLite database, the counter CA-01 of
CASHPLUS): a worker's one-day pharmacy slip, the fullest slip (a dependent's hospital stay,
all three warnings, a seven-figure amount, twelve documents) and a cancellation receipt.

    python bench/deposit_sizes.py [--host QURB.CNSS.MA]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import base45  # type: ignore[import-untyped]
import qrcode  # type: ignore[import-untyped]
from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' counter harness

from agent_api.settings import Settings
from qurb import migrate
from qurb.asgi import build
from terminal_client.ticket import verification_link
from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, build_world
from tests.support.reconciliation import SUPERVISOR_PASSWORD
from tests.support.terminal import TestTerminal
from tests.support.workers import child, today, worker_payload


def qr_version(text: str) -> str:
    """The QR version the terminal prints ``text`` with, at level M (as compact_sizes.py)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text.encode("utf-8"))
    try:
        code.make(fit=True)
    except ValueError:  # beyond the largest QR
        return ">40"
    return str(code.version)


def issue(client: TestClient, clock: FakeClock) -> dict[str, dict[str, Any]]:
    world = build_world(client.app.state.services, client)  # type: ignore[attr-defined]
    counter = TestTerminal(client, clock)
    assert counter.activate(world.activation_codes["CA-01"]).status_code == 201
    assert counter.login("op.ca-01", PASSWORD).status_code == 201

    def ok(path: str, body: Any) -> dict[str, Any]:
        answer = counter.send("POST", path, body)
        assert answer.status_code == 201, answer.text
        found: dict[str, Any] = answer.json()
        return found

    enrolled = ok("/v1/workers", worker_payload(cin="BZ123456", dependents=[child()]))
    number = enrolled["registration_number"]
    [dependent] = enrolled["worker"]["dependents"]
    simple = ok(
        "/v1/deposits",
        {
            "registration_number": number,
            "care_kind": "pharmacy",
            "care_from": today().isoformat(),
            "amount_spent_centimes": 34_250,
            "documents": 3,
        },
    )
    fullest = ok(
        "/v1/deposits",
        {
            "registration_number": number,
            "dependent_id": dependent["id"],
            "care_kind": "hospitalisation",
            "care_from": (today() - timedelta(days=90)).isoformat(),
            "care_to": (today() - timedelta(days=75)).isoformat(),
            "amount_spent_centimes": 4_567_890,
            "documents": 12,
            "insist": True,
        },
    )
    cancelled = ok(
        f"/v1/deposits/{simple['deposit_number']}/cancellation",
        {
            "reason": "envelope handed back",
            "supervisor": {"username": "sup.ca-01", "password": SUPERVISOR_PASSWORD},
        },
    )
    return {
        "deposit slip (pharmacy, one day)": simple["slip"],
        "deposit slip (fullest)": fullest["slip"],
        "deposit cancellation": cancelled["receipt"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="QURB.CNSS.MA")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'sizes.db'}"
        migrate.upgrade(url)
        settings = Settings(
            environment="test",
            database_url=url,
            key_dir=Path(scratch),
            password_time_cost=1,
            password_memory_kib=1024,
        ).with_keys({})
        clock = FakeClock()
        with TestClient(build(settings, clock=clock)) as client:
            documents = issue(client, clock)
    rows = ["| document | JWS bytes | JWS QR | compact bytes (signed) | link chars | link QR |"]
    rows.append("|---|---|---|---|---|---|")
    for name, receipt in documents.items():
        jws, compact = receipt["receipt"], receipt["compact"]
        signed = len(base45.b45decode(compact.removeprefix("QC1:")))
        link = verification_link(f"https://{args.host}", compact)
        rows.append(
            f"| {name} | {len(jws)} | {qr_version(jws)} | {signed} | {len(link)} | "
            f"{qr_version(link)} |"
        )
    sys.stdout.write("\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
