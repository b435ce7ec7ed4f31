"""Ed25519 keys: RFC 8032 vectors, PEM storage, keyid, JWK and RFC 7638 thumbprints."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from agent_api.protocol.encoding import b64url_decode, b64url_encode
from agent_api.protocol.errors import KeyFormatError
from agent_api.protocol.keys import (
    generate_private_key,
    jwk_thumbprint_okp,
    keyid,
    load_private_key,
    load_private_key_pem,
    private_key_from_seed,
    private_key_to_pem,
    public_jwk,
    public_key_from_raw,
    public_key_raw,
    public_raw_from_b64url,
    public_raw_to_b64url,
    save_private_key,
)

# RFC 8032 §7.1, TEST 1 and TEST 2: (secret key, public key, message, signature).
RFC8032_VECTORS = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


@pytest.mark.parametrize(("secret", "public", "message", "signature"), RFC8032_VECTORS)
def test_rfc8032_section_7_1_vectors_sign_to_the_published_signature(
    secret: str, public: str, message: str, signature: str
) -> None:
    key = private_key_from_seed(bytes.fromhex(secret))
    assert public_key_raw(key).hex() == public
    assert key.sign(bytes.fromhex(message)).hex() == signature
    public_key_from_raw(bytes.fromhex(public)).verify(
        bytes.fromhex(signature), bytes.fromhex(message)
    )


def test_rfc8037_appendix_a3_jwk_thumbprint_of_the_ed25519_example_key() -> None:
    # RFC 8037 A.1's key is RFC 8032 TEST 1; A.3 gives its RFC 7638 thumbprint.
    public = b64url_decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
    assert public.hex() == RFC8032_VECTORS[0][1]
    assert jwk_thumbprint_okp(public) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_keyid_is_unpadded_base64url_of_the_sha256_of_the_raw_public_key() -> None:
    raw = bytes.fromhex(RFC8032_VECTORS[0][1])
    value = keyid(raw)
    assert value == b64url_encode(hashlib.sha256(raw).digest())
    assert len(value) == 43
    assert "=" not in value


def test_keyid_refuses_anything_but_a_32_byte_key() -> None:
    with pytest.raises(KeyFormatError):
        keyid(b"\x00" * 31)


def test_public_key_base64url_round_trips_and_checks_length() -> None:
    raw = public_key_raw(generate_private_key())
    assert public_raw_from_b64url(public_raw_to_b64url(raw)) == raw
    with pytest.raises(KeyFormatError):
        public_raw_from_b64url(b64url_encode(raw[:31]))
    with pytest.raises(KeyFormatError):
        public_raw_from_b64url(public_raw_to_b64url(raw) + "=")


def test_pem_round_trips_with_and_without_a_passphrase() -> None:
    key = generate_private_key()
    plain = private_key_to_pem(key)
    assert plain.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_key_raw(load_private_key_pem(plain)) == public_key_raw(key)
    encrypted = private_key_to_pem(key, b"correct horse")
    assert encrypted.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert public_key_raw(load_private_key_pem(encrypted, b"correct horse")) == public_key_raw(key)


def test_a_wrong_or_missing_passphrase_is_refused_without_echoing_it() -> None:
    encrypted = private_key_to_pem(generate_private_key(), b"correct horse")
    with pytest.raises(KeyFormatError) as wrong:
        load_private_key_pem(encrypted, b"battery staple")
    assert "battery" not in str(wrong.value)
    with pytest.raises(KeyFormatError):
        load_private_key_pem(encrypted)


def test_a_non_ed25519_key_is_refused() -> None:
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(KeyFormatError) as caught:
        load_private_key_pem(other)
    assert caught.value.code == "key_invalid"
    with pytest.raises(KeyFormatError):
        load_private_key_pem(b"not a pem")


def test_saved_keys_are_private_to_the_owner_and_load_back(tmp_path: Path) -> None:
    key = generate_private_key()
    path = tmp_path / "terminal.pem"
    save_private_key(path, key, b"pin")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert public_key_raw(load_private_key(path, b"pin")) == public_key_raw(key)


def test_public_jwk_is_accepted_by_pyjwt_and_verifies_an_eddsa_token() -> None:
    key = generate_private_key()
    raw = public_key_raw(key)
    jwk = public_jwk(raw, kid=jwk_thumbprint_okp(raw))
    assert jwk["kty"] == "OKP"
    assert jwk["crv"] == "Ed25519"
    assert jwk["use"] == "sig"
    token = jwt.encode({"sub": "terminal"}, key, algorithm="EdDSA", headers={"kid": jwk["kid"]})
    loaded = jwt.PyJWK(jwk)
    claims = jwt.decode(token, loaded.key, algorithms=["EdDSA"])
    assert claims == {"sub": "terminal"}
