"""Which roles may do what in the back office. The HTTP layer declares these sets on each
endpoint (and publishes them in the OpenAPI document); the services enforce them again, with
the caller's scope, so the rule holds whatever the entry point."""

from __future__ import annotations

from agent_api.domain.roles import Actor, Role
from agent_api.errors import Forbidden

MANAGE_NETWORKS = frozenset({Role.CNSS_ADMIN})
MANAGE_OFFICES = frozenset({Role.CNSS_ADMIN, Role.NETWORK_ADMIN})
MANAGE_TERMINALS = frozenset({Role.CNSS_ADMIN, Role.NETWORK_ADMIN})
MANAGE_USERS = frozenset({Role.CNSS_ADMIN, Role.NETWORK_ADMIN})
READ_REGISTRY = frozenset({Role.CNSS_ADMIN, Role.NETWORK_ADMIN, Role.FINANCE, Role.AUDITOR})
MANAGE_TARIFF = frozenset({Role.CNSS_ADMIN})
READ_SECURITY_EVENTS = frozenset({Role.CNSS_ADMIN, Role.NETWORK_ADMIN, Role.AUDITOR})
COUNTER_STAFF = frozenset({Role.OPERATOR, Role.SUPERVISOR})
# The office's drawer closes, every counter's difference: its supervisor's to read.
SUPERVISE_OFFICE = frozenset({Role.SUPERVISOR})
BACK_OFFICE_SESSION = frozenset({Role.CNSS_ADMIN, Role.NETWORK_ADMIN, Role.FINANCE, Role.AUDITOR})

# The identity the operator's command line acts as: it already holds the database.
SYSTEM_ACTOR = Actor(user_id=0, username="qurb-api-cli", role=Role.CNSS_ADMIN)


def require(actor: Actor, allowed: frozenset[Role]) -> None:
    if actor.role not in allowed:
        raise Forbidden(f"the {actor.role.value} role may not do this")
