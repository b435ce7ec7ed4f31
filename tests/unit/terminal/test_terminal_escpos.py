"""Issue 19: tickets printed straight to an ESC/POS receipt printer, asserted on the bytes
python-escpos's Dummy, File and Network backends send: the text lines (French in the
printer's code page), the QR as a raster image, Arabic drawn as an image (thermal printers
cannot shape it), and the cut at the end."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from escpos.printer import Dummy  # type: ignore[import-untyped]
from PIL import Image

from terminal_client import escpos
from terminal_client.drawer import render_close_report
from terminal_client.ticket import render_ticket

CUT = b"\x1dV"  # GS V: cut the paper
RASTER = b"\x1dv0"  # GS v 0: a raster bit image
NATIVE_QR = b"\x1d(k"  # GS ( k: the printer's own QR command (not used: not every printer has it)

CLAIMS: dict[str, Any] = {
    "kind": "collection",
    "receipt_number": "R-CASHPLUS-00000042",
    "registration_number": "1234567897",
    "amount_centimes": 21_850,
    "months": [{"month": "2026-11", "kind": "due", "amount_centimes": 21_850}],
    "network": "CASHPLUS",
    "office": "CA-01",
    "terminal": 3,
    "operator": "op.ca-01",
    "signed_at": "2026-12-06T10:05:00+00:00",
    "recorded_at": "2026-12-06T10:05:01+00:00",
    "log_index": 17,
}
JWS = "eyJhbGciOiJFZERTQSJ9.eyJyZWNlaXB0X251bWJlciI6IlItQ0FTSFBMVVMtMDAwMDAwNDIifQ.c2ln"
CLOSE: dict[str, Any] = {
    "receipt_number": "C-CASHPLUS-00000007",
    "kind": "drawer_close",
    "business_date": "2026-12-06",
    "counts": [
        {"denomination_centimes": 20_000, "quantity": 1},
        {"denomination_centimes": 50, "quantity": 1},
    ],
    "counted_centimes": 20_050,
    "collections": 2,
    "collected_centimes": 23_550,
    "reversals": 1,
    "reversed_centimes": 3_550,
    "expected_centimes": 20_000,
    "difference_centimes": 50,
    "network": "CASHPLUS",
    "office": "CA-01",
    "terminal": 3,
    "operator": "op.ca-01",
    "log_index": 18,
}


def _printer() -> Any:
    return Dummy()


def _raster_images(data: bytes) -> list[Image.Image]:
    """Every GS v 0 image in ``data`` (ESC/POS: m, then width in bytes and height in dots,
    little-endian, then the rows of bits, 1 = black)."""
    images = []
    at = data.find(RASTER)
    while at >= 0:
        head = at + len(RASTER) + 1
        width_bytes = data[head] | data[head + 1] << 8
        height = data[head + 2] | data[head + 3] << 8
        bits = bytes(255 - b for b in data[head + 4 : head + 4 + width_bytes * height])
        images.append(Image.frombytes("1", (width_bytes * 8, height), bits))
        at = data.find(RASTER, head + 4 + width_bytes * height)
    return images


def test_a_french_receipt_prints_as_text_then_its_qr_image_then_a_cut() -> None:
    printer = _printer()
    ticket = render_ticket(CLAIMS, width=58, lang="fr")

    escpos.print_ticket(printer, ticket, JWS, width=58)

    data: bytes = printer.output
    for line in ("R-CASHPLUS-00000042", "1234567897", "218,50 MAD", "ENCAISSEMENT"):
        assert line.encode(escpos.CODE_PAGE) in data
    assert b"CNSS - AMO TNS" in data  # the em dash, printed as its look-alike
    assert RASTER in data
    assert NATIVE_QR not in data
    assert data.rstrip(b"\x00\n").rfind(CUT) > data.rfind(RASTER)  # the cut comes last
    # The raster image is the receipt's QR: a decoder reads the JWS back from the bytes.
    [qr] = _raster_images(data)
    assert qr.width <= escpos.PRINTABLE_DOTS[58]
    assert [r.text for r in zxingcpp.read_barcodes(qr.convert("L"))] == [JWS]


def test_an_arabic_receipt_is_drawn_as_an_image_because_printers_cannot_shape_arabic() -> None:
    printer = _printer()
    ticket = render_ticket(CLAIMS, width=80, lang="ar")
    assert any("\u0600" <= char <= "\u06ff" for char in ticket)

    escpos.print_ticket(printer, ticket, JWS, width=80)

    data: bytes = printer.output
    images = _raster_images(data)
    assert len(images) == 2  # the ticket's text, then its QR
    assert images[0].width <= escpos.PRINTABLE_DOTS[80]
    assert b"R-CASHPLUS-00000042" not in data  # no text sent: all of it drawn
    assert CUT in data


def test_the_drawer_close_report_prints_its_lines_with_no_qr_and_a_cut() -> None:
    printer = _printer()
    report = render_close_report(CLOSE, width=58, lang="fr")

    escpos.print_ticket(printer, report, None, width=58)

    data: bytes = printer.output
    for line in ("C-CASHPLUS-00000007", "200,00 MAD x 1", "+0,50 MAD", "Excédent de caisse"):
        assert line.encode(escpos.CODE_PAGE) in data
    # "CLÔTURE": python-escpos switches to a code page that has Ô for it, as text still.
    assert b"CL\x1bt" in data
    assert b"TURE DE CAISSE" in data
    assert RASTER not in data
    assert CUT in data


def test_a_device_printer_gets_the_bytes_in_its_file(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    printer = escpos.open_printer({"printer": str(device)}, 58)
    assert printer is not None
    escpos.print_ticket(printer, render_close_report(CLOSE, lang="fr"), None)
    printer.close()
    written = device.read_bytes()
    assert b"C-CASHPLUS-00000007" in written
    assert CUT in written


def test_a_network_printer_on_its_raw_port_gets_the_bytes() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    received = bytearray()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            while chunk := connection.recv(65536):
                received.extend(chunk)

    thread = threading.Thread(target=serve)
    thread.start()
    port = listener.getsockname()[1]
    printer = escpos.open_printer({"printer": f"tcp://127.0.0.1:{port}"}, 80)
    assert printer is not None
    escpos.print_ticket(printer, render_ticket(CLAIMS, width=80), JWS, width=80)
    printer.close()
    thread.join(timeout=10)
    listener.close()
    assert b"R-CASHPLUS-00000042" in received
    assert RASTER in received
    assert CUT in received


def test_no_printer_set_prints_nothing_and_a_missing_one_is_said() -> None:
    assert escpos.open_printer({}) is None
    assert escpos.open_printer({"printer": "none"}) is None
    with pytest.raises(escpos.PrinterUnreachable):
        escpos.open_printer({"printer": "/nonexistent/dir/lp0"})


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("none", None),
        ("", None),
        ("/dev/usb/lp0", {"kind": "file", "path": "/dev/usb/lp0"}),
        ("tcp://127.0.0.1:9100", {"kind": "network", "host": "127.0.0.1", "port": 9100}),
    ],
)
def test_the_printer_setting_names_none_a_device_or_a_network_port(
    setting: str, expected: dict[str, Any] | None
) -> None:
    assert escpos.parse_printer(setting) == expected


@pytest.mark.parametrize("setting", ["lp0", "tcp://127.0.0.1", "http://x:9100", "tcp://:9100"])
def test_a_printer_setting_of_another_shape_is_refused(setting: str) -> None:
    with pytest.raises(escpos.PrinterSettingError):
        escpos.parse_printer(setting)
