"""Integration fixtures: the real app over HTTP (Starlette's test client) on a real database,
with a small registry of two networks to test scope against."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.domain.roles import Role
from agent_api.observability import JsonFormatter
from agent_api.services.container import Services
from agent_api.services.registry.demo import demo_rib
from agent_api.settings import Settings
from qurb.asgi import build
from tests.conftest import FakeClock
from tests.support.privacy import cins_in, personal_data_in_database
from tests.support.terminal import TestTerminal

PASSWORD = "correct horse battery"


@dataclass
class World:
    """Two networks (CASHPLUS, WAFACASH), two offices each, a user of every role."""

    client: TestClient
    services: Services
    tokens: dict[str, str] = field(default_factory=dict)
    terminal_ids: dict[str, int] = field(default_factory=dict)
    activation_codes: dict[str, str] = field(default_factory=dict)

    def sign_in(self, username: str, password: str = PASSWORD) -> str:
        response = self.client.post(
            "/v1/admin/sessions", json={"username": username, "password": password}
        )
        assert response.status_code == 201, response.text
        token: str = response.json()["token"]
        self.tokens[username] = token
        return token

    def auth(self, username: str) -> dict[str, str]:
        token = self.tokens.get(username) or self.sign_in(username)
        return {"Authorization": f"Bearer {token}"}


BACK_OFFICE = {
    "cnss.admin": Role.CNSS_ADMIN,
    "cnss.finance": Role.FINANCE,
    "cnss.auditor": Role.AUDITOR,
}


def build_world(services: Services, client: TestClient) -> World:
    world = World(client=client, services=services)
    actor = SYSTEM_ACTOR
    for username, role in BACK_OFFICE.items():
        services.users.create(
            actor,
            username=username,
            full_name=username,
            role=role,
            password=PASSWORD,
            office=None,
            network=None,
        )
    for n, network in enumerate(("CASHPLUS", "WAFACASH")):
        services.registry.create_network(
            actor,
            code=network,
            name=network.title(),
            commission_fixed_centimes=200,
            commission_bps=30,
            settlement_account=demo_rib("022", n),
        )
        services.users.create(
            actor,
            username=f"admin.{network.lower()}",
            full_name="Admin",
            role=Role.NETWORK_ADMIN,
            password=PASSWORD,
            office=None,
            network=network,
        )
        for i in (1, 2):
            office = f"{network[:2]}-{i:02d}"
            services.registry.create_office(
                actor,
                code=office,
                network=network,
                name=f"Office {office}",
                city="Rabat" if i == 1 else "Fès",
                region="Region",
            )
            created = services.terminals.create(actor, office=office, label="Guichet 1")
            world.terminal_ids[office] = created.terminal.id
            world.activation_codes[office] = created.activation_code
            staff = [(Role.OPERATOR, "op"), (Role.SUPERVISOR, "sup")]
            if office == "CA-01":
                staff.append((Role.SUPERVISOR, "sup2"))  # a second pair of eyes
            for role, prefix in staff:
                services.users.create(
                    actor,
                    username=f"{prefix}.{office.lower()}",
                    full_name=prefix,
                    role=role,
                    password=PASSWORD,
                    office=office,
                    network=None,
                )
    return world


@pytest.fixture(autouse=True)
def no_clear_cin_escapes(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Law 09-08: after every integration test, no clear CIN in any log line (formatted as
    production formats it) nor in any text column of the database."""
    caplog.set_level(logging.DEBUG)
    engine = request.getfixturevalue("engine") if "database_url" in request.fixturenames else None
    yield
    formatter = JsonFormatter()
    leaked = [m for r in caplog.records for m in cins_in(formatter.format(r))]
    assert leaked == [], f"clear CIN in the logs: {leaked}"
    if engine is not None:
        stored = personal_data_in_database(engine)
        assert stored == [], f"clear CIN, phone or address stored in the database: {stored}"


@pytest.fixture
def app_client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    app = build(settings, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def services(app_client: TestClient) -> Services:
    found: Services = app_client.app.state.services  # type: ignore[attr-defined]
    return found


@pytest.fixture
def world(services: Services, app_client: TestClient) -> World:
    return build_world(services, app_client)


@pytest.fixture
def db(services: Services) -> Engine:
    return services.engine


@pytest.fixture
def terminal(world: World, clock: FakeClock) -> TestTerminal:
    """The activated terminal of office CA-01 (CASHPLUS), its operator signed in."""
    counter = TestTerminal(world.client, clock)
    assert counter.activate(world.activation_codes["CA-01"]).status_code == 201
    assert counter.login("op.ca-01", PASSWORD).status_code == 201
    return counter


def activated(world: World, clock: FakeClock, office: str) -> TestTerminal:
    counter = TestTerminal(world.client, clock)
    assert counter.activate(world.activation_codes[office]).status_code == 201
    return counter
