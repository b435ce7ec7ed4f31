"""The CIN vault: encryption at rest with rotatable keys, and a blind index."""

from __future__ import annotations

import os

import pytest
from cryptography.exceptions import InvalidTag

from agent_api.errors import ConfigurationError
from agent_api.services.workers.identity import CinVault, key_id


def test_a_sealed_cin_opens_and_never_shows_in_the_stored_text() -> None:
    vault = CinVault(os.urandom(32), os.urandom(32))
    kid, sealed = vault.seal("BE123456")
    assert "BE123456" not in sealed
    assert vault.open(kid, sealed) == "BE123456"


def test_sealing_twice_gives_different_texts_but_the_same_index() -> None:
    vault = CinVault(os.urandom(32), os.urandom(32))
    assert vault.seal("BE123456")[1] != vault.seal("BE123456")[1]
    assert vault.index("BE123456") == vault.index("BE123456")
    assert vault.index("BE123456") != vault.index("BE123457")


def test_the_index_depends_on_the_key() -> None:
    assert CinVault(os.urandom(32), b"a" * 32).index("BE1234") != CinVault(
        os.urandom(32), b"b" * 32
    ).index("BE1234")


def test_after_rotation_old_rows_still_open_and_new_rows_use_the_new_key() -> None:
    old_key, new_key, index_key = os.urandom(32), os.urandom(32), os.urandom(32)
    old_kid, old_sealed = CinVault(old_key, index_key).seal("BE123456")
    rotated = CinVault(new_key, index_key, {key_id(old_key): old_key})
    assert rotated.open(old_kid, old_sealed) == "BE123456"
    assert rotated.seal("JA554433")[0] == key_id(new_key) != old_kid


def test_a_row_under_an_unknown_key_is_a_configuration_error() -> None:
    kid, sealed = CinVault(os.urandom(32), os.urandom(32)).seal("BE123456")
    with pytest.raises(ConfigurationError) as caught:
        CinVault(os.urandom(32), os.urandom(32)).open(kid, sealed)
    assert "BE123456" not in str(caught.value)


def test_a_tampered_ciphertext_is_refused() -> None:
    vault = CinVault(os.urandom(32), os.urandom(32))
    kid, sealed = vault.seal("BE123456")
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises((InvalidTag, ValueError)):
        vault.open(kid, tampered)
