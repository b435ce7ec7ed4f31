"""The CNSS administrator's screens: networks and commission rules, the tariff, surcharge
waivers, and a national read of the registry — each write through the service the JSON API
calls, refused with the field named and nothing written."""

from __future__ import annotations

import html
from datetime import date

from agent_api.clock import CASABLANCA
from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.domain.registry import NetworkStatus
from agent_api.services.registry.demo import demo_rib
from tests.conftest import FakeClock
from tests.integration.conftest import World
from tests.support.backoffice import BackOffice


def _admin(world: World) -> BackOffice:
    office = BackOffice(world)
    assert office.sign_in("cnss.admin").status_code == 303
    return office


def _month_after(clock: FakeClock, months: int) -> str:
    today = clock().astimezone(CASABLANCA).date()
    index = today.year * 12 + today.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _network_count(world: World) -> int:
    return len(world.services.registry.list_networks(SYSTEM_ACTOR, limit=1000, offset=0))


def _rates(world: World) -> int:
    return len(world.services.tariff.rates(SYSTEM_ACTOR, category=None))


NEW_NETWORK = {
    "code": "BARID",
    "name": "Barid Cash",
    "commission_fixed_centimes": "1,50",
    "commission_bps": "25",
    "settlement_account": demo_rib("022", 7),
}


def test_each_network_shows_its_commission_as_the_formula_and_an_example(world: World) -> None:
    page = _admin(world).get("/cnss/networks")
    assert page.status_code == 200
    assert "200 + (<bdi>montant</bdi> × 30 + 5000) // 10000" in page.text
    # 2,00 MAD fixed + (10000 × 30 + 5000) // 10000 = 30 centimes: 2,30 MAD on 100,00 MAD.
    assert "2,30\u00a0MAD" in page.text
    assert "soit <bdi>2,00\u00a0MAD</bdi> + <bdi>0,30\u00a0%</bdi>" in page.text


def test_the_cnss_admin_creates_a_network_with_its_commission_rule(world: World) -> None:
    office = _admin(world)
    created = office.form_post("/cnss/networks", "/cnss/networks", NEW_NETWORK)
    assert created.status_code == 303
    assert created.headers["location"] == "/back-office/cnss/networks?done=network_created"
    listed = office.get("/cnss/networks?done=network_created")
    assert "Réseau créé." in listed.text
    assert "150 + (<bdi>montant</bdi> × 25 + 5000) // 10000" in listed.text
    view = world.services.registry.get_network(SYSTEM_ACTOR, "BARID")
    assert (view.commission_fixed_centimes, view.commission_bps) == (150, 25)


def test_a_negative_commission_names_the_field_and_writes_nothing(world: World) -> None:
    office = _admin(world)
    before = _network_count(world)
    refused = office.form_post(
        "/cnss/networks", "/cnss/networks", {**NEW_NETWORK, "commission_bps": "-5"}
    )
    assert refused.status_code == 422
    assert "Champ en cause : Commission proportionnelle (points de base)" in refused.text
    assert "Rien n'a été enregistré" in html.unescape(refused.text)
    assert 'id="n-bps" name="commission_bps" type="text" value="-5"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert _network_count(world) == before


def test_a_fixed_commission_that_is_not_an_amount_names_its_field(world: World) -> None:
    office = _admin(world)
    refused = office.form_post(
        "/cnss/networks", "/cnss/networks", {**NEW_NETWORK, "commission_fixed_centimes": "2.5x"}
    )
    assert refused.status_code == 422
    assert "Champ en cause : Commission fixe par encaissement (MAD)" in refused.text
    assert _network_count(world) == 2


def test_a_network_code_taken_is_a_conflict_naming_the_code(world: World) -> None:
    refused = _admin(world).form_post(
        "/cnss/networks", "/cnss/networks", {**NEW_NETWORK, "code": "CASHPLUS"}
    )
    assert refused.status_code == 409
    assert "Cet élément existe déjà" in refused.text
    assert "Champ en cause : Code" in refused.text


