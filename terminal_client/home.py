"""The terminal's local state: one folder holding its configuration, its private key
(mode 0600, optionally passphrase-encrypted), the operator's session, the service's public
keys cached at activation, and the outbox database.

``QURB_TERMINAL_HOME`` (or ``--home``) names the folder; default ``~/.qurb-terminal``.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent_api.protocol.keys import (
    generate_private_key,
    keyid,
    load_private_key,
    public_key_raw,
    save_private_key,
)

# The error log keeps about its last mebibyte: the previous one is kept as errors.log.1.
_ERROR_LOG_BYTES = 1 << 20


class HomeError(Exception):
    """The local state is missing or unusable; ``code`` maps to an operator sentence."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def default_home() -> Path:
    return Path(os.environ.get("QURB_TERMINAL_HOME", Path.home() / ".qurb-terminal"))


@dataclass
class Home:
    path: Path

    @property
    def key_file(self) -> Path:
        return self.path / "terminal-key.pem"

    @property
    def config_file(self) -> Path:
        return self.path / "config.json"

    @property
    def session_file(self) -> Path:
        return self.path / "session.json"

    @property
    def keys_file(self) -> Path:
        return self.path / "server-keys.json"

    @property
    def outbox_file(self) -> Path:
        return self.path / "outbox.sqlite"

    @property
    def error_log(self) -> Path:
        """Where errors nobody foresaw are written for support (never shown as a traceback).
        Before ``init`` made the folder, the system's temporary folder holds it."""
        if self.path.is_dir():
            return self.path / "errors.log"
        return Path(tempfile.gettempdir()) / "qurb-terminal-errors.log"

    def record_error(self, report: str) -> Path:
        """Append ``report`` to the error log (mode 0600); return where it was written."""
        path = self.error_log
        if path.exists() and path.stat().st_size > _ERROR_LOG_BYTES:
            os.replace(path, path.with_name(path.name + ".1"))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(report)
        return path

    # -- set-up ---------------------------------------------------------------------------
    def initialize(self, server: str, *, passphrase: bytes | None, lang: str) -> str:
        """Create the folder, the key pair and the configuration; return the keyid."""
        if self.key_file.exists():
            raise HomeError("already_initialized", f"{self.path} already holds a terminal key")
        self.path.mkdir(parents=True, exist_ok=True)
        os.chmod(self.path, 0o700)
        key = generate_private_key()
        save_private_key(self.key_file, key, passphrase)
        self.write_config({"server": server.rstrip("/"), "lang": lang})
        return keyid(public_key_raw(key))

    def private_key(self, passphrase: bytes | None) -> Ed25519PrivateKey:
        if not self.key_file.exists():
            raise HomeError("not_initialized", f"no terminal key in {self.path}: run init first")
        return load_private_key(self.key_file, passphrase)

    @property
    def staged_key_file(self) -> Path:
        return self.key_file.with_suffix(".new")

    def stage_key(self, key: Ed25519PrivateKey, passphrase: bytes | None) -> None:
        """Write the next key to disk *before* the service hears of it: if the program dies
        after the service accepted it, the key is not lost (``rotate-key`` picks it up)."""
        self.staged_key_file.unlink(missing_ok=True)
        save_private_key(self.staged_key_file, key, passphrase)

    def staged_key(self, passphrase: bytes | None) -> Ed25519PrivateKey | None:
        if not self.staged_key_file.exists():
            return None
        return load_private_key(self.staged_key_file, passphrase)

    def promote_staged_key(self) -> None:
        """The service accepted the staged key: it becomes the key (a rename is atomic)."""
        os.replace(self.staged_key_file, self.key_file)

    def drop_staged_key(self) -> None:
        self.staged_key_file.unlink(missing_ok=True)

    # -- json files -----------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        if not self.config_file.exists():
            raise HomeError("not_initialized", f"no configuration in {self.path}: run init first")
        loaded: dict[str, Any] = json.loads(self.config_file.read_text(encoding="utf-8"))
        return loaded

    def write_config(self, config: dict[str, Any]) -> None:
        _write_private_json(self.config_file, config)

    def update_config(self, **changes: Any) -> dict[str, Any]:
        config = self.config()
        config.update(changes)
        self.write_config(config)
        return config

    def session(self) -> dict[str, Any] | None:
        if not self.session_file.exists():
            return None
        loaded: dict[str, Any] = json.loads(self.session_file.read_text(encoding="utf-8"))
        return loaded

    def save_session(self, session: dict[str, Any] | None) -> None:
        if session is None:
            self.session_file.unlink(missing_ok=True)
        else:
            _write_private_json(self.session_file, session)

    def server_keys(self) -> dict[str, Any]:
        if not self.keys_file.exists():
            raise HomeError("not_activated", "no CNSS public keys cached: activate first")
        loaded: dict[str, Any] = json.loads(self.keys_file.read_text(encoding="utf-8"))
        return loaded

    def save_server_keys(self, jwks: dict[str, Any]) -> None:
        _write_private_json(self.keys_file, jwks)


def _write_private_json(path: Path, data: dict[str, Any]) -> None:
    """Write through a temporary file and rename: a crash never leaves half a file."""
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
