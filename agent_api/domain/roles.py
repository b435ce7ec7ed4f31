"""Who may act, and over what: the six roles and the scope each one carries.

Operators and supervisors belong to one office; a network admin to one network; finance,
auditors and CNSS admins are national. ``Actor`` is the authenticated caller a service checks
every read and write against.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Role(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    NETWORK_ADMIN = "network_admin"
    FINANCE = "finance"
    AUDITOR = "auditor"
    CNSS_ADMIN = "cnss_admin"


Scope = Literal["office", "network", "national"]

OFFICE_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR})
NETWORK_ROLES = frozenset({Role.NETWORK_ADMIN})
NATIONAL_ROLES = frozenset({Role.FINANCE, Role.AUDITOR, Role.CNSS_ADMIN})
# Back-office users log in with a password alone; counter staff only through a signed terminal.
BACK_OFFICE_ROLES = NETWORK_ROLES | NATIONAL_ROLES

# Which roles a network admin may create: the staff of its own offices, nothing wider.
CREATABLE_BY_NETWORK_ADMIN = OFFICE_ROLES


def scope_of(role: Role) -> Scope:
    if role in OFFICE_ROLES:
        return "office"
    if role in NETWORK_ROLES:
        return "network"
    return "national"


@dataclass(frozen=True)
class Actor:
    """The authenticated caller. ``network_id`` is set for office and network scopes."""

    user_id: int
    username: str
    role: Role
    network_id: int | None = None
    office_id: int | None = None
    session_id: str | None = None

    @property
    def scope(self) -> Scope:
        return scope_of(self.role)

    def sees_network(self, network_id: int) -> bool:
        return self.scope == "national" or self.network_id == network_id

    def sees_office(self, office_id: int, office_network_id: int) -> bool:
        if self.scope == "office":
            return self.office_id == office_id
        return self.sees_network(office_network_id)