def test_the_cnss_admin_suspends_and_reactivates_a_network(world: World) -> None:
    office = _admin(world)
    done = office.form_post("/cnss/networks", "/cnss/networks/WAFACASH/suspend", {})
    assert done.status_code == 303
    view = world.services.registry.get_network(SYSTEM_ACTOR, "WAFACASH")
    assert view.status == NetworkStatus.SUSPENDED
    page = office.get("/cnss/networks?done=network_suspended")
    assert "Réactiver WAFACASH" in page.text
    office.form_post("/cnss/networks", "/cnss/networks/WAFACASH/reactivate", {})
    view = world.services.registry.get_network(SYSTEM_ACTOR, "WAFACASH")
    assert view.status == NetworkStatus.ACTIVE
    missing = office.form_post("/cnss/networks", "/cnss/networks/NOPE/suspend", {})
    assert missing.status_code == 404


def test_a_rate_announced_from_next_month_is_listed_as_announced(
    world: World, clock: FakeClock
) -> None:
    office = _admin(world)
    month = _month_after(clock, 1)
    sent = office.form_post(
        "/cnss/tariff",
        "/cnss/tariff/rates",
        {
            "bracket": "TAXI_DRIVER/GRAND_TAXI",
            "effective_from": month,
            "base_centimes": "3 500,00",
            "rate_bps": "650",
        },
    )
    assert sent.status_code == 303, sent.text
    page = office.get("/cnss/tariff?done=rate_announced")
    assert "Taux annoncé" in page.text
    shown = f"{month[5:]}/{month[:4]}"
    # 350000 × 650 / 10000 = 22750 centimes a month.
    assert f"à partir de {shown}" in page.text
    assert "227,50\u00a0MAD" in page.text
    rates = world.services.tariff.rates(SYSTEM_ACTOR, category="TAXI_DRIVER")
    new = [r for r in rates if r.effective_from == date.fromisoformat(month + "-01")]
    assert [(r.bracket, r.base_centimes, r.rate_bps) for r in new] == [("GRAND_TAXI", 350000, 650)]


def test_a_rate_for_this_month_is_refused_past_dues_never_change(
    world: World, clock: FakeClock
) -> None:
    office = _admin(world)
    before = _rates(world)
    refused = office.form_post(
        "/cnss/tariff",
        "/cnss/tariff/rates",
        {
            "bracket": "FARMER/STANDARD",
            "effective_from": _month_after(clock, 0),
            "base_centimes": "3260,40",
            "rate_bps": "700",
        },
    )
    assert refused.status_code == 422
    assert "Champ en cause : En vigueur à partir du mois" in refused.text
    assert "dues already owed never change" in refused.text
    assert _rates(world) == before


def test_a_rate_of_zero_or_a_bracket_of_another_category_is_refused(
    world: World, clock: FakeClock
) -> None:
    office = _admin(world)
    before = _rates(world)
    month = _month_after(clock, 2)
    zero = {"bracket": "FARMER/STANDARD", "effective_from": month, "base_centimes": "1"}
    refused = office.form_post("/cnss/tariff", "/cnss/tariff/rates", {**zero, "rate_bps": "0"})
    assert refused.status_code == 422
    assert "Champ en cause : Taux (points de base)" in refused.text
    crossed = {**zero, "bracket": "FARMER/GRAND_TAXI", "rate_bps": "600"}
    refused = office.form_post("/cnss/tariff", "/cnss/tariff/rates", crossed)
    assert refused.status_code == 422
    assert "Champ en cause : Tranche" in refused.text
    assert _rates(world) == before


