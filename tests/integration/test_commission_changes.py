"""A network's commission rule changed by the CNSS admin from a future business date: the
settlement of each day uses the rule in force that day and its statement says which; a day
already begun never changes; announcing the same day again replaces what was announced; each
change is one audit leaf; the JSON API and the back office reach it with the same roles."""

from __future__ import annotations

import html
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from httpx2 import Response
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from agent_api.clock import CASABLANCA
from agent_api.domain.commission import CommissionRule, DatedRule, first_changeable_day, rule_on
from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.errors import Conflict, ValidationFailed
from agent_api.persistence.tables import AuditLeaf
from agent_api.persistence.tables.registry import CommissionChange
from agent_api.settings import Settings
from qurb.asgi import build
from reconciliation.container import Reconciliation
from tests.conftest import FakeClock
from tests.integration import test_backoffice_fuzz as fuzz
from tests.integration.conftest import PASSWORD, World
from tests.support.backoffice import BackOffice
from tests.support.reconciliation import close_and_settle, enroll, pay, today
from tests.support.terminal import TestTerminal

R = "/v1/admin/networks/{}/commission-rules"


@pytest.fixture
def recon(world: World) -> Reconciliation:
    services = world.services
    return Reconciliation.build(services.settings, services.engine, services.clock)


def _announce(
    world: World, network: str, day: date, fixed: int, bps: int, who: str = "cnss.admin"
) -> Response:
    return world.client.post(
        R.format(network),
        json={"effective_from": day.isoformat(), "fixed_centimes": fixed, "basis_points": bps},
        headers=world.auth(who),
    )


def _leaves(world: World, kind: str) -> list[dict[str, object]]:
    with Session(world.services.engine) as session:
        rows = session.exec(
            select(AuditLeaf).where(AuditLeaf.kind == kind).order_by(col(AuditLeaf.leaf_index))
        ).all()
        return [json.loads(r.data) for r in rows]


# -- the domain ---------------------------------------------------------------------------


def test_the_rule_of_a_day_is_the_last_one_started_on_or_before_it() -> None:
    initial = CommissionRule(200, 30)
    march = DatedRule(CommissionRule(100, 0), date(2026, 3, 1))
    may = DatedRule(CommissionRule(0, 50), date(2026, 5, 1))
    assert rule_on(date(2026, 2, 28), initial, [may, march]) == DatedRule(initial, None)
    assert rule_on(date(2026, 3, 1), initial, [may, march]) == march
    assert rule_on(date(2026, 4, 30), initial, [may, march]) == march
    assert rule_on(date(2026, 5, 1), initial, [may, march]) == may


def test_past_the_cutoff_tomorrow_has_begun_and_cannot_change() -> None:
    # 21:30 in Casablanca (UTC+1 in December) with a 20:00 cutoff: collections now join the
    # 7th, so the 8th is the first day a new rule may start.
    evening = datetime(2026, 12, 6, 20, 30, tzinfo=UTC)
    assert first_changeable_day(evening) == date(2026, 12, 7)
    assert first_changeable_day(evening, time(20, 0)) == date(2026, 12, 8)


# -- the service and the settlement ---------------------------------------------------------


def test_a_new_rule_applies_from_its_day_and_the_statement_names_it(
    world: World, terminal: TestTerminal, clock: FakeClock, recon: Reconciliation
) -> None:
    day = today(clock)
    announced = _announce(world, "CASHPLUS", day + timedelta(days=1), 100, 50)
    assert announced.status_code == 201, announced.text
    assert announced.json()["replaced"] is False

    pay(terminal, enroll(terminal), 10_000, "CA-01")
    first = close_and_settle(recon, day)["CASHPLUS"]
    # Today keeps the rule the network was created with: 200 + (10000 × 30 + 5000) // 10000.
    assert first.commission_centimes == 200 + 30
    assert first.statement["commission_rule"]["fixed_centimes"] == 200
    assert first.statement["commission_rule"]["effective_from"] is None

    clock.advance(days=1)
    terminal.login("op.ca-01", PASSWORD)
    pay(terminal, enroll(terminal), 10_000, "CA-01")
    second = close_and_settle(recon, day + timedelta(days=1))["CASHPLUS"]
    # Tomorrow, the new rule: 100 + (10000 × 50 + 5000) // 10000 = 100 + 50.
    assert second.commission_centimes == 150
    rule = second.statement["commission_rule"]
    assert (rule["fixed_centimes"], rule["basis_points"]) == (100, 50)
    assert rule["effective_from"] == (day + timedelta(days=1)).isoformat()
    # The other network never changed.
    assert close_and_settle(recon, day + timedelta(days=1))["WAFACASH"].commission_centimes == 0
    # What was settled the first day stays as it was.
    again = recon.settler.settle(day, networks=["CASHPLUS"], by="test")[0]
    assert again.commission_centimes == 230


