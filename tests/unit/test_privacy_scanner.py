"""The CIN scanner must find a CIN wherever it hides, and nothing else we store."""

from __future__ import annotations

import pytest

from tests.support.privacy import cins_in


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
