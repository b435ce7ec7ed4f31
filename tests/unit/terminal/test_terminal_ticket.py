"""Thermal tickets: paper widths, what an operator reads on them, the QR, PNG and PDF."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import pytest
from PIL import Image

from terminal_client import printing
from terminal_client.i18n import LANGUAGES
from terminal_client.printing import qr_png, qr_text, ticket_pdf, ticket_png
from terminal_client.ticket import render_ticket

PLACE = {
    "network": "CAS",
    "office": "CAS-01",
    "terminal": 7,
    "operator": "amina.b",
    "signed_at": "2026-11-22T13:05:11+00:00",
    "recorded_at": "2026-11-22T13:05:12.250000+00:00",
    "business_date": "2026-11-22",
    "log_index": 1042,
}
COLLECTION: dict[str, Any] = {
    "receipt_number": "R-CAS-00000042",
    "kind": "collection",
    "registration_number": "123456789",
    "amount_centimes": 123456,
    "months": [
        {"month": "2026-09", "kind": "due", "amount_centimes": 112366},
        {"month": "2026-10", "kind": "surcharge", "amount_centimes": 11090},
    ],
    **PLACE,
}
ENROLLMENT = {
    "receipt_number": "R-CAS-00000041",
    "kind": "enrollment",
    "registration_number": "123456789",
    "category": "artisans-a-very-long-category-code-that-cannot-fit-on-a-line",
    "bracket": 3,
    "coverage_start": "2026-12",
    **PLACE,
}
REVERSAL = {
    "receipt_number": "R-CAS-00000043",
    "kind": "reversal",
    "registration_number": "123456789",
    "reverses": "R-CAS-00000042",
    "amount_centimes": 123456,
    "approved_by": "karim.supervisor.of.the.casablanca.office",
    **PLACE,
}
RIGHTS = {
    "receipt_number": "R-CAS-00000044",
    "kind": "certificate",
    "certificate": "rights",
    "registration_number": "123456789",
    "name": "Fatima-Zahra Benkirane El Idrissi",
    "status": "open",
    "covered_through": "2027-01",
    "as_of": "2026-11",
    **{**PLACE, "signed_at": None},
}
PAYMENTS = {
    "receipt_number": "R-CAS-00000045",
    "kind": "certificate",
    "certificate": "payments",
    "registration_number": "123456789",
    "name": "Ali Amrani",
    "months": [{"month": "2026-11", "due_centimes": 21800, "paid_centimes": 10000}],
    "as_of": "2026-11",
    **PLACE,
}
ALL_KINDS = [COLLECTION, ENROLLMENT, REVERSAL, RIGHTS, PAYMENTS]


@pytest.mark.parametrize("provisional", [False, True])
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("width", "columns"), [(58, 32), (80, 48)])
@pytest.mark.parametrize("claims", ALL_KINDS, ids=lambda c: f"{c['kind']}-{c['receipt_number']}")
def test_no_line_is_wider_than_the_paper(
    claims: dict[str, Any],
    width: Literal[58, 80],
    columns: int,
    lang: str,
    provisional: bool,
) -> None:
    lines = render_ticket(claims, width=width, lang=lang, provisional=provisional).splitlines()
    assert max(len(line) for line in lines) <= columns
    assert any(len(line) == columns for line in lines)  # the rules span the paper


def test_a_collection_ticket_shows_what_was_paid_and_for_which_months() -> None:
    text = render_ticket(COLLECTION)
    lines = text.splitlines()
    assert lines[0].strip() == "CNSS — AMO TNS"
    assert "ENCAISSEMENT" in text
    assert re.search(r"^Reçu +R-CAS-00000042$", text, re.MULTILINE)
    assert re.search(r"^N° d'immatriculation +123456789$", text, re.MULTILINE)
    assert re.search(r"^Montant +1 234,56 MAD$", text, re.MULTILINE)
    months = lines[lines.index("Mois crédités") + 1 :]
    assert re.fullmatch(r"09/2026 Cotisation +1 123,66 MAD", months[0])
    assert months[1] == "10/2026 Majoration de retard"
    assert months[2].strip() == "110,90 MAD"


def test_where_and_when_are_on_the_ticket_in_casablanca_time() -> None:
    text = render_ticket(COLLECTION)
    for pattern in (
        r"^Bureau +CAS-01$",
        r"^Terminal +7$",
        r"^Opérateur +amina\.b$",
        r"^Journée +22/11/2026$",
        r"^Signé le +22/11/2026 14:05$",
        r"^Enregistré le +22/11/2026 14:05$",
    ):
        assert re.search(pattern, text, re.MULTILINE), pattern


def test_during_ramadan_casablanca_time_is_utc() -> None:
    # Morocco sets its clocks back to UTC+0 for Ramadan (1 March 2026 falls inside it).
    text = render_ticket({**COLLECTION, "recorded_at": "2026-03-01T13:05:00Z"})
    assert re.search(r"^Enregistré le +01/03/2026 13:05$", text, re.MULTILINE)


def test_a_confirmed_ticket_invites_verification_by_scanning() -> None:
    text = render_ticket(COLLECTION)
    assert text.splitlines()[-1].strip() == "Vérifiez ce reçu : scannez le QR"
    assert "provisoire" not in text


def test_a_provisional_ticket_says_so_at_both_ends_and_does_not_claim_to_verify() -> None:
    queued = {k: v for k, v in COLLECTION.items() if k not in ("receipt_number", "recorded_at")}
    text = render_ticket(queued, provisional=True)
    lines = [line.strip() for line in text.splitlines()]
    assert lines.count("Ticket provisoire — pas encore") == 2
    assert lines.count("confirmé par la CNSS") == 2
    amount = next(i for i, line in enumerate(lines) if line.startswith("Montant"))
    assert lines.index("Ticket provisoire — pas encore") < amount
    assert "En attente : sera envoyé au" in lines
    assert "Vérifiez ce reçu" not in text
    assert "Reçu " not in text
    assert "Enregistré le" not in text


def test_a_reversal_shows_the_reversed_receipt_and_money_going_back() -> None:
    text = render_ticket(REVERSAL, width=80)
    assert "ANNULATION" in text
    assert re.search(r"^Annule le reçu +R-CAS-00000042$", text, re.MULTILINE)
    assert re.search(r"^Montant +-1 234,56 MAD$", text, re.MULTILINE)
    # too long to share a line with its label: the value goes under it, to the right
    lines = text.splitlines()
    approved = lines.index("Approuvé par")
    assert lines[approved + 1] == "karim.supervisor.of.the.casablanca.office".rjust(48)


def test_an_enrollment_shows_category_bracket_and_coverage_start() -> None:
    text = render_ticket(ENROLLMENT)
    assert "IMMATRICULATION" in text
    assert re.search(r"^Tranche +3$", text, re.MULTILINE)
    assert re.search(r"^Début de couverture +12/2026$", text, re.MULTILINE)
    assert "Catégorie" in text


def test_a_rights_certificate_shows_the_rights_in_the_operators_language() -> None:
    text = render_ticket(RIGHTS)
    assert "ATTESTATION" in text
    assert "Attestation de droits" in text
    assert re.search(r"^Droits +ouverts$", text, re.MULTILINE)
    assert re.search(r"^Couvert jusqu'à +01/2027$", text, re.MULTILINE)
    assert "Signé le" not in text  # a certificate is issued, not signed at the counter
    arabic = render_ticket(RIGHTS, lang="ar")
    assert "شهادة الحقوق" in arabic
    assert "مفتوحة" in arabic


def test_a_payment_certificate_shows_what_was_due_and_paid_each_month() -> None:
    text = render_ticket(PAYMENTS)
    assert re.search(r"^11/2026 Dû +218,00 MAD$", text, re.MULTILINE)
    assert re.search(r"^11/2026 Payé +100,00 MAD$", text, re.MULTILINE)
    assert "Mois crédités" not in text


def test_an_arabic_ticket_uses_arabic_labels_and_the_same_amounts() -> None:
    text = render_ticket(COLLECTION, lang="ar")
    assert "تحصيل" in text
    assert re.search(r"^المبلغ +1 234,56 MAD$", text, re.MULTILINE)
    assert "تحقّق من هذا الوصل: امسح الرمز" in text


def test_a_paper_width_printers_do_not_have_is_refused() -> None:
    with pytest.raises(ValueError, match="58 or 80 mm"):
        render_ticket(COLLECTION, width=72)  # type: ignore[arg-type]


# -- QR code and files ---------------------------------------------------------------------

JWS = "eyJhbGciOiJFZERTQSJ9." + "x" * 600 + ".sig"


def test_the_qr_code_draws_in_the_terminal_with_block_characters() -> None:
    lines = qr_text(JWS).splitlines()
    assert set("".join(lines)) <= set("█▀▄ ")
    assert len({len(line) for line in lines}) == 1  # a square of equal lines
    assert len(lines) == (len(lines[0]) + 1) // 2  # two module rows a line
    assert lines[0] == "█" * len(lines[0])  # the quiet zone is light on a dark terminal


def test_on_a_light_terminal_the_qr_code_is_drawn_the_other_way_round() -> None:
    swap = str.maketrans("█▀▄ ", " ▄▀█")
    dark, light = qr_text(JWS), qr_text(JWS, dark_background=False)
    assert light.splitlines()[:-1] == dark.translate(swap).splitlines()[:-1]


def test_the_png_decodes_to_a_qr_code_with_dark_modules(tmp_path: Path) -> None:
    path = tmp_path / "receipt.png"
    qr_png(JWS, path)
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width == image.height
        assert image.width % 8 == 0
        gray = image.convert("L")
        assert gray.getextrema() == (0, 255)
        assert gray.getpixel((0, 0)) == 255  # quiet zone
        assert gray.getpixel((4 * 8, 4 * 8)) == 0  # top-left finder pattern


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("width", [58, 80])
def test_the_pdf_is_one_page_as_wide_as_the_paper(
    tmp_path: Path, lang: str, width: Literal[58, 80]
) -> None:
    path = tmp_path / "ticket.pdf"
    ticket_pdf(render_ticket(COLLECTION, width=width, lang=lang), JWS, path, width=width)
    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", pdf)
    assert len(boxes) == 1
    points = width / 25.4 * 72
    assert abs(float(boxes[0][0]) - points) < 1  # within a third of a millimetre
    assert float(boxes[0][1]) > points  # text and QR code on one long page


def test_without_a_system_font_french_still_prints_with_pillows_font(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(printing, "_MONOSPACE_FONTS", ())
    path = tmp_path / "ticket.pdf"
    ticket_pdf(render_ticket(COLLECTION), JWS, path)
    assert path.read_bytes().startswith(b"%PDF-")
    with pytest.raises(ValueError, match="install DejaVu Sans Mono"):
        ticket_pdf(render_ticket(COLLECTION, lang="ar"), JWS, tmp_path / "ar.pdf")


def _ink_bands(page: Image.Image) -> list[tuple[int, int]]:
    """The runs of rows holding ink, top to bottom: a line of text each, the QR code last."""
    bands: list[tuple[int, int]] = []
    for y in range(page.height):
        darkest, _ = page.crop((0, y, page.width, y + 1)).getextrema()
        if isinstance(darkest, int) and darkest < 128:
            if bands and bands[-1][1] == y - 1:
                bands[-1] = (bands[-1][0], y)
            else:
                bands.append((y, y))
    return bands


@pytest.mark.parametrize(("width", "dots"), [(58, 464), (80, 639)])
def test_the_png_is_the_whole_ticket_text_above_its_qr_code(
    tmp_path: Path, width: Literal[58, 80], dots: int
) -> None:
    text = render_ticket(COLLECTION, width=width)
    path = tmp_path / "ticket.png"
    ticket_png(text, JWS, path, width=width)
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width == dots  # as wide as the paper at the printer's 203 dpi
        assert round(image.info["dpi"][0]) == 203
        page = image.convert("L")
    bands = _ink_bands(page)
    qr_top, qr_bottom = bands[-1]
    assert qr_bottom - qr_top > dots // 3  # the QR code, last and large enough to scan
    # Above it, the ticket's lines: the header, the amount, the months, where and when.
    assert len(bands) - 1 >= len(text.splitlines())
    assert bands[0][0] < qr_top // 10
