"""How big each signed document is as a JWS and as its compact form (QC1), and the QR code
each needs at error correction M: the figures docs/signed-documents.md quotes.

One document of every kind is issued through the real API (in-process, a temporary SQLite
database, a counter at CA-01 of CASHPLUS): an enrollment, a collection of two months, a
collection of twelve months (a seasonal worker's year), a reversal, both certificates. The
QR holds what the ticket prints: the JWS itself before, the verification link now
(``HTTPS://<host>/V#QC1:…``, ``--host``), each encoded as ``terminal_client.printing`` does.

    python bench/compact_sizes.py [--host QURB.CNSS.MA]

Prints a Markdown table, then one ``name=value`` a line (``compact_bytes_collection``,
``compact_qr_version_collection``, ``jws_qr_version_collection``, …).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
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
from tests.support.workers import worker_payload

MONTHLY = 15_577  # ARTISAN/REGISTERED's monthly due (docs/account.md)


def qr_version(text: str) -> str:
    """The QR version the terminal prints ``text`` with (level M, its segmenting); ``>40``
    when no QR code holds it at all."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text.encode("utf-8"))
    try:
        code.make(fit=True)
    except ValueError:  # qrcode's "Invalid version (was 41 …)": beyond the largest QR
        return ">40"
    return str(code.version)


def issue(client: TestClient, clock: FakeClock) -> dict[str, dict[str, Any]]:
    world = build_world(client.app.state.services, client)  # type: ignore[attr-defined]
    counter = TestTerminal(client, clock)
    assert counter.activate(world.activation_codes["CA-01"]).status_code == 201
    assert counter.login("op.ca-01", PASSWORD).status_code == 201

    def ok(method: str, path: str, body: Any) -> dict[str, Any]:
        answer = counter.send(method, path, body)
        assert answer.status_code in (200, 201), answer.text
        found: dict[str, Any] = answer.json()
        return found

    found: dict[str, dict[str, Any]] = {}
    enrolled = ok("POST", "/v1/workers", worker_payload(cin="BZ123456"))
    number = enrolled["registration_number"]
    found["enrollment"] = enrolled["receipt"]
    pay = "/v1/contributions"
    found["collection (2 months)"] = ok(
        "POST", pay, {"registration_number": number, "amount_centimes": 2 * MONTHLY}
    )["receipt"]
    found["collection (10 months)"] = ok(
        "POST", pay, {"registration_number": number, "amount_centimes": 10 * MONTHLY}
    )["receipt"]
    undone = ok("POST", pay, {"registration_number": number, "amount_centimes": MONTHLY})
    found["reversal"] = ok(
        "POST",
        f"/v1/contributions/{undone['receipt']['number']}/reversal",
        {
            "reason": "wrong amount",
            "supervisor": {"username": "sup.ca-01", "password": SUPERVISOR_PASSWORD},
        },
    )["receipt"]
    for kind in ("rights", "payments"):
        certified = ok("POST", f"/v1/workers/{number}/certificates", {"kind": kind})
        found[f"{kind} certificate"] = certified["receipt"]
    return found


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
    figures = []
    for name, receipt in documents.items():
        jws, compact = receipt["receipt"], receipt["compact"]
        signed = len(base45.b45decode(compact.removeprefix("QC1:")))
        link = verification_link(f"https://{args.host}", compact)
        rows.append(
            f"| {name} | {len(jws)} | {qr_version(jws)} | {signed} | {len(link)} | "
            f"{qr_version(link)} |"
        )
        key = name.split(" (")[0].replace(" ", "_") + ("_10" if "10 months" in name else "")
        figures += [
            f"jws_chars_{key}={len(jws)}",
            f"jws_qr_version_{key}={qr_version(jws)}",
            f"compact_bytes_{key}={signed}",
            f"compact_chars_{key}={len(compact)}",
            f"compact_qr_version_{key}={qr_version(link)}",
        ]
    sys.stdout.write("\n".join(rows) + "\n\n" + "\n".join(figures) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
