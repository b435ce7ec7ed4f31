"""One-time terminal activation codes.

A code reads ``<terminal id>-XXXX-XXXX-XXXX``: the id says which terminal the code is for (so
failed attempts can be counted against it), the 12 characters of Crockford base32 are 60 bits
of secret. Only the SHA-256 of the secret is stored; with a few attempts allowed per terminal
and an expiry, 60 bits cannot be guessed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

# Crockford's alphabet: no I, L, O, U, so a code read aloud or copied by hand survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE = re.compile(r"^([1-9][0-9]{0,11})-([0-9A-Z]{4})-([0-9A-Z]{4})-([0-9A-Z]{4})$")


def new_code(terminal_id: int) -> tuple[str, str]:
    """A fresh code for the terminal and the hash to store."""
    secret = "".join(secrets.choice(ALPHABET) for _ in range(12))
    code = f"{terminal_id}-{secret[:4]}-{secret[4:8]}-{secret[8:]}"
    return code, hash_secret(secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_code(code: str) -> tuple[int, str] | None:
    """(terminal id, secret) of a well-formed code, else None. Case and spaces are forgiven."""
    match = CODE.match(code.strip().upper().replace(" ", ""))
    if match is None:
        return None
    return int(match.group(1)), "".join(match.groups()[1:])


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