def test_the_cnss_admin_adds_a_category_and_a_bracket_shown_in_both_languages(
    world: World,
) -> None:
    office = _admin(world)
    added = office.form_post(
        "/cnss/tariff",
        "/cnss/tariff/categories",
        {
            "code": "TOUR_GUIDE",
            "label_fr": "Guides touristiques",
            "label_ar": "المرشدون السياحيون",
            "document_label": "",
            "document_pattern": "",
            "collected_at_counter": "1",
        },
    )
    assert added.status_code == 303, added.text
    bracket = office.form_post(
        "/cnss/tariff",
        "/cnss/tariff/brackets",
        {"category": "TOUR_GUIDE", "code": "LICENSED", "label": "Guide agréé"},
    )
    assert bracket.status_code == 303
    french = office.get("/cnss/tariff")
    assert "Guides touristiques" in french.text
    assert "Guide agréé" in french.text
    arabic = office.get("/cnss/tariff?lang=ar")
    assert '<html lang="ar" dir="rtl">' in arabic.text
    assert "المرشدون السياحيون" in arabic.text
    again = office.form_post(
        "/cnss/tariff",
        "/cnss/tariff/brackets",
        {"category": "TOUR_GUIDE", "code": "LICENSED", "label": "Encore"},
    )
    assert again.status_code == 409


def test_a_surcharge_waiver_is_created_and_listed_and_a_reversed_window_refused(
    world: World,
) -> None:
    office = _admin(world)
    created = office.form_post(
        "/cnss/waivers",
        "/cnss/waivers",
        {
            "starts_on": "2026-01-01",
            "ends_on": "2026-03-31",
            "categories": ["FARMER", "ARTISAN"],
            "reason": "Campagne de régularisation 2026",
        },
    )
    assert created.status_code == 303
    page = office.get("/cnss/waivers")
    assert "Campagne de régularisation 2026" in page.text
    assert "01/01/2026" in page.text
    reversed_window = office.form_post(
        "/cnss/waivers",
        "/cnss/waivers",
        {"starts_on": "2026-05-01", "ends_on": "2026-04-01", "reason": "Mauvaise fenêtre"},
    )
    assert reversed_window.status_code == 422
    assert "Champ en cause : Au (inclus)" in reversed_window.text
    assert len(world.services.amnesties.list(SYSTEM_ACTOR)) == 1


def test_the_cnss_admin_reads_offices_terminals_and_users_of_every_network(
    world: World,
) -> None:
    office = _admin(world)
    offices = office.get("/cnss/offices")
    assert all(code in offices.text for code in ("CA-01", "CA-02", "WA-01", "WA-02"))
    only = office.get("/cnss/offices?network=WAFACASH")
    assert "WA-01" in only.text
    assert "CA-01" not in only.text
    terminals = office.get("/cnss/terminals?status=pending")
    assert "WA-02" in terminals.text
    users = office.get("/cnss/users?role=operator")
    assert "op.ca-01" in users.text
    assert "cnss.finance" not in users.text
    bad = office.get("/cnss/users?role=king")
    assert bad.status_code == 422
    assert "Champ en cause : Rôle" in bad.text
    assert "op.ca-01" not in bad.text


def test_an_auditor_reads_the_cnss_pages_but_finds_no_form_that_writes(world: World) -> None:
    office = BackOffice(world)
    office.sign_in("cnss.auditor")
    for path in ("/cnss/networks", "/cnss/tariff", "/cnss/waivers", "/cnss/offices"):
        page = office.get(path)
        assert page.status_code == 200, path
        assert page.text.count('method="post"') == 1, path  # sign-out only
    refused = office.form_post("/cnss/networks", "/cnss/networks", NEW_NETWORK)
    assert refused.status_code == 403
    assert _network_count(world) == 2


def test_a_network_admin_cannot_open_the_cnss_pages(world: World) -> None:
    office = BackOffice(world)
    office.sign_in("admin.cashplus")
    assert office.get("/cnss/networks").status_code == 403
    assert office.get("/cnss/tariff").status_code == 403
