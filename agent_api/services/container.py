"""The services of one running app, built from its settings and engine (in the lifespan)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from agent_api.clock import Clock, utc_now
from agent_api.persistence.unit_of_work import UnitOfWork
from agent_api.protocol.keys import jwk_thumbprint_okp, public_jwk, public_key_raw
from agent_api.secrets import parse_ed25519_private_key
from agent_api.services.auth import AuthService
from agent_api.services.idempotency import IdempotentWrites
from agent_api.services.passwords import PasswordHasher
from agent_api.services.registry import RegistryService
from agent_api.services.security_events import SecurityEventService
from agent_api.services.terminal_auth import TerminalAuthService
from agent_api.services.terminals import TerminalAdminService
from agent_api.services.tokens import TokenSigner
from agent_api.services.users import UserService
from agent_api.settings import Settings


@dataclass
class Services:
    settings: Settings
    engine: Engine
    clock: Clock
    hasher: PasswordHasher
    signer: TokenSigner
    auth: AuthService
    registry: RegistryService
    terminals: TerminalAdminService
    users: UserService
    events: SecurityEventService
    writes: IdempotentWrites
    terminal_auth: TerminalAuthService
    jwks: dict[str, list[dict[str, str]]]

    def new_uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    @classmethod
    def build(cls, settings: Settings, engine: Engine, clock: Clock = utc_now) -> Services:
        def uow() -> UnitOfWork:
            return UnitOfWork(engine)

        hasher = PasswordHasher(
            time_cost=settings.password_time_cost, memory_kib=settings.password_memory_kib
        )
        signer = TokenSigner(
            parse_ed25519_private_key(settings.key_text("TOKEN_SIGNING_KEY").reveal()),
            issuer=settings.token_issuer,
        )
        receipt_raw = public_key_raw(
            parse_ed25519_private_key(settings.key_text("RECEIPT_SIGNING_KEY").reveal())
        )
        events = SecurityEventService(uow, clock)
        auth = AuthService(
            uow,
            clock,
            hasher,
            signer,
            admin_ttl_seconds=settings.admin_token_ttl_seconds,
            max_failed_logins=settings.max_failed_logins,
            lockout_seconds=settings.lockout_seconds,
        )
        return cls(
            settings=settings,
            engine=engine,
            clock=clock,
            hasher=hasher,
            signer=signer,
            auth=auth,
            registry=RegistryService(uow, clock),
            terminals=TerminalAdminService(
                uow, clock, code_ttl_seconds=settings.activation_code_ttl_seconds
            ),
            users=UserService(uow, clock, hasher),
            events=events,
            writes=IdempotentWrites(uow, events, wait_ms=settings.idempotency_wait_ms),
            terminal_auth=TerminalAuthService(
                uow,
                clock,
                auth,
                signer,
                events,
                operator_ttl_seconds=settings.operator_token_ttl_seconds,
                max_activation_attempts=settings.max_activation_attempts,
                login_failures=settings.terminal_login_failures,
                login_window_seconds=settings.terminal_login_window_seconds,
            ),
            # Published at GET /v1/keys so tokens and receipts verify with standard JOSE tools.
            jwks={
                "keys": [
                    public_jwk(signer.public_raw, signer.kid),
                    public_jwk(receipt_raw, jwk_thumbprint_okp(receipt_raw)),
                ]
            },
        )
