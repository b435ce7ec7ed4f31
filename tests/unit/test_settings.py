"""Settings and secrets: what an operator configuring the service would notice."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_api.errors import ConfigurationError
from agent_api.secrets import Secret, new_ed25519_pem, new_symmetric_key_text
from agent_api.settings import KEY_KINDS, Settings


def _all_keys() -> dict[str, str]:
    return {
        f"QURB_{name}": new_ed25519_pem() if kind == "ed25519" else new_symmetric_key_text()
        for name, kind in KEY_KINDS.items()
    }


def test_secrets_never_print_their_value() -> None:
    secret = Secret("super-secret-value")
    assert "super-secret-value" not in repr(secret)
    assert "super-secret-value" not in str(secret)
    assert "super-secret-value" not in f"{secret}"
    assert secret.reveal() == "super-secret-value"


def test_settings_repr_hides_every_key() -> None:
    env = {"QURB_ENV": "production", **_all_keys()}
    settings = Settings.from_env(env)
    text = repr(settings)
    for value in _all_keys().values():
        assert value not in text
    for value in env.values():
        if value.startswith("-----BEGIN"):
            assert value not in text


def test_defaults_use_the_embedded_sqlite_file(tmp_path: Path) -> None:
    settings = Settings.from_env({"QURB_KEY_DIR": str(tmp_path)})
    assert settings.database_url == "sqlite:///./qurb.db"
    assert settings.environment == "development"


def test_development_generates_missing_keys_once_with_private_permissions(tmp_path: Path) -> None:
    first = Settings.from_env({"QURB_KEY_DIR": str(tmp_path)})
    second = Settings.from_env({"QURB_KEY_DIR": str(tmp_path)})
    for name in KEY_KINDS:
        assert first.key_text(name).reveal() == second.key_text(name).reveal()
    for path in tmp_path.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600


def test_production_refuses_a_missing_key() -> None:
    env = {"QURB_ENV": "production", **_all_keys()}
    del env["QURB_RECEIPT_SIGNING_KEY"]
    with pytest.raises(ConfigurationError, match="QURB_RECEIPT_SIGNING_KEY is missing"):
        Settings.from_env(env)


def test_production_refuses_a_placeholder_key() -> None:
    env = {"QURB_ENV": "production", **_all_keys(), "QURB_CIN_INDEX_KEY": "changeme"}
    with pytest.raises(ConfigurationError, match="QURB_CIN_INDEX_KEY is a placeholder"):
        Settings.from_env(env)


def test_malformed_key_is_refused_without_echoing_it() -> None:
    env = {"QURB_ENV": "production", **_all_keys(), "QURB_CIN_ENCRYPTION_KEY": "c2hvcnQ="}
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env(env)
    assert "c2hvcnQ=" not in str(caught.value)
    assert "32 bytes" in str(caught.value)


def test_keys_can_come_from_files(tmp_path: Path) -> None:
    env = {"QURB_ENV": "production", **_all_keys()}
    pem = env.pop("QURB_TOKEN_SIGNING_KEY")
    key_file = tmp_path / "token.pem"
    key_file.write_text(pem)
    env["QURB_TOKEN_SIGNING_KEY_FILE"] = str(key_file)
    assert Settings.from_env(env).key_text("TOKEN_SIGNING_KEY").reveal() == pem


def test_bad_numbers_and_environments_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="QURB_MAX_BODY_BYTES"):
        Settings.from_env({"QURB_ENV": "test", "QURB_MAX_BODY_BYTES": "lots"})
    with pytest.raises(ConfigurationError, match="QURB_ENV"):
        Settings.from_env({"QURB_ENV": "staging"})
