"""Personal data sealed at rest (law 09-08): phones, addresses, their history, and the
responses stored for replay.

One master key, ``QURB_CONTACT_ENCRYPTION_KEY`` (32 bytes, from the environment or a file,
never from the database), gives one AES-256-GCM key per purpose through HKDF-SHA256
(RFC 5869, info ``qurb/sealed/v1/<purpose>``):

- ``contact``: a worker's phone and address, a payer's phone, a liaison list's phone;
- ``history``: the old and new values of a worker's amendments;
- ``response``: the whole response body stored under a terminal's sequence number.

A key opens only what was sealed for its purpose (the purpose is also the associated data),
so a value copied from one kind of column to another does not open there.

A sealed value reads ``q1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>``, with a fresh
96-bit nonce each time: the key id names the master key that sealed it, so the key can
rotate. The new key seals, and the retired ones (``QURB_CONTACT_PREVIOUS_ENCRYPTION_KEYS``)
still open the rows they sealed.

``Sealed(purpose)`` is the column type: it seals on write and opens on read, so services and
repositories handle clear values and the database never does. The composition root installs
the process's ``Sealer`` once (``install``); a process serves one deployment, with one set of
keys. Nothing ever searches these columns: a value sealed twice never reads the same.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from agent_api.errors import ConfigurationError

Purpose = Literal["contact", "history", "response"]
PURPOSES: tuple[Purpose, ...] = ("contact", "history", "response")
VERSION = "q1"
_NONCE = 12


class NotSealed(ValueError):
    """Raised when a stored value is not a sealed value or does not open (tampered)."""


def key_id(key: bytes) -> str:
    """A short public name for a master key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:16]


def _derived(master: bytes, purpose: Purpose) -> AESGCM:
    info = f"qurb/sealed/v1/{purpose}".encode()
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master))


class Sealer:
    """Seals with the current master key; opens with it or any previous one."""

    def __init__(self, key: bytes, previous: Iterable[bytes] = ()) -> None:
        if len(key) != 32:
            raise ConfigurationError("the contact encryption key must be 32 bytes")
        self._current = key_id(key)
        self._masters = {key_id(k): k for k in previous}
        self._masters[self._current] = key
        self._aeads = {
            (kid, purpose): _derived(master, purpose)
            for kid, master in self._masters.items()
            for purpose in PURPOSES
        }

    @property
    def current_key_id(self) -> str:
        return self._current

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._masters)

    def also_opening(self, other: Sealer) -> Sealer:
        """This sealer, also able to open what ``other`` sealed."""
        retired = [k for kid, k in other._masters.items() if kid != self._current]
        return Sealer(self._masters[self._current], [*retired, *self._retired()])

    def _retired(self) -> list[bytes]:
        return [k for kid, k in self._masters.items() if kid != self._current]

    def seal(self, purpose: Purpose, text: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._aeads[(self._current, purpose)].encrypt(nonce, text.encode(), _aad(purpose))
        return f"{VERSION}:{self._current}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, purpose: Purpose, stored: str) -> str:
        version, _, rest = stored.partition(":")
        kid, _, payload = rest.partition(":")
        if version != VERSION or not payload:
            raise NotSealed(f"a {purpose} value is stored unsealed or malformed")
        aead = self._aeads.get((kid, purpose))
        if aead is None:
            raise ConfigurationError(
                f"no contact key with id {kid} is configured; "
                "add it to QURB_CONTACT_PREVIOUS_ENCRYPTION_KEYS"
            )
        try:
            raw = base64.b64decode(payload, validate=True)
            return aead.decrypt(raw[:_NONCE], raw[_NONCE:], _aad(purpose)).decode()
        except (InvalidTag, binascii.Error, ValueError):
            raise NotSealed(f"a sealed {purpose} value does not open (altered?)") from None


def is_sealed(stored: str) -> bool:
    """Whether a stored text has the sealed form (without opening it)."""
    return stored.startswith(f"{VERSION}:")


def _aad(purpose: Purpose) -> bytes:
    return f"qurb/sealed/v1/{purpose}".encode()


_installed: Sealer | None = None


def install(sealer: Sealer) -> None:
    """Make ``sealer`` the one the ``Sealed`` columns of this process use.

    Installed again (a second app built in the same process, as tests do), the new one seals
    and every key installed before still opens what it sealed.
    """
    global _installed  # noqa: PLW0603 - the process's keys, set by the composition root
    _installed = sealer if _installed is None else sealer.also_opening(_installed)


def installed() -> Sealer:
    if _installed is None:
        raise ConfigurationError(
            "personal data cannot be read or written: no contact encryption key is installed"
        )
    return _installed


class Sealed(TypeDecorator[str]):
    """A text column whose values are sealed at rest for ``purpose``; None stays None."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: Purpose) -> None:
        super().__init__()
        self.purpose: Purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return installed().seal(self.purpose, value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        assert isinstance(value, str)
        return installed().open(self.purpose, value)