def test_today_or_an_earlier_day_is_refused_naming_the_field_and_nothing_is_written(
    world: World, clock: FakeClock
) -> None:
    leaves_before = len(_leaves(world, "commission_change"))
    for day in (today(clock), today(clock) - timedelta(days=3)):
        refused = _announce(world, "CASHPLUS", day, 100, 50)
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["field"] == "effective_from"
        assert (today(clock) + timedelta(days=1)).isoformat() in error["message"]
    rules = world.client.get(R.format("CASHPLUS"), headers=world.auth("cnss.admin")).json()
    assert rules["scheduled"] == []
    assert len(_leaves(world, "commission_change")) == leaves_before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fixed_centimes": -1, "basis_points": 10}, "fixed_centimes"),
        ({"fixed_centimes": 1, "basis_points": 10_001}, "basis_points"),
        ({"fixed_centimes": 1, "basis_points": -1}, "basis_points"),
        ({"fixed_centimes": 1.5, "basis_points": 10}, "fixed_centimes"),
        ({"fixed_centimes": "100", "basis_points": 10}, "fixed_centimes"),
        ({"fixed_centimes": 1, "basis_points": 10, "effective_from": "2027-02-30"}, None),
    ],
)
def test_an_impossible_rule_is_refused_naming_its_field(
    world: World, clock: FakeClock, body: dict[str, object], field: str | None
) -> None:
    sent = {"effective_from": (today(clock) + timedelta(days=5)).isoformat(), **body}
    refused = world.client.post(R.format("CASHPLUS"), json=sent, headers=world.auth("cnss.admin"))
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == (field or "effective_from")


def test_the_service_refuses_what_the_api_would_whatever_the_caller(
    world: World, clock: FakeClock
) -> None:
    registry = world.services.registry
    later = today(clock) + timedelta(days=2)
    for fixed, bps, field in ((-5, 0, "fixed_centimes"), (0, 10_001, "basis_points")):
        with pytest.raises(ValidationFailed) as refused:
            registry.announce_commission(
                SYSTEM_ACTOR,
                "CASHPLUS",
                effective_from=later,
                fixed_centimes=fixed,
                basis_points=bps,
            )
        assert refused.value.field == field


def test_announcing_the_same_future_day_again_replaces_it_with_a_leaf_each(
    world: World, clock: FakeClock
) -> None:
    day = today(clock) + timedelta(days=10)
    assert _announce(world, "CASHPLUS", day, 100, 50).json()["replaced"] is False
    second = _announce(world, "CASHPLUS", day, 150, 40)
    assert second.status_code == 201, second.text
    assert second.json()["replaced"] is True
    rules = world.client.get(R.format("CASHPLUS"), headers=world.auth("cnss.admin")).json()
    assert [
        (r["effective_from"], r["fixed_centimes"], r["basis_points"]) for r in rules["scheduled"]
    ] == [(day.isoformat(), 150, 40)]
    with Session(world.services.engine) as session:
        assert len(session.exec(select(CommissionChange)).all()) == 1
    leaves = _leaves(world, "commission_change")
    assert [(f["fixed_centimes"], f["replaced"]) for f in leaves] == [(100, False), (150, True)]
    facts = {k: v for k, v in leaves[-1].items() if k not in ("v", "entry", "kind", "at", "log_by")}
    assert facts == {
        "actor": {"username": "cnss.admin", "role": "cnss_admin"},
        "network": "CASHPLUS",
        "effective_from": day.isoformat(),
        "fixed_centimes": 150,
        "basis_points": 40,
        "replaced": True,
    }


