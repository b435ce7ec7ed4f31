"""The drawer close at the counter: what the operator may type for a count, the notes and
coins the terminal knows (the hub's), and the close report as a ticket in both languages."""

from __future__ import annotations

from typing import Any

import pytest

from agent_api.domain import cash
from terminal_client import drawer
from terminal_client.drawer import CountError, denomination_of, quantity_of, render_close_report
from terminal_client.ticket import LINE_WIDTH

REPORT: dict[str, Any] = {
    "receipt_number": "C-CASHPLUS-00000007",
    "kind": "drawer_close",
    "business_date": "2026-12-06",
    "counts": [
        {"denomination_centimes": 20_000, "quantity": 12},
        {"denomination_centimes": 10_000, "quantity": 3},
        {"denomination_centimes": 5, "quantity": 7},
    ],
    "counted_centimes": 270_035,
    "collections": 31,
    "collected_centimes": 281_035,
    "reversals": 1,
    "reversed_centimes": 10_000,
    "expected_centimes": 271_035,
    "difference_centimes": -1_000,
    "network": "CASHPLUS",
    "office": "CA-01",
    "terminal": 3,
    "operator": "op.ca-01",
    "signed_at": "2026-12-06T18:02:11+00:00",
    "recorded_at": "2026-12-06T18:02:12.204311+00:00",
    "log_index": 1_204,
}


def test_the_terminal_knows_the_notes_and_coins_the_hub_counts() -> None:
    assert drawer.DENOMINATIONS_CENTIMES == cash.DENOMINATIONS_CENTIMES
    assert drawer.MAX_QUANTITY == cash.MAX_QUANTITY


@pytest.mark.parametrize(
    ("typed", "centimes"),
    [("200", 20_000), ("20", 2_000), ("0,50", 50), ("0.5", 50), ("0,05", 5), ("10 MAD", 1_000)],
)
def test_a_denomination_is_typed_in_dirhams(typed: str, centimes: int) -> None:
    assert denomination_of(typed) == centimes


@pytest.mark.parametrize("typed", ["25", "0,01", "1000", "-200", "deux cents"])
def test_a_denomination_out_of_circulation_is_refused(typed: str) -> None:
    with pytest.raises(CountError):
        denomination_of(typed)


@pytest.mark.parametrize(
    ("typed", "quantity"), [("", 0), (" 3 ", 3), ("0", 0), ("120", 120), ("١٢", 12), ("۳", 3)]
)
def test_a_quantity_is_a_whole_number_and_empty_is_none(typed: str, quantity: int) -> None:
    assert quantity_of(typed) == quantity


@pytest.mark.parametrize("typed", ["-1", "1,5", "trois", "²", "10000000"])
def test_a_quantity_that_is_not_a_whole_count_is_refused(typed: str) -> None:
    with pytest.raises(CountError):
        quantity_of(typed)


@pytest.mark.parametrize("lang", ["fr", "ar"])
@pytest.mark.parametrize("width", [58, 80])
def test_the_close_report_fits_the_paper_in_both_languages(lang: str, width: int) -> None:
    report = render_close_report(REPORT, width=width, lang=lang)  # type: ignore[arg-type]
    assert all(len(line) <= LINE_WIDTH[width] for line in report.splitlines())
    assert "C-CASHPLUS-00000007" in report
    assert "2 700,35 MAD" in report  # counted
    assert "2 710,35 MAD" in report  # expected
    assert "-10,00 MAD" in report  # the difference: short


def test_the_close_report_reads_as_a_french_cashier_expects() -> None:
    report = render_close_report(REPORT, width=58, lang="fr")
    assert "CLÔTURE DE CAISSE" in report
    assert "200,00 MAD x 12" in report
    assert "0,05 MAD x 7" in report
    assert "Annulations (1)" in report
    assert "Manque en caisse: 10,00 MAD" in report
    assert "06/12/2026" in report
    assert "06/12/2026 19:02" in report  # in Casablanca, to the minute


def test_the_close_report_reads_in_arabic() -> None:
    report = render_close_report(REPORT, width=80, lang="ar")
    assert "إغلاق الصندوق" in report
    assert "عجز في الصندوق" in report
    assert "الفرق" in report
