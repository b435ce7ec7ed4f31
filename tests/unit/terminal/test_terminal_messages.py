"""Error codes become sentences an operator understands, and stable exit statuses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from terminal_client.i18n import LANGUAGES
from terminal_client.messages import EXIT_CODES, exit_code, explain

DOCS = Path(__file__).resolve().parents[3] / "docs" / "terminal.md"

# The grouping scripts and the store-and-forward loop rely on (docs/terminal.md).
EXPECTED_EXIT = {
    2: (
        "validation_failed malformed_request bad_input not_found payload_too_large "
        "idempotency_key_missing"
    ),
    3: (
        "conflict already_exists inactive forbidden wrong_office worker_already_enrolled "
        "cin_is_a_dependent dependent_is_insured dependent_already_covered "
        "not_collected_at_counter worker_suspended reversal_window_closed already_reversed "
        "not_a_collection same_person supervisor_required day_already_declared "
        "idempotency_in_flight"
    ),
    4: (
        "not_logged_in token_missing token_invalid token_expired token_wrong_terminal "
        "authentication_failed invalid_credentials account_locked account_suspended "
        "wrong_sign_in_path"
    ),
    5: (
        "not_activated unknown_key key_revoked terminal_suspended office_suspended "
        "network_suspended signature_missing signature_invalid signature_coverage "
        "signature_stale malformed_signature digest_mismatch digest_missing "
        "activation_code_invalid activation_code_expired activation_code_exhausted "
        "terminal_not_pending key_already_rotated idempotency_key_reused"
    ),
    6: "network_unreachable",
    7: "rate_limited unavailable internal_error",
    8: "receipt_invalid",
}
EXPECTED = {code: status for status, codes in EXPECTED_EXIT.items() for code in codes.split()}


@pytest.mark.parametrize(("code", "status"), sorted(EXPECTED.items()))
def test_each_error_exits_with_the_status_of_its_group(code: str, status: int) -> None:
    assert exit_code(code) == status


def test_a_code_this_version_does_not_know_exits_1() -> None:
    assert exit_code("brand_new_rule") == 1


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("code", sorted(EXIT_CODES))
def test_every_code_reads_as_a_sentence_not_as_a_code(code: str, lang: str) -> None:
    sentence = explain(code, lang)
    assert code not in sentence
    assert sentence[-1] in ".!؟"


def test_french_and_arabic_sentences_differ_from_the_english_ids() -> None:
    assert explain("token_expired", "fr") == "Votre session a expiré. Reconnectez-vous."
    assert explain("token_expired", "ar") == "انتهت صلاحية جلستك. سجّل الدخول من جديد."


def test_a_queued_write_tells_the_operator_it_is_saved() -> None:
    assert exit_code("network_unreachable") == 6
    assert "sera envoyée plus tard" in explain("network_unreachable", "fr")


def test_an_unknown_code_is_named_without_the_servers_english() -> None:
    sentence = explain("quota_exceeded", "fr", server_message="daily quota exceeded")
    assert sentence == "Le serveur a refusé l'opération (quota_exceeded)."


def test_an_unknown_code_without_a_message_still_names_the_code() -> None:
    assert "(quota_exceeded)" in explain("quota_exceeded", "ar")


def test_a_zero_amount_refused_by_the_server_reads_in_french_not_in_pydantics_english() -> None:
    sentence = explain(
        "validation_failed",
        "fr",
        server_message="amount_centimes: Input should be greater than 0",
        field="amount_centimes",
    )
    assert "Input should" not in sentence
    assert "Ce montant n'est pas accepté : il doit être supérieur à 0 MAD" in sentence
    assert sentence.endswith("Champ : Montant")


def test_the_horizon_refusal_gives_the_maximum_as_an_amount() -> None:
    sentence = explain(
        "validation_failed",
        "ar",
        server_message="amount_centimes: more than is owed through 2027-12; at most 269997",
        field="amount_centimes",
        details={"maximum_centimes": 269997},
    )
    assert "more than" not in sentence
    assert "2 699,97 MAD" in sentence


def test_a_coverage_start_out_of_range_names_the_allowed_months() -> None:
    sentence = explain(
        "validation_failed",
        "fr",
        server_message="coverage_start: must be between 2025-11 and 2027-11",
        field="coverage_start",
    )
    assert "entre 11/2025 et 11/2027" in sentence
    assert "must be" not in sentence


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_fishing_worker_without_declared_days_is_told_to_declare_them(lang: str) -> None:
    sentence = explain(
        "no_declared_days",
        lang,
        server_message="amount_centimes: no declared days",
        field="amount_centimes",
    )
    assert "declare-day" in sentence
    assert "no declared days" not in sentence
    assert exit_code("no_declared_days") == 3


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    "message",
    ["Type the amount in digits, for example 218 or 218,50.", "An amount cannot be negative."],
)
def test_what_the_terminal_itself_refuses_is_said_in_the_operators_language(
    lang: str, message: str
) -> None:
    sentence = explain("bad_input", lang, server_message=message, field="amount")
    assert message not in sentence


def test_rule_refusals_do_not_repeat_the_developers_message() -> None:
    sentence = explain("already_reversed", "fr", server_message="collection R-1 is reversed")
    assert sentence == "Cet encaissement est déjà annulé."


@pytest.mark.parametrize(
    ("field", "shown"),
    [
        ("cin", "Champ : CIN"),
        ("amount_centimes", "Champ : Montant"),
        ("supervisor.username", "Champ : Identifiant du superviseur"),
        ("dependents[1].cin", "Champ : CIN (ayant droit 2)"),
        ("days[0].date", "Champ : Jour (jour 1)"),
        ("frobnication", "Champ : frobnication"),
    ],
)
def test_the_field_at_fault_is_named_in_the_operators_language(field: str, shown: str) -> None:
    assert explain("not_found", "fr", field=field).endswith(shown)


def test_the_field_is_named_in_arabic_too() -> None:
    assert explain("dependent_is_insured", "ar", field="cin").endswith("الحقل: رقم البطاقة الوطنية")


def test_explaining_in_a_language_we_do_not_ship_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        explain("not_found", "en")


def test_the_exit_code_table_in_the_docs_matches_the_code() -> None:
    documented: dict[str, int] = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        row = re.match(r"\|\s*(\d)\s*\|.*\|(.*)\|\s*$", line)
        if row:
            for code in re.findall(r"`([a-z_]+)`", row[2]):
                documented[code] = int(row[1])
    assert documented == dict(EXIT_CODES)
