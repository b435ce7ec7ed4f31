"""Reimbursement files at the counter, without a hub: the envelope's barcode reads back as
its deposit number, the slip prints the warnings the worker insisted through in the
operator's language, the hub's refusal is worded with its figures, and the bordereau lists
what the courier carries."""

from __future__ import annotations

import base64
import io
import json
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from escpos.printer import Dummy  # type: ignore[import-untyped]

from terminal_client.api import Terminal, signed_document
from terminal_client.bordereau import render_bordereau
from terminal_client.commands.context import Context
from terminal_client.commands.records import qr_of
from terminal_client.deposits import (
    Warned,
    check_care_day,
    check_documents,
    stage_sentence,
    warned_by_refusal,
    warning_sentence,
)
from terminal_client.home import Home
from terminal_client.i18n import translator
from terminal_client.label import label_image, print_label
from terminal_client.money import format_mad
from terminal_client.ticket import LINE_WIDTH, render_ticket

NUMBER = "D-CASHPLUS-00001207"


def _read(image: object) -> list[tuple[str, str]]:
    return [(str(r.format), r.text) for r in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize("number", [NUMBER, "D-WAFACASH-00000001", "D-BP-99999999"])
def test_the_envelope_label_barcode_reads_back_as_the_deposit_number(number: str) -> None:
    found = _read(label_image(number).convert("L"))
    assert found == [("Code 128", number)]


def test_on_58_mm_paper_the_label_is_printed_along_the_roll_and_still_reads() -> None:
    printer = Dummy()
    print_label(printer, NUMBER, width=58)
    # Too wide across 48 mm at two dots a bar: the bars run along the paper, as an image.
    assert b"\x1dv0" in printer.output  # GS v 0: a raster image
    turned = label_image(NUMBER).rotate(90, expand=True).convert("L")
    assert _read(turned) == [("Code 128", NUMBER)]
    assert NUMBER.encode() in printer.output  # the number in clear beneath


def test_on_80_mm_paper_the_printer_draws_the_code_128_itself() -> None:
    printer = Dummy()
    print_label(printer, NUMBER, width=80)
    # GS k 73 (function B, CODE128), the length, then code set B and the number.
    command = b"\x1dkI" + bytes([len(NUMBER) + 2]) + b"{B" + NUMBER.encode()
    assert command in printer.output
    assert b"\x1dV" in printer.output  # then the cut


def _slip(**claims: object) -> dict[str, object]:
    return {
        "kind": "deposit",
        "receipt_number": "R-CASHPLUS-00001207",
        "deposit_number": NUMBER,
        "registration_number": "1234567894",
        "beneficiary": "worker",
        "dependent_id": None,
        "care_kind": "pharmacy",
        "care_from": "2026-09-01",
        "care_to": "2026-09-03",
        "amount_spent_centimes": 34250,
        "documents": 3,
        "deadline": "2026-11-02",
        "warnings": [],
        "business_date": "2026-12-06",
        "office": "CP-01",
        "signed_at": "2026-12-06T09:05:00+00:00",
        **claims,
    }


@pytest.mark.parametrize("width", [58, 80])
def test_the_slip_prints_the_warnings_in_full_when_the_worker_insisted(width: int) -> None:
    warnings = [
        {"code": "deadline_passed", "cnss_reason": "R02", "deadline": "2026-11-02"},
        {"code": "rights_closed", "cnss_reason": "R01", "month": "2026-09-01"},
    ]
    text = render_ticket(_slip(warnings=warnings), width=width, lang="fr")  # type: ignore[arg-type]
    flat = " ".join(text.split())
    assert "RÉCÉPISSÉ DE DÉPÔT" in flat
    assert NUMBER in flat
    assert "Pharmacie" in flat
    assert "342,50 MAD" in flat
    assert "Date limite de dépôt 02/11/2026" in flat
    assert "L'assuré a été averti et a insisté pour déposer" in flat
    assert (
        "Délai de dépôt dépassé depuis le 02/11/2026 : la CNSS refusera probablement ce "
        "dossier (motif R02)." in flat
    )
    assert "Droits AMO fermés au mois des soins (09/2026)" in flat
    assert all(len(line) <= LINE_WIDTH[width] for line in text.splitlines())


def test_a_slip_without_warnings_says_nothing_of_them_and_reads_in_arabic() -> None:
    text = render_ticket(_slip(), width=58, lang="ar")
    assert "وصل الإيداع" in text
    assert "صيدلية" in text
    assert "أصرّ" not in text


def test_a_slip_reprinted_from_its_claims_alone_still_says_each_warning() -> None:
    text = render_ticket(_slip(warnings=["rights_closed", "deadline_passed"]), width=80, lang="ar")
    flat = " ".join(text.split())
    assert "مغلقة في أحد أشهر العلاج" in flat
    assert "انقضى أجل إيداع الملف منذ 02/11/2026" in flat


def test_the_hubs_refusal_is_worded_with_the_month_and_the_deadline_it_gives() -> None:
    details = {
        "warnings": "rights_closed,deadline_passed,beneficiary_not_declared",
        "month": "2026-09",
        "deadline": "2026-11-02",
    }
    warned = warned_by_refusal(details)
    assert warned == [
        Warned("rights_closed", month="2026-09"),
        Warned("deadline_passed", deadline="2026-11-02"),
        Warned("beneficiary_not_declared"),
    ]
    ar = [warning_sentence(w, translator("ar")) for w in warned]
    assert ar[0] == (
        "الحقوق في التأمين الإجباري عن المرض مغلقة في شهر العلاج (09/2026): من المرجح أن يرفض "
        "الصندوق هذا الملف (السبب R01)."
    )
    assert "02/11/2026" in ar[1]
    assert ar[2] == "المستفيد غير مصرح به في ملف المؤمَّن طيلة فترة العلاج (السبب R03)."


def test_a_files_journey_reads_as_the_worker_hears_it() -> None:
    fr = translator("fr")
    line = {"stage": "reimbursed", "reimbursed_centimes": 27400, "transmittal": "B-CP-000003"}
    assert stage_sentence(line, fr, format_mad) == "Remboursé : 274,00 MAD"
    refused = {"stage": "refused", "reason_code": "R02", "transmittal": "B-CP-000003"}
    assert stage_sentence(refused, fr, format_mad) == (
        "Refusé par la CNSS (R02 — délai de dépôt dépassé)"
    )
    missing = {"stage": "not_received", "transmittal": "B-CASHPLUS-000003"}
    assert "B-CASHPLUS-000003" in stage_sentence(missing, translator("ar"), format_mad)


def test_care_to_come_and_an_empty_envelope_are_refused_as_typed() -> None:
    today = date(2026, 12, 6)
    assert check_care_day("2026-12-06", today=today) is None
    assert check_care_day("2026-12-07", today=today) == "A day of care cannot be after today."
    assert check_care_day("06/12/2026", today=today) is not None
    assert check_documents("0") is not None
    assert check_documents("201") is not None
    assert check_documents("3") is None


def _manifest(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'EdDSA', 'typ': 'qurb-transmittal+jwt'})}.{part(claims)}.c2ln"


