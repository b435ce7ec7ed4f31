"""The CIN scanner must find a CIN wherever it hides, and nothing else we store."""

from __future__ import annotations

import pytest

from tests.support.privacy import addresses_in, cins_in, personal_data_in, phones_in


@pytest.mark.parametrize(
    "text",
    ["BE123456", "cin=BK998877;", '{"cin": "J12345"}', "line 3: A123456 refused", "JA554433\n"],
)
def test_a_clear_cin_is_found(text: str) -> None:
    assert cins_in(text) != []


@pytest.mark.parametrize(
    "text",
    [
        "*****456",
        "R-CASHPLUS-00000184",
        "CA-01",
        "1-ZC2B-S3PS-NXNW",
        "a3f09c1e" * 8,
        "sWwtG-rRJiY5dk_bDuTTd0WZM2vUk0BM2ksRNsWfIGI",
        "ART-2023-0042",
        "TX-99812",
        "eyJhbGciOiJFZERTQSJ9.eyJBQjEyMzQ1NiI6MX0.AB123456xyz",
        "+212612345678",
    ],
)
def test_values_we_legitimately_store_are_not_mistaken_for_a_cin(text: str) -> None:
    assert cins_in(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "+212612345678",
        '{"phone":"+212661223344"}',
        "+212 6 12 34 56 78",
        "00212712345678",
        "0612345678",
        "tel 0661 22 33 44.",
        "06.61.22.33.44",
        "07-61-22-33-44",
        "payer_phone=0522123456;",
    ],
)
def test_a_clear_phone_is_found_in_its_e164_and_national_forms(text: str) -> None:
    assert phones_in(text) != []


@pytest.mark.parametrize(
    "text",
    [
        "q1:3f09c1e2a4b5c6d7:" + "a3f09c1e" * 8,
        "a3f09c1e0612345678" * 4,
        "R-CASHPLUS-00000184",
        "0000000017",
        "2026-05-12T10:30:00+00:00",
        "06123456789012",  # a longer number: an account, not a phone
        "0812345678",  # not a Moroccan mobile or landline prefix
        "022780000912345678901234",
        "Cr3X+0612345678/ab",  # inside base64
        "127.0.0.1",
    ],
)
def test_values_we_legitimately_store_are_not_mistaken_for_a_phone(text: str) -> None:
    assert phones_in(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "12 rue des Orangers",
        '{"address":"4 av. Hassan II"}',
        "3 rue Fes",
        "17 boulevard Zerktouni",
        "7, derb Sidi Bouloukat",
        "15 شارع محمد الخامس",
        "Résidence: 4 Bd. Anfa",
        "old value: rue des Orangers",
    ],
)
def test_a_clear_address_is_found_by_its_shape_or_as_one_the_tests_write(text: str) -> None:
    assert addresses_in(text) != []


@pytest.mark.parametrize(
    "text",
    ["Office CA-01", "Rabat", "12 months", "Guichet 1", "wrong amount", "2 routes"],
)
def test_values_we_legitimately_store_are_not_mistaken_for_an_address(text: str) -> None:
    assert addresses_in(text) == []


def test_the_combined_scan_names_what_it_found() -> None:
    found = personal_data_in('{"cin":"BE123456","phone":"0612345678","address":"3 rue Fes"}')
    assert found == ["CIN BE123456", "phone 0612345678", "address 3 rue Fes", "address 3 rue"]
