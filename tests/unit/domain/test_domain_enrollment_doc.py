"""docs/enrollment.md is what operators and liaison bodies follow: its examples must hold."""

from __future__ import annotations

import re
from pathlib import Path

from agent_api.domain.liaison import LineError, parse_liaison_csv
from agent_api.domain.registration_number import format_registration_number
from agent_api.domain.tariff import SEED_CATEGORIES_BY_CODE, SEED_RATES, monthly_contribution

DOC = (Path(__file__).resolve().parents[3] / "docs" / "enrollment.md").read_text(encoding="utf-8")


def test_the_documented_registration_numbers_are_the_ones_issued() -> None:
    assert "`1234567894`" in DOC
    assert format_registration_number(123_456_789) == "1234567894"
    assert format_registration_number(572) == "0000005724"


def test_the_example_liaison_file_gives_three_people_and_one_duplicate() -> None:
    match = re.search(r"```csv\n(.*?)```", DOC, re.S)
    assert match is not None
    rows, errors = parse_liaison_csv(match.group(1), known_categories=SEED_CATEGORIES_BY_CODE)
    assert [row.line for row in rows] == [2, 3, 4]
    assert errors == [LineError(5, "CIN", "duplicate CIN in this file, see line 2")]


def test_every_seed_figure_in_the_rates_table_matches_the_code() -> None:
    def mad(centimes: int) -> str:
        return f"{centimes // 100:,}.{centimes % 100:02d}"

    for rate in SEED_RATES:
        if rate.category == "FISHING_WORKER":
            continue  # shown once, with the daily rule
        row = next(
            line
            for line in DOC.splitlines()
            if line.startswith(f"| {rate.category} | ") and rate.bracket in line
        )
        assert mad(rate.base_centimes) in row, row
        assert mad(monthly_contribution(rate.base_centimes, rate.rate_bps)) in row, row
