"""Why a worker's rights are what they are, told from the service's reason code, in French and
Arabic; an answer from an older service (no code) still reads as a sentence."""

from __future__ import annotations

import pytest

from terminal_client.i18n import LANGUAGES, translator
from terminal_client.rights import reason_code, rights_reason
from terminal_client.ticket import render_ticket

fr = translator("fr")


@pytest.mark.parametrize(
    ("answer", "sentence"),
    [
        (
            {"status": "open", "reason_code": "paid_up"},
            "Toutes les échéances à ce jour sont payées.",
        ),
        (
            {
                "status": "open",
                "reason_code": "within_grace",
                "open_until": "2027-03",
                "oldest_unpaid": "2026-12-01",
            },
            "Cotisations impayées depuis 12/2026 : les droits restent ouverts jusqu'à 03/2027.",
        ),
        (
            {"status": "open", "reason_code": "not_started", "coverage_starts": "2027-01"},
            "La couverture n'a pas encore commencé : elle commence en 01/2027.",
        ),
        (
            {"status": "suspended", "reason_code": "suspended", "oldest_unpaid": "2026-01-01"},
            "Suspendus : cotisations impayées depuis 01/2026. Une fois toutes les échéances à ce "
            "jour payées, les droits rouvrent après un délai d'attente.",
        ),
        (
            {"status": "waiting", "reason_code": "waiting", "reopens": "2027-02-01"},
            "Les arriérés sont payés ; les droits rouvrent en 02/2027.",
        ),
    ],
)
def test_each_reason_code_reads_as_a_french_sentence(answer: dict[str, str], sentence: str) -> None:
    assert rights_reason(answer, fr) == sentence


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ({"status": "open", "oldest_unpaid": None, "reason": "every due is paid"}, "paid_up"),
        (
            {"status": "open", "oldest_unpaid": "2026-12-01", "reason": "next due to pay: 2026-12"},
            "within_grace",
        ),
        ({"status": "suspended", "oldest_unpaid": "2026-01-01", "reason": "…"}, "suspended"),
        ({"status": "waiting", "reopens": "2027-02-01", "reason": "…"}, "waiting"),
        ({"status": "open", "reason_code": "brand_new_rule"}, "paid_up"),
    ],
)
def test_an_answer_without_a_reason_code_is_read_from_its_status_and_months(
    answer: dict[str, str], code: str
) -> None:
    assert reason_code(answer) == code


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_rights_certificate_never_prints_the_services_english_reason(lang: str) -> None:
    claims = {
        "kind": "certificate",
        "certificate": "rights",
        "registration_number": "0000000171",
        "status": "open",
        "covered_through": "2026-12",
        "reason": "every due is paid",
        "as_of": "2026-12",
    }
    ticket = render_ticket(claims, lang=lang)
    assert "every" not in ticket
    assert "paid" not in ticket
    assert "Toutes les échéances" in render_ticket(claims, lang="fr")


def test_a_hole_left_by_a_reversal_is_named() -> None:
    answer = {
        "status": "open",
        "reason_code": "within_grace",
        "open_until": "2027-03",
        "gaps": ["2026-12-01"],
    }
    assert "12/2026 impayé(s) alors qu'un mois plus récent est payé" in rights_reason(answer, fr)
