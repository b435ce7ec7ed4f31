"""The CIN vault (law 09-08): encryption at rest and the blind index.

- ``index(cin)`` is HMAC-SHA256 under the index key: deterministic, so "one CIN, one
  worker" is a unique constraint, and useless to anyone without the key.
- ``seal(cin)`` is AES-256-GCM with a fresh 96-bit nonce and the purpose as associated
  data; the stored text is ``base64(nonce ‖ ciphertext ‖ tag)`` with the id of the key, so
  the encryption key can rotate: old rows name the key that can open them.

Both keys come from the settings (files or environment), never from the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from agent_api.errors import ConfigurationError

_AAD = b"qurb/cin/v1"


def key_id(key: bytes) -> str:
    """A short public name for a key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:16]


class CinVault:
    def __init__(
        self,
        encryption_key: bytes,
        index_key: bytes,
        previous_encryption_keys: Mapping[str, bytes] | None = None,
    ) -> None:
        self._current_id = key_id(encryption_key)
        self._keys = {self._current_id: AESGCM(encryption_key)}
        for kid, key in (previous_encryption_keys or {}).items():
            self._keys[kid] = AESGCM(key)
        self._index_key = index_key

    @property
    def current_key_id(self) -> str:
        return self._current_id

    def index(self, cin: str) -> str:
        return hmac.new(self._index_key, cin.encode(), hashlib.sha256).hexdigest()

    def seal(self, cin: str) -> tuple[str, str]:
        """(key id, sealed text) for a normalized CIN."""
        nonce = os.urandom(12)
        sealed = self._keys[self._current_id].encrypt(nonce, cin.encode(), _AAD)
        return self._current_id, base64.b64encode(nonce + sealed).decode()

    def open(self, key_id_: str, sealed: str) -> str:
        try:
            aead = self._keys[key_id_]
        except KeyError:
            raise ConfigurationError(
                f"no CIN key with id {key_id_} is configured; add it to the previous keys"
            ) from None
        raw = base64.b64decode(sealed)
        return aead.decrypt(raw[:12], raw[12:], _AAD).decode()
