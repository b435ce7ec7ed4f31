"""Late surcharges (a configurable rule, off by default) and the amnesties that waive them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agent_api.settings import Settings
from tests.integration.conftest import World
from tests.support.terminal import TestTerminal
from tests.support.workers import month_offset, today, worker_payload

DUE = (244_530 * 637 + 5_000) // 10_000


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # 2 % of the due for every month it is late beyond the first.
    return replace(settings, surcharge_bps_per_month=200, surcharge_after_months=1)


def _enrolled_three_months_ago(terminal: TestTerminal) -> str:
    response = terminal.send("POST", "/v1/workers", worker_payload(coverage_start=month_offset(-3)))
    assert response.status_code == 201, response.text
    number: str = response.json()["registration_number"]
    return number


def test_late_months_carry_a_surcharge_paid_before_their_due(
    world: World, terminal: TestTerminal
) -> None:
    number = _enrolled_three_months_ago(terminal)
    quote = terminal.send("GET", f"/v1/workers/{number}/quote").json()
    surcharges = [line["surcharge_centimes"] for line in quote["lines"]]
    assert surcharges == [(DUE * 200 * 2 + 5_000) // 10_000, (DUE * 200 + 5_000) // 10_000, 0, 0]
    paid = terminal.send(
        "POST", "/v1/contributions", {"registration_number": number, "amount_centimes": 1_000}
    ).json()
    oldest_surcharge = surcharges[0]
    assert [(a["kind"], a["amount_centimes"]) for a in paid["allocations"]] == [
        ("surcharge", oldest_surcharge),
        ("due", 1_000 - oldest_surcharge),
    ]


def test_an_amnesty_waives_the_surcharge_for_its_categories(
    world: World, terminal: TestTerminal
) -> None:
    number = _enrolled_three_months_ago(terminal)
    created = world.client.post(
        "/v1/admin/surcharge-waivers",
        headers=world.auth("cnss.admin"),
        json={
            "starts_on": today().isoformat(),
            "ends_on": today().isoformat(),
            "categories": ["ARTISAN"],
            "reason": "Campagne de régularisation 2026",
        },
    )
    assert created.status_code == 201, created.text
    quote = terminal.send("GET", f"/v1/workers/{number}/quote").json()
    assert {line["surcharge_centimes"] for line in quote["lines"]} == {0}


def test_an_amnesty_with_impossible_dates_or_categories_is_refused(world: World) -> None:
    headers = world.auth("cnss.admin")
    backwards = world.client.post(
        "/v1/admin/surcharge-waivers",
        headers=headers,
        json={"starts_on": "2026-12-31", "ends_on": "2026-12-01", "reason": "oops"},
    )
    assert backwards.json()["error"]["field"] == "ends_on"
    unknown = world.client.post(
        "/v1/admin/surcharge-waivers",
        headers=headers,
        json={
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-31",
            "categories": ["ASTRONAUT"],
            "reason": "oops",
        },
    )
    assert unknown.json()["error"]["field"] == "categories[0]"
