"""Pre-registration from liaison lists, and the effective-dated tariff."""

from __future__ import annotations

from pathlib import Path

import pytest

from qurb.cli import main
from tests.integration.conftest import World
from tests.support.terminal import TestTerminal
from tests.support.workers import month_offset, this_month

LIST = (
    "\ufeffCIN;NOM;PRENOM;DATE_NAISSANCE;CATEGORIE;TRANCHE;NUM_DOCUMENT;TELEPHONE;VILLE;ORGANISME\r\n"
    "BE123456;El Amrani;Fatima;12/04/1985;ARTISAN;REGISTERED;ART-2023-0042;0612345678;Rabat;"
    "Chambre d'artisanat de Rabat\r\n"
    "ZZ;Nobody;Bad;01/01/1980;ARTISAN;REGISTERED;;;;\r\n"
    "JA554433;Berrada;Omar;;TAXI_DRIVER;;;;Fès;Fédération des taxis\r\n"
)


def test_a_pre_registered_worker_only_completes_the_missing_fields(
    world: World, terminal: TestTerminal
) -> None:
    report = world.services.liaison.import_csv(LIST.encode())
    assert report.loaded == 2
    assert [(e.line, e.field) for e in report.errors] == [(3, "CIN")]
    found = terminal.send("POST", "/v1/workers/lookup", {"cin": "BE123456"}).json()
    assert found["status"] == "pre_registered"
    assert found["pre_registration"]["last_name"] == "El Amrani"
    assert "BE123456" not in str(found)
    response = terminal.send(
        "POST",
        "/v1/workers",
        {
            "cin": "BE123456",
            "sex": "F",
            "address": "12 rue des Orangers",
            "coverage_start": this_month(),
        },
    )
    assert response.status_code == 201, response.text
    worker = response.json()["worker"]
    assert (worker["last_name"], worker["category"], worker["phone"]) == (
        "El Amrani",
        "ARTISAN",
        "+212612345678",
    )


def test_fields_the_list_lacks_are_still_required(world: World, terminal: TestTerminal) -> None:
    world.services.liaison.import_csv(LIST.encode())
    response = terminal.send(
        "POST",
        "/v1/workers",
        {"cin": "JA554433", "sex": "M", "address": "x", "coverage_start": this_month()},
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "birth_date"


def test_importing_the_same_file_twice_changes_nothing(
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    key_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("QURB_DATABASE_URL", database_url)
    monkeypatch.setenv("QURB_KEY_DIR", str(key_dir))
    monkeypatch.setenv("QURB_ENV", "test")
    path = tmp_path / "liste.csv"
    path.write_bytes(LIST.encode())
    assert main(["import-liaison", str(path)]) == 1  # a bad line: loaded the rest, said so
    first = capsys.readouterr()
    assert "2 loaded" in first.out
    assert "line 3: CIN" in first.err
    assert "ZZ" not in first.err
    assert main(["import-liaison", str(path)]) == 1
    second = capsys.readouterr()
    assert "0 loaded, 2 already listed" in second.out


def test_a_file_without_the_columns_is_refused_whole(world: World) -> None:
    report_error = None
    try:
        world.services.liaison.import_csv(b"NAME;CIN\nx;BE123456\n")
    except Exception as exc:  # noqa: BLE001 - the test inspects whatever was raised
        report_error = exc
    assert report_error is not None
    assert getattr(report_error, "field", None) == "file"


def test_everyone_reads_the_tariff_in_force(world: World) -> None:
    tariff = world.client.get("/v1/tariff").json()
    artisan = next(c for c in tariff["categories"] if c["code"] == "ARTISAN")
    current = artisan["brackets"][0]["current"]
    assert current["rate_bps"] == 637
    assert current["monthly_due_centimes"] == (current["base_centimes"] * 637 + 5000) // 10000
    cpu = next(c for c in tariff["categories"] if c["code"] == "CPU")
    assert cpu["collected_at_counter"] is False


def test_a_rate_change_is_announced_for_a_future_month_only(world: World) -> None:
    headers = world.auth("cnss.admin")
    body = {
        "category": "ARTISAN",
        "bracket": "REGISTERED",
        "base_centimes": 300000,
        "rate_bps": 637,
    }
    past = world.client.post(
        "/v1/admin/tariff/rates", headers=headers, json={**body, "effective_from": this_month()}
    )
    assert past.status_code == 422
    assert past.json()["error"]["field"] == "effective_from"
    future = world.client.post(
        "/v1/admin/tariff/rates", headers=headers, json={**body, "effective_from": month_offset(2)}
    )
    assert future.status_code == 201, future.text
    again = world.client.post(
        "/v1/admin/tariff/rates", headers=headers, json={**body, "effective_from": month_offset(2)}
    )
    assert again.status_code == 409
    artisan = next(
        c for c in world.client.get("/v1/tariff").json()["categories"] if c["code"] == "ARTISAN"
    )
    bracket = artisan["brackets"][0]
    assert bracket["current"]["base_centimes"] != 300000
    assert bracket["upcoming"][0]["base_centimes"] == 300000


def test_a_new_category_and_bracket_can_be_added(world: World) -> None:
    headers = world.auth("cnss.admin")
    created = world.client.post(
        "/v1/admin/tariff/categories",
        headers=headers,
        json={
            "code": "GUIDE",
            "label_fr": "Guides touristiques",
            "label_ar": "المرشدون السياحيون",
            "document_label": "Carte de guide",
            "document_pattern": "[A-Z0-9-]{4,20}",
        },
    )
    assert created.status_code == 201, created.text
    bracket = world.client.post(
        "/v1/admin/tariff/categories/GUIDE/brackets",
        headers=headers,
        json={"code": "STANDARD", "label": "Guide agréé"},
    )
    assert bracket.status_code == 201, bracket.text