def test_concurrent_announcements_for_one_day_leave_one_rule_the_last_committed(
    world: World, clock: FakeClock
) -> None:
    day = today(clock) + timedelta(days=4)
    start = threading.Barrier(4)

    def announce(fixed: int) -> bool:
        start.wait()
        return world.services.registry.announce_commission(
            SYSTEM_ACTOR, "CASHPLUS", effective_from=day, fixed_centimes=fixed, basis_points=5
        ).replaced

    with ThreadPoolExecutor(4) as pool:
        replaced = list(pool.map(announce, (100, 200, 300, 400)))
    # Each was accepted and left its leaf; one inserted the row, the others replaced it.
    assert sorted(replaced) == [False, True, True, True]
    leaves = _leaves(world, "commission_change")
    assert len(leaves) == 4
    with Session(world.services.engine) as session:
        [row] = session.exec(select(CommissionChange)).all()
    # The rule is the one whose leaf is last: the log's order is the commit order.
    assert row.fixed_centimes == leaves[-1]["fixed_centimes"]


def test_the_rules_show_current_scheduled_and_history_as_days_pass(
    world: World, clock: FakeClock
) -> None:
    start = today(clock)
    _announce(world, "CASHPLUS", start + timedelta(days=1), 100, 0)
    _announce(world, "CASHPLUS", start + timedelta(days=3), 0, 80)
    read = world.client.get(R.format("CASHPLUS"), headers=world.auth("cnss.finance")).json()
    assert (read["current"]["fixed_centimes"], read["current"]["effective_from"]) == (200, None)
    assert [r["effective_from"] for r in read["scheduled"]] == [
        (start + timedelta(days=1)).isoformat(),
        (start + timedelta(days=3)).isoformat(),
    ]
    assert read["first_changeable_day"] == (start + timedelta(days=1)).isoformat()

    clock.advance(days=2)
    read = world.client.get(R.format("CASHPLUS"), headers=world.auth("cnss.auditor")).json()
    assert read["current"]["fixed_centimes"] == 100
    assert read["current"]["until"] == (start + timedelta(days=2)).isoformat()
    assert [(r["fixed_centimes"], r["until"]) for r in read["history"]] == [
        (100, (start + timedelta(days=2)).isoformat()),
        (200, start.isoformat()),
    ]
    assert [r["basis_points"] for r in read["scheduled"]] == [80]
    # The network itself reads with the rule in force today.
    fresh = {"Authorization": f"Bearer {world.sign_in('cnss.admin')}"}  # two days later
    network = world.client.get("/v1/admin/networks/CASHPLUS", headers=fresh)
    assert (network.json()["commission_fixed_centimes"], network.json()["commission_bps"]) == (
        100,
        0,
    )


def test_a_day_closed_ahead_keeps_its_rule(
    world: World, clock: FakeClock, recon: Reconciliation
) -> None:
    ahead = today(clock) + timedelta(days=2)
    recon.closer.close(ahead, by="test")
    with pytest.raises(Conflict) as refused:
        world.services.registry.announce_commission(
            SYSTEM_ACTOR, "CASHPLUS", effective_from=ahead, fixed_centimes=0, basis_points=0
        )
    assert refused.value.field == "effective_from"
    assert refused.value.code == "day_already_closed"


