"""The demo registry: three networks, 24 offices in twelve cities, a pending terminal per
office, counter staff, network admins and the national back-office roles.

Commission rules and bank accounts are invented examples (valid RIB keys, not real
accounts). Passwords are random per run and returned once, with the activation codes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from agent_api.domain.permissions import SYSTEM_ACTOR
from agent_api.domain.registry import rib_key
from agent_api.domain.roles import Role
from agent_api.errors import Conflict
from agent_api.services.registry.registry import RegistryService
from agent_api.services.registry.terminals import TerminalAdminService
from agent_api.services.registry.users import UserService

# (code, name, fixed commission in centimes, basis points, bank code, office prefix)
NETWORKS = [
    ("CASHPLUS", "Cash Plus", 300, 50, "022", "CP"),
    ("WAFACASH", "Wafacash", 0, 100, "007", "WC"),
    ("BARIDCASH", "Barid Cash", 400, 0, "350", "BC"),
]
# (city, region, city code used in office codes)
CITIES = [
    ("Casablanca", "Casablanca-Settat", "CASA"),
    ("Rabat", "Rabat-Salé-Kénitra", "RABAT"),
    ("Marrakech", "Marrakech-Safi", "MRK"),
    ("Fès", "Fès-Meknès", "FES"),
    ("Tanger", "Tanger-Tétouan-Al Hoceïma", "TNG"),
    ("Agadir", "Souss-Massa", "AGA"),
    ("Oujda", "Oriental", "OUJ"),
    ("Meknès", "Fès-Meknès", "MKN"),
    ("Laâyoune", "Laâyoune-Sakia El Hamra", "LAA"),
    ("Béni Mellal", "Béni Mellal-Khénifra", "BML"),
    ("Essaouira", "Marrakech-Safi", "ESS"),
    ("Nador", "Oriental", "NAD"),
]
OFFICES_PER_NETWORK = 8


def demo_rib(bank: str, serial: int) -> str:
    first = f"{bank}780{serial:016d}"
    return f"{first}{rib_key(first):02d}"


@dataclass
class DemoRegistry:
    networks: list[dict[str, Any]] = field(default_factory=list)
    offices: list[dict[str, Any]] = field(default_factory=list)
    terminals: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "networks": self.networks,
            "offices": self.offices,
            "terminals": self.terminals,
            "users": self.users,
        }


def seed_demo(
    registry: RegistryService, terminals: TerminalAdminService, users: UserService
) -> DemoRegistry:
    out = DemoRegistry()
    actor = SYSTEM_ACTOR
    if registry.list_networks(actor, limit=1, offset=0):
        raise Conflict(
            "the registry already has networks; seed the demo into an empty database",
            code="registry_not_empty",
        )

    def add_user(username: str, full_name: str, role: Role, **scope: str) -> None:
        password = secrets.token_urlsafe(12)
        users.create(
            actor,
            username=username,
            full_name=full_name,
            role=role,
            password=password,
            office=scope.get("office"),
            network=scope.get("network"),
        )
        out.users.append({"username": username, "password": password, "role": role.value, **scope})

    add_user("cnss.admin", "Administrateur CNSS", Role.CNSS_ADMIN)
    add_user("cnss.finance", "Finance CNSS", Role.FINANCE)
    add_user("cnss.auditor", "Auditeur CNSS", Role.AUDITOR)

    for n, (code, name, fixed, bps, bank, prefix) in enumerate(NETWORKS):
        registry.create_network(
            actor,
            code=code,
            name=name,
            commission_fixed_centimes=fixed,
            commission_bps=bps,
            settlement_account=demo_rib(bank, 1000 + n),
        )
        out.networks.append({"code": code, "name": name})
        add_user(
            f"admin.{code.lower()}", f"Administrateur {name}", Role.NETWORK_ADMIN, network=code
        )
        for i in range(OFFICES_PER_NETWORK):
            city, region, city_code = CITIES[(n * 4 + i) % len(CITIES)]
            office = f"{prefix}-{city_code}-{i + 1:02d}"
            registry.create_office(
                actor,
                code=office,
                network=code,
                name=f"{name} {city} {i + 1}",
                city=city,
                region=region,
            )
            out.offices.append({"code": office, "network": code})
            created = terminals.create(actor, office=office, label="Guichet 1")
            out.terminals.append(
                {
                    "id": created.terminal.id,
                    "office": office,
                    "activation_code": created.activation_code,
                }
            )
            slug = office.lower()
            add_user(f"op.{slug}", f"Opérateur {office}", Role.OPERATOR, office=office)
            add_user(f"sup.{slug}", f"Superviseur {office}", Role.SUPERVISOR, office=office)
    return out
