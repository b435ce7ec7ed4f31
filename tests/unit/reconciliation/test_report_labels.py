"""The words of the finance pages: every label in French and in Arabic, with the same
placeholders, and one for every outcome, status and reason code a report can carry."""

from __future__ import annotations

import string
from typing import get_args

import pytest

from qurb.finance import Language
from reconciliation.exceptions import REASON_CODES, STATUSES
from reconciliation.model import BankOutcome, LedgerOutcome
from reconciliation.report_labels import AR, CATALOGS, DEFAULT_LANGUAGE, FR, LANGUAGES, text


def _placeholders(label: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(label) if name}


def test_every_label_exists_in_french_and_in_arabic() -> None:
    assert sorted(set(FR) - set(AR)) == [], "missing in Arabic"
    assert sorted(set(AR) - set(FR)) == [], "missing in French"
    assert [k for k, v in {**FR, **AR}.items() if not v.strip()] == []


def test_a_label_takes_the_same_placeholders_in_both_languages() -> None:
    assert [k for k in FR if _placeholders(FR[k]) != _placeholders(AR[k])] == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_code_a_report_carries_has_a_label(lang: str) -> None:
    keys = [f"ledger.{o.value}" for o in LedgerOutcome]
    keys += [f"bank.{o.value}" for o in BankOutcome]
    keys += [f"status.{s}" for s in STATUSES]
    keys += [f"reason.{r}" for r in REASON_CODES]
    assert [k for k in keys if k not in CATALOGS[lang]] == []


def test_french_is_the_default_and_the_endpoint_offers_exactly_the_catalogs_languages() -> None:
    assert DEFAULT_LANGUAGE == "fr"
    assert set(get_args(Language)) == set(LANGUAGES) == set(CATALOGS)
    assert text("fr", "report.scope_network", network="CASHPLUS") == "réseau CASHPLUS"
    assert text("ar", "report.scope_network", network="CASHPLUS") == "شبكة CASHPLUS"