def test_past_the_services_cutoff_tomorrow_is_refused_through_the_api(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """The service reads the cutoff the deployment is configured with (QURB_BUSINESS_DAY_
    CUTOFF): at 23:30 in Casablanca, past a 22:00 cutoff, collections already join tomorrow."""
    local = datetime.combine(today(clock), time(23, 30))
    clock.now = local.replace(tzinfo=CASABLANCA).astimezone(UTC)
    tomorrow = today(clock) + timedelta(days=1)
    late = replace(settings, business_day_cutoff=time(22, 0))
    with TestClient(build(late, clock=clock), raise_server_exceptions=False) as client:
        token = client.post(
            "/v1/admin/sessions", json={"username": "cnss.admin", "password": PASSWORD}
        ).json()["token"]
        admin = {"Authorization": f"Bearer {token}"}

        def announce(day: date) -> Response:
            body = {"effective_from": day.isoformat(), "fixed_centimes": 0, "basis_points": 0}
            return client.post(R.format("CASHPLUS"), json=body, headers=admin)

        refused = announce(tomorrow)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["field"] == "effective_from"
        assert (tomorrow + timedelta(days=1)).isoformat() in refused.json()["error"]["message"]
        assert announce(tomorrow + timedelta(days=1)).status_code == 201
    # Without a cutoff, the same instant still allows tomorrow.
    assert _announce(world, "CASHPLUS", tomorrow, 0, 0).status_code == 201


# -- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["cnss.finance", "cnss.auditor", "admin.cashplus"])
def test_only_the_cnss_admin_changes_a_rule(world: World, clock: FakeClock, who: str) -> None:
    refused = _announce(world, "CASHPLUS", today(clock) + timedelta(days=2), 0, 0, who=who)
    assert refused.status_code == 403
    assert _leaves(world, "commission_change") == []


def test_a_network_admin_reads_its_own_rules_and_not_another_networks(world: World) -> None:
    own = world.client.get(R.format("CASHPLUS"), headers=world.auth("admin.cashplus"))
    assert own.status_code == 200
    assert own.json()["network"] == "CASHPLUS"
    other = world.client.get(R.format("WAFACASH"), headers=world.auth("admin.cashplus"))
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "not_found"


# -- the back office ----------------------------------------------------------------------


def _office(world: World, username: str = "cnss.admin") -> BackOffice:
    office = BackOffice(world)
    assert office.sign_in(username).status_code == 303
    return office


def _dmy(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def test_the_admin_announces_a_rule_on_the_network_page_and_sees_it_scheduled(
    world: World, clock: FakeClock
) -> None:
    office = _office(world)
    page = office.get("/cnss/networks/CASHPLUS")
    assert page.status_code == 200
    tomorrow = today(clock) + timedelta(days=1)
    # The form proposes the first day a new rule may start.
    assert f'name="effective_from" type="text" value="{tomorrow.isoformat()}"' in page.text
    assert "Aucune règle annoncée." in page.text
    day = today(clock) + timedelta(days=7)
    form = {"effective_from": day.isoformat(), "fixed_centimes": "1,50", "basis_points": "45"}
    done = office.form_post("/cnss/networks/CASHPLUS", "/cnss/networks/CASHPLUS/commission", form)
    assert done.status_code == 303
    assert done.headers["location"] == (
        "/back-office/cnss/networks/CASHPLUS?done=commission_announced#scheduled"
    )
    shown = html.unescape(office.get("/cnss/networks/CASHPLUS?done=commission_announced").text)
    assert "Règle de commission annoncée" in shown
    scheduled = shown.split('id="scheduled"', 1)[1].split('id="announce"', 1)[0]
    assert _dmy(day) in scheduled
    assert "150 + (<bdi>montant</bdi> × 45 + 5000) // 10000" in scheduled
    assert "cnss.admin" in scheduled
    # In force today: still the rule the network was created with.
    current = shown.split('id="current"', 1)[1].split('id="scheduled"', 1)[0]
    assert "200 + (<bdi>montant</bdi> × 30 + 5000) // 10000" in current
    assert "Depuis la création du réseau" in current
    rules = world.services.registry.commission_rules(SYSTEM_ACTOR, "CASHPLUS")
    assert [(r.effective_from, r.fixed_centimes, r.basis_points) for r in rules.scheduled] == [
        (day, 150, 45)
    ]
    again = {**form, "fixed_centimes": "1,00"}
    replaced = office.form_post(
        "/cnss/networks/CASHPLUS", "/cnss/networks/CASHPLUS/commission", again
    )
    assert "done=commission_replaced" in replaced.headers["location"]


def test_a_rule_from_today_is_refused_on_the_page_naming_the_day_and_nothing_is_written(
    world: World, clock: FakeClock
) -> None:
    office = _office(world)
    form = {"effective_from": today(clock).isoformat(), "fixed_centimes": "1", "basis_points": "5"}
    refused = office.form_post(
        "/cnss/networks/CASHPLUS", "/cnss/networks/CASHPLUS/commission", form
    )
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert "Champ en cause : Premier jour d'application" in text
    assert "Rien n'a été enregistré" in text
    assert f'value="{today(clock).isoformat()}" required dir="ltr" aria-invalid="true"' in text
    assert world.services.registry.commission_rules(SYSTEM_ACTOR, "CASHPLUS").scheduled == []
    assert _leaves(world, "commission_change") == []


def test_a_commission_out_of_bounds_is_refused_on_the_page_naming_the_field(
    world: World, clock: FakeClock
) -> None:
    later = (today(clock) + timedelta(days=3)).isoformat()
    refused = _office(world).form_post(
        "/cnss/networks/CASHPLUS",
        "/cnss/networks/CASHPLUS/commission",
        {"effective_from": later, "fixed_centimes": "1", "basis_points": "10001"},
    )
    assert refused.status_code == 422
    assert "Champ en cause : Commission proportionnelle (points de base)" in refused.text


def test_the_page_shows_history_once_a_rule_has_come_into_force(
    world: World, clock: FakeClock
) -> None:
    start = today(clock)
    _announce(world, "CASHPLUS", start + timedelta(days=1), 100, 0)
    clock.advance(days=1)
    page = html.unescape(_office(world, "cnss.auditor").get("/cnss/networks/CASHPLUS").text)
    current = page.split('id="current"', 1)[1].split('id="scheduled"', 1)[0]
    assert "100 + (<bdi>montant</bdi> × 0 + 5000) // 10000" in current
    history = page.split('id="history"', 1)[1]
    assert history.index(_dmy(start + timedelta(days=1))) < history.index(_dmy(start))
    assert "200 + (<bdi>montant</bdi> × 30 + 5000) // 10000" in history
    # A reader sees no form that writes.
    assert "/commission" not in page.split('id="current"', 1)[1]


def test_the_network_page_reads_in_arabic(world: World) -> None:
    page = _office(world, "cnss.finance").get("/cnss/networks/WAFACASH?lang=ar")
    assert page.status_code == 200
    assert 'dir="rtl"' in page.text
    assert "الشبكة WAFACASH: العمولة" in page.text
    assert "سجل القواعد" in page.text


def test_the_networks_list_links_each_network_to_its_rules(world: World) -> None:
    listed = _office(world).get("/cnss/networks")
    assert 'href="/back-office/cnss/networks/CASHPLUS"' in listed.text


def test_an_unknown_network_page_is_not_found(world: World) -> None:
    assert _office(world).get("/cnss/networks/NOSUCH").status_code == 404


def test_hostile_values_in_the_commission_form_never_break_the_page(
    world: World, clock: FakeClock
) -> None:
    """The page fuzz opens the network page as finance (who has no form): here the CNSS
    admin's form gets every payload in each field, the others filled as the page fills them."""
    office = _office(world)
    page = office.get("/cnss/networks/CASHPLUS")
    [form] = [f for f in fuzz.parse(page.text).forms if f.action.endswith("/commission")]
    filled = {**form.fields, "fixed_centimes": "1", "basis_points": "5"}
    tally = fuzz.Tally()
    for payload in fuzz.PAYLOADS:
        for name in ("effective_from", "fixed_centimes", "basis_points"):
            answer = fuzz._post(office, form, {**filled, name: payload}, b"")
            tally.check(f"{name}={payload!r:.40}", "commission", answer, payload)
            assert answer.status_code in {409, 422}, (name, payload, answer.status_code)
    assert tally.failures == []
    assert world.services.registry.commission_rules(SYSTEM_ACTOR, "CASHPLUS").scheduled == []
