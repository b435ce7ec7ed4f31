"""Rules for the registry's identifiers: network and office codes, usernames, bank accounts.

Network codes appear in settlement references ``QURB-STL-<NETWORK>-<YYYYMMDD>``, which must
fit in the 35 characters of an ISO 20022 EndToEndId; 12 characters leaves room to spare.
"""

from __future__ import annotations

import re
from enum import StrEnum

NETWORK_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,11}$")
OFFICE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,19}$")
USERNAME = re.compile(r"^[a-z][a-z0-9._-]{2,39}$")
RIB = re.compile(r"^[0-9]{24}$")

MIN_PASSWORD_LENGTH = 10


class NetworkStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class OfficeStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class UserStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class TerminalStatus(StrEnum):
    PENDING = "pending"  # created, waiting for its key to be registered with the code
    ACTIVE = "active"
    SUSPENDED = "suspended"  # temporarily refused; can be reactivated
    REVOKED = "revoked"  # final: the terminal and its keys are refused forever


def rib_key(first_22_digits: str) -> int:
    """The 2-digit key of a Moroccan RIB (bank 3 + city 3 + account 16 + key 2).

    Like the French RIB it follows, the key makes the 24-digit number ≡ 0 (mod 97):
    key = 97 − (N × 100 mod 97), N being the first 22 digits read as one integer.
    """
    return 97 - (int(first_22_digits) * 100) % 97


def is_valid_rib(value: str) -> bool:
    return bool(RIB.match(value)) and rib_key(value[:22]) == int(value[22:])


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None. Length over composition rules (NIST 800-63B)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 256:
        return "must be at most 256 characters"
    if password.strip() != password:
        return "must not start or end with spaces"
    return None