@pytest.mark.parametrize(("width", "lang"), [(58, "fr"), (80, "ar")])
def test_the_bordereau_lists_each_envelope_and_what_to_count(width: int, lang: str) -> None:
    answer = {
        "number": "B-CASHPLUS-000004",
        "business_date": "2026-12-06",
        "deposits": [NUMBER, "D-CASHPLUS-00001208"],
        "count": 2,
        "documents": 7,
        "manifest": _manifest({}),
    }
    claims = {"network": "CASHPLUS", "closed_by": "op.cp-01", "log_entry": "ab" * 32}
    text = render_bordereau(answer, claims, office="CP-01 Rabat", width=width, lang=lang)  # type: ignore[arg-type]
    assert "B-CASHPLUS-000004" in text
    assert NUMBER in text
    assert "D-CASHPLUS-00001208" in text
    assert "06/12/2026" in text
    assert all(len(line) <= LINE_WIDTH[width] for line in text.splitlines())
    if lang == "fr":
        assert "BORDEREAU D'ENVOI" in text
        assert "Pièces à compter" in text
        assert "Signature du coursier" in text
    else:
        assert "جدول الإرسال" in text
        assert "توقيع الساعي" in text


def _jws(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'EdDSA', 'typ': 'JWT'})}.{part(claims)}.c2ln"


def _slip_answer(compact: str | None) -> dict[str, object]:
    slip: dict[str, object] = {
        "number": "R-CASHPLUS-00001207",
        "receipt": _jws(_slip(receipt_number="R-CASHPLUS-00001207")),
    }
    if compact is not None:
        slip["compact"] = compact
    return {"deposit_number": NUMBER, "slip": slip, "warnings": []}


@pytest.mark.parametrize("compact", ["QC1:6BFA4XO", None])
def test_the_slips_qr_is_the_verification_link_when_the_hub_sends_its_compact_form(
    tmp_path: Path, compact: str | None
) -> None:
    home = Home(tmp_path / "terminal")
    home.initialize("http://hub.example:8000", passphrase=None, lang="fr")
    terminal = Terminal(home)
    answer = _slip_answer(compact)
    try:
        terminal._keep_receipts(answer)  # what the outbox keeps of every answer it delivers
    finally:
        terminal.close()
    ctx = Context(home=home, lang="fr", out=io.StringIO(), err=io.StringIO())
    jws = str(signed_document(answer)["receipt"])  # type: ignore[index]
    expected = "HTTP://HUB.EXAMPLE:8000/V#QC1:6BFA4XO" if compact else jws
    assert qr_of(ctx, jws) == expected
