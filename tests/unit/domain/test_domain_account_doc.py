"""docs/account.md is what operators tell workers: its worked examples must hold."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from agent_api.domain.months import add_months
from agent_api.domain.rights import AccountEvent, RightsRules, rights
from agent_api.settings import Settings

DOC = (Path(__file__).resolve().parents[3] / "docs" / "account.md").read_text(encoding="utf-8")
RULES = RightsRules(grace_months=3, waiting_months=3)


def test_the_documented_defaults_are_the_services_defaults() -> None:
    defaults = Settings.from_env({})
    assert "`QURB_PREPAY_HORIZON_MONTHS=12`" in DOC
    assert defaults.prepay_horizon_months == 12
    assert (defaults.rights_grace_months, defaults.rights_waiting_months) == (3, 3)
    assert defaults.coverage_start_max_past_months == 12


def test_the_enrollment_in_the_past_example_suspends_then_waits_until_october() -> None:
    january, july = date(2026, 1, 1), date(2026, 7, 1)
    dues = {add_months(january, i): 15_577 for i in range(19)}
    assert rights(dues, [], july, RULES, coverage_start=january).reason_code == "suspended"
    paid = [AccountEvent(july, {add_months(january, i): 15_577 for i in range(7)})]
    waiting = rights(dues, paid, july, RULES, coverage_start=january)
    assert (waiting.reason_code, waiting.reopens) == ("waiting", date(2026, 10, 1))
    assert "`reopens` 2026-10" in DOC
    assert rights(dues, paid, date(2026, 10, 1), RULES).status == "open"


def test_the_reversal_example_names_the_gap_as_the_doc_shows() -> None:
    december, january = date(2025, 12, 1), date(2026, 1, 1)
    dues = {december: 15_577, january: 15_577}
    events = [
        AccountEvent(december, {december: 15_577}),
        AccountEvent(december, {january: 15_577}),
        AccountEvent(december, {december: -15_577}),
    ]
    result = rights(dues, events, december, RULES, coverage_start=december)
    quoted = "2025-12 unpaid although 2026-01 is paid: the next payment goes there first"
    assert quoted in result.reason
    assert quoted in DOC
