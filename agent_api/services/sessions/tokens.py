"""Session tokens: EdDSA JWTs signed with the service's token key.

Decoding pins the algorithm list to ``EdDSA`` and requires every claim we rely on, so that
``alg: none``, an HMAC token keyed with our public key, a token for the other audience, an
expired token or one signed by an unknown key are all refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from agent_api.errors import AuthenticationFailed
from agent_api.protocol.keys import jwk_thumbprint_okp

ADMIN_AUDIENCE = "qurb-admin"
TERMINAL_AUDIENCE = "qurb-terminal"
REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "jti", "role"]
# Tokens whose signature, audience and issuer were verified, kept per process: a token is
# sent with every request of its session, and its signature is a pure function of its bytes.
# Expiry and the session row are still checked on every request.
VERIFIED_TOKENS_CACHED = 8192


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: datetime


class TokenSigner:
    def __init__(self, private_key: Ed25519PrivateKey, *, issuer: str) -> None:
        self._private_key = private_key
        self._public_key = private_key.public_key()
        raw = self._public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_raw = raw
        self.kid = jwk_thumbprint_okp(raw)
        self.issuer = issuer

    def issue(
        self,
        *,
        subject: str,
        audience: str,
        role: str,
        now: datetime,
        ttl_seconds: int,
        extra: dict[str, Any] | None = None,
    ) -> IssuedToken:
        jti = secrets.token_urlsafe(24)
        expires = now + timedelta(seconds=ttl_seconds)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": audience,
            "sub": subject,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": jti,
            "role": role,
        }
        claims.update(extra or {})
        token = jwt.encode(claims, self._private_key, algorithm="EdDSA", headers={"kid": self.kid})
        return IssuedToken(token=token, jti=jti, expires_at=expires)

    def decode(self, token: str, *, audience: str, now: datetime) -> dict[str, Any]:
        claims = self._verify_cached(token, audience)
        if not isinstance(claims["exp"], int) or claims["exp"] <= int(now.timestamp()):
            raise AuthenticationFailed("the token has expired", code="token_expired")
        return dict(claims)

    @lru_cache(maxsize=VERIFIED_TOKENS_CACHED)  # noqa: B019 - one signer per app, kept for its life
    def _verify_cached(self, token: str, audience: str) -> dict[str, Any]:
        """The claims of a token whose signature, audience and issuer verify (refusals are
        raised, so never cached)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthenticationFailed("the token is malformed", code="token_invalid") from None
        if header.get("kid") != self.kid:
            raise AuthenticationFailed("the token's key is unknown", code="token_invalid")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._public_key,
                algorithms=["EdDSA"],
                audience=audience,
                issuer=self.issuer,
                # Expiry is checked by decode() against the service's clock, not PyJWT's wall
                # clock, so that one injectable clock governs every time decision.
                options={"require": REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError:
            raise AuthenticationFailed("the token is invalid", code="token_invalid") from None
        return claims
