"""Phones, addresses, amendments and stored responses sealed at rest, with rotatable keys."""

from __future__ import annotations

import os

import pytest

from agent_api.errors import ConfigurationError
from agent_api.persistence.sealing import NotSealed, Sealer, is_sealed, key_id

PHONE = "+212612345678"


def test_a_sealed_phone_opens_and_never_shows_in_the_stored_text() -> None:
    sealer = Sealer(os.urandom(32))
    sealed = sealer.seal("contact", PHONE)
    assert PHONE not in sealed
    assert "612345678" not in sealed
    assert is_sealed(sealed)
    assert sealer.open("contact", sealed) == PHONE


def test_sealing_the_same_address_twice_never_gives_the_same_text() -> None:
    sealer = Sealer(os.urandom(32))
    assert sealer.seal("contact", "12 rue des Orangers") != sealer.seal(
        "contact", "12 rue des Orangers"
    )


def test_a_value_sealed_for_one_purpose_does_not_open_as_another() -> None:
    sealer = Sealer(os.urandom(32))
    sealed = sealer.seal("contact", PHONE)
    with pytest.raises(NotSealed):
        sealer.open("response", sealed)


def test_after_rotation_old_rows_still_open_and_new_rows_use_the_new_key() -> None:
    old_key, new_key = os.urandom(32), os.urandom(32)
    old = Sealer(old_key).seal("history", "4 av. Hassan II")
    rotated = Sealer(new_key, [old_key])
    assert rotated.open("history", old) == "4 av. Hassan II"
    assert rotated.seal("history", "x").split(":")[1] == key_id(new_key) != key_id(old_key)


def test_a_row_under_a_key_no_longer_configured_is_a_configuration_error_naming_no_value() -> None:
    sealed = Sealer(os.urandom(32)).seal("contact", PHONE)
    with pytest.raises(ConfigurationError) as caught:
        Sealer(os.urandom(32)).open("contact", sealed)
    assert PHONE not in str(caught.value)
    assert "QURB_CONTACT_PREVIOUS_ENCRYPTION_KEYS" in str(caught.value)


@pytest.mark.parametrize("stored", [PHONE, "", "q1:", "q1:0011223344556677:AAAA"])
def test_a_clear_or_malformed_stored_value_is_refused_without_showing_it(stored: str) -> None:
    with pytest.raises((NotSealed, ConfigurationError)) as caught:
        Sealer(os.urandom(32)).open("contact", stored)
    assert PHONE not in str(caught.value)


def test_a_tampered_sealed_value_is_refused() -> None:
    sealer = Sealer(os.urandom(32))
    sealed = sealer.seal("response", '{"phone":"+212612345678"}')
    tampered = sealed[:-6] + ("AAAA==" if not sealed.endswith("AAAA==") else "BBBB==")
    with pytest.raises(NotSealed):
        sealer.open("response", tampered)


def test_a_second_set_of_keys_installed_seals_and_the_first_still_opens() -> None:
    first, second = Sealer(os.urandom(32)), Sealer(os.urandom(32))
    merged = second.also_opening(first)
    assert merged.current_key_id == second.current_key_id
    assert merged.open("contact", first.seal("contact", PHONE)) == PHONE
    assert merged.key_ids == first.key_ids | second.key_ids


def test_a_key_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        Sealer(os.urandom(16))
