"""The QR on the ticket the terminal prints is a link to the hub's verification page: read
back from the printed PNG by zxing-cpp (as a phone's camera would), it opens ``/V`` on the
hub, carries the compact receipt, and that receipt verifies under the keys the hub publishes
with the same claims as the receipt's JWS. Within a QR of version 10 at level M."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import jwt
import pytest
import zxingcpp
from PIL import Image

from agent_api.protocol.compact_receipt import compact_verify
from terminal_client.home import Home
from terminal_client.outbox import Outbox
from tests.e2e.conftest import Server
from tests.support.counter import Counter, enroll_from_json, signed_in_counter


@pytest.fixture
def counter(
    start_server: Callable[..., Server],
    database_url: str,
    key_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Counter, Server]:
    return signed_in_counter(start_server, database_url, key_dir, tmp_path, capsys, monkeypatch)


def read_qr(png: Path) -> zxingcpp.Barcode:
    [found] = zxingcpp.read_barcodes(
        Image.open(png).convert("L"),
        formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
    )
    return found


def test_the_printed_tickets_qr_opens_the_verification_page_with_a_receipt_that_verifies(
    counter: tuple[Counter, Server], tmp_path: Path
) -> None:
    terminal, server = counter
    number = enroll_from_json(terminal, tmp_path)
    code, out, err = terminal.run("pay", "--yes", number, "311,54")
    assert code == 0, err
    receipt = next(x for x in out.split() if x.startswith("R-CASHPLUS-"))
    png = tmp_path / "ticket.png"
    code, _, err = terminal.run("receipt", "print", receipt, "--png", str(png))
    assert code == 0, err

    found = read_qr(png)
    link = found.text
    hub = server.url.removeprefix("http://").upper()
    assert link.startswith(f"HTTP://{hub}/V#QC1:")
    extra = found.extra
    assert isinstance(extra, dict)
    assert int(extra["Version"]) <= 10  # a collection receipt scans from a 58 mm roll
    assert found.ec_level == "M"

    compact = link.split("#", 1)[1]
    keys = {
        k["kid"]: jwt.PyJWK(k).key
        for k in httpx.get(server.url + "/v1/keys").json()["keys"]
        if k.get("crv") == "Ed25519"
    }
    claims = compact_verify(compact, keys)
    stored = httpx.get(server.url + "/V")  # the page the link opens
    assert stored.status_code == 200
    assert "QC1:" in stored.text  # the page knows the compact form's prefix
    kept = Outbox(Home(terminal.home).outbox_file)
    try:
        jws = kept.receipt(receipt)
    finally:
        kept.close()
    assert jws is not None
    assert claims == jwt.decode(jws, options={"verify_signature": False})
    assert claims["receipt_number"] == receipt
    assert claims["amount_centimes"] == 31154
