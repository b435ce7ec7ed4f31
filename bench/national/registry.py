"""The registry: networks, offices across the cities, their terminals with keys and the staff,
laid out in Python and written row by row; and ``terminal_key``, which rebuilds a seeded
terminal's private key."""

# Every statement here is put together from this package's constants and computed integers,
# never from input: S608 (SQL built from strings) does not apply.
# ruff: noqa: S608
from __future__ import annotations

import hashlib
import os
import random
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent_api.protocol.encoding import b64url_encode
from agent_api.protocol.keys import keyid, public_key_raw
from agent_api.services.registry.demo import demo_rib

from .country import CITIES, FIRST_NAMES, LAST_NAMES, NETWORKS
from .plan import TWO_TERMINAL_SHARE, Plan, largest_remainder
from .session import Session


def terminal_key(key_secret: bytes, terminal_id: int) -> Ed25519PrivateKey:
    """The private key of seeded terminal ``terminal_id`` when the seed was given
    ``key_secret``: whoever holds the secret can sign as any seeded terminal."""
    seed = hashlib.sha256(key_secret + b"/terminal/" + str(terminal_id).encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def lay_out_registry(
    plan: Plan, offices: int, *, password_hash: str, key_secret: bytes | None
) -> None:
    """Networks, offices (per network by share, cities by weight), their terminals and keys,
    their staff, and a network administrator per network: all created before the tariff."""
    rng = random.Random(2026)  # noqa: S311  (a reproducible layout, not secrets)
    created = datetime.combine(plan.month0 - timedelta(days=31), datetime.min.time(), tzinfo=UTC)
    for n, (code, name, _share, fixed, bps, bank, _prefix) in enumerate(NETWORKS, start=1):
        rib = demo_rib(bank, 7000 + n)
        plan.networks.append((n, code, name, fixed, bps, rib, "active", created))
    per_network = largest_remainder(offices, [n[2] for n in NETWORKS])
    office_network = [n for n, count in enumerate(per_network, start=1) for _ in range(count)]
    city_deck = [c for c in CITIES for _ in range(c[3])]
    serials: dict[tuple[str, str], int] = {}

    def user(username: str, role: str, office: int | None, network: int | None) -> int:
        user_id = len(plan.users) + 1
        last, _ = LAST_NAMES[user_id % len(LAST_NAMES)]
        first, _, _ = FIRST_NAMES[user_id % len(FIRST_NAMES)]
        plan.users.append(
            (user_id, username, f"{first} {last}", role, office, network, password_hash,
             "active", 0, None, created)
        )  # fmt: skip
        return user_id

    for office_id, network_id in enumerate(office_network, start=1):
        code, name, *_, prefix = NETWORKS[network_id - 1]
        city, region, city_code, _ = rng.choice(city_deck)
        serial = serials[(prefix, city_code)] = serials.get((prefix, city_code), 0) + 1
        office_code = f"{prefix}-{city_code}-{serial:04d}"
        plan.offices.append(
            (office_id, office_code, network_id, f"{name} {city} {serial}", city, region,
             "active", created)
        )  # fmt: skip
        operator = f"op.{office_code.lower()}"
        operator_id = user(operator, "operator", office_id, None)
        user(f"sup.{office_code.lower()}", "supervisor", office_id, None)
        for label in range(1, 3 if rng.random() < TWO_TERMINAL_SHARE else 2):
            terminal_id = plan.terminal_count + 1
            activated = created + timedelta(days=1, minutes=terminal_id % 600)
            plan.terminals.append(
                (terminal_id, office_id, f"Guichet {label}", "active", None, None, 0, created,
                 activated, 0, None)
            )  # fmt: skip
            public = (
                os.urandom(32)
                if key_secret is None
                else public_key_raw(terminal_key(key_secret, terminal_id))
            )
            kid = keyid(public)
            plan.keys.append(
                (terminal_id, terminal_id, kid, b64url_encode(public), "active", activated, None)
            )
            plan.lookup_terminals.append(
                [terminal_id - 1, terminal_id, office_id, network_id, code, office_code, city,
                 operator_id, operator, kid, 0]
            )  # fmt: skip
    for n, (code, *_) in enumerate(NETWORKS, start=1):
        user(f"admin.{code.lower()}", "network_admin", None, n)


def write_registry(session: Session, plan: Plan) -> None:
    """The planned networks, offices, terminals, keys and users, in the session's transaction."""
    tables = (
        ("networks", "id, code, name, commission_fixed_centimes, commission_bps, "
         "settlement_account, status, created_at", plan.networks),
        ("offices", "id, code, network_id, name, city, region, status, created_at", plan.offices),
        ("terminals", "id, office_id, label, status, activation_secret_hash, "
         "activation_expires_at, activation_attempts, created_at, activated_at, "
         "login_failures, login_window_started_at", plan.terminals),
        ("terminal_keys", "id, terminal_id, keyid, public_key, status, created_at, retired_at",
         plan.keys),
        ("users", "id, username, full_name, role, office_id, network_id, password_hash, status, "
         "failed_logins, locked_until, created_at", plan.users),
    )  # fmt: skip
    for table, columns, rows in tables:
        marks = ", ".join("?" * len(rows[0]))
        session.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
