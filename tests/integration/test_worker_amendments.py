"""Amending a worker: every change signed, kept as history with who, where and when; a
category change counts from the next month."""

from __future__ import annotations

from typing import Any

from tests.conftest import FakeClock
from tests.integration.conftest import PASSWORD, World, activated
from tests.support.terminal import TestTerminal
from tests.support.workers import child, month_offset, spouse, worker_payload


def _enrolled(terminal: TestTerminal, **fields: Any) -> str:
    response = terminal.send("POST", "/v1/workers", worker_payload(**fields))
    assert response.status_code == 201, response.text
    number: str = response.json()["registration_number"]
    return number


def test_phone_and_address_change_at_once_and_are_kept_in_history(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    number = _enrolled(terminal)
    other = activated(world, clock, "WA-01")  # a worker may amend at any office, card in hand
    assert other.login("op.wa-01", PASSWORD).status_code == 201
    response = other.send(
        "PATCH",
        f"/v1/workers/{number}",
        {"cin": "BE123456", "phone": "0661 22 33 44", "address": "4 av. Hassan II"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["phone"] == "+212661223344"
    history = other.send("POST", "/v1/workers/history", {"cin": "BE123456"}).json()["items"]
    assert [(h["field"], h["old_value"], h["new_value"]) for h in history] == [
        ("phone", "+212612345678", "+212661223344"),
        ("address", "12 rue des Orangers", "4 av. Hassan II"),
    ]
    assert {(h["office"], h["operator"]) for h in history} == {("WA-01", "op.wa-01")}


def test_a_category_change_takes_effect_next_month(world: World, terminal: TestTerminal) -> None:
    number = _enrolled(terminal)
    response = terminal.send(
        "PATCH",
        f"/v1/workers/{number}",
        {"category": "TAXI_DRIVER", "bracket": "PETIT_TAXI", "document_number": "TX-99812"},
    )
    assert response.status_code == 200, response.text
    periods = response.json()["categories"]
    assert [(p["category"], p["effective_from"][:7]) for p in periods] == [
        ("ARTISAN", month_offset(0)),
        ("TAXI_DRIVER", month_offset(1)),
    ]
    history = terminal.send("GET", f"/v1/workers/{number}/history").json()["items"]
    assert history[0]["field"] == "category"
    assert history[0]["effective_from"][:7] == month_offset(1)


def test_a_category_change_needs_the_new_categorys_document(
    world: World, terminal: TestTerminal
) -> None:
    number = _enrolled(terminal, category="FARMER", bracket="STANDARD", document_number=None)
    response = terminal.send(
        "PATCH", f"/v1/workers/{number}", {"category": "TAXI_DRIVER", "bracket": "PETIT_TAXI"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "document_number"


def test_dependents_are_added_and_removed(world: World, terminal: TestTerminal) -> None:
    number = _enrolled(terminal, dependents=[child()])
    added = terminal.send(
        "PATCH", f"/v1/workers/{number}", {"add_dependents": [spouse("BK998877")]}
    )
    assert added.status_code == 200, added.text
    dependents = added.json()["dependents"]
    assert [d["relation"] for d in dependents] == ["child", "spouse"]
    assert dependents[1]["cin_masked"] == "*****877"
    removed = terminal.send(
        "PATCH", f"/v1/workers/{number}", {"remove_dependents": [dependents[0]["id"]]}
    )
    assert [d["relation"] for d in removed.json()["dependents"]] == ["spouse"]
    history = terminal.send("GET", f"/v1/workers/{number}/history").json()["items"]
    assert [h["field"] for h in history] == ["dependent_added", "dependent_removed"]
    assert "BK998877" not in str(history)


def test_an_amendment_that_changes_nothing_is_refused(world: World, terminal: TestTerminal) -> None:
    number = _enrolled(terminal)
    response = terminal.send("PATCH", f"/v1/workers/{number}", {"city": "Rabat"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_failed"


def test_removing_someone_elses_dependent_is_refused(world: World, terminal: TestTerminal) -> None:
    first = _enrolled(terminal, dependents=[child()])
    found = terminal.send("GET", f"/v1/workers/{first}/identity").json()
    other_child = found["dependents"][0]["id"]
    second = _enrolled(terminal, cin="JA554433")
    response = terminal.send("PATCH", f"/v1/workers/{second}", {"remove_dependents": [other_child]})
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "remove_dependents[0]"


def test_another_office_amends_only_with_the_cin_from_the_workers_card(
    world: World, terminal: TestTerminal, clock: FakeClock
) -> None:
    number = _enrolled(terminal)
    other = activated(world, clock, "WA-01")
    assert other.login("op.wa-01", PASSWORD).status_code == 201
    change = {"address": "4 av. Hassan II"}
    without = other.send("PATCH", f"/v1/workers/{number}", change)
    assert without.status_code == 403
    assert without.json()["error"]["code"] == "worker_presence_required"
    assert without.json()["error"]["field"] == "cin"
    wrong = other.send("PATCH", f"/v1/workers/{number}", {**change, "cin": "JA554433"})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["code"] == "cin_mismatch"
    right = other.send("PATCH", f"/v1/workers/{number}", {**change, "cin": "BE123456"})
    assert right.status_code == 200, right.text
    assert right.json()["address"] == "4 av. Hassan II"
